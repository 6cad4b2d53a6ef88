"""``load_corpus`` on the synthetic corpus, and ``combine_corpora`` for cross-corpus protocols."""

from __future__ import annotations

import pytest

import hf_ser
from hf_ser.corpora import check_speaker_leak, combine_corpora, list_corpora, load_corpus


def test_registry_lists_every_corpus():
    assert set(list_corpora()) == {"ravdess", "tess", "crema_d", "savee", "emodb", "folder", "synthetic"}
    assert hf_ser.load_corpus is load_corpus


def test_synthetic_corpus(cache_dir):
    pytest.importorskip("hf_ser.corpora.synthetic")
    dd = load_corpus("synthetic", num_speakers=4, utterances_per_emotion=1, cache_dir=cache_dir, progress=False)
    assert sum(len(d) for d in dd.values()) == 16
    assert dd["train"].features["emotion"].names == ["neutral", "happiness", "sadness", "anger"]
    assert all(s.startswith("synthetic_s") for d in dd.values() for s in d["speaker_id"])
    assert not check_speaker_leak(dd)["leak"]
    two = load_corpus(
        "synthetic", num_speakers=3, utterances_per_emotion=1, classes=["anger", "sadness"], split="none",
        cache_dir=cache_dir, progress=False,
    )  # fmt: skip
    assert len(two["all"]) == 6 and two["all"].features["emotion"].names == ["sadness", "anger"]


@pytest.fixture
def two_corpora(tmp_path, audio_writer):
    emodb = tmp_path / "emodb"
    for spk in ("03", "08", "09"):
        for code in "WNFTL":
            audio_writer(emodb / "wav" / f"{spk}a01{code}a.wav")
    ravdess = tmp_path / "ravdess"
    for actor in range(1, 6):
        for emo in ("01", "02", "03", "04", "05", "08"):
            stem = f"03-01-{emo}-01-01-01-{actor:02d}"
            audio_writer(ravdess / f"Actor_{actor:02d}" / f"{stem}.wav")
    return {"emodb": emodb, "ravdess": ravdess}


def test_cross_corpus_in_one_call(two_corpora, cache_dir):
    dd = combine_corpora(["ravdess"], ["emodb"], data_dirs=two_corpora, cache_dir=cache_dir, progress=False)
    # emotions RAVDESS and EMO-DB share: the 6-class set
    assert dd["test"].features["emotion"].names == ["neutral", "happiness", "sadness", "anger", "fear", "disgust"]
    assert set(dd["test"]["corpus"]) == {"emodb"} and len(dd["test"]) == 12
    assert set(dd["train"]["corpus"]) == {"ravdess"} and len(dd["train"]) + len(dd["validation"]) == 20
    assert not check_speaker_leak(dd)["leak"]
    pooled = combine_corpora(two_corpora, classes="4class", cache_dir=cache_dir, progress=False)
    assert sum(len(d) for d in pooled.values()) == 32 and not check_speaker_leak(pooled)["leak"]
    with pytest.raises(ValueError, match="both train and test"):
        combine_corpora(["emodb"], ["emodb"], data_dirs=two_corpora)
