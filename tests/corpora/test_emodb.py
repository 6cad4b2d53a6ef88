"""EMO-DB builder on a fixture tree that follows ``wav/<ss><text><E><v>.wav`` exactly."""

from __future__ import annotations

import pytest

from hf_ser.corpora import build_corpus, load_corpus

GOOD = ["03a01Fa", "03a01Wa", "08a02Nb", "09b03Tc", "10a04La", "13b10Ea", "16a05Ad", "11b09Wa", "12a07Nb"]


@pytest.fixture
def emodb_dir(tmp_path, audio_writer, bad_writer):
    root = tmp_path / "emodb"
    for stem in GOOD:
        audio_writer(root / "wav" / f"{stem}.wav")
    bad_writer(
        root / "wav",
        {"14a01Wa.wav": "empty", "15a01Wa.wav": "truncated", "14a02Wb.wav": "text", "15a02Fb.wav": "short"},
    )
    audio_writer(root / "wav" / "16a01Xa.wav")  # unknown emotion letter
    audio_writer(root / "wav" / "readme_take.wav")  # name outside the scheme
    (root / "wav" / "16b01Wa.wav").write_bytes((root / "wav" / "03a01Wa.wav").read_bytes())  # duplicate
    (root / "erklaerung.txt").write_text("not audio")
    (root / "wav" / "._03a01Fa.wav").write_bytes(b"\x00\x05\x16\x07 AppleDouble")  # macOS resource fork
    return root


def test_emodb_counts_labels_speakers(emodb_dir, cache_dir):
    ds, report = build_corpus("emodb", emodb_dir, cache_dir=cache_dir, progress=False)
    assert len(ds) == len(GOOD)
    assert report.files_found == len(GOOD) + 7
    reasons = {r.path.rsplit("/", 1)[-1]: r.reason for r in report.rejected}
    assert reasons == {
        "14a01Wa.wav": "empty",
        "15a01Wa.wav": "truncated",
        "14a02Wb.wav": "unreadable",
        "15a02Fb.wav": "too_short",
        "16a01Xa.wav": "unknown_label",
        "readme_take.wav": "name_mismatch",
        "16b01Wa.wav": "duplicate",
    }
    rows = {r["path"].rsplit("/", 1)[-1][:-4]: r for r in ds}
    names = ds.features["emotion"].names
    assert names == ["neutral", "happiness", "sadness", "anger", "fear", "disgust", "boredom"]
    assert names[rows["03a01Fa"]["emotion"]] == "happiness"
    assert names[rows["10a04La"]["emotion"]] == "boredom"
    assert names[rows["13b10Ea"]["emotion"]] == "disgust"
    assert names[rows["16a05Ad"]["emotion"]] == "fear"
    assert names[rows["09b03Tc"]["emotion"]] == "sadness"
    assert rows["03a01Fa"]["speaker_id"] == "emodb_03" and rows["03a01Fa"]["gender"] == "male"
    assert rows["08a02Nb"]["gender"] == "female" and rows["16a05Ad"]["gender"] == "female"
    assert rows["13b10Ea"]["text"] == "b10" and rows["13b10Ea"]["language"] == "de"
    assert rows["03a01Fa"]["corpus"] == "emodb" and rows["03a01Fa"]["audio"]["path"] == "03a01Fa.wav"
    assert abs(rows["03a01Fa"]["duration"] - 0.05) < 1e-3


def test_emodb_cached_rebuild_keeps_report(emodb_dir, cache_dir):
    _, first = build_corpus("emodb", emodb_dir, cache_dir=cache_dir, progress=False)
    _, second = build_corpus("emodb", emodb_dir, cache_dir=cache_dir, progress=False)
    assert [r.reason for r in first.rejected] == [r.reason for r in second.rejected]


def test_emodb_classes_subset_counts_left_out(emodb_dir, cache_dir):
    ds, report = build_corpus("emodb", emodb_dir, classes="4class", cache_dir=cache_dir, progress=False)
    assert ds.features["emotion"].names == ["neutral", "happiness", "sadness", "anger"]
    assert len(ds) == 6
    assert report.excluded == {
        "emotion boredom not in classes": 1,
        "emotion disgust not in classes": 1,
        "emotion fear not in classes": 1,
    }


def test_emodb_missing_data_dir_says_where_to_get_it(tmp_path):
    with pytest.raises(ValueError, match="emodb.bilderbar.info"):
        load_corpus("emodb")
    with pytest.raises(FileNotFoundError, match="emodb.bilderbar.info"):
        load_corpus("emodb", tmp_path / "nope")
