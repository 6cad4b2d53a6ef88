"""SAVEE builder: ``AudioData/<SPK>/<prefix><nn>.wav`` and the flattened ``<SPK>_<prefix><nn>.wav``."""

from __future__ import annotations

import pytest

from hf_ser.corpora import build_corpus, load_corpus

PREFIXES = {
    "a": "anger",
    "d": "disgust",
    "f": "fear",
    "h": "happiness",
    "n": "neutral",
    "sa": "sadness",
    "su": "surprise",
}


@pytest.fixture
def savee_dir(tmp_path, audio_writer):
    root = tmp_path / "savee"
    for spk in ("DC", "JE"):
        for p in PREFIXES:
            audio_writer(root / "AudioData" / spk / f"{p}01.wav")
    audio_writer(root / "AudioData" / "DC" / "x01.wav")  # unknown prefix
    audio_writer(root / "AudioData" / "DC" / "info.wav", "info")  # outside the scheme
    return root


def test_savee_audiodata_layout(savee_dir, cache_dir):
    ds, report = build_corpus("savee", savee_dir, cache_dir=cache_dir, progress=False)
    assert len(ds) == 14
    assert sorted(r.reason for r in report.rejected) == ["name_mismatch", "unknown_label"]
    names = ds.features["emotion"].names
    got = {(r["speaker_id"], r["path"].rsplit("/", 1)[-1]): names[r["emotion"]] for r in ds}
    for spk in ("DC", "JE"):
        for p, emo in PREFIXES.items():
            assert got[(f"savee_{spk}", f"{p}01.wav")] == emo
    assert set(ds["gender"]) == {"male"} and set(ds["language"]) == {"en"}


def test_savee_flattened_copy_and_duplicates(tmp_path, audio_writer, cache_dir):
    root = tmp_path / "ALL"
    for spk in ("DC", "JE", "JK", "KL"):
        for p in ("a", "n", "sa", "su"):
            audio_writer(root / f"{spk}_{p}02.wav")
    (root / "KL_h01.wav").write_bytes((root / "KL_a02.wav").read_bytes())  # same audio twice
    ds, report = build_corpus("savee", root, cache_dir=cache_dir, progress=False)
    assert len(ds) == 16 and report.speakers == ["savee_DC", "savee_JE", "savee_JK", "savee_KL"]
    assert [(r.reason, r.path.rsplit("/", 1)[-1]) for r in report.rejected] == [("duplicate", "KL_h01.wav")]


def test_savee_requires_data_dir():
    with pytest.raises(ValueError, match="registration"):
        load_corpus("savee")
