"""Speaker-independent cross-validation: ``hf-ser cv CONFIG.yaml [--key value ...]``.

The recipe is the same YAML as for ``hf-ser train`` (``recipes/train.py``) plus the keys of
:class:`CVArguments`. Protocols:

* leave-one-speaker-out (default, ``num_folds: null``) or ``num_folds: K`` gender-balanced speaker
  folds: every speaker is tested exactly once, by a model that never heard them; each fold's
  validation speakers (checkpoint selection, early stopping) come from its non-test speakers;
* cross-corpus (``test_corpus: emodb``): train on ``corpus`` (``ravdess+crema_d`` for several; their
  folders in ``data_dirs``), validate on held-out training speakers, test on all of the test
  corpus, on the shared ``classes`` (e.g. ``4class``).

Each fold is one call of :func:`hf_ser.training.run.train` — the code behind ``hf-ser train`` —
with the fold's ``DatasetDict`` and ``output_dir/fold_XX``. Outputs in ``output_dir``:

* ``cv_results.json`` (the contract in DESIGN.md): ``folds`` (test speakers, UAR, WA, macro-F1 per
  fold), ``pooled`` (metrics over all folds' test predictions together), ``mean`` and ``std`` (over
  folds, population std), all fractions; plus the protocol, labels and pooled confusion matrix;
* ``cv_results.md`` (summary table) and ``confusion_matrix.png`` (pooled);
* ``fold_XX/predictions.json``: a finished fold's test predictions. A killed run started again with
  the same ``output_dir`` skips finished folds and resumes the unfinished one from its last
  checkpoint; a *different* resolved config is refused (``cv_state.json`` keeps its hash) unless
  ``overwrite_output_dir: true``.

Front-end features are cached (:mod:`hf_ser.training.cache`) when that is exact — a frozen encoder,
or MFCC / log-mel without waveform augmentation or random crops — so each clip goes through the
front end once for all epochs and folds, and not at all on a second run.
``speaker_normalization: speaker_z`` standardises each speaker's features with its own statistics
(transductive: it uses the test speaker's unlabelled audio) and is reported as such.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
import logging
import os
import shutil
import sys
import time
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..files import write_json_atomic, write_text_atomic

if TYPE_CHECKING:
    from .arguments import DataArguments, ModelArguments, SERTrainingArguments

logger = logging.getLogger(__name__)

CV_RESULTS = "cv_results.json"
CV_SUMMARY = "cv_results.md"
CV_STATE = "cv_state.json"
CV_CONFIG = "cv_config.yaml"
CV_LOG = "cv.log"
CONFUSION_PNG = "confusion_matrix.png"
PREDICTIONS = "predictions.json"
ROW_COLUMN = "cv_row"
SPEAKER_Z_NAME = "per-speaker z (transductive)"
# Keys that do not change a CV run's results: changing them keeps the finished folds.
_NOT_HASHED = {
    "output_dir",
    "overwrite_output_dir",
    "resume_from_checkpoint",
    "cache_dir",
    "keep_checkpoints",
    "verbose",
    "write_fold_cards",
    "disable_tqdm",
    "report_to",
    "run_name",
    "log_level",
    "log_level_replica",
    "logging_steps",
    "logging_strategy",
    "logging_first_step",
    "save_total_limit",
    "dataloader_num_workers",
    "push_to_hub",
    "hub_model_id",
    "hub_private_repo",
    "hub_strategy",
    "data_dir",
    "data_dirs",
    "test_data_dir",
}


class CVConfigError(ValueError):
    """A CV setup that cannot run as asked (another config in output_dir, an inexact cache forced on...)."""


# ------------------------------------------------------------------------------------------ arguments
@dataclass
class CVArguments:
    """Cross-validation keys, accepted by ``hf-ser cv`` on top of the training recipe keys."""

    num_folds: int | None = field(
        default=None,
        metadata={"help": "Number of speaker folds; null (default) = leave-one-speaker-out (one fold per speaker)."},
    )
    num_validation_speakers: int = field(
        default=1,
        metadata={
            "help": "Speakers per fold held out from training for checkpoint selection and early stopping "
            "(drawn from the non-test speakers, gender-balanced)."
        },
    )
    cache_features: str = field(
        default="auto",
        metadata={
            "help": "Cache front-end features on disk and train heads on them: auto (whenever it is exact: frozen "
            "encoder or MFCC/log-mel without waveform augmentation or random crops), true (fail if not exact) "
            "or false."
        },
    )
    cache_dir: str | None = field(
        default=None, metadata={"help": "Feature cache folder; default $HF_SER_CACHE or ~/.cache/hf_ser/features."}
    )
    cache_dtype: str = field(
        default="auto",
        metadata={
            "help": "Storage dtype of cached features: auto (float16 for encoders, float32 for MFCC/log-mel), "
            "float16 or float32."
        },
    )
    speaker_normalization: str = field(
        default="none",
        metadata={
            "help": "none, or speaker_z: standardise each speaker's front-end features with that speaker's own "
            "mean/std (its unlabelled audio; transductive for the test speaker, reported as such). Needs the cache."
        },
    )
    test_corpus: str | None = field(
        default=None,
        metadata={
            "help": "Cross-corpus protocol: train on `corpus` (several joined with +), test on all of this corpus, "
            "on the shared `classes` (e.g. 4class)."
        },
    )
    test_data_dir: str | None = field(default=None, metadata={"help": "Folder of the test corpus (cross-corpus)."})
    test_corpus_options: dict | str | None = field(
        default=None, metadata={"help": "Builder options of the test corpus (a mapping, or a JSON object)."}
    )
    data_dirs: dict | str | None = field(
        default=None,
        metadata={"help": "Folders of several training corpora, {name: dir} (corpus: a+b); data_dir serves one."},
    )
    write_fold_cards: bool = field(default=False, metadata={"help": "Write a model card (README.md) for every fold."})
    overwrite_output_dir: bool = field(
        default=False,
        metadata={"help": "Start over in an output_dir that holds a CV run with another config (deletes its folds)."},
    )

    def __post_init__(self) -> None:
        from .arguments import _maybe_json
        from .cache import CACHE_DTYPES, SPEAKER_NORMALIZATIONS

        if isinstance(self.cache_features, bool):
            self.cache_features = "true" if self.cache_features else "false"
        self.cache_features = str(self.cache_features).lower()
        if self.cache_features not in ("auto", "true", "false"):
            raise ValueError(f"cache_features={self.cache_features!r} is not one of auto, true, false")
        if self.cache_dtype not in CACHE_DTYPES:
            raise ValueError(f"cache_dtype={self.cache_dtype!r} is not one of {', '.join(CACHE_DTYPES)}")
        if self.speaker_normalization not in SPEAKER_NORMALIZATIONS:
            raise ValueError(
                f"speaker_normalization={self.speaker_normalization!r} is not one of "
                f"{', '.join(SPEAKER_NORMALIZATIONS)}"
            )
        if self.speaker_normalization != "none" and self.cache_features == "false":
            raise ValueError("speaker_normalization works on cached features: set cache_features auto or true")
        if self.num_folds is not None and self.num_folds < 2:
            raise ValueError(f"num_folds={self.num_folds} must be >= 2 (or null for leave-one-speaker-out)")
        if self.num_validation_speakers < 0:
            raise ValueError(f"num_validation_speakers={self.num_validation_speakers} must be >= 0")
        self.test_corpus_options = _maybe_json(self.test_corpus_options, "test_corpus_options") or {}
        self.data_dirs = {
            k: os.path.expanduser(str(v)) for k, v in (_maybe_json(self.data_dirs, "data_dirs") or {}).items()
        }
        if self.test_data_dir is not None:
            self.test_data_dir = os.path.expanduser(self.test_data_dir)
        if self.test_corpus is None and (self.test_data_dir or self.test_corpus_options):
            raise ValueError("test_data_dir / test_corpus_options need test_corpus")


def cv_field_types() -> dict[str, Any]:
    """The CV keys (name -> type) a recipe may carry besides the training keys."""
    hints = typing.get_type_hints(CVArguments)
    return {f.name: hints[f.name] for f in dataclasses.fields(CVArguments)}


# CV keys that one training run honours too (the feature cache).
_SINGLE_RUN_CV_KEYS = ("cache_features", "cache_dir", "cache_dtype")
# CV keys that change what a model learns or is tested on: one training run cannot honour them.
_RESULT_CHANGING_CV_KEYS = ("speaker_normalization", "test_corpus", "test_data_dir", "test_corpus_options", "data_dirs")


def split_cv_keys(config: dict[str, Any]) -> tuple[dict[str, Any], CVArguments]:
    """``hf-ser train`` on a recipe that also carries CV keys: ``(training keys, CV arguments)``.

    The feature-cache keys apply to one training run as well; fold settings only shape how
    ``hf-ser cv`` runs and are dropped with a note. A key that would change the results
    (per-speaker normalisation, cross-corpus test sets) at a non-default value is an error rather
    than an option silently ignored: a single saved model has no test speaker's statistics.
    """
    from .config import ConfigError

    defaults = CVArguments()
    for key in _RESULT_CHANGING_CV_KEYS:
        if key in config and config[key] != getattr(defaults, key):
            raise ConfigError(
                f"{key}={config[key]!r} is a cross-validation option: run `hf-ser cv`, or train one model "
                f"with --{key} {getattr(defaults, key)}"
            )
    cv_keys = {k: v for k, v in config.items() if k in cv_field_types()}
    unused = sorted(set(cv_keys) - set(_SINGLE_RUN_CV_KEYS))
    if unused:
        logger.info("cross-validation keys not used by a single training run: %s", ", ".join(unused))
    cv_args = CVArguments(**{k: v for k, v in cv_keys.items() if k in _SINGLE_RUN_CV_KEYS})
    return {k: v for k, v in config.items() if k not in cv_keys}, cv_args


def load_cv_config(argv: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(training keys, CV keys)`` from ``CONFIG.yaml [--key value ...]``, with ``hf-ser train``'s rules
    (unknown or duplicate keys are errors, values cast to the field types)."""
    from . import config as cfg

    cv_keys = cv_field_types()
    merged = cfg.load_config(argv, extra_fields=cv_keys)
    train_keys = cfg._field_types()
    # A key both sides know goes to both.
    train_cfg = {k: v for k, v in merged.items() if k in train_keys}
    return train_cfg, {k: v for k, v in merged.items() if k in cv_keys}


