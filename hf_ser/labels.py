"""The unified emotion label set and the maps from each corpus's own codes onto it.

Every corpus, model and metric in hf-ser speaks these names, so a model trained on one corpus
can be evaluated on another over a shared subset (e.g. ``4class``) with the same ids.
"""

from __future__ import annotations

from collections.abc import Sequence

EMOTIONS: tuple[str, ...] = (
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

# Named class subsets; each keeps the canonical order of EMOTIONS.
CLASS_SUBSETS: dict[str, tuple[str, ...]] = {
    "all": EMOTIONS,
    "4class": ("neutral", "happiness", "sadness", "anger"),
    "6class": ("neutral", "happiness", "sadness", "anger", "fear", "disgust"),
    "emodb": ("neutral", "happiness", "sadness", "anger", "fear", "disgust", "boredom"),
    "ravdess": ("neutral", "calm", "happiness", "sadness", "anger", "fear", "disgust", "surprise"),
    "tess": ("neutral", "happiness", "sadness", "anger", "fear", "disgust", "surprise"),
    "crema_d": ("neutral", "happiness", "sadness", "anger", "fear", "disgust"),
    "savee": ("neutral", "happiness", "sadness", "anger", "fear", "disgust", "surprise"),
}

# Each corpus's own emotion codes (as they appear in its file names) -> unified names.
CORPUS_LABEL_MAPS: dict[str, dict[str, str]] = {
    "ravdess": {
        "01": "neutral",
        "02": "calm",
        "03": "happiness",
        "04": "sadness",
        "05": "anger",
        "06": "fear",
        "07": "disgust",
        "08": "surprise",
    },
    "tess": {
        "angry": "anger",
        "disgust": "disgust",
        "fear": "fear",
        "happy": "happiness",
        "neutral": "neutral",
        "ps": "surprise",
        "sad": "sadness",
    },
    "crema_d": {
        "ANG": "anger",
        "DIS": "disgust",
        "FEA": "fear",
        "HAP": "happiness",
        "NEU": "neutral",
        "SAD": "sadness",
    },
    "savee": {
        "a": "anger",
        "d": "disgust",
        "f": "fear",
        "h": "happiness",
        "n": "neutral",
        "sa": "sadness",
        "su": "surprise",
    },
    "emodb": {
        "W": "anger",
        "L": "boredom",
        "E": "disgust",
        "A": "fear",
        "F": "happiness",
        "T": "sadness",
        "N": "neutral",
    },
}

# Free-text spellings seen in folder trees and CSVs -> unified names.
_SYNONYMS: dict[str, str] = {
    "neu": "neutral",
    "happy": "happiness",
    "hap": "happiness",
    "joy": "happiness",
    "sad": "sadness",
    "angry": "anger",
    "ang": "anger",
    "fearful": "fear",
    "fea": "fear",
    "disgusted": "disgust",
    "dis": "disgust",
    "surprised": "surprise",
    "sur": "surprise",
    "ps": "surprise",
    "pleasant_surprise": "surprise",
    "pleasant_surprised": "surprise",
    "bored": "boredom",
}


def normalize_label(name: str) -> str:
    """Map a free-text emotion name (``"Happy"``, ``"angry"``, ``"ps"``) onto a unified name.

    Raises ``ValueError`` naming the label when it has no unified equivalent.
    """
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in EMOTIONS:
        return key
    if key in _SYNONYMS:
        return _SYNONYMS[key]
    raise ValueError(f"unknown emotion label {name!r}; known: {', '.join(EMOTIONS)} (and common synonyms)")


def resolve_classes(classes: str | Sequence[str] | None, default: str = "all") -> tuple[str, ...]:
    """Turn a subset name (``"4class"``), a comma-separated string or a list into unified names.

    The result keeps the canonical order of :data:`EMOTIONS`, so the same class always gets the
    same id whatever order the user listed them in.
    """
    if classes is None:
        classes = default
    if isinstance(classes, str):
        if classes in CLASS_SUBSETS:
            return CLASS_SUBSETS[classes]
        classes = [c for c in classes.split(",") if c.strip()]
    names = {normalize_label(c) for c in classes}
    if not names:
        raise ValueError("classes is empty")
    return tuple(e for e in EMOTIONS if e in names)


def id2label(classes: Sequence[str]) -> dict[int, str]:
    """``{0: "neutral", ...}`` for a model config."""
    return dict(enumerate(classes))


def label2id(classes: Sequence[str]) -> dict[str, int]:
    """``{"neutral": 0, ...}`` for a model config."""
    return {name: i for i, name in enumerate(classes)}
