"""Protocols: which clips a run trains, validates and tests on, as one ``DatasetDict`` per fold.

* ``speaker split`` (``hf-ser train``): one fold, speakers disjoint between train/validation/test
  (``split_seed``, ``test_size``, ``validation_size``);
* speaker folds (``hf-ser cv``): leave-one-speaker-out (``num_folds: null``) or ``num_folds``
  gender-balanced speaker folds; every speaker is tested exactly once, each fold's validation speakers
  (``num_validation_speakers``) come from its non-test speakers;
* cross-corpus (``test_corpus: emodb``, both commands): one fold; train on ``corpus``, validate on held-out
  training speakers (``validation_size``), test on all of the test corpus, on the shared ``classes``.

``corpus: a+b`` joins several corpora (folders in ``data_dirs``) under every protocol; corpora are loaded
here and nowhere else (:func:`load_clips`). Keys a command cannot honour are named by
:func:`check_protocol_keys`: an error when ignoring them would change the results, else a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..corpora import Fold, build_corpus, builder_class, fold_split, shared_classes, speaker_folds, speaker_split
from ..labels import resolve_classes

logger = logging.getLogger(__name__)

ROW_COLUMN = "cv_row"
TRAIN, CV = "train", "cv"
# Protocol keys that shape only the folds of `hf-ser cv`; `hf-ser train` trains one model.
_FOLD_KEYS = ("num_folds", "num_validation_speakers", "write_fold_cards", "overwrite_output_dir", "test_gain_db")


class ProtocolError(ValueError):
    """A protocol that cannot run as asked (another config in output_dir, an inexact cache forced on...)."""


def corpus_names(corpus: str) -> list[str]:
    return [c.strip() for c in corpus.split("+") if c.strip()]


def applies(key: str, command: str, cross_corpus: bool) -> bool:
    """Whether ``key`` changes what ``command`` does under this protocol (what is saved as the resolved
    recipe, and what a warning names when a recipe sets it anyway)."""
    if key == "test_size":
        return command == TRAIN and not cross_corpus
    if key == "validation_size":
        return command == TRAIN or cross_corpus
    if key in ("num_folds", "num_validation_speakers"):
        return command == CV and not cross_corpus
    if key in _FOLD_KEYS:
        return command == CV
    if key == "resume_from_checkpoint":
        return command == TRAIN  # cv resumes each unfinished fold from its own last checkpoint
    if key == "push_to_hub":
        return command == TRAIN  # fold models are not pushed
    return True


def check_protocol_keys(config: dict[str, Any], command: str, data_args: Any, protocol_args: Any) -> list[str]:
    """Raise for a key that this command would ignore at the cost of other results; return a warning, naming
    the key, for every other key the recipe sets that does not apply (logged when the run starts)."""
    cross_corpus = bool(protocol_args.test_corpus)
    if command == TRAIN and protocol_args.speaker_normalization != "none":
        raise ProtocolError(
            f"speaker_normalization={protocol_args.speaker_normalization!r} needs every test speaker's statistics, "
            "which one saved model does not have: run `hf-ser cv`, or train with --speaker_normalization none"
        )
    names = corpus_names(data_args.corpus)
    if len(names) > 1 and data_args.data_dir and not protocol_args.data_dirs:
        raise ProtocolError(
            f"data_dir serves one corpus; corpus={data_args.corpus!r} joins {len(names)}: give data_dirs "
            f"{{{', '.join(f'{n}: DIR' for n in names)}}}"
        )
    notes = []
    for key, value in config.items():
        if value not in (None, False) and not applies(key, command, cross_corpus):  # null/false asks for nothing
            protocol = "cross-corpus" if cross_corpus else "speaker split" if command == TRAIN else "speaker folds"
            notes.append(f"{key}={value!r} does not apply to `hf-ser {command}` ({protocol}) and is not used")
    return notes


def check_corpora(data_args: Any, protocol_args: Any) -> None:
    """Unknown corpora and classes a corpus does not have fail here, naming the key, before any audio is read."""
    keys = [("corpus", n) for n in corpus_names(data_args.corpus)]
    if protocol_args.test_corpus:
        keys.append(("test_corpus", protocol_args.test_corpus))
    wanted = resolve_classes(data_args.classes) if data_args.classes else None
    for key, name in keys:
        try:
            cls = builder_class(name)
        except (KeyError, ValueError) as e:
            raise ValueError(f"{key}={name!r}: {e}") from None
        if wanted is not None and cls.default_classes != "all":
            missing = [c for c in wanted if c not in resolve_classes(None, default=cls.default_classes)]
            if missing:
                raise ValueError(f"classes={data_args.classes!r}: {name} has no {', '.join(missing)} clips")


def builder_options(name: str, names: list[str], options: dict[str, Any]) -> dict[str, Any]:
    """``corpus_options`` for one corpus: with several (``a+b``) a mapping by corpus name gives each its own,
    else every corpus gets the same."""
    if len(names) > 1 and options and set(options) <= set(names):
        return dict(options.get(name) or {})
    return dict(options)


def load_clips(names: list[str], data_args: Any, protocol_args: Any, classes: Any, options: dict | None = None):
    """Every clip of the corpora ``names`` as one ``datasets.Dataset`` (speaker ids are corpus-prefixed)."""
    import datasets

    options = data_args.corpus_options if options is None else options
    parts = []
    for name in names:
        data_dir = protocol_args.data_dirs.get(name)
        if data_dir is None and len(names) == 1 and name != protocol_args.test_corpus:
            data_dir = data_args.data_dir
        if name == protocol_args.test_corpus and protocol_args.test_data_dir:
            data_dir = protocol_args.test_data_dir
        ds, _ = build_corpus(
            name,
            data_dir,
            sampling_rate=data_args.sampling_rate,
            classes=classes,
            **builder_options(name, names, options),
        )
        parts.append(ds)
    return parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)


@dataclass
class Protocol:
    """The folds of a run: either one fixed ``DatasetDict`` (speaker split, cross-corpus) or the whole dataset
    (rows numbered in ``cv_row``) with each fold's speakers."""

    description: str
    labels: list[str]
    folds: list[Fold]
    dataset: Any = None  # datasets.Dataset of every clip (speaker folds)
    fixed_splits: Any = None  # the one train/validation/test DatasetDict (speaker split, cross-corpus)

    def fold_dataset(self, index: int):
        if self.fixed_splits is not None:
            return self.fixed_splits
        return fold_split(self.dataset, self.folds[index])

    def map_splits(self, fn) -> None:
        """Apply ``fn`` to every clip set the folds draw from (e.g. numbering clips for the feature cache)."""
        if self.fixed_splits is not None:
            for split in list(self.fixed_splits):
                self.fixed_splits[split] = fn(self.fixed_splits[split])
        else:
            self.dataset = fn(self.dataset)

    def all_clips(self, columns: list[str]):
        """``columns`` of every clip any fold trains, validates or tests on (feature cache, speaker stats)."""
        if self.fixed_splits is None:
            return self.dataset.select_columns(columns)
        import datasets

        return datasets.concatenate_datasets([ds.select_columns(columns) for ds in self.fixed_splits.values()])

    def training_clips(self, include_validation: bool = False):
        """The clips some fold trains on (speed-perturbed copies are cached for these); with
        ``include_validation``, also the validation speakers' (an inner CV trains on them)."""
        if self.fixed_splits is None:
            return self.dataset
        if not include_validation:
            return self.fixed_splits["train"]
        return train_and_validation(self.fixed_splits)

    def num_test_rows(self) -> int:
        return len(self.fixed_splits["test"]) if self.fixed_splits is not None else len(self.dataset)