def parse_cv_config(
    argv: list[str],
) -> tuple[DataArguments, ModelArguments, SERTrainingArguments, CVArguments, dict[str, Any]]:
    """The four argument objects, plus the flat mapping of every key that was set."""
    from .config import build_arguments

    train_cfg, cv_cfg = load_cv_config(argv)
    data_args, model_args, training_args = build_arguments(train_cfg)
    cv_args = CVArguments(**cv_cfg)
    return data_args, model_args, training_args, cv_args, {**train_cfg, **cv_cfg}


# ----------------------------------------------------------------------------------------------- data
@dataclass
class CVPlan:
    """What the folds are: the whole dataset (rows numbered in ``cv_row``) and each fold's speakers."""

    protocol: str
    dataset: Any  # datasets.Dataset of every clip involved (speaker CV) or None
    folds: list[Any]  # hf_ser.corpora.Fold
    labels: list[str]
    fixed_splits: Any = None  # one train/validation/test DatasetDict for every fold (cross-corpus, single split)

    def fold_dataset(self, index: int):
        if self.fixed_splits is not None:
            return self.fixed_splits
        from ..corpora import fold_split

        return fold_split(self.dataset, self.folds[index])

    def all_clips(self, columns: list[str]):
        """``columns`` of every clip any fold trains, validates or tests on (feature cache, speaker stats)."""
        if self.fixed_splits is None:
            return self.dataset.select_columns(columns)
        import datasets

        return datasets.concatenate_datasets([ds.select_columns(columns) for ds in self.fixed_splits.values()])

    def num_rows(self) -> int:
        if self.fixed_splits is not None:
            return len(self.fixed_splits["test"])
        return len(self.dataset)


