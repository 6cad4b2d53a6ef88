"""Every SER corpus as the same ``datasets.DatasetDict``, split so that speakers cannot leak.

>>> from hf_ser import load_corpus
>>> dd = load_corpus("emodb", "../shared/corpora/emodb")          # train/validation/test by speaker
>>> folds = speaker_folds(load_corpus("emodb", "...", split="none")["all"])   # LOSO
>>> xc = combine_corpora(["ravdess", "crema_d"], ["emodb"], data_dirs={...}, classes="4class")

Corpora: ravdess, tess, crema_d, savee, emodb, folder (your own tree or CSV), synthetic.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..audio import DEFAULT_SAMPLING_RATE
from ..labels import resolve_classes
from .registry import BUILDERS, build_corpus, builder_class, get_builder, list_corpora
from .splits import (
    SPLIT_SEED,
    TEST_SIZE,
    VALIDATION_SIZE,
    Fold,
    assign_speakers,
    check_speaker_leak,
    fold_split,
    random_split,
    speaker_folds,
    speaker_split,
    split_dataset,
)

if TYPE_CHECKING:
    import datasets

logger = logging.getLogger(__name__)

__all__ = [
    "BUILDERS",
    "Fold",
    "assign_speakers",
    "build_corpus",
    "builder_class",
    "check_speaker_leak",
    "combine_corpora",
    "fold_split",
    "get_builder",
    "list_corpora",
    "load_corpus",
    "random_split",
    "speaker_folds",
    "shared_classes",
    "speaker_split",
    "split_dataset",
]


def load_corpus(
    name: str,
    data_dir: str | os.PathLike | None = None,
    *,
    sampling_rate: int = DEFAULT_SAMPLING_RATE,
    classes: str | Sequence[str] | None = None,
    split: str | None = "speaker",
    seed: int = SPLIT_SEED,
    test_size: float | int = TEST_SIZE,
    validation_size: float | int = VALIDATION_SIZE,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
    **builder_options: Any,
) -> datasets.DatasetDict:
    """Load a corpus as a ``DatasetDict`` in the unified schema (see INTERFACES.md).

    ``split="speaker"`` (default): speaker-disjoint ``train``/``validation``/``test``, sizes as
    fractions of speakers (or speaker counts); ``split="none"``: ``{"all": ds}`` (for CV folds);
    ``split="random"``: utterance-level, only when asked, and it logs that it leaks speakers.
    ``classes``: a subset name (``"4class"``), a comma-separated string or a list; files of other
    emotions are left out and counted. ``builder_options`` go to the corpus's builder (e.g.
    ``vocal_channel="song"`` for RAVDESS, ``speaker_pattern=`` for folder, ``num_speakers=`` for
    synthetic). Bad files are rejected and logged, never fatal; see :func:`build_corpus` for the
    full report.
    """
    ds, _ = build_corpus(
        name,
        data_dir,
        sampling_rate=sampling_rate,
        classes=classes,
        cache_dir=cache_dir,
        progress=progress,
        **builder_options,
    )
    return split_dataset(ds, split, seed=seed, test_size=test_size, validation_size=validation_size)


def _as_mapping(corpora: Sequence[str] | Mapping[str, Any] | str | None) -> dict[str, Any]:
    if corpora is None:
        return {}
    if isinstance(corpora, str):
        corpora = [corpora]
    if isinstance(corpora, Mapping):
        return dict(corpora)
    return {c: None for c in corpora}


def shared_classes(names: list[str]) -> tuple[str, ...]:
    """The emotions every named corpus has (its default class set), for training on / testing across several."""
    shared = None
    for name in names:
        own = set(resolve_classes(None, default=builder_class(name).default_classes))
        shared = own if shared is None else shared & own
    if not shared:
        raise ValueError(f"corpora {names} share no emotion: set classes")
    return resolve_classes(sorted(shared))


def combine_corpora(
    train: Sequence[str] | Mapping[str, str | os.PathLike | None],
    test: Sequence[str] | Mapping[str, str | os.PathLike | None] | None = None,
    *,
    data_dirs: Mapping[str, str | os.PathLike] | None = None,
    classes: str | Sequence[str] | None = None,
    sampling_rate: int = DEFAULT_SAMPLING_RATE,
    seed: int = SPLIT_SEED,
    test_size: float | int = TEST_SIZE,
    validation_size: float | int = VALIDATION_SIZE,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
    builder_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> datasets.DatasetDict:
    """Several corpora as one DatasetDict over a shared label set, in one call.

    ``combine_corpora(["ravdess", "crema_d"], ["emodb"], data_dirs={...}, classes="4class")``
    trains on RAVDESS+CREMA-D (speaker-disjoint train/validation) and tests on all of EMO-DB.
    Without ``test`` the union is split by speaker like a single corpus. ``train``/``test`` may be
    ``{name: data_dir}`` mappings instead of names plus ``data_dirs``. ``classes=None`` takes the
    emotions every corpus involved has. Speaker ids are corpus-prefixed, so they never collide.
    """
    import datasets

    train_map, test_map = _as_mapping(train), _as_mapping(test)
    if not train_map:
        raise ValueError("combine_corpora: give at least one training corpus")
    if overlap := sorted(set(train_map) & set(test_map)):
        raise ValueError(f"combine_corpora: {overlap} in both train and test; split one corpus with load_corpus")
    dirs = dict(data_dirs or {})
    options = dict(builder_options or {})
    names = list(train_map) + list(test_map)
    if classes is None:
        chosen = shared_classes(names)
    else:
        chosen = resolve_classes(classes)
    logger.info("combining %s on classes %s", names, list(chosen))

    def load(group: dict[str, Any]) -> datasets.Dataset:
        parts = []
        for n, d in group.items():
            ds, _ = build_corpus(
                n,
                d if d is not None else dirs.get(n),
                sampling_rate=sampling_rate,
                classes=list(chosen),
                cache_dir=cache_dir,
                progress=progress,
                **dict(options.get(n, {})),
            )
            parts.append(ds)
        return parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)

    train_ds = load(train_map)
    if not test_map:
        return speaker_split(train_ds, test_size, validation_size, seed)
    test_ds = load(test_map)
    inner = speaker_split(train_ds, 0, validation_size, seed)
    return datasets.DatasetDict({**inner, "test": test_ds})
