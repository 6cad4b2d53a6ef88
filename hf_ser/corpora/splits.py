"""Speaker-independent protocols: train/validation/test split, LOSO and k speaker folds, leak check.

Acted SER corpora have few speakers, and a random utterance split puts the same voice in train
and test, which inflates accuracy by tens of points. Everything here splits by ``speaker_id``;
the random split exists only for comparison and warns that it leaks speakers.

All choices are deterministic for a given ``seed``: speakers are drawn with a seeded RNG, the
test/validation speakers keep the corpus's gender mix (largest-remainder quotas per gender), and
among a few hundred such draws the one whose splits' emotion distributions are closest to the
whole corpus's (and whose sizes are closest to the requested fractions) wins.
"""

from __future__ import annotations

import logging
import random
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import datasets

logger = logging.getLogger(__name__)

SPLIT_MODES = ("speaker", "none", "random")
# The default speaker split, everywhere one is made (corpora, recipes, hf-ser evaluate): seed, test and
# validation fractions of the speakers.
SPLIT_SEED = 42
TEST_SIZE = 0.2
VALIDATION_SIZE = 0.1
_NUM_CANDIDATES = 256


@dataclass
class Fold:
    """One cross-validation fold: speakers (corpus-prefixed ids) of each part."""

    test_speakers: list[str]
    validation_speakers: list[str] = field(default_factory=list)
    train_speakers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[str]]:
        return asdict(self)


# --------------------------------------------------------------------------------------------
# helpers


def _column(ds: datasets.Dataset, name: str, default: Any = None) -> list:
    if name not in ds.column_names:
        return [default] * len(ds)
    return ds.select_columns([name]).to_dict()[name]


def _speaker_table(ds: datasets.Dataset) -> tuple[list[str], dict[str, str], np.ndarray, list[str]]:
    """(sorted speakers, gender per speaker, [speaker, label] counts, speaker of each row)."""
    if "speaker_id" not in ds.column_names:
        raise ValueError(f"a speaker-independent split needs a 'speaker_id' column; columns: {ds.column_names}")
    rows_spk = [str(s) for s in _column(ds, "speaker_id")]
    genders = _column(ds, "gender", "unknown")
    labels = _column(ds, "emotion", 0)
    speakers = sorted(set(rows_spk))
    index = {s: i for i, s in enumerate(speakers)}
    label_ids = sorted({lab for lab in labels}, key=str)
    label_index = {lab: i for i, lab in enumerate(label_ids)}
    counts = np.zeros((len(speakers), max(1, len(label_ids))), dtype=np.float64)
    gender_votes: dict[str, Counter] = defaultdict(Counter)
    for spk, g, lab in zip(rows_spk, genders, labels, strict=True):
        counts[index[spk], label_index[lab]] += 1
        gender_votes[spk][g or "unknown"] += 1
    gender = {s: gender_votes[s].most_common(1)[0][0] for s in speakers}
    return speakers, gender, counts, rows_spk


def _num_speakers(size: float | int, total: int) -> int:
    if isinstance(size, int) and not isinstance(size, bool) and size >= 1:
        return size
    if not 0 <= size < 1:
        raise ValueError(f"a split size must be a fraction in [0, 1) or a number of speakers >= 1, got {size!r}")
    return max(1, int(size * total + 0.5)) if size > 0 else 0


def _quota(groups: dict[str, list[str]], n: int, rng: random.Random) -> dict[str, int]:
    """How many of ``n`` picks each gender group gets: proportional, largest remainder, ties by ``rng``."""
    total = sum(len(v) for v in groups.values())
    if total == 0 or n == 0:
        return {g: 0 for g in groups}
    ideal = {g: n * len(v) / total for g, v in groups.items()}
    quota = {g: int(ideal[g]) for g in groups}
    order = list(groups)
    rng.shuffle(order)
    order.sort(key=lambda g: ideal[g] - quota[g], reverse=True)
    left = n - sum(quota.values())
    while left > 0:
        progressed = False
        for g in order:
            if left and quota[g] < len(groups[g]):
                quota[g] += 1
                left -= 1
                progressed = True
        if not progressed:
            break
    return quota


def _pick_balanced(candidates: list[str], gender: dict[str, str], n: int, rng: random.Random) -> list[str]:
    groups: dict[str, list[str]] = defaultdict(list)
    for s in candidates:
        groups[gender[s]].append(s)
    groups = {g: sorted(v) for g, v in sorted(groups.items())}
    for v in groups.values():
        rng.shuffle(v)
    quota = _quota(groups, n, rng)
    return sorted(s for g, v in groups.items() for s in v[: quota[g]])