def _corpus_names(corpus: str) -> list[str]:
    return [c.strip() for c in corpus.split("+") if c.strip()]


def build_plan(data_args: DataArguments, cv_args: CVArguments) -> CVPlan:
    """Load the data and lay out the folds (deterministic for ``split_seed``)."""
    import datasets

    from ..corpora import Fold, build_corpus, combine_corpora, speaker_folds

    names = _corpus_names(data_args.corpus)
    if cv_args.test_corpus:
        dirs = dict(cv_args.data_dirs)
        if len(names) == 1 and data_args.data_dir and names[0] not in dirs:
            dirs[names[0]] = data_args.data_dir
        if cv_args.test_data_dir:
            dirs[cv_args.test_corpus] = cv_args.test_data_dir
        options = {n: dict(data_args.corpus_options) for n in names}
        options[cv_args.test_corpus] = dict(cv_args.test_corpus_options)
        dd = combine_corpora(
            names,
            [cv_args.test_corpus],
            data_dirs=dirs,
            classes=data_args.classes,
            sampling_rate=data_args.sampling_rate,
            seed=data_args.split_seed,
            validation_size=data_args.validation_size,
            builder_options=options,
        )
        dd = datasets.DatasetDict({k: dd[k] for k in ("train", "validation", "test")})
        dd["test"] = dd["test"].add_column(ROW_COLUMN, list(range(len(dd["test"]))))
        spk = {k: sorted(set(dd[k]["speaker_id"])) for k in dd}
        fold = Fold(spk["test"], spk["validation"], spk["train"])
        protocol = f"cross-corpus: train {'+'.join(names)}, test {cv_args.test_corpus}"
        return CVPlan(protocol, None, [fold], list(dd["train"].features["emotion"].names), fixed_splits=dd)

    if len(names) > 1 and not data_args.classes:
        raise ValueError(f"corpus={data_args.corpus!r} joins several corpora: set classes (e.g. 4class)")
    parts = []
    for name in names:
        data_dir = cv_args.data_dirs.get(name, data_args.data_dir if len(names) == 1 else None)
        ds, _ = build_corpus(
            name,
            data_dir,
            sampling_rate=data_args.sampling_rate,
            classes=data_args.classes,
            **data_args.corpus_options,
        )
        parts.append(ds)
    ds = parts[0] if len(parts) == 1 else datasets.concatenate_datasets(parts)
    ds = ds.add_column(ROW_COLUMN, list(range(len(ds))))
    folds = speaker_folds(
        ds,
        num_folds=cv_args.num_folds,
        seed=data_args.split_seed,
        num_validation_speakers=cv_args.num_validation_speakers,
    )
    n_spk = len({s for f in folds for s in f.test_speakers})
    protocol = (
        f"leave-one-speaker-out ({len(folds)} folds)"
        if cv_args.num_folds is None or cv_args.num_folds == n_spk
        else f"{len(folds)} speaker folds ({n_spk} speakers)"
    )
    return CVPlan(protocol, ds, folds, list(ds.features["emotion"].names))


