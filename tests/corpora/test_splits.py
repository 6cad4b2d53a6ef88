"""Speaker-independent splits, LOSO / k speaker folds, and the leak check, on an in-memory dataset."""

from __future__ import annotations

import datasets
import pytest

from hf_ser.corpora import (
    check_speaker_leak,
    fold_split,
    random_split,
    speaker_folds,
    speaker_split,
    split_dataset,
)

LABELS = ["neutral", "happiness", "sadness", "anger"]


def toy(num_speakers: int = 10, per_label: int = 3) -> datasets.Dataset:
    rows = {"speaker_id": [], "gender": [], "emotion": [], "text": []}
    for s in range(num_speakers):
        for lab in range(len(LABELS)):
            for i in range(per_label + (s % 3 == 0)):
                rows["speaker_id"].append(f"toy_{s:02d}")
                rows["gender"].append("female" if s % 2 else "male")
                rows["emotion"].append(lab)
                rows["text"].append(f"t{i}")
    features = datasets.Features(
        {
            "speaker_id": datasets.Value("string"),
            "gender": datasets.Value("string"),
            "emotion": datasets.ClassLabel(names=LABELS),
            "text": datasets.Value("string"),
        }
    )
    return datasets.Dataset.from_dict(rows, features=features)


def speakers(dd):
    return {k: set(v["speaker_id"]) for k, v in dd.items()}


def test_speaker_split_disjoint_deterministic_balanced():
    ds = toy(10)
    dd = speaker_split(ds, test_size=0.2, validation_size=0.1, seed=42)
    spk = speakers(dd)
    assert len(spk["test"]) == 2 and len(spk["validation"]) == 1 and len(spk["train"]) == 7
    assert not (spk["train"] & spk["test"]) and not (spk["train"] & spk["validation"])
    assert not (spk["validation"] & spk["test"])
    assert sum(len(d) for d in dd.values()) == len(ds)
    assert set(dd["test"]["gender"]) == {"female", "male"}  # one of each
    assert speakers(speaker_split(ds, seed=42)) == spk
    assert any(speakers(speaker_split(ds, seed=s))["test"] != spk["test"] for s in range(1, 6))
    assert not check_speaker_leak(dd)["leak"]


def test_two_speakers_leave_validation_empty():
    dd = speaker_split(toy(2))  # TESS has two speakers: no room for a validation speaker
    assert list(dd) == ["train", "test"] and len(set(dd["train"]["speaker_id"])) == 1
    with pytest.raises(ValueError, match="at least 2 speakers"):
        speaker_split(toy(1))


def test_loso_and_k_folds():
    ds = toy(10)
    folds = speaker_folds(ds)
    assert len(folds) == 10
    assert sorted(s for f in folds for s in f.test_speakers) == sorted(set(ds["speaker_id"]))
    for f in folds:
        assert len(f.validation_speakers) == 1
        assert not set(f.validation_speakers) & set(f.test_speakers)
        assert set(f.train_speakers) | set(f.validation_speakers) | set(f.test_speakers) == set(ds["speaker_id"])
        assert not set(f.train_speakers) & (set(f.validation_speakers) | set(f.test_speakers))
    assert [f.to_dict() for f in speaker_folds(ds)] == [f.to_dict() for f in folds]
    k = speaker_folds(ds, num_folds=5, num_validation_speakers=2)
    assert len(k) == 5 and all(len(f.test_speakers) == 2 and len(f.validation_speakers) == 2 for f in k)
    assert all(len({ds_g for ds_g in fold_split(ds, f)["test"]["gender"]}) == 2 for f in k)
    dd = fold_split(ds, folds[3])
    assert set(dd["test"]["speaker_id"]) == set(folds[3].test_speakers)
    assert not check_speaker_leak(dd)["leak"]
    with pytest.raises(ValueError, match="num_folds"):
        speaker_folds(ds, num_folds=11)


def test_leak_check_detects_random_split(caplog):
    ds = toy(4)
    with caplog.at_level("WARNING"):
        dd = split_dataset(ds, "random", seed=0)
    assert "leak" in caplog.text.lower()
    leak = check_speaker_leak(dd)
    assert leak["leak"] and leak["speakers"]["train/test"]
    assert leak["texts"]["train/test"]  # texts are reported too
    assert set(random_split(ds)) == {"train", "validation", "test"}
    assert list(split_dataset(ds, "none")) == ["all"]
    with pytest.raises(ValueError, match="split must be"):
        split_dataset(ds, "stratified")