def _select(ds: datasets.Dataset, rows_spk: list[str], speakers: set[str]) -> datasets.Dataset:
    return ds.select([i for i, s in enumerate(rows_spk) if s in speakers])


# --------------------------------------------------------------------------------------------
# train / validation / test


def assign_speakers(
    ds: datasets.Dataset,
    test_size: float | int = TEST_SIZE,
    validation_size: float | int = VALIDATION_SIZE,
    seed: int = SPLIT_SEED,
) -> dict[str, list[str]]:
    """Choose the speakers of each split (see the module docstring); returns ``{split: speakers}``."""
    speakers, gender, counts, _ = _speaker_table(ds)
    total = len(speakers)
    if total < 2:
        raise ValueError(
            f"a speaker-independent split needs at least 2 speakers, found {total} ({speakers}); give the data "
            "speaker ids (e.g. a speaker column or speaker_pattern for the folder corpus), or ask explicitly "
            "for split='none' or split='random' (which leaks speakers)"
        )
    n_test = min(_num_speakers(test_size, total), total - 1)
    n_val = _num_speakers(validation_size, total)
    if n_test + n_val > total - 1:
        logger.warning(
            "only %d speakers: no room for %d validation speaker(s) besides %d test speaker(s); "
            "validation gets %d speaker(s)",
            total,
            n_val,
            n_test,
            max(0, total - 1 - n_test),
        )
        n_val = max(0, total - 1 - n_test)
    index = {s: i for i, s in enumerate(speakers)}
    global_dist = counts.sum(0) / counts.sum()
    spk_sizes = counts.sum(1)
    targets = {"test": n_test / total, "validation": n_val / total}
    rng = random.Random(seed)
    best, best_score = None, None
    for _ in range(_NUM_CANDIDATES if total > 2 else 1):
        test = _pick_balanced(speakers, gender, n_test, rng)
        rest = [s for s in speakers if s not in set(test)]
        val = _pick_balanced(rest, gender, n_val, rng)
        score = 0.0
        for name, chosen in (("test", test), ("validation", val)):
            if not chosen:
                continue
            rows = counts[[index[s] for s in chosen]].sum(0)
            score += float(np.abs(rows / rows.sum() - global_dist).sum())
            score += abs(float(spk_sizes[[index[s] for s in chosen]].sum() / spk_sizes.sum()) - targets[name])
        if best_score is None or score < best_score - 1e-12:
            best, best_score = (test, val), score
    test, val = best
    train = [s for s in speakers if s not in set(test) | set(val)]
    return {"train": train, "validation": val, "test": test}


def speaker_split(
    ds: datasets.Dataset,
    test_size: float | int = TEST_SIZE,
    validation_size: float | int = VALIDATION_SIZE,
    seed: int = SPLIT_SEED,
) -> datasets.DatasetDict:
    """Speaker-disjoint ``train``/``validation``/``test`` (sizes: fractions of speakers, or counts).

    With too few speakers for all three (TESS has two) there is no ``validation`` split (an empty
    split would not survive ``save_to_disk``/``load_from_disk``); likewise no ``test`` split when
    ``test_size=0``.
    """
    import datasets

    parts = assign_speakers(ds, test_size, validation_size, seed)
    rows_spk = [str(s) for s in _column(ds, "speaker_id")]
    dd = datasets.DatasetDict({name: _select(ds, rows_spk, set(spk)) for name, spk in parts.items() if spk})
    logger.info(
        "speaker split (seed %d): %s",
        seed,
        ", ".join(f"{k} {len(v)} utterances / {len(parts[k])} speakers" for k, v in dd.items()),
    )
    if "validation" not in dd and validation_size:
        logger.warning("no validation split: too few speakers (%d) for a speaker-disjoint one", len(set(rows_spk)))
    return dd


def random_split(
    ds: datasets.Dataset, test_size: float = TEST_SIZE, validation_size: float = VALIDATION_SIZE, seed: int = SPLIT_SEED
) -> datasets.DatasetDict:
    """Utterance-level split, stratified by emotion. It LEAKS SPEAKERS: for comparisons only."""
    import datasets

    logger.warning(
        "split='random' leaks speakers: the same voices end up in train and test, so accuracy will be "
        "optimistic and not speaker-independent; use split='speaker' (the default) for honest numbers"
    )

    def cut(d: datasets.Dataset, size: float, s: int) -> datasets.DatasetDict:
        try:
            return d.train_test_split(test_size=size, seed=s, stratify_by_column="emotion")
        except ValueError:
            return d.train_test_split(test_size=size, seed=s)

    first = cut(ds, test_size, seed)
    out = {"train": first["train"], "test": first["test"]}
    if validation_size:
        second = cut(first["train"], validation_size / (1.0 - test_size), seed + 1)
        out["train"], out["validation"] = second["train"], second["test"]
    return datasets.DatasetDict({k: out[k] for k in ("train", "validation", "test") if k in out})


