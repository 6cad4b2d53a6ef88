"""Bad input, end to end: every command names the file or key at fault, batch jobs report bad items
and carry on, and nothing a user gave is overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hf_ser.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEMO_RECIPE = str(ROOT / "recipes" / "synthetic" / "default.yaml")


@pytest.fixture
def labelled_tree(tmp_path) -> Path:
    """A label-folder corpus: 6 good clips (3 speakers x 2 emotions) and 4 bad files."""
    rng = np.random.default_rng(0)
    root = tmp_path / "tree"
    for label in ("anger", "sadness"):
        (root / label).mkdir(parents=True)
        for speaker in range(3):
            wave = (0.1 * rng.standard_normal(8000)).astype(np.float32)
            sf.write(root / label / f"spk{speaker}_{label}.wav", wave, 16000)
    (root / "anger" / "empty.wav").write_bytes(b"")
    (root / "anger" / "text.wav").write_text("not audio")
    good = (root / "anger" / "spk0_anger.wav").read_bytes()
    (root / "sadness" / "trunc.wav").write_bytes(good[:3000])
    (root / "sadness" / "spk9_copy.wav").write_bytes((root / "sadness" / "spk1_sadness.wav").read_bytes())
    return root


def test_prepare_reports_bad_files_and_keeps_the_good_ones(labelled_tree, tmp_path):
    out = tmp_path / "prepared"
    argv = ["prepare", "folder", "--data_dir", str(labelled_tree), "--output_dir", str(out), "--split", "none"]
    assert main([*argv, "--no_progress"]) == 0
    report = json.loads((out / "prepare_report.json").read_text())
    reasons = {Path(r["path"]).name: r["reason"] for r in report["rejected"]}
    assert reasons == {
        "empty.wav": "empty",
        "text.wav": "unreadable",
        "trunc.wav": "truncated",
        "spk9_copy.wav": "duplicate",
    }
    detail = next(r["detail"] for r in report["rejected"] if r["path"].endswith("text.wav"))
    assert detail == "cannot decode audio (Format not recognised)"  # the reason, not a Python object's repr
    from datasets import load_from_disk

    assert sum(len(split) for split in load_from_disk(str(out)).values()) == 6


def test_prepare_that_cannot_split_still_reports_every_file(tmp_path, capsys):
    rng = np.random.default_rng(1)
    root = tmp_path / "one_speaker"  # <label>/<file>: no speaker information, so one speaker
    for label in ("anger", "sadness", "happy"):
        (root / label).mkdir(parents=True)
    for label in ("anger", "sadness"):
        for i in range(2):
            sf.write(root / label / f"{i}.wav", (0.1 * rng.standard_normal(8000)).astype(np.float32), 16000)
    (root / "happy" / "broken.wav").write_text("not audio")  # the only happy file
    out = tmp_path / "prepared"
    assert main(["prepare", "folder", "--data_dir", str(root), "--output_dir", str(out), "--no_progress"]) == 2
    err = capsys.readouterr().err
    assert "at least 2 speakers" in err and str(out / "prepare_report.json") in err
    report = json.loads((out / "prepare_report.json").read_text())
    assert "at least 2 speakers" in report["error"] and report["utterances"] == 4
    assert [Path(r["path"]).name for r in report["rejected"]] == ["broken.wav"]
    assert report["classes"] == ["sadness", "anger"] and report["dropped_classes"] == ["happiness"]


def test_prepare_never_overwrites_a_users_folder(labelled_tree, tmp_path, capsys):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    argv = ["prepare", "folder", "--data_dir", str(labelled_tree), "--output_dir", str(foreign), "--split", "none"]
    assert main(argv) != 0
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    assert (foreign / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["prepare", "emodb", "--data_dir", "/no/such/emodb", "--output_dir", "{tmp}/o"], "/no/such/emodb"),
        (["train", "/no/such/recipe.yaml"], "/no/such/recipe.yaml"),
        (["train", DEMO_RECIPE, "--bogus_key", "1"], "bogus_key"),
        (["train", DEMO_RECIPE, "--head", "transformer"], "head"),
        (["train", DEMO_RECIPE, "--speaker_normalization", "speaker_z"], "speaker_normalization"),
        (["cv", DEMO_RECIPE, "--speaker_normalization", "bogus"], "speaker_normalization"),
        (["evaluate", "{tmp}/no_model", "--corpus", "synthetic"], "no_model"),
        (["evaluate", "/nonexistent/model", "--corpus", "synthetic"], "no such model folder: /nonexistent/model"),
        (["train", DEMO_RECIPE, "--model_name_or_path", "{tmp}/typo"], "no such model folder"),
    ],
    ids=[
        "prepare-missing-dir",
        "train-missing-recipe",
        "train-unknown-key",
        "train-bad-value",
        "train-cv-only-option",
        "cv-bad-value",
        "evaluate-missing-model",
        "evaluate-absolute-path",
        "train-missing-model",
    ],
)
def test_commands_name_what_is_wrong(argv, named, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error" in err and named.replace("{tmp}", str(tmp_path)) in err