# ----------------------------------------------------------------------------------------- config hash
def _hashed_config(resolved: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in sorted(resolved.items()) if k not in _NOT_HASHED}


def config_hash(resolved: dict[str, Any]) -> str:
    blob = json.dumps(_hashed_config(resolved), sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _check_state(output_dir: str, state: dict[str, Any], overwrite: bool) -> None:
    """Refuse to mix folds of two different configs in one output_dir (or wipe them with overwrite)."""
    path = os.path.join(output_dir, CV_STATE)
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        old = json.load(f)
    if old.get("config_hash") == state["config_hash"] and old.get("folds") == state["folds"]:
        return
    if overwrite:
        logger.warning("overwrite_output_dir: deleting the folds of the previous CV run in %s", output_dir)
        for name in os.listdir(output_dir):
            if name.startswith("fold_") or name in (CV_RESULTS, CV_SUMMARY, CONFUSION_PNG, CV_STATE):
                target = os.path.join(output_dir, name)
                shutil.rmtree(target) if os.path.isdir(target) else os.remove(target)
        return
    old_cfg, new_cfg = old.get("config", {}), state["config"]
    changed = [
        f"{k}: {old_cfg.get(k)!r} -> {new_cfg.get(k)!r}"
        for k in sorted(set(old_cfg) | set(new_cfg))
        if old_cfg.get(k) != new_cfg.get(k)
    ]
    if not changed and old.get("folds") != state["folds"]:
        changed = ["the folds' speakers differ (the corpus changed?)"]
    raise CVConfigError(
        f"{output_dir} holds a CV run with another config ({'; '.join(changed[:8])}"
        f"{'; ...' if len(changed) > 8 else ''}): use another --output_dir, or --overwrite_output_dir true"
    )


# ------------------------------------------------------------------------------------------- metrics
def _metrics(y_true, y_pred, labels) -> dict[str, Any]:
    from .metrics import classification_metrics

    m = classification_metrics(y_true, y_pred, labels)
    return {"uar": m["uar"], "wa": m["accuracy"], "macro_f1": m["macro_f1"], "num_samples": m["num_samples"]}


def aggregate(fold_records: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    """``folds`` / ``pooled`` / ``mean`` / ``std`` from the per-fold prediction records."""
    import numpy as np

    from .metrics import classification_metrics

    folds = []
    for rec in fold_records:
        m = _metrics(rec["y_true"], rec["y_pred"], labels)
        folds.append(
            {
                "fold": rec["fold"],
                "test_speakers": rec["test_speakers"],
                "validation_speakers": rec.get("validation_speakers", []),
                **m,
                "validation_uar": rec.get("validation_uar"),
                "train_runtime": rec.get("train_runtime"),
            }
        )
    y_true = np.concatenate([np.asarray(r["y_true"], dtype=np.int64) for r in fold_records])
    y_pred = np.concatenate([np.asarray(r["y_pred"], dtype=np.int64) for r in fold_records])
    pooled_full = classification_metrics(y_true, y_pred, labels)
    pooled = {
        "uar": pooled_full["uar"],
        "wa": pooled_full["accuracy"],
        "macro_f1": pooled_full["macro_f1"],
        "num_samples": pooled_full["num_samples"],
    }
    keys = ("uar", "wa", "macro_f1")
    mean = {k: float(np.mean([f[k] for f in folds])) for k in keys}
    std = {k: float(np.std([f[k] for f in folds])) for k in keys}
    return {
        "folds": folds,
        "pooled": pooled,
        "mean": mean,
        "std": std,
        "per_class_recall": pooled_full["per_class_recall"],
        "support": pooled_full["support"],
        "confusion_matrix": pooled_full["confusion_matrix"],
    }


def summary_markdown(results: dict[str, Any]) -> str:
    """The Markdown summary written next to cv_results.json."""
    p, m, s = results["pooled"], results["mean"], results["std"]
    norm = results.get("speaker_normalization", "none")
    lines = [
        f"# Cross-validation: {results.get('corpus', '')}",
        "",
        f"- Protocol: {results['protocol']}; every test clip predicted once by a model that never heard its "
        "speaker; validation speakers (checkpoint selection) drawn from the training side of each fold.",
        f"- Speaker normalisation: {norm}"
        + (
            " — uses each test speaker's unlabelled audio, not comparable with strict results" if norm != "none" else ""
        ),
        f"- Classes ({len(results['labels'])}): {', '.join(results['labels'])}",
        f"- Model: {results.get('model_summary', '')}",
        f"- Wall time: {results.get('wall_time_seconds', 0):.0f} s this run; training "
        f"{results.get('fold_train_seconds', 0):.0f} s over {len(results['folds'])} folds; "
        f"{results.get('hardware', '')}",
        f"- Command: `{results.get('command', '')}`",
        "",
        "| | UAR | WA | macro-F1 |",
        "|---|---|---|---|",
        f"| pooled | {p['uar']:.4f} | {p['wa']:.4f} | {p['macro_f1']:.4f} |",
        f"| mean ± std over folds | {m['uar']:.4f} ± {s['uar']:.4f} | {m['wa']:.4f} ± {s['wa']:.4f} "
        f"| {m['macro_f1']:.4f} ± {s['macro_f1']:.4f} |",
        "",
        "## Folds",
        "",
        "| fold | test speakers | clips | UAR | WA | macro-F1 | validation UAR |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in results["folds"]:
        spk = ", ".join(f["test_speakers"])
        if len(spk) > 60:
            spk = f"{len(f['test_speakers'])} speakers"
        val = f.get("validation_uar")
        lines.append(
            f"| {f['fold']} | {spk} | {f['num_samples']} | {f['uar']:.4f} | {f['wa']:.4f} | {f['macro_f1']:.4f} "
            f"| {'' if val is None else f'{val:.4f}'} |"
        )
    lines += ["", "## Pooled recall per class", "", "| class | recall | clips |", "|---|---|---|"]
    for name, r in results["per_class_recall"].items():
        lines.append(f"| {name} | {r:.4f} | {results['support'].get(name, 0)} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- run
def _fold_done(path: str, fold: Any, chash: str) -> dict[str, Any] | None:
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            rec = json.load(f)
    except (OSError, ValueError):
        return None
    if rec.get("config_hash") != chash or rec.get("test_speakers") != list(fold.test_speakers):
        return None
    return rec


def _has_complete_checkpoint(fold_dir: str) -> bool:
    from .run import _checkpoints, checkpoint_is_complete

    return any(checkpoint_is_complete(c) for c in _checkpoints(fold_dir))


def prepare_cache(plan: CVPlan, data_args, model_args, training_args, cv_args):
    """``(collator_factory or None, cache info for the results)``: fill the feature cache once, before the folds."""
    from transformers import set_seed

    from .cache import (
        KEY_COLUMN,
        FeatureCache,
        add_feature_keys,
        cached_collator_factory,
        speaker_statistics,
        uncacheable_reason,
    )
    from .run import build_model

    if cv_args.cache_features == "false":
        return None, {"enabled": False, "reason": "cache_features: false"}
    set_seed(training_args.seed)  # the same initial weights as each fold's model (random-init encoders)
    model, feature_extractor = build_model(model_args, plan.labels, data_args.sampling_rate)
    reason = uncacheable_reason(model, data_args)
    if reason is None and model_args.use_lora:
        reason = "LoRA adapts the encoder"
    if reason:
        if cv_args.cache_features == "true":
            raise CVConfigError(
                f"cache_features: true, but training on cached features would change the results: {reason}"
            )
        if cv_args.speaker_normalization != "none":
            raise CVConfigError(f"speaker_normalization needs cached features, which are off here: {reason}")
        logger.info("not caching front-end features: %s", reason)
        return None, {"enabled": False, "reason": reason}
    cache = FeatureCache.for_model(model, cv_args.cache_dir, cv_args.cache_dtype)
    # Number the clips by audio hash everywhere the folds will look them up.
    if plan.fixed_splits is not None:
        for split in list(plan.fixed_splits):
            plan.fixed_splits[split] = add_feature_keys(plan.fixed_splits[split])
    else:
        plan.dataset = add_feature_keys(plan.dataset)
    clips = plan.all_clips(["audio", "speaker_id", KEY_COLUMN])
    keys = clips[KEY_COLUMN]
    compute = functools.partial(
        cache.compute,
        model,
        feature_extractor,
        sampling_rate=data_args.sampling_rate,
        batch_size=max(1, training_args.per_device_eval_batch_size // 2),
        progress=not training_args.disable_tqdm,
    )
    audio = clips["audio"]
    compute(audio, keys)
    if data_args.speed_perturbation:  # speed-perturbed copies of every clip some fold trains on
        train_audio, train_keys = audio, keys  # speaker CV: every clip
        if plan.fixed_splits is not None:
            train = plan.fixed_splits["train"]
            train_audio, train_keys = train["audio"], train[KEY_COLUMN]
        for factor in data_args.speed_perturbation:
            compute(train_audio, train_keys, speed=factor)
    del model
    speaker_stats = None
    if cv_args.speaker_normalization == "speaker_z":
        speaker_stats = speaker_statistics(cache, keys, clips["speaker_id"])
        logger.info("per-speaker z normalisation over %d speakers (transductive)", len(speaker_stats))
    info = {"enabled": True, "directory": cache.directory, "dtype": cache.dtype, **cache.stats.to_dict()}
    return cached_collator_factory(cache, speaker_stats), info


def run_cv(
    data_args: DataArguments,
    model_args: ModelArguments,
    training_args: SERTrainingArguments,
    cv_args: CVArguments | None = None,
    *,
    config: dict[str, Any] | None = None,
    callbacks: list | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Run (or resume) the cross-validation; returns what is written to ``cv_results.json``."""
    from tqdm.auto import tqdm

    from .config import resolved_config, save_config
    from .run import _hardware, card_command, model_summary, train

    cv_args = cv_args or CVArguments()
    start = time.time()
    output_dir = training_args.output_dir
    if not output_dir:
        raise ValueError("output_dir is required")
    if training_args.push_to_hub:
        logger.warning("push_to_hub is ignored by hf-ser cv (fold models are not pushed)")
    resolved = {**resolved_config(data_args, model_args, training_args), **dataclasses.asdict(cv_args)}
    chash = config_hash(resolved)

    plan = build_plan(data_args, cv_args)
    fold_dicts = [f.to_dict() for f in plan.folds]
    logger.info("%s on %d clips, classes %s", plan.protocol, plan.num_rows(), plan.labels)
    os.makedirs(output_dir, exist_ok=True)
    state = {"config_hash": chash, "config": _hashed_config(resolved), "folds": fold_dicts}
    state = json.loads(json.dumps(state, default=str))
    _check_state(output_dir, state, cv_args.overwrite_output_dir)
    factory, cache_info = prepare_cache(plan, data_args, model_args, training_args, cv_args)
    train_kwargs = {"collator_factory": factory} if factory is not None else {}
    write_json_atomic(os.path.join(output_dir, CV_STATE), state)
    save_config(config if config is not None else resolved, output_dir, CV_CONFIG)
    if cache_info.get("enabled"):
        logger.info("feature cache: %s", cache_info)

    records: list[dict[str, Any]] = []
    summary = ""
    bar = tqdm(total=len(plan.folds), desc="CV folds", unit="fold", disable=training_args.disable_tqdm)
    for i, fold in enumerate(plan.folds):
        fold_dir = os.path.join(output_dir, f"fold_{i:02d}")
        pred_path = os.path.join(fold_dir, PREDICTIONS)
        rec = _fold_done(pred_path, fold, chash)
        if rec is not None:
            logger.info("fold %d (%s) already done: UAR %.4f", i, ", ".join(fold.test_speakers), rec["metrics"]["uar"])
            records.append(rec)
            bar.update(1)
            continue
        bar.set_postfix_str(f"test {', '.join(fold.test_speakers)[:40]}")
        dd = plan.fold_dataset(i)
        fold_args = copy.deepcopy(training_args)
        fold_args.output_dir = fold_dir
        fold_args.push_to_hub = False
        fold_args.resume_from_checkpoint = "true" if _has_complete_checkpoint(fold_dir) else None
        if fold_args.resume_from_checkpoint:
            logger.info("fold %d: resuming from its last checkpoint", i)
        result = train(
            data_args,
            model_args,
            fold_args,
            dataset=dd,
            callbacks=callbacks,
            write_card=cv_args.write_fold_cards,
            command=command,
            progress_description=f"fold {i + 1}/{len(plan.folds)}",
            keep_progress_bar=False,
            **train_kwargs,
        )
        rows = list(dd["test"][ROW_COLUMN])
        rec = {
            "fold": i,
            "config_hash": chash,
            **fold.to_dict(),
            "rows": rows,
            "speaker_ids": list(dd["test"]["speaker_id"]),
            "y_true": [int(v) for v in result["test_label_ids"]],
            "y_pred": [int(v) for v in result["test_predictions"]],
            "metrics": _metrics(result["test_label_ids"], result["test_predictions"], plan.labels),
            "validation_uar": result.get("validation_uar"),
            "train_runtime": result.get("train_runtime"),
            "global_step": result.get("global_step"),
        }
        if len(rec["rows"]) != len(rec["y_pred"]):
            raise RuntimeError(f"fold {i}: {len(rec['y_pred'])} predictions for {len(rec['rows'])} test clips")
        write_json_atomic(pred_path, rec)
        summary = summary or model_summary(_fold_config(fold_dir))
        logger.info(
            "fold %d (%s): UAR %.4f, WA %.4f",
            i,
            ", ".join(fold.test_speakers),
            rec["metrics"]["uar"],
            rec["metrics"]["wa"],
        )
        records.append(rec)
        bar.update(1)
    bar.close()

    rows = sorted(r for rec in records for r in rec["rows"])
    if rows != list(range(plan.num_rows())):
        raise RuntimeError(f"the folds predicted {len(rows)} clips ({len(set(rows))} distinct) of {plan.num_rows()}")
    results = aggregate(records, plan.labels)
    if not summary:
        summary = model_summary(_fold_config(os.path.join(output_dir, "fold_00")))
    results.update(
        {
            "protocol": plan.protocol,
            "corpus": data_args.corpus if not cv_args.test_corpus else f"{data_args.corpus} -> {cv_args.test_corpus}",
            "labels": plan.labels,
            "num_folds": len(plan.folds),
            "speaker_normalization": SPEAKER_Z_NAME if cv_args.speaker_normalization == "speaker_z" else "none",
            "feature_cache": cache_info,
            "model_summary": summary,
            "seed": training_args.seed,
            "split_seed": data_args.split_seed,
            "config_hash": chash,
            "wall_time_seconds": round(time.time() - start, 1),
            "fold_train_seconds": round(sum(float(r.get("train_runtime") or 0.0) for r in records), 1),
            "hardware": _hardware(training_args),
            "command": command or card_command([], prog="hf-ser cv"),
        }
    )
    write_results(results, output_dir)
    p, m, s = results["pooled"], results["mean"], results["std"]
    logger.info(
        "%s: pooled UAR %.4f, WA %.4f, macro-F1 %.4f; fold UAR %.4f ± %.4f (%s)",
        plan.protocol,
        p["uar"],
        p["wa"],
        p["macro_f1"],
        m["uar"],
        s["uar"],
        results["speaker_normalization"],
    )
    return results


def _fold_config(fold_dir: str):
    from ..modeling import SERConfig

    return SERConfig.from_pretrained(fold_dir)


def write_results(results: dict[str, Any], output_dir: str) -> None:
    """cv_results.json, cv_results.md and the pooled confusion-matrix PNG."""
    from ..evaluation import plot_confusion_matrix

    write_json_atomic(os.path.join(output_dir, CV_RESULTS), results)
    write_text_atomic(os.path.join(output_dir, CV_SUMMARY), summary_markdown(results))
    title = (
        f"{results.get('corpus', '')} {results['protocol'].split(' (')[0]}, pooled UAR {results['pooled']['uar']:.3f}"
    )
    plot_confusion_matrix(
        results["confusion_matrix"], results["labels"], os.path.join(output_dir, CONFUSION_PNG), title
    )


def summary_table(results: dict[str, Any], output_dir: str) -> str:
    """The closing table of ``hf-ser cv``."""
    from ..console import table

    p, m, sd = results["pooled"], results["mean"], results["std"]
    rows = [
        ("protocol", f"{results['protocol']} on {results['corpus']}"),
        ("model", results.get("model_summary", "")),
        ("pooled", f"UAR {p['uar']:.3f}  WA {p['wa']:.3f}  macro-F1 {p['macro_f1']:.3f}  ({p['num_samples']} clips)"),
        ("fold UAR", f"{m['uar']:.3f} ± {sd['uar']:.3f} (mean ± std over folds)"),
        ("normalisation", results["speaker_normalization"]),
        ("wall time", f"{results['wall_time_seconds']:.0f} s"),
        ("saved", f"{output_dir}  ({CV_RESULTS}, {CV_SUMMARY}, {CONFUSION_PNG}, log {CV_LOG})"),
    ]
    return table(rows)


def main(argv: list[str] | None = None) -> int:
    """``hf-ser cv CONFIG.yaml [--key value ...]``; exit status 2 for a bad recipe, command line or output_dir."""
    from .usage import print_cv_help, usage_line

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(usage_line("hf-ser cv"), file=sys.stderr)
        return 2
    if "--help-all" in argv:
        from .config import print_help

        print_help("hf-ser cv", extra=(CVArguments,))
        return 0
    if any(a in ("-h", "--help") for a in argv):
        print_cv_help()
        return 0
    from ..console import run_console
    from .cache import FeatureCacheError
    from .config import ConfigError
    from .run import card_command, check_model_sources

    try:
        data_args, model_args, training_args, cv_args, config = parse_cv_config(argv)
        check_model_sources(model_args)
    except (ConfigError, ValueError, OSError) as e:
        print(f"hf-ser cv: error: {e}", file=sys.stderr)
        return 2
    main_process = training_args.process_index == 0
    log_file = os.path.join(training_args.output_dir, CV_LOG)
    try:
        with run_console(log_file, verbose=training_args.verbose, main_process=main_process):
            results = run_cv(
                data_args, model_args, training_args, cv_args, config=config, command=card_command(argv, "hf-ser cv")
            )
    except (CVConfigError, FeatureCacheError) as e:
        print(f"hf-ser cv: error: {e}", file=sys.stderr)
        return 2
    if main_process:
        print(summary_table(results, training_args.output_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