def split_dataset(
    ds: datasets.Dataset,
    split: str | None = "speaker",
    *,
    seed: int = SPLIT_SEED,
    test_size: float | int = TEST_SIZE,
    validation_size: float | int = VALIDATION_SIZE,
) -> datasets.DatasetDict:
    """``"speaker"`` (default) → train/validation/test; ``"none"`` → ``{"all": ds}``; ``"random"`` (leaks)."""
    import datasets

    mode = "none" if split is None else str(split).lower()
    if mode in ("none", "all"):
        return datasets.DatasetDict({"all": ds})
    if mode == "speaker":
        return speaker_split(ds, test_size, validation_size, seed)
    if mode == "random":
        return random_split(ds, test_size, validation_size, seed)
    raise ValueError(f"split must be one of {SPLIT_MODES}, got {split!r}")


# --------------------------------------------------------------------------------------------
# folds


def speaker_folds(
    ds: datasets.Dataset, num_folds: int | None = None, seed: int = SPLIT_SEED, num_validation_speakers: int = 1
) -> list[Fold]:
    """Leave-one-speaker-out folds (``num_folds=None``) or ``num_folds`` gender-balanced speaker folds.

    Each fold's validation speakers are drawn (seeded, gender-balanced) from its non-test speakers,
    so model selection never sees the test speaker. Every speaker is tested exactly once.
    """
    speakers, gender, _, _ = _speaker_table(ds)
    total = len(speakers)
    if total < 2:
        raise ValueError(f"speaker folds need at least 2 speakers, found {total} ({speakers})")
    if num_folds is None or num_folds == total:
        groups = [[s] for s in speakers]
    else:
        if not 2 <= num_folds <= total:
            raise ValueError(f"num_folds must be between 2 and the number of speakers ({total}), got {num_folds}")
        rng = random.Random(seed)
        by_gender: dict[str, list[str]] = defaultdict(list)
        for s in speakers:
            by_gender[gender[s]].append(s)
        order: list[str] = []
        for g in sorted(by_gender):
            members = sorted(by_gender[g])
            rng.shuffle(members)
            order.extend(members)
        groups = [sorted(order[i::num_folds]) for i in range(num_folds)]
    folds = []
    for i, test in enumerate(groups):
        rest = [s for s in speakers if s not in set(test)]
        n_val = max(0, min(num_validation_speakers, len(rest) - 1))
        val = _pick_balanced(rest, gender, n_val, random.Random(seed * 1_000_003 + i))
        train = [s for s in rest if s not in set(val)]
        folds.append(Fold(sorted(test), val, train))
    return folds


def fold_split(ds: datasets.Dataset, fold: Fold) -> datasets.DatasetDict:
    """The ``train``/``validation``/``test`` DatasetDict of one :class:`Fold`.

    No ``validation`` when the fold has no validation speakers (e.g. LOSO on two speakers).
    """
    import datasets

    rows_spk = [str(s) for s in _column(ds, "speaker_id")]
    parts = {"train": fold.train_speakers, "validation": fold.validation_speakers, "test": fold.test_speakers}
    return datasets.DatasetDict({k: _select(ds, rows_spk, set(v)) for k, v in parts.items() if v})


# --------------------------------------------------------------------------------------------
# leak check


def check_speaker_leak(dd: datasets.DatasetDict | dict) -> dict[str, Any]:
    """Speakers (and texts, where known) that occur in more than one split.

    Returns ``{"leak": bool, "speakers": {"train/test": [...]}, "texts": {...}, "splits": {name:
    {"speakers": n, "texts": n}}}``. ``leak`` is about speakers only: acted corpora reuse the same
    sentences for every speaker, so shared texts are reported but are expected.
    """
    names = list(dd)
    spk = {k: {str(s) for s in _column(dd[k], "speaker_id", "")} - {""} for k in names}
    txt = {k: {str(t) for t in _column(dd[k], "text", "")} - {""} for k in names}
    shared_spk, shared_txt = {}, {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if common := sorted(spk[a] & spk[b]):
                shared_spk[f"{a}/{b}"] = common
            if common := sorted(txt[a] & txt[b]):
                shared_txt[f"{a}/{b}"] = common
    result = {
        "leak": bool(shared_spk),
        "speakers": shared_spk,
        "texts": shared_txt,
        "splits": {k: {"speakers": len(spk[k]), "texts": len(txt[k])} for k in names},
    }
    if shared_spk:
        logger.warning("speaker leak between splits: %s", {k: len(v) for k, v in shared_spk.items()})
    return result
