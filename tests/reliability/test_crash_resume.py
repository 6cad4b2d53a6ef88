"""SIGKILL during ``hf-ser prepare``, ``train`` and ``cv``: nothing half-written is taken as complete, and the
rerun ends with the results of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests" / "training"))

from matrix import build_matrix_folder  # noqa: E402
from tiny_cv import tiny_argv  # noqa: E402

from hf_ser.cli import main  # noqa: E402

DEMO_RECIPE = str(ROOT / "recipes" / "synthetic" / "default.yaml")


def _run_and_kill(stage: str, argv: list[str], ready, tmp_path: Path, timeout: float = 300) -> None:
    """Start ``hf-ser argv`` slowed at ``stage``, SIGKILL it once ``ready()`` is true."""
    marker = tmp_path / f"{stage}.marker"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "slow_runner.py"), stage, str(marker), *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + timeout
        while not ready(marker):
            assert proc.poll() is None, f"hf-ser {argv[0]} ended before it could be killed"
            assert time.time() < deadline, f"hf-ser {argv[0]} did not reach {stage} within {timeout} s"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _dataset_rows(out: Path) -> list[tuple]:
    from datasets import load_from_disk

    dd = load_from_disk(str(out)).cast_column("audio", __import__("datasets").Audio(decode=False))
    return [(r["path"], r["emotion"], r["speaker_id"], r["audio"]["bytes"]) for r in dd["all"]]


def _comparable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in ("elapsed_seconds", "output_dir")}


@pytest.fixture(scope="module")
def corpus_and_reference(tmp_path_factory) -> tuple[Path, Path]:
    """The matrix folder and an uninterrupted ``hf-ser prepare`` of it."""
    tmp = tmp_path_factory.mktemp("prepare_ref")
    folder = tmp / "corpus"
    build_matrix_folder(folder)
    argv = ["prepare", "emodb", "--data_dir", str(folder), "--output_dir", str(tmp / "out"), "--split", "none"]
    assert main([*argv, "--cache_dir", str(tmp / "hf"), "--no_progress"]) == 0
    return folder, tmp / "out"


@pytest.mark.parametrize("stage", ["prepare-decoding", "prepare-staged"])
def test_prepare_killed_then_rerun_gives_the_uninterrupted_dataset(stage, corpus_and_reference, tmp_path):
    folder, reference = corpus_and_reference
    out, cache = tmp_path / "out", tmp_path / "hf"
    argv = ["prepare", "emodb", "--data_dir", str(folder), "--output_dir", str(out), "--split", "none"]
    argv += ["--cache_dir", str(cache), "--no_progress"]
    _run_and_kill(stage, argv, lambda marker: marker.exists(), tmp_path)

    assert not (out / "dataset_dict.json").exists()  # nothing in OUT looks like a finished dataset
    leftovers = list(tmp_path.glob(".out.prepare-staging-*"))
    if stage == "prepare-staged":
        assert len(leftovers) == 1 and (leftovers[0] / "dataset_dict.json").exists() and not out.exists()

    assert main(argv) == 0  # the same command again, same datasets cache
    assert not list(tmp_path.glob(".out.prepare-staging-*"))  # the dead run's staging folder is gone
    assert _dataset_rows(out) == _dataset_rows(reference)
    a, b = (json.loads((d / "prepare_report.json").read_text()) for d in (reference, out))
    assert _comparable(a) == _comparable(b)


def test_prepare_failure_report_lands_in_the_output_folder(tmp_path):
    """A split that cannot be made (one speaker) still writes OUT/prepare_report.json, not into a staging folder."""
    import soundfile as sf
    from matrix import SR, speech

    folder = tmp_path / "corpus"
    folder.mkdir()
    for i, emotion in enumerate("WTN"):
        sf.write(folder / f"03a01{emotion}a.wav", speech(0.5, seed=i), SR)
    out = tmp_path / "out"
    argv = ["prepare", "emodb", "--data_dir", str(folder), "--output_dir", str(out)]
    assert main([*argv, "--cache_dir", str(tmp_path / "hf"), "--no_progress"]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["prepare_report.json"]
    assert "speakers" in json.loads((out / "prepare_report.json").read_text())["error"]
    assert not list(tmp_path.glob(".out.prepare-staging-*"))


def test_train_killed_then_resumed_ends_as_the_uninterrupted_run(tmp_path):
    tiny = ["--corpus_options", '{"num_speakers": 5, "utterances_per_emotion": 3}', "--max_duration_seconds", "1.0"]
    tiny += ["--per_device_train_batch_size", "8", "--max_steps", "6", "--save_steps", "2", "--seed", "3"]
    tiny += ["--early_stopping_patience", "null", "--disable_tqdm", "true"]
    killed, full = tmp_path / "killed", tmp_path / "full"
    argv = ["train", DEMO_RECIPE, *tiny, "--output_dir", str(killed)]
    _run_and_kill("train-steps", argv, lambda _: (killed / "checkpoint-2" / "trainer_state.json").exists(), tmp_path)
    assert not (killed / "test_results.json").exists()

    assert main([*argv, "--resume_from_checkpoint", "true"]) == 0
    assert main(["train", DEMO_RECIPE, *tiny, "--output_dir", str(full)]) == 0
    a, b = (json.loads((d / "test_results.json").read_text()) for d in (full, killed))
    assert a["global_step"] == b["global_step"] == 6
    assert a["test_uar"] == b["test_uar"] and a["test_confusion_matrix"] == b["test_confusion_matrix"]


def _cv_results(out: Path) -> tuple[dict, list]:
    results = json.loads((out / "cv_results.json").read_text())
    predictions = [json.loads(p.read_text())["y_pred"] for p in sorted(out.glob("fold_*/predictions.json"))]
    return results, predictions


def test_cv_killed_mid_fold_then_rerun_gives_the_uninterrupted_results(tmp_path):
    argv = tiny_argv(tmp_path, "killed", num_folds=2)
    fold = tmp_path / "killed" / "fold_01"
    _run_and_kill(
        "train-steps", ["cv", *argv], lambda _: (fold / "checkpoint-4" / "trainer_state.json").exists(), tmp_path
    )
    assert not (tmp_path / "killed" / "cv_results.json").exists()
    assert (tmp_path / "killed" / "fold_00" / "predictions.json").exists()
    assert not (fold / "predictions.json").exists()

    assert main(["cv", *argv]) == 0
    assert main(["cv", *tiny_argv(tmp_path, "full", num_folds=2)]) == 0
    (killed, killed_predictions), (full, full_predictions) = (
        _cv_results(tmp_path / "killed"),
        _cv_results(tmp_path / "full"),
    )
    assert killed_predictions == full_predictions
    assert killed["pooled"] == full["pooled"]
    assert [f["uar"] for f in killed["folds"]] == [f["uar"] for f in full["folds"]]
