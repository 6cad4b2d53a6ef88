"""CREMA-D builder: ``AudioWAV/<actor>_<sentence>_<EMO>_<level>.wav`` + ``VideoDemographics.csv``."""

from __future__ import annotations

import pytest

from hf_ser.corpora import build_corpus

GOOD = ["1001_DFA_ANG_XX", "1001_IEO_HAP_HI", "1002_TIE_SAD_LO", "1002_IOM_NEU_XX", "1003_MTI_FEA_MD", "1003_ITH_DIS_X"]


@pytest.fixture
def crema_dir(tmp_path, audio_writer, bad_writer):
    root = tmp_path / "CREMA-D"
    for stem in GOOD:
        audio_writer(root / "AudioWAV" / f"{stem}.wav")
    audio_writer(root / "AudioWAV" / "1003_WSI_BOR_XX.wav")  # unknown emotion code
    bad_writer(root / "AudioWAV", {"1004_TSI_ANG_XX.wav": "lfs", "1004_ITS_HAP_XX.wav": "empty"})
    audio_writer(root / "AudioMP3" / "1001_DFA_ANG_XX.wav")  # outside AudioWAV: not read
    (root / "VideoDemographics.csv").write_text(
        "ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,Not Hispanic\n"
        "1002,21,Female,Caucasian,Not Hispanic\n1003,21,Female,Caucasian,Not Hispanic\n"
    )
    return root


def test_crema_d_labels_levels_genders(crema_dir, cache_dir):
    ds, report = build_corpus("crema_d", crema_dir, cache_dir=cache_dir, progress=False)
    assert len(ds) == len(GOOD)
    assert report.files_found == len(GOOD) + 3
    assert sorted(r.reason for r in report.rejected) == ["empty", "lfs_pointer", "unknown_label"]
    names = ds.features["emotion"].names
    assert names == ["neutral", "happiness", "sadness", "anger", "fear", "disgust"]
    rows = {r["path"].rsplit("/", 1)[-1][:-4]: r for r in ds}
    r = rows["1001_IEO_HAP_HI"]
    assert names[r["emotion"]] == "happiness" and r["intensity"] == "high" and r["gender"] == "male"
    assert r["speaker_id"] == "crema_d_1001" and r["text"] == "It's eleven o'clock"
    assert rows["1002_TIE_SAD_LO"]["intensity"] == "low" and rows["1002_TIE_SAD_LO"]["gender"] == "female"
    assert rows["1003_MTI_FEA_MD"]["intensity"] == "medium"
    assert rows["1001_DFA_ANG_XX"]["intensity"] == "" and names[rows["1003_ITH_DIS_X"]["emotion"]] == "disgust"


def test_crema_d_without_demographics_gender_unknown(crema_dir, cache_dir):
    (crema_dir / "VideoDemographics.csv").unlink()
    ds, _ = build_corpus("crema_d", crema_dir / "AudioWAV", cache_dir=cache_dir, progress=False)
    assert set(ds["gender"]) == {"unknown"}
