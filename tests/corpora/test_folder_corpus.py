"""Folder builder: ``<label>/<file>`` trees (optionally with speaker folders) and path,label[,speaker] CSVs."""

from __future__ import annotations

import pytest

from hf_ser.corpora import build_corpus, load_corpus


def test_label_tree_with_speaker_folders(tmp_path, audio_writer, cache_dir):
    root = tmp_path / "mydata"
    for label in ("angry", "Happy", "neutral"):
        for spk in ("alice", "bob"):
            audio_writer(root / label / spk / "take1.wav")
    audio_writer(root / "bob" / "sad" / "take9.flac", format="FLAC")  # <speaker>/<label>/ also works
    audio_writer(root / "grumpy" / "alice" / "x.wav")  # not an emotion
    ds, report = build_corpus("folder", root, cache_dir=cache_dir, progress=False)
    assert len(ds) == 7
    assert [r.reason for r in report.rejected] == ["unknown_label"]
    assert ds.features["emotion"].names == ["neutral", "happiness", "sadness", "anger"]
    assert report.speakers == ["folder_alice", "folder_bob"]
    dd = load_corpus("folder", root, cache_dir=cache_dir, progress=False, test_size=1, validation_size=0)
    assert {tuple(sorted(set(d["speaker_id"]))) for d in dd.values() if len(d)} == {("folder_alice",), ("folder_bob",)}


def test_label_tree_without_speakers_needs_explicit_split(tmp_path, audio_writer, cache_dir):
    root = tmp_path / "flat"
    for label in ("anger", "sadness"):
        for i in range(3):
            audio_writer(root / label / f"spk{i}_{label}.wav")
    with pytest.raises(ValueError, match="speaker"):
        load_corpus("folder", root, cache_dir=cache_dir, progress=False)
    assert len(load_corpus("folder", root, split="none", cache_dir=cache_dir, progress=False)["all"]) == 6
    dd = load_corpus(
        "folder", root, speaker_pattern=r"^(?P<speaker>spk\d)_", cache_dir=cache_dir, progress=False, test_size=1
    )
    assert sum(len(d) for d in dd.values()) == 6 and len(set(dd["test"]["speaker_id"])) == 1


def test_csv_with_relative_paths(tmp_path, audio_writer, cache_dir):
    data = tmp_path / "csvcorpus"
    audio_writer(data / "audio" / "a.wav")
    audio_writer(data / "audio" / "b.wav")
    audio_writer(data / "audio" / "c.wav")
    abs_file = audio_writer(tmp_path / "elsewhere" / "d.wav")
    (data / "meta").mkdir()
    csv_path = data / "meta" / "labels.csv"
    csv_path.write_text(
        "path,label,speaker,gender\n"
        "../audio/a.wav,angry,s1,F\n"
        "../audio/b.wav,neutral,s2,male\n"
        "../audio/c.wav,meh,s2,male\n"
        "../audio/missing.wav,sad,s3,\n"
        f"{abs_file},sad,s3,\n"
    )
    ds, report = build_corpus("folder", csv_path, cache_dir=cache_dir, progress=False)
    assert len(ds) == 3
    assert sorted(r.reason for r in report.rejected) == ["unknown_label", "unreadable"]
    rows = {r["audio"]["path"]: r for r in ds}
    assert rows["a.wav"]["speaker_id"] == "folder_s1" and rows["a.wav"]["gender"] == "female"
    assert rows["b.wav"]["gender"] == "male" and rows["d.wav"]["gender"] == "unknown"
    assert ds.features["emotion"].names == ["neutral", "sadness", "anger"]


def test_csv_missing_columns_lists_columns(tmp_path, cache_dir):
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("file_name,mood\nx.wav,angry\n")
    with pytest.raises(ValueError, match="file_name"):
        build_corpus("folder", csv_path, cache_dir=cache_dir, progress=False)
