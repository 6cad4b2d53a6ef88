"""hf_ser.labels: one label language across corpora, with stable ids."""

from __future__ import annotations

import pytest

from hf_ser.labels import (
    CLASS_SUBSETS,
    CORPUS_LABEL_MAPS,
    EMOTIONS,
    id2label,
    label2id,
    normalize_label,
    resolve_classes,
)


def test_emotion_set():
    assert EMOTIONS == (
        "neutral",
        "calm",
        "happiness",
        "sadness",
        "anger",
        "fear",
        "disgust",
        "surprise",
        "boredom",
    )
    assert len(set(EMOTIONS)) == len(EMOTIONS)


@pytest.mark.parametrize("name", sorted(CLASS_SUBSETS))
def test_subsets_resolve_in_canonical_order(name):
    classes = resolve_classes(name)
    assert classes == CLASS_SUBSETS[name]
    assert set(classes) <= set(EMOTIONS)
    assert list(classes) == sorted(classes, key=EMOTIONS.index)


def test_default_and_4class():
    assert resolve_classes(None) == EMOTIONS
    assert resolve_classes(None, default="4class") == ("neutral", "happiness", "sadness", "anger")


@pytest.mark.parametrize(
    "spec",
    [
        "anger,neutral,sadness,happiness",
        " angry , Neutral,sad,happy ",
        ["angry", "neutral", "sad", "joy"],
        ("ANG", "neu", "sadness", "Happiness"),
        "anger,neutral,sadness,happiness,anger",
    ],
)
def test_lists_and_synonyms_resolve_to_canonical_order(spec):
    assert resolve_classes(spec) == ("neutral", "happiness", "sadness", "anger")


@pytest.mark.parametrize(
    ("raw", "unified"),
    [
        ("Happy", "happiness"),
        ("ps", "surprise"),
        ("pleasant-surprised", "surprise"),
        ("Fearful", "fear"),
        ("disgusted", "disgust"),
        ("bored", "boredom"),
        ("calm", "calm"),
    ],
)
def test_normalize_label(raw, unified):
    assert normalize_label(raw) == unified


@pytest.mark.parametrize("spec", ["contempt", "neutral,frustrated", ["happy", "excited"]])
def test_unknown_label_is_an_error_naming_it(spec):
    with pytest.raises(ValueError, match="unknown emotion label"):
        resolve_classes(spec)


@pytest.mark.parametrize("spec", ["", ",", []])
def test_empty_classes_is_an_error(spec):
    with pytest.raises(ValueError):
        resolve_classes(spec)


@pytest.mark.parametrize("corpus", sorted(CORPUS_LABEL_MAPS))
def test_corpus_map_covers_its_subset(corpus):
    mapped = CORPUS_LABEL_MAPS[corpus].values()
    assert set(mapped) <= set(EMOTIONS)
    # Every class of the corpus's named subset has a code, and every code lands in the subset.
    assert set(mapped) == set(CLASS_SUBSETS[corpus])


def test_every_corpus_contains_4class():
    for corpus, subset in CLASS_SUBSETS.items():
        if corpus != "all":
            assert set(CLASS_SUBSETS["4class"]) <= set(subset), corpus


def test_id_maps_round_trip():
    classes = resolve_classes("4class")
    ids = id2label(classes)
    assert ids == {0: "neutral", 1: "happiness", 2: "sadness", 3: "anger"}
    assert label2id(classes) == {v: k for k, v in ids.items()}
