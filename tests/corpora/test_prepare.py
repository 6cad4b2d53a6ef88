"""``hf-ser prepare`` end to end through ``hf_ser.cli.main`` on a small EMO-DB-shaped tree."""

from __future__ import annotations

import json

import datasets
import pytest

from hf_ser.cli import main as cli

SPEAKERS = ["03", "08", "09", "10", "11", "12"]


@pytest.fixture
def emodb_dir(tmp_path, audio_writer, bad_writer):
    root = tmp_path / "emodb"
    for spk in SPEAKERS:
        for code in "WNFT":
            audio_writer(root / "wav" / f"{spk}a01{code}a.wav")
    bad_writer(root / "wav", {"13a01Wa.wav": "text"})
    return root


def run(*args):
    return cli(["prepare", *map(str, args)])


def test_prepare_writes_datasetdict_and_report(emodb_dir, tmp_path, cache_dir, capsys):
    out = tmp_path / "out"
    assert run("emodb", "--data_dir", emodb_dir, "--output_dir", out, "--cache_dir", cache_dir, "--no_progress") == 0
    dd = datasets.load_from_disk(str(out))
    assert set(dd) == {"train", "validation", "test"}
    assert sum(len(d) for d in dd.values()) == 24
    spk = {k: set(v["speaker_id"]) for k, v in dd.items()}
    assert not (spk["train"] & spk["test"]) and len(set().union(*spk.values())) == 6
    report = json.loads((out / "prepare_report.json").read_text())
    assert report["utterances"] == 24 and report["num_speakers"] == 6
    [rejected] = report["rejected"]
    assert rejected["path"] == str(emodb_dir / "wav" / "13a01Wa.wav") and rejected["reason"] == "unreadable"
    assert report["per_emotion"]["anger"] == 6 and report["per_emotion"]["boredom"] == 0
    # `label`, a copy of `emotion`: the column HF audio-classification scripts read by default
    for part in dd.values():
        assert part.features["label"] == part.features["emotion"] and part["label"] == part["emotion"]
    assert set(report["splits"]) == {"train", "validation", "test"} and not report["leak_check"]["leak"]
    assert report["hours"] > 0
    captured = capsys.readouterr()
    assert "Saving the dataset" not in captured.err  # --no_progress hides datasets' bars too
    printed = captured.out
    assert "split" in printed and "total" in printed and "speakers" in printed and "1 rejected" in printed

    # a previous hf-ser output is replaced (here by a 4-class, unsplit version)
    assert run(
        "emodb", "--data_dir", emodb_dir, "--output_dir", out, "--cache_dir", cache_dir,
        "--split", "none", "--classes", "4class", "--no_progress",
    ) == 0  # fmt: skip
    dd = datasets.load_from_disk(str(out))
    assert list(dd) == ["all"] and dd["all"].features["emotion"].names == ["neutral", "happiness", "sadness", "anger"]
    assert not (out / "train").exists()


def test_prepare_refuses_foreign_non_empty_output(emodb_dir, tmp_path, cache_dir, capsys):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("do not lose me")
    args = ["emodb", "--data_dir", emodb_dir, "--output_dir", out, "--cache_dir", cache_dir, "--no_progress"]
    assert run(*args) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert run(*args, "--overwrite") == 0
    assert (out / "thesis.tex").read_text() == "do not lose me"
    assert len(datasets.load_from_disk(str(out))["train"]) > 0


def test_prepare_clear_errors(tmp_path, capsys):
    assert run("emodb", "--output_dir", tmp_path / "o") == 2
    assert "emodb.bilderbar.info" in capsys.readouterr().err
    assert run("nosuchcorpus", "--data_dir", tmp_path, "--output_dir", tmp_path / "o") == 2
    assert "unknown corpus" in capsys.readouterr().err
