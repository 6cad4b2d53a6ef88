"""`hf-ser cv`: cv_results.json contract, pooled math, LOSO coverage, resume, config guard, cross-corpus.

Every run is tiny: 4 synthetic speakers x 4 emotions x 2 clips, a 13-MFCC frame MLP, a few steps.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, recall_score

from hf_ser.training import cv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny_cv import NUM_SPEAKERS, tiny_argv  # noqa: E402


def load(out: Path) -> dict:
    return json.loads((out / cv.CV_RESULTS).read_text())


def fold_predictions(out: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(out.glob(f"fold_*/{cv.PREDICTIONS}"))]


@pytest.fixture(scope="module")
def loso_run(tmp_path_factory) -> Path:
    """One complete LOSO run, shared (read-only) by the tests below."""
    tmp = tmp_path_factory.mktemp("loso")
    assert cv.main(tiny_argv(tmp)) == 0
    return tmp / "out"


def test_cv_results_contract_and_pooled_math(loso_run: Path):
    r = load(loso_run)
    assert {"folds", "pooled", "mean", "std"} <= set(r)
    assert len(r["folds"]) == NUM_SPEAKERS  # LOSO: one fold per speaker
    for part in ("pooled", "mean", "std"):
        assert {"uar", "wa", "macro_f1"} <= set(r[part])
        assert all(0.0 <= r[part][k] <= 1.0 for k in ("uar", "wa", "macro_f1"))
    for fold in r["folds"]:
        assert len(fold["test_speakers"]) == 1
        assert not set(fold["validation_speakers"]) & set(fold["test_speakers"])
        assert all(0.0 <= fold[k] <= 1.0 for k in ("uar", "wa", "macro_f1"))
    assert sorted(s for f in r["folds"] for s in f["test_speakers"]) == [f"synthetic_s{i:02d}" for i in range(4)]

    preds = fold_predictions(loso_run)
    rows = sorted(i for p in preds for i in p["rows"])
    assert rows == list(range(r["pooled"]["num_samples"]))  # every clip predicted exactly once
    y_true = np.concatenate([p["y_true"] for p in preds])
    y_pred = np.concatenate([p["y_pred"] for p in preds])
    assert r["pooled"]["uar"] == pytest.approx(recall_score(y_true, y_pred, average="macro"))
    assert r["pooled"]["wa"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert r["pooled"]["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    for key in ("uar", "wa", "macro_f1"):
        values = [f[key] for f in r["folds"]]
        assert r["mean"][key] == pytest.approx(np.mean(values))
        assert r["std"][key] == pytest.approx(np.std(values))
    for p, fold in zip(preds, r["folds"], strict=True):
        assert set(p["speaker_ids"]) == set(fold["test_speakers"])
        assert fold["uar"] == pytest.approx(recall_score(p["y_true"], p["y_pred"], average="macro"))
    assert r["speaker_normalization"] == "none"
    assert (loso_run / cv.CV_SUMMARY).read_text().startswith("# Cross-validation")
    assert (loso_run / cv.CONFUSION_PNG).stat().st_size > 0
    assert not list(loso_run.glob("fold_*/checkpoint-*"))  # intermediate checkpoints are cleaned up


def test_rerun_skips_finished_folds_and_redoes_missing(loso_run: Path, tmp_path: Path):
    out = tmp_path / "out"
    shutil.copytree(loso_run, out)
    shutil.copy(loso_run.parent / "tiny.yaml", tmp_path / "tiny.yaml")
    shutil.copytree(loso_run.parent / "cache", tmp_path / "cache")
    (out / "fold_02" / cv.PREDICTIONS).unlink()
    kept = {p: p.stat().st_mtime_ns for p in out.glob(f"fold_*/{cv.PREDICTIONS}")}
    assert cv.main(tiny_argv(tmp_path)) == 0
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # finished folds were not retrained
    assert (out / "fold_02" / cv.PREDICTIONS).exists()
    assert load(out)["pooled"] == load(loso_run)["pooled"]  # seeded: the redone fold is the same


def test_killed_fold_resumes_with_same_results(loso_run: Path, tmp_path: Path):
    from transformers import TrainerCallback

    class Kill(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if Path(args.output_dir).name == "fold_01" and state.global_step == 6:
                raise KeyboardInterrupt("simulated kill")

    shutil.copy(loso_run.parent / "tiny.yaml", tmp_path / "tiny.yaml")
    from hf_ser.training.config import parse_arguments

    with pytest.raises(KeyboardInterrupt):
        cv.run_cv(parse_arguments(tiny_argv(tmp_path), "cv"), callbacks=[Kill()])
    out = tmp_path / "out"
    assert (out / "fold_00" / cv.PREDICTIONS).exists() and not (out / "fold_01" / cv.PREDICTIONS).exists()
    assert list((out / "fold_01").glob("checkpoint-4"))
    first = (out / "fold_00" / cv.PREDICTIONS).stat().st_mtime_ns
    assert cv.main(tiny_argv(tmp_path)) == 0
    assert (out / "fold_00" / cv.PREDICTIONS).stat().st_mtime_ns == first
    assert load(out)["pooled"] == load(loso_run)["pooled"]
    assert [f["uar"] for f in load(out)["folds"]] == [f["uar"] for f in load(loso_run)["folds"]]


def test_changed_config_is_refused_unless_overwrite(loso_run: Path, tmp_path: Path, capsys):
    out = tmp_path / "out"
    shutil.copytree(loso_run, out)
    assert cv.main(tiny_argv(tmp_path, learning_rate=0.01)) == 2
    assert "learning_rate" in capsys.readouterr().err
    # Keys that do not change results (cache location, logging) keep the finished folds.
    assert cv.main(tiny_argv(tmp_path, logging_steps=2, out="out")) == 0
    assert load(out)["pooled"] == load(loso_run)["pooled"]


def test_gain_check_added_to_a_finished_run(loso_run: Path, tmp_path: Path, capsys):
    """--test_gain_db re-predicts each fold's test clips with its saved model, without retraining: at 0 dB the
    16-bit clips are unchanged, so every label must come out as the strict run's (raw audio through the saved
    model = cached features through the head); at -25 dB the per-speaker UARs are recomputed from the labels."""
    out = tmp_path / "out"
    shutil.copytree(loso_run, out)
    shutil.copy(loso_run.parent / "tiny.yaml", tmp_path / "tiny.yaml")
    weights = {p: p.stat().st_mtime_ns for p in out.glob("fold_*/model.safetensors")}
    assert len(weights) == NUM_SPEAKERS
    assert cv.main(tiny_argv(tmp_path, test_gain_db=0)) == 0
    assert {p: p.stat().st_mtime_ns for p in weights} == weights  # no fold retrained
    check = load(out)["gain_check"]
    assert check["labels_unchanged"] == 1.0 and check["pooled"]["uar"] == pytest.approx(load(loso_run)["pooled"]["uar"])

    assert cv.main(tiny_argv(tmp_path, test_gain_db=-25)) == 0
    assert "test at -25 dB" in capsys.readouterr().out
    r, preds = load(out), fold_predictions(out)
    check = r["gain_check"]
    assert check["gain_db"] == -25 and check["chance_uar"] == 0.25 and check["clipped_clips"] == 0
    assert [s["speaker"] for s in check["speakers"]] == [f["test_speakers"][0] for f in r["folds"]]
    for p, speaker in zip(preds, check["speakers"], strict=True):
        assert p["y_pred"] == fold_predictions(loso_run)[p["fold"]]["y_pred"]  # the strict results stay
        quiet = p["gain_check"]["y_pred"]
        assert speaker["uar_at_gain"] == pytest.approx(recall_score(p["y_true"], quiet, average="macro"))
        assert speaker["labels_unchanged"] == pytest.approx(np.mean(np.equal(quiet, p["y_pred"])))
    assert check["lowest_speaker_uar_at_gain"] == min(s["uar_at_gain"] for s in check["speakers"])
    assert "recorded -25 dB" in (out / cv.CV_SUMMARY).read_text()
    stamps = {p: p.stat().st_mtime_ns for p in out.glob(f"fold_*/{cv.PREDICTIONS}")}
    assert cv.main(tiny_argv(tmp_path, test_gain_db=-25)) == 0
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps  # predicted once per gain


def test_gain_check_keys_are_checked(tmp_path: Path, capsys):
    assert cv.main(tiny_argv(tmp_path, test_gain_db=-80)) == 2
    assert "test_gain_db=-80.0 is outside" in capsys.readouterr().err
    assert cv.main(tiny_argv(tmp_path, test_gain_db=-25, speaker_normalization="speaker_z")) == 2
    assert "speaker_normalization none" in capsys.readouterr().err


def test_k_speaker_folds_with_speaker_normalization(tmp_path: Path):
    assert cv.main(tiny_argv(tmp_path, num_folds=2, speaker_normalization="speaker_z")) == 0
    r = load(tmp_path / "out")
    assert len(r["folds"]) == 2 and all(len(f["test_speakers"]) == 2 for f in r["folds"])
    assert r["pooled"]["num_samples"] == 32
    assert r["speaker_normalization"] == cv.SPEAKER_Z_NAME
    assert "transductive" in (tmp_path / "out" / cv.CV_SUMMARY).read_text()


def test_bad_cv_keys_are_errors(tmp_path: Path, capsys):
    assert cv.main(tiny_argv(tmp_path, num_fold=3)) == 2
    assert "num_folds" in capsys.readouterr().err  # suggests the closest key
    assert cv.main(tiny_argv(tmp_path, speaker_normalization="global")) == 2
    assert cv.main(tiny_argv(tmp_path, cache_features="false", speaker_normalization="speaker_z")) == 2
    # augmentation makes cached features inexact: `cache_features: true` and speaker_z refuse to run
    assert cv.main(tiny_argv(tmp_path, cache_features="true", augment="true", test_size=0.2)) == 2
    assert "augment" in capsys.readouterr().err
    # a key the protocol does not use is named in a logged warning (speaker folds test every speaker)
    assert "test_size=0.2 does not apply to `hf-ser cv`" in (tmp_path / "out" / cv.CV_LOG).read_text()
    assert cv.main(tiny_argv(tmp_path, speaker_normalization="speaker_z", max_duration_seconds=1.0)) == 2


def _write_folder_corpus(root: Path) -> int:
    """A `<label>/<speaker>/<file>.wav` tree of synthetic clips from other speakers than the training corpus."""
    import soundfile as sf

    from hf_ser.corpora.synthetic import iter_synthetic_utterances

    n = 0
    for utt in iter_synthetic_utterances(num_speakers=2, utterances_per_emotion=1, seed=7):
        folder = root / utt["emotion"] / f"spk{utt['speaker_id'][-1]}"
        folder.mkdir(parents=True, exist_ok=True)
        sf.write(folder / f"{utt['utterance_id']}.wav", utt["array"], utt["sampling_rate"])
        n += 1
    return n


def test_cross_corpus_synthetic_to_folder(tmp_path: Path):
    n_test = _write_folder_corpus(tmp_path / "folder")
    argv = tiny_argv(
        tmp_path, test_corpus="folder", test_data_dir=tmp_path / "folder", classes="4class", validation_size=0.25
    )
    assert cv.main(argv) == 0
    r = load(tmp_path / "out")
    assert len(r["folds"]) == 1 and r["protocol"].startswith("cross-corpus")
    assert r["pooled"]["num_samples"] == n_test
    assert all(s.startswith("folder_") for s in r["folds"][0]["test_speakers"])
    assert r["labels"] == ["neutral", "happiness", "sadness", "anger"]
    assert os.path.exists(tmp_path / "out" / cv.CONFUSION_PNG)
    # the same recipe through hf-ser train: the protocol's one fold, one saved model tested on the other corpus
    from hf_ser.training import run

    argv[argv.index("--output_dir") + 1] = str(tmp_path / "model")
    assert run.main(argv) == 0
    results = json.loads((tmp_path / "model" / "test_results.json").read_text())
    assert results["protocol"] == r["protocol"] and results["test_num_samples"] == n_test
    assert results["test_confusion_matrix"] == r["confusion_matrix"]  # the same model as the one CV fold


def test_train_and_cv_accept_the_same_recipe_joining_two_corpora(tmp_path: Path):
    """`corpus: a+b` (folders in data_dirs) through both commands: one model, and speaker folds."""
    import json as _json

    from hf_ser.training import run

    _write_folder_corpus(tmp_path / "folder")
    joined = {"corpus": "synthetic+folder", "data_dirs": _json.dumps({"folder": str(tmp_path / "folder")})}
    joined["classes"] = "4class"
    joined["corpus_options"] = _json.dumps({"synthetic": {"num_speakers": NUM_SPEAKERS, "utterances_per_emotion": 2}})
    assert run.main(tiny_argv(tmp_path, out="train", **joined)) == 0
    results = json.loads((tmp_path / "train" / "test_results.json").read_text())
    speakers = [s for split in results["speakers"].values() for s in split]
    assert {s.split("_")[0] for s in speakers} == {"synthetic", "folder"} and results["corpus"] == "synthetic+folder"
    assert (tmp_path / "train" / "README.md").exists()
    assert cv.main(tiny_argv(tmp_path, out="cv", num_folds=2, **joined)) == 0
    r = load(tmp_path / "cv")
    assert r["pooled"]["num_samples"] == NUM_SPEAKERS * 4 * 2 + 2 * 4
    assert {s.split("_")[0] for f in r["folds"] for s in f["test_speakers"]} == {"synthetic", "folder"}
