"""The real RAVDESS speech copy in ../shared/corpora/ravdess (FLAC): counts from its README, actor folds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hf_ser.corpora import build_corpus, check_speaker_leak, fold_split, speaker_folds

RAVDESS = (Path(__file__).parents[2] / "../shared/corpora/ravdess").resolve()
# README: 24 actors x 60 speech files; neutral has no strong intensity (4 files per actor, the other 7
# emotions 8); Actor_07's two happy "dogs" takes are the same audio, so one is a duplicate.
DUPLICATE = "Actor_07/03-01-03-01-02-02-07.flac"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (RAVDESS / "Actor_01").is_dir(), reason=f"real RAVDESS copy not found at {RAVDESS}"),
]


def test_real_ravdess_flac(tmp_path):
    ds, report = build_corpus("ravdess", RAVDESS, cache_dir=tmp_path / "cache", progress=False)
    assert report.files_found == 1440 and len(ds) == 1439
    assert [(r.path.removeprefix(f"{RAVDESS}/"), r.reason) for r in report.rejected] == [(DUPLICATE, "duplicate")]
    names = ds.features["emotion"].names
    per_emotion = Counter(names[i] for i in ds["emotion"])
    assert per_emotion == {
        "neutral": 96,
        "happiness": 191,
        **{e: 192 for e in names if e not in ("neutral", "happiness")},
    }
    per_speaker = Counter(ds["speaker_id"])
    assert len(per_speaker) == 24 and per_speaker["ravdess_07"] == 59 and set(per_speaker.values()) == {59, 60}
    genders = dict(zip(ds["speaker_id"], ds["gender"], strict=True))
    assert {s for s, g in genders.items() if g == "female"} == {f"ravdess_{a:02d}" for a in range(2, 25, 2)}
    assert set(ds["language"]) == {"en"} and abs(report.hours - 1.48) < 0.01

    folds = speaker_folds(ds, num_folds=6)  # the protocol of ../shared/ANCHORS.md: 6 folds of 4 actors
    tested = [s for f in folds for s in f.test_speakers]
    assert len(folds) == 6 and sorted(tested) == sorted(genders) and all(len(f.test_speakers) == 4 for f in folds)
    for f in folds:
        assert sorted(genders[s] for s in f.test_speakers) == ["female", "female", "male", "male"]
        assert not check_speaker_leak(fold_split(ds, f))["leak"]
