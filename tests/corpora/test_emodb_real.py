"""The real EMO-DB copy in ../shared/corpora/emodb: counts from its README, speaker-disjoint protocols."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from hf_ser.corpora import build_corpus, check_speaker_leak, speaker_folds, speaker_split

EMODB = (Path(__file__).parents[2] / "../shared/corpora/emodb").resolve()
# README: per emotion W 127, L 81, E 46, A 69, F 71, T 62, N 79 (total 535)
PER_EMOTION = {"anger": 127, "boredom": 81, "disgust": 46, "fear": 69, "happiness": 71, "sadness": 62, "neutral": 79}
PER_SPEAKER = {"03": 49, "08": 58, "09": 43, "10": 38, "11": 55, "12": 35, "13": 61, "14": 69, "15": 56, "16": 71}
FEMALE = {"08", "09", "13", "14", "16"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (EMODB / "wav").is_dir(), reason=f"real EMO-DB copy not found at {EMODB}"),
]


def test_real_emodb(tmp_path):
    ds, report = build_corpus("emodb", EMODB, cache_dir=tmp_path / "cache", progress=False)
    assert len(ds) == 535 and not report.rejected
    names = ds.features["emotion"].names
    assert dict(Counter(names[i] for i in ds["emotion"])) == PER_EMOTION
    assert dict(Counter(ds["speaker_id"])) == {f"emodb_{k}": v for k, v in PER_SPEAKER.items()}
    genders = dict(zip(ds["speaker_id"], ds["gender"], strict=True))
    assert {s for s, g in genders.items() if g == "female"} == {f"emodb_{s}" for s in FEMALE}
    assert set(ds["language"]) == {"de"} and abs(report.hours * 60 - 24.8) < 0.1

    dd = speaker_split(ds)
    assert not check_speaker_leak(dd)["leak"]
    assert sum(len(d) for d in dd.values()) == 535
    assert {g for g in dd["test"]["gender"]} == {"female", "male"}
    folds = speaker_folds(ds)
    assert len(folds) == 10 and sorted(f.test_speakers[0] for f in folds) == sorted(genders)