def train_and_validation(splits):
    """The ``train`` and ``validation`` clips of a split dict as one dataset (what an inner CV divides)."""
    import datasets

    parts = [splits[s] for s in ("train", "validation") if s in splits]
    return parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)


def build_protocol(data_args: Any, protocol_args: Any, command: str) -> Protocol:
    """Load the data and lay out the folds (deterministic for ``split_seed``)."""
    import datasets

    names = corpus_names(data_args.corpus)
    involved = names + ([protocol_args.test_corpus] if protocol_args.test_corpus else [])
    classes = data_args.classes
    if classes is None and len(involved) > 1:
        classes = list(shared_classes(involved))
        logger.info("corpora %s on their shared classes %s", involved, classes)
    elif classes is not None and len(involved) > 1:
        classes = list(resolve_classes(classes))
    clips = load_clips(names, data_args, protocol_args, classes)
    seed = data_args.split_seed
    if protocol_args.test_corpus:
        test = load_clips(
            [protocol_args.test_corpus], data_args, protocol_args, classes, protocol_args.test_corpus_options
        )
        dd = datasets.DatasetDict({**speaker_split(clips, 0, data_args.validation_size, seed), "test": test})
        dd = datasets.DatasetDict({k: dd[k] for k in ("train", "validation", "test")})
        description = f"cross-corpus: train {'+'.join(names)}, test {protocol_args.test_corpus}"
    elif command == TRAIN:
        dd = speaker_split(clips, data_args.test_size, data_args.validation_size, seed)
        description = "speaker-independent train/validation/test split"
    else:
        clips = clips.add_column(ROW_COLUMN, list(range(len(clips))))
        folds = speaker_folds(
            clips,
            num_folds=protocol_args.num_folds,
            seed=seed,
            num_validation_speakers=protocol_args.num_validation_speakers,
        )
        n_spk = len({s for f in folds for s in f.test_speakers})
        loso = protocol_args.num_folds is None or protocol_args.num_folds == n_spk
        description = (
            f"leave-one-speaker-out ({len(folds)} folds)" if loso else f"{len(folds)} speaker folds ({n_spk} speakers)"
        )
        return Protocol(description, list(clips.features["emotion"].names), folds, dataset=clips)
    dd["test"] = dd["test"].add_column(ROW_COLUMN, list(range(len(dd["test"]))))
    spk = {k: sorted(set(dd[k]["speaker_id"])) for k in dd}
    fold = Fold(spk["test"], spk.get("validation", []), spk["train"])
    return Protocol(description, list(dd["train"].features["emotion"].names), [fold], fixed_splits=dd)
