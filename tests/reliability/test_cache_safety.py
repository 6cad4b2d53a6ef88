"""The feature cache shared by concurrent runs, cut short by a kill, and checked and cleaned by ``hf-ser cache``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[0] / "training"))

from tiny_cv import tiny_argv  # noqa: E402

from hf_ser.cli import main  # noqa: E402
from hf_ser.training.cache_store import directory_lock  # noqa: E402


def _start(stage: str, argv: list[str], marker: Path) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.Popen(
        [sys.executable, str(HERE / "slow_runner.py"), stage, str(marker), *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _results(out: Path) -> tuple[dict, list]:
    results = json.loads((out / "cv_results.json").read_text())
    return results, [json.loads(p.read_text())["y_pred"] for p in sorted(out.glob("fold_*/predictions.json"))]


@pytest.fixture(scope="module")
def concurrent_runs(tmp_path_factory) -> Path:
    """Two ``hf-ser cv`` runs on one cache: the second starts while the first is filling it (and holds its lock)."""
    tmp = tmp_path_factory.mktemp("concurrent")
    marker = tmp / "filling.marker"
    first = _start("cache-fill", ["cv", *tiny_argv(tmp, "first", num_folds=2)], marker)
    deadline = time.time() + 300
    while not marker.exists():
        assert first.poll() is None, first.stderr.read()
        assert time.time() < deadline, "the first run never started filling the cache"
        time.sleep(0.05)
    second = _start("plain", ["cv", *tiny_argv(tmp, "second", num_folds=2)], tmp / "unused.marker")
    for proc in (first, second):
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    return tmp


def test_two_cv_runs_sharing_one_cache_compute_each_clip_once_and_agree(concurrent_runs):
    tmp = concurrent_runs
    (first, first_predictions), (second, second_predictions) = _results(tmp / "first"), _results(tmp / "second")
    assert first["feature_cache"]["computed"] == 32
    # the second run waited for the lock, then found every clip cached
    assert second["feature_cache"]["computed"] == 0 and second["feature_cache"]["reused"] == 32
    assert first_predictions == second_predictions and first["pooled"] == second["pooled"]
    assert main(["cv", *tiny_argv(tmp, "uncached", num_folds=2, cache_features="false")]) == 0
    uncached, uncached_predictions = _results(tmp / "uncached")
    assert first_predictions == uncached_predictions and first["pooled"] == uncached["pooled"]


def _fingerprint_dir(tmp: Path) -> Path:
    (folder,) = [p for p in (tmp / "cache").iterdir() if p.is_dir()]
    return folder


def test_truncated_entry_is_found_by_verify_and_recomputed_by_the_next_run(concurrent_runs, tmp_path, capsys):
    import shutil

    shutil.copytree(concurrent_runs / "cache", tmp_path / "cache")
    shutil.copy(concurrent_runs / "tiny.yaml", tmp_path / "tiny.yaml")
    folder = _fingerprint_dir(tmp_path)
    entry = sorted(folder.rglob("*.npy"))[0]
    entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])  # what a kill mid-copy or a full disk leaves
    leftover = entry.with_name(f"{entry.stem}.999999999.tmp.npy")  # a killed run's temporary file (no such pid)
    leftover.write_bytes(b"\x93NUMPY")

    assert main(["cache", "verify", "--cache_dir", str(tmp_path / "cache")]) == 1
    out = capsys.readouterr().out
    assert f"{entry}: truncated" in out and f"{leftover}: temporary file of a killed run" in out
    assert "32 entries checked, 2 problem(s), 0 removed" in out

    assert main(["cv", *tiny_argv(tmp_path, "rerun", num_folds=2)]) == 0
    rerun, rerun_predictions = _results(tmp_path / "rerun")
    assert rerun["feature_cache"]["computed"] == 1 and rerun["feature_cache"]["reused"] == 31
    assert rerun_predictions == _results(concurrent_runs / "first")[1]

    assert main(["cache", "verify", "--cache_dir", str(tmp_path / "cache"), "--delete"]) == 0
    assert "1 problem(s), 1 removed" in capsys.readouterr().out and not leftover.exists()
    assert main(["cache", "verify", "--cache_dir", str(tmp_path / "cache")]) == 0


def test_cache_info_and_prune(concurrent_runs, tmp_path, capsys):
    import shutil

    cache = tmp_path / "cache"
    shutil.copytree(concurrent_runs / "cache", cache)
    folder = _fingerprint_dir(tmp_path)
    assert main(["cache", "info", "--cache_dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert folder.name in out and "mfcc, float32" in out and " 32 " in out and "1 fingerprint(s)" in out

    assert main(["cache", "prune", "--cache_dir", str(cache)]) == 2  # nothing chosen: an error, not "prune all"
    assert "choose what to remove" in capsys.readouterr().err
    assert main(["cache", "prune", "--cache_dir", str(cache), "--fingerprint", "nosuch"]) == 2
    assert main(["cache", "prune", "--cache_dir", str(cache), "--older_than_days", "1"]) == 0
    assert folder.exists() and "0 of 1 fingerprint(s)" in capsys.readouterr().out  # used just now
    assert main(["cache", "prune", "--cache_dir", str(cache), "--all", "--dry_run"]) == 0
    assert folder.exists() and f"would remove {folder}" in capsys.readouterr().out
    with directory_lock(str(folder)):  # a run is filling it: prune leaves it alone
        assert main(["cache", "prune", "--cache_dir", str(cache), "--fingerprint", folder.name]) == 0
    assert folder.exists() and "in use by a running fill, kept" in capsys.readouterr().out
    assert main(["cache", "prune", "--cache_dir", str(cache), "--fingerprint", folder.name]) == 0
    assert not folder.exists() and f"removed {folder}" in capsys.readouterr().out
