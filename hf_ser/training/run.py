"""One training run: recipe → speaker-independent data → model → Trainer → test report → model card.

``accelerate launch recipes/train.py CONFIG.yaml [--key value ...]`` (= ``hf-ser train``) runs
:func:`main`; cross-validation (``hf-ser cv``) calls :func:`train` once per fold with that fold's
``DatasetDict``. Steps, as alignment-handbook's scripts: seed → logging → resume → data → model →
train (best checkpoint by validation UAR, early stopping) → test evaluation → save (main process
only) → model card → push to the Hub.

Features:
    * class-weighted cross-entropy (default) or class-balanced sampling;
    * on-the-fly waveform augmentation and random crops for training clips only;
    * ``--resume_from_checkpoint PATH|true`` continues an interrupted run and ends with the same
      metrics as an uninterrupted one (RNG, sampler, early-stopping state are all restored; an
      incomplete checkpoint left by a kill is skipped for the previous complete one);
    * 1 process, N CPU processes over gloo or N GPUs under ``accelerate launch``; test metrics
      count every test clip exactly once (``gather_for_metrics`` drops the padding DDP adds).

Layout of ``output_dir``: the saved model, exactly what ``push_to_hub`` uploads (weights, config, feature
extractor, model code, model card, ``train_config.yaml``, test results, confusion matrix, ``train.log``), and
while it trains, Trainer's ``output_dir/checkpoint-N`` folders (with optimizer states, for
``--resume_from_checkpoint``), deleted once the model is saved unless ``keep_checkpoints: true``.

Errors: a bad recipe raises ``ValueError`` naming the field before any data is loaded, and a mistyped model
or encoder path ``ModelNotFoundError`` naming it; ``hf-ser train`` prints it and exits with status 2.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import sys
import time
from typing import TYPE_CHECKING, Any

from ..files import write_json_atomic

if TYPE_CHECKING:
    from .arguments import DataArguments, ModelArguments, SERTrainingArguments

logger = logging.getLogger(__name__)

TEST_RESULTS = "test_results.json"
CONFUSION_PNG = "confusion_matrix.png"
LOG_NAME = "train.log"
_TRUE = ("true", "1", "yes", "last")


# ---------------------------------------------------------------------------------------- resume
def remove_checkpoints(output_dir: str) -> None:
    """Delete a finished run's Trainer checkpoints (``output_dir/checkpoint-N``, with optimizer states), so the
    model folder is exactly the saved model that is pushed."""
    for path in _checkpoints(output_dir):
        shutil.rmtree(path, ignore_errors=True)


def checkpoint_is_complete(path: str) -> bool:
    """Trainer writes ``trainer_state.json`` last: a checkpoint without it was interrupted mid-save."""
    state = os.path.join(path, "trainer_state.json")
    if not os.path.isfile(state):
        return False
    try:
        with open(state, encoding="utf-8") as f:
            json.load(f)
    except (OSError, ValueError):
        return False
    return True


def _checkpoints(folder: str) -> list[str]:
    if not os.path.isdir(folder):
        return []
    found = []
    for name in os.listdir(folder):
        if name.startswith("checkpoint-") and name.split("-")[-1].isdigit():
            found.append(os.path.join(folder, name))
    return sorted(found, key=lambda p: int(p.split("-")[-1]))


def resolve_resume_checkpoint(value: str | bool | None, output_dir: str) -> str | None:
    """``true``/``last`` → the newest complete ``output_dir/checkpoint-N``; a path → that
    checkpoint, or, if it was cut short by a kill, the newest complete one before it (with a warning)."""
    if value in (None, False, "", "false", "False", "none", "None"):
        return None
    if value is True or str(value).lower() in _TRUE:
        complete = [c for c in _checkpoints(output_dir) if checkpoint_is_complete(c)]
        if not complete:
            raise ValueError(f"resume_from_checkpoint=true but {output_dir} holds no complete checkpoint")
        return complete[-1]
    path = str(value)
    if not os.path.isdir(path):
        raise ValueError(f"resume_from_checkpoint: no checkpoint folder {path}")
    if checkpoint_is_complete(path):
        return path
    step = int(path.rstrip("/").split("-")[-1]) if path.rstrip("/").split("-")[-1].isdigit() else None
    parent = os.path.dirname(os.path.abspath(path))
    earlier = [c for c in _checkpoints(parent) if checkpoint_is_complete(c)]
    if step is not None:
        earlier = [c for c in earlier if int(c.split("-")[-1]) < step]
    if not earlier:
        raise ValueError(f"resume_from_checkpoint: {path} is incomplete (no trainer_state.json) and no earlier one")
    logger.warning("%s is incomplete (interrupted while saving); resuming from %s instead", path, earlier[-1])
    return earlier[-1]


# ------------------------------------------------------------------------------------------ data
def load_data(data_args: DataArguments, training_args: SERTrainingArguments | None = None):
    """The speaker-independent train/validation/test ``DatasetDict`` of the recipe's corpus."""
    from ..corpora import load_corpus

    def load():
        return load_corpus(
            data_args.corpus,
            data_args.data_dir,
            sampling_rate=data_args.sampling_rate,
            classes=data_args.classes,
            split="speaker",
            seed=data_args.split_seed,
            test_size=data_args.test_size,
            validation_size=data_args.validation_size,
            **data_args.corpus_options,
        )

    if training_args is None:
        return load()
    # The main process builds (and caches) the corpus first; the others then read the cache.
    with training_args.main_process_first(desc="loading the corpus"):
        return load()


def _prepare_splits(dd, data_args: DataArguments, seed: int, needs_validation: bool = True):
    """Check splits, carve a validation set when there are no validation speakers and one is needed (best
    checkpoint, early stopping), apply debug caps. A fixed epoch budget needs none: then every training
    clip is trained on and nothing is evaluated during training."""
    import datasets

    missing = [s for s in ("train", "test") if s not in dd]
    if missing:
        raise ValueError(f"the dataset needs train and test splits; it has {list(dd)}")
    if "emotion" not in dd["train"].column_names or "audio" not in dd["train"].column_names:
        raise ValueError(f"columns 'audio' and 'emotion' are required; found {dd['train'].column_names}")
    train_ds, val_ds, test_ds = dd["train"], dd.get("validation"), dd["test"]
    if (val_ds is None or len(val_ds) == 0) and not needs_validation:
        logger.info("no validation speakers, none needed (fixed epoch budget): training on every training clip")
        val_ds = None
    elif val_ds is None or len(val_ds) == 0:
        logger.warning(
            "no validation speakers (the corpus has too few speakers): holding out 10%% of the training clips, "
            "stratified by emotion, for checkpoint selection; the test split stays speaker-independent"
        )
        try:
            cut = train_ds.train_test_split(test_size=0.1, seed=seed, stratify_by_column="emotion")
        except ValueError:
            cut = train_ds.train_test_split(test_size=0.1, seed=seed)
        train_ds, val_ds = cut["train"], cut["test"]
    if data_args.max_train_samples is not None:
        train_ds = train_ds.select(range(min(data_args.max_train_samples, len(train_ds))))
    if data_args.max_eval_samples is not None and val_ds is not None:
        val_ds = val_ds.select(range(min(data_args.max_eval_samples, len(val_ds))))
    if len(train_ds) == 0 or len(test_ds) == 0:
        raise ValueError(f"empty split: train {len(train_ds)} clips, test {len(test_ds)} clips")
    splits = {"train": train_ds, "validation": val_ds, "test": test_ds}
    return datasets.DatasetDict({k: v for k, v in splits.items() if v is not None})


def _speakers(ds) -> list[str]:
    return sorted(set(ds["speaker_id"])) if "speaker_id" in ds.column_names else []


# ----------------------------------------------------------------------------------------- model
def check_model_sources(model_args: ModelArguments) -> None:
    """A mistyped model or encoder folder fails at once, naming it, instead of going to the Hub and its retries."""
    from ..inference import resolve_model_source
    from ..safe_loading import refuse_pickle_weights

    for key in ("model_name_or_path", "encoder_name_or_path"):
        if getattr(model_args, key):
            setattr(model_args, key, resolve_model_source(getattr(model_args, key)))
            refuse_pickle_weights(getattr(model_args, key), what=key)


def build_model(model_args: ModelArguments, labels: list[str], sampling_rate: int):
    """``(model, feature_extractor)`` for the recipe: a new SERForAudioClassification, or a saved one."""
    from ..labels import id2label, label2id
    from ..modeling import SERConfig, SERForAudioClassification, feature_extractor_for

    check_model_sources(model_args)
    if model_args.model_name_or_path:
        from transformers import AutoFeatureExtractor

        model = SERForAudioClassification.from_pretrained(model_args.model_name_or_path, use_safetensors=True)
        saved_labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        if model.adopt_labels(labels) == "reinitialised":
            logger.warning(
                "model_name_or_path: %s was trained on classes %s, this run's classes are %s: its classifier is "
                "re-initialised (kept, it would silently relabel every prediction)",
                model_args.model_name_or_path,
                saved_labels,
                labels,
            )
        feature_extractor = AutoFeatureExtractor.from_pretrained(model_args.model_name_or_path)
    else:
        config = SERConfig(
            sampling_rate=sampling_rate,
            num_labels=len(labels),
            id2label=id2label(labels),
            label2id=label2id(labels),
            **model_args.config_kwargs(),
        )
        model = SERForAudioClassification(config)
        kwargs = {} if model_args.do_normalize is None else {"do_normalize": model_args.do_normalize}
        feature_extractor = feature_extractor_for(model.config, **kwargs)
    if model_args.use_lora:
        from ..modeling.lora import apply_lora

        lora_kwargs = dict(r=model_args.lora_r, alpha=model_args.lora_alpha, dropout=model_args.lora_dropout)
        if model_args.lora_target_modules:
            lora_kwargs["target_modules"] = list(model_args.lora_target_modules)
        model = apply_lora(model, **lora_kwargs)
    return model, feature_extractor


def model_summary(config) -> str:
    """One line describing the architecture, for logs and the model card."""
    if config.frontend == "encoder":
        name = config.encoder_name_or_path or f"random {config.encoder_config.get('model_type')} encoder"
        front = f"{name} ({'frozen' if config.freeze_encoder else 'fine-tuned'})"
        if config.whisper_input == "padded" and (config.encoder_config or {}).get("model_type") == "whisper":
            front += f", input padded to {config.whisper_pad_seconds:g} s"
        if config.encoder_pooling == "mean":
            front += " → time-mean of each layer"
        if config.layer_combination != "none":
            front += {
                "weighted_sum": " → weighted sum of layers",
                "concat": " → layers concatenated",
                "ensemble": " → one head per layer (ensemble)",
            }[config.layer_combination]
    elif config.frontend == "mfcc":
        front = f"{config.n_mfcc} MFCC" + (f" + {'Δ' * 1 if config.deltas == 1 else 'Δ, ΔΔ'}" if config.deltas else "")
    elif config.frontend == "functionals":
        front = "utterance functionals of log-mel, MFCC and prosodic descriptors (standardised)"
    else:
        front = f"{config.n_mels}-band log-mel" + (f" + {config.deltas} delta order(s)" if config.deltas else "")
    head = config.head
    if head in ("cnn", "cnn_lstm", "parallel"):
        head += f" (channels {list(config.head_channels)}, kernels {list(config.head_kernel_sizes)})"
    if head == "mlp" and config.head_num_layers == 0:
        head = "linear"
    elif head in ("lstm", "cnn_lstm", "parallel", "mlp"):
        head += f", hidden {config.head_hidden_size} × {config.head_num_layers}"
    pooled = config.frontend == "functionals" or config.encoder_pooling == "mean"
    pooling = "" if pooled else f" → {config.pooling} pooling"
    return f"{front} → {head} head{pooling} → {config.num_labels} classes"


# ----------------------------------------------------------------------------------------- train
def train(
    data_args: DataArguments,
    model_args: ModelArguments,
    training_args: SERTrainingArguments,
    dataset=None,
    *,
    config: dict[str, Any] | None = None,
    callbacks: list | None = None,
    write_card: bool = True,
    command: str | None = None,
    collator_factory: Any = None,
    progress_description: str = "training",
    keep_progress_bar: bool = True,
) -> dict[str, Any]:
    """Train one model and evaluate it on the test split; return the test results.

    ``dataset``: a ``DatasetDict`` with ``train``/``validation``/``test`` in the unified schema
    (e.g. one CV fold); default: :func:`load_data` from ``data_args``. ``collator_factory``:
    ``(model, feature_extractor) -> (train_collator, eval_collator)`` replacing the waveform
    collators, e.g. to train on cached front-end features (:mod:`hf_ser.training.cache`). Returns the dict written to
    ``test_results.json`` plus ``test_predictions`` and ``test_label_ids`` (test-set order), which
    cross-validation pools across folds. Checkpoints go to ``output_dir/checkpoint-N`` (see the module
    docstring); logging is the caller's (``hf-ser train`` routes it through :func:`console.run_console`).
    """
    import numpy as np
    import torch
    from transformers import EarlyStoppingCallback, IntervalStrategy, PrinterCallback, ProgressCallback, set_seed

    from ..evaluation import build_report, plot_confusion_matrix
    from ..features.augment import WaveformAugmenter
    from .config import resolved_config, save_config
    from .metrics import compute_metrics
    from .trainer import (
        EpochSeededDataset,
        EpochSetter,
        SERDataCollator,
        SERTrainer,
        StageProgress,
        balanced_class_weights,
        balanced_sample_weights,
    )

    set_seed(training_args.seed)
    output_dir = training_args.output_dir
    is_main = training_args.process_index == 0
    resume = resolve_resume_checkpoint(training_args.resume_from_checkpoint, output_dir)
    resolved = resolved_config(data_args, model_args, training_args)
    logger.info("resolved config:\n%s", "\n".join(f"  {k}: {v}" for k, v in resolved.items()))
    if is_main and config is not None:
        logger.info("config saved to %s", save_config(config, output_dir))

    # data
    dd = dataset if dataset is not None else load_data(data_args, training_args)
    needs_validation = bool(training_args.load_best_model_at_end or training_args.early_stopping_patience)
    dd = _prepare_splits(dd, data_args, training_args.seed, needs_validation)
    if "validation" not in dd:
        training_args.eval_strategy = IntervalStrategy.NO
    if data_args.speed_perturbation:
        from ..features.augment import add_speed_perturbed_copies

        n = len(dd["train"])
        dd["train"] = add_speed_perturbed_copies(dd["train"], data_args.speed_perturbation)
        logger.info(
            "speed perturbation x%s: %d -> %d training clips", data_args.speed_perturbation, n, len(dd["train"])
        )
    labels = list(dd["train"].features["emotion"].names)
    sr = data_args.sampling_rate
    for split, ds in dd.items():
        logger.info("%s: %d clips, %d speakers", split, len(ds), len(_speakers(ds)))
    if "validation" in dd and len(_speakers(dd["validation"])) < 2:
        logger.info(
            "the best checkpoint is chosen on %d validation clips from %d speaker(s): a noisy choice",
            len(dd["validation"]),
            len(_speakers(dd["validation"])),
        )

    # model
    model, feature_extractor = build_model(model_args, labels, sr)
    n_params = sum(p.numel() for p in model.parameters())
    n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    summary = model_summary(model.config)
    logger.info("model: %s; %s parameters, %s trainable", summary, f"{n_params:,}", f"{n_trainable:,}")

    train_labels = np.asarray(dd["train"]["emotion"], dtype=np.int64)
    class_weights = None
    if training_args.class_weighting == "balanced":
        class_weights = balanced_class_weights(train_labels, len(labels))
        logger.info("class weights: %s", dict(zip(labels, [round(float(w), 3) for w in class_weights], strict=True)))
    sample_weights = balanced_sample_weights(train_labels) if training_args.balanced_sampling else None
    augmenter = WaveformAugmenter.from_data_args(data_args) if data_args.augment else None
    if collator_factory is not None:
        train_collator, eval_collator = collator_factory(model, feature_extractor)
    else:
        train_collator = SERDataCollator(
            feature_extractor,
            sr,
            training=True,
            max_duration_seconds=data_args.max_duration_seconds,
            augmenter=augmenter,
        )
        eval_collator = SERDataCollator(
            feature_extractor, sr, training=False, max_duration_seconds=data_args.eval_max_duration_seconds
        )
    if model.uses_feature_standardization():
        # Statistics of what classify_frontend sees, from the training split only (eval-mode
        # collation: no crops or augmentation); they are saved with the model's weights.
        stats_loader = torch.utils.data.DataLoader(
            dd["train"], batch_size=training_args.per_device_eval_batch_size, collate_fn=eval_collator
        )
        model.fit_feature_statistics(stats_loader)
        logger.info("feature standardisation fitted on %d training clips", len(dd["train"]))
    train_dataset = EpochSeededDataset(dd["train"], training_args.seed)
    progress = StageProgress(progress_description, disable=training_args.disable_tqdm, leave=keep_progress_bar)
    all_callbacks = [
        EpochSetter(train_dataset, training_args.gradient_accumulation_steps),
        progress,
        *(callbacks or []),
    ]
    if training_args.early_stopping_patience:
        all_callbacks.append(
            EarlyStoppingCallback(training_args.early_stopping_patience, training_args.early_stopping_threshold)
        )
    # The Hub upload happens once at the end (model + card + results), not from every checkpoint.
    push = bool(training_args.push_to_hub)
    training_args.push_to_hub = False
    trainer = SERTrainer(
        model=model,
        args=training_args,
        train_dataset=train_dataset,
        eval_dataset=dd.get("validation"),
        data_collator=train_collator,
        eval_data_collator=eval_collator,
        processing_class=feature_extractor,
        compute_metrics=compute_metrics,
        callbacks=all_callbacks,
        class_weights=class_weights,
        sample_weights=sample_weights,
    )
    for default_progress in (ProgressCallback, PrinterCallback):  # StageProgress replaces them
        trainer.remove_callback(default_progress)
    start = time.time()
    train_result = trainer.train(resume_from_checkpoint=resume)
    train_runtime = time.time() - start
    if model_args.use_lora:
        # Fold the adapters into the encoder: the saved model is a plain, self-contained SERForAudioClassification.
        from ..modeling.lora import merge_lora

        merged = merge_lora(trainer.accelerator.unwrap_model(trainer.model))
        trainer.model = trainer.model_wrapped = merged
    save_model(trainer, output_dir)
    trainer.save_metrics("train", train_result.metrics)
    trainer.save_state()
    validation_uar = trainer.state.best_metric
    logger.info("best checkpoint %s (validation UAR %s)", trainer.state.best_model_checkpoint, validation_uar)

    # test: every clip exactly once (Trainer gathers with gather_for_metrics, which drops DDP padding)
    prediction = trainer.predict(dd["test"], metric_key_prefix="test")
    predictions = np.asarray(prediction.predictions)
    if isinstance(prediction.predictions, (tuple, list)):
        predictions = np.asarray(prediction.predictions[0])
    y_pred = predictions.argmax(-1)
    y_true = np.asarray(prediction.label_ids)
    if len(y_true) != len(dd["test"]):
        raise RuntimeError(f"got {len(y_true)} test predictions for {len(dd['test'])} test clips")
    report = build_report(
        y_true, y_pred, labels, list(dd["test"]["speaker_id"]) if "speaker_id" in dd["test"].column_names else None
    )
    results: dict[str, Any] = {
        "test_uar": report["uar"],
        "test_accuracy": report["accuracy"],
        "test_macro_f1": report["macro_f1"],
        "test_per_class_recall": report["per_class_recall"],
        "test_support": report["support"],
        "test_confusion_matrix": report["confusion_matrix"],
        "test_per_speaker": report.get("per_speaker", {}),
        "test_num_samples": report["num_samples"],
        "test_loss": float(prediction.metrics.get("test_loss", float("nan"))),
        "labels": labels,
        "validation_uar": validation_uar,
        "best_step": trainer.state.best_global_step,
        "global_step": trainer.state.global_step,
        "planned_steps": progress.planned_steps,
        "stopped_early": progress.stopped_early,
        "early_stopping_patience": training_args.early_stopping_patience,
        "train_runtime": round(train_runtime, 2),
        "corpus": data_args.corpus,
        "split_seed": data_args.split_seed,
        "seed": training_args.seed,
        "speakers": {split: _speakers(ds) for split, ds in dd.items()},
        "clips": {split: len(ds) for split, ds in dd.items()},
        "model_summary": summary,
        "num_parameters": n_params,
        "num_processes": training_args.world_size,
    }
    logger.info(
        "test UAR %.4f, WA %.4f, macro-F1 %.4f over %d clips",
        results["test_uar"],
        results["test_accuracy"],
        results["test_macro_f1"],
        results["test_num_samples"],
    )

    if trainer.is_world_process_zero():
        os.makedirs(output_dir, exist_ok=True)
        write_json_atomic(os.path.join(output_dir, TEST_RESULTS), results)
        plot_confusion_matrix(
            report["confusion_matrix"],
            labels,
            os.path.join(output_dir, CONFUSION_PNG),
            title=f"{data_args.corpus} test (UAR {results['test_uar']:.3f})",
        )
        if write_card:
            _write_card(
                output_dir,
                data_args,
                training_args,
                model.config,
                dd,
                results,
                summary,
                n_params,
                n_trainable,
                command or _saved_config_command(output_dir, config),
                config,
            )
        if not training_args.keep_checkpoints:
            remove_checkpoints(output_dir)
        if push:
            push_to_hub(output_dir, training_args)
    training_args.push_to_hub = push
    results["test_predictions"] = y_pred.tolist()
    results["test_label_ids"] = y_true.tolist()
    return results


def save_model(trainer, output_dir: str) -> None:
    """Weights, config, feature extractor and model code (``Trainer.save_model``), without Trainer's pickled
    ``training_args.bin`` (``train_config.yaml`` holds the same, readable; hf-ser loads no pickles), and with
    the weights as readable as any file the user writes (safetensors writes them 0600)."""
    from transformers.trainer import TRAINING_ARGS_NAME

    trainer.save_model(output_dir)
    if not trainer.is_world_process_zero():
        return
    pickled = os.path.join(output_dir, TRAINING_ARGS_NAME)
    if os.path.isfile(pickled):
        os.remove(pickled)
    umask = os.umask(0)
    os.umask(umask)
    for name in os.listdir(output_dir):
        if name.endswith(".safetensors"):
            os.chmod(os.path.join(output_dir, name), 0o666 & ~umask)


def card_command(argv: list[str], prog: str | None = None) -> str:
    """The command line that re-runs this training, for the model card: the recipe as a path that works from
    the checkout or any folder (``recipes/...`` for a shipped one), then the overrides as given (no tokens, no
    resume: a fresh run)."""
    from .config import display_recipe, find_recipe

    if prog is None:
        script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
        prog = "accelerate launch recipes/train.py" if script == "train.py" else "hf-ser train"
    args = list(argv)
    words = [prog]
    if args and not args[0].startswith("-"):
        words.append(display_recipe(find_recipe(args.pop(0))))
    skip = False
    for token in args:
        key = token[2:].split("=", 1)[0].replace("-", "_") if token.startswith("--") else None
        if key is not None:
            skip = "token" in key or key == "resume_from_checkpoint"
        if not skip:
            words.append(token)
    import shlex

    return " ".join([prog, *(shlex.quote(w) for w in words[1:])])


def _saved_config_command(output_dir: str, config: dict[str, Any] | None) -> str:
    from .config import CONFIG_FILENAME

    return f"hf-ser train {os.path.join(output_dir, CONFIG_FILENAME)}" if config is not None else "hf-ser train RECIPE"


def _write_card(
    output_dir, data_args, training_args, config, dd, results, summary, n_params, n_trainable, command, recipe
) -> None:
    from ..model_card import SERModelCardData, framework_versions, write_model_card

    hyper_keys = [
        "learning_rate",
        "per_device_train_batch_size",
        "gradient_accumulation_steps",
        "num_train_epochs",
        "max_steps",
        "weight_decay",
        "warmup_steps",
        "lr_scheduler_type",
        "label_smoothing_factor",
        "seed",
        "class_weighting",
        "balanced_sampling",
        "early_stopping_patience",
    ]
    hyper = {}
    for key in hyper_keys:
        value = getattr(getattr(training_args, key), "value", getattr(training_args, key))
        if key == "warmup_steps":  # transformers reads a value below 1 as a fraction of the training steps
            key, value = "warmup", f"{value:g} of the training steps" if 0 < value < 1 else f"{int(value)} steps"
        hyper[key] = value
    hyper["train_batch_size (total)"] = training_args.per_device_train_batch_size * training_args.world_size
    hyper["num_processes"] = training_args.world_size
    for key in ("max_duration_seconds", "augment", "classes", "split_seed"):
        hyper[key] = getattr(data_args, key)
    split_table = [{"split": s, "speakers": len(_speakers(ds)), "clips": len(ds)} for s, ds in dd.items()]
    name = training_args.hub_model_id or os.path.basename(os.path.normpath(output_dir))
    data = SERModelCardData(
        model_name=name,
        corpus=data_args.corpus,
        labels=results["labels"],
        metrics=results,
        repo_id=training_args.hub_model_id,
        protocol_details=(
            f"Speakers are disjoint between training, validation and test (split seed {data_args.split_seed}, "
            f"test_size {data_args.test_size}, validation_size {data_args.validation_size} of the speakers); "
            + (
                "the best checkpoint is chosen on validation UAR and evaluated once on the test speakers."
                if training_args.load_best_model_at_end
                else f"a fixed budget of {training_args.num_train_epochs:g} epochs; the final model is evaluated "
                "once on the test speakers."
            )
        ),
        split_table=split_table,
        test_speakers=results["speakers"].get("test", []),
        validation_uar=results["validation_uar"],
        model_summary=summary,
        base_model=config.encoder_name_or_path if config.frontend == "encoder" else None,
        base_model_type=(config.encoder_config or {}).get("model_type") if config.frontend == "encoder" else None,
        num_parameters=n_params,
        num_trainable_parameters=n_trainable,
        sampling_rate=data_args.sampling_rate,
        hyperparameters=hyper,
        command=command,
        train_runtime=results["train_runtime"],
        hardware=_hardware(training_args),
        versions=framework_versions(),
    )
    write_model_card(data, output_dir)


def _hardware(training_args) -> str:
    import torch

    n = training_args.world_size
    if training_args.use_cpu or not torch.cuda.is_available():
        return f"{n} CPU process{'es' if n > 1 else ''} ({os.cpu_count()} cores, {socket.gethostname()})"
    return f"{n} × {torch.cuda.get_device_name(0)}"


# ------------------------------------------------------------------------------------------- hub
def push_to_hub(output_dir: str, training_args: SERTrainingArguments) -> str:
    """Create the repo (if needed) and upload the model folder, card and results — not the checkpoints."""
    from ..hub import push_model_folder

    repo_id = push_model_folder(
        output_dir,
        training_args.hub_model_id or os.path.basename(os.path.normpath(output_dir)),
        private=bool(training_args.hub_private_repo),
        token=training_args.hub_token,
        commit_message="Upload hf-ser model, model card and test results",
    )
    logger.info("pushed %s to the Hub as %s", output_dir, repo_id)
    return repo_id


# ------------------------------------------------------------------------------------------ main
def summary_table(results: dict[str, Any], output_dir: str) -> str:
    """The closing table of ``hf-ser train``: data, model, training, best checkpoint, test metrics, files."""
    from ..console import table

    def part(split: str) -> str:
        n_spk = len(results["speakers"].get(split, []))
        return f"{split} {results['clips'][split]} clips / {n_spk} speaker{'s' if n_spk != 1 else ''}"

    rows = [
        ("data", f"{results['corpus']}: " + ", ".join(part(s) for s in results["clips"])),
        ("model", f"{results['model_summary']}; {results['num_parameters']:,} parameters"),
    ]
    steps = f"{results['global_step']} of {results['planned_steps']} steps in {results['train_runtime']:.0f} s"
    if results["stopped_early"]:
        steps += f"; stopped early: no better validation UAR in {results['early_stopping_patience']} evaluations"
    rows.append(("training", steps))
    if results["validation_uar"] is not None:
        n_val = len(results["speakers"].get("validation", []))
        note = " (one speaker: a noisy choice)" if n_val == 1 else ""
        rows.append(
            (
                "best checkpoint",
                f"step {results['best_step']}, validation UAR {results['validation_uar']:.3f} on "
                f"{results['clips']['validation']} clips{note}",
            )
        )
    rows.append(
        (
            "test",
            f"UAR {results['test_uar']:.3f}  WA {results['test_accuracy']:.3f}  macro-F1 "
            f"{results['test_macro_f1']:.3f}  (held-out speakers)",
        )
    )
    rows.append(("saved", f"{output_dir}  (model card README.md, {TEST_RESULTS}, log {LOG_NAME})"))
    return table(rows)


def main(argv: list[str] | None = None) -> int:
    """``hf-ser train RECIPE.yaml [--key value ...]``; exit status 2 for a bad recipe or command line."""
    from .usage import print_train_help, usage_line

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(usage_line("hf-ser train"), file=sys.stderr)
        return 2
    if "--help-all" in argv:
        from .config import print_help

        print_help()
        return 0
    if any(a in ("-h", "--help") for a in argv):
        print_train_help()
        return 0
    from ..console import run_console
    from .config import ConfigError, build_arguments, load_config
    from .cv import CVPlan, cv_field_types, prepare_cache, split_cv_keys

    try:
        config, cv_args = split_cv_keys(load_config(argv, extra_fields=cv_field_types()))
        data_args, model_args, training_args = build_arguments(config)
        check_model_sources(model_args)
    except (ConfigError, ValueError, OSError) as e:
        print(f"hf-ser train: error: {e}", file=sys.stderr)
        return 2
    main_process = training_args.process_index == 0
    log_file = os.path.join(training_args.output_dir, LOG_NAME)
    try:
        with run_console(log_file, verbose=training_args.verbose, main_process=main_process):
            dd = load_data(data_args, training_args)
            # Cached front-end features when that is exact (frozen encoder, or MFCC/functionals without
            # waveform augmentation): computed once instead of every epoch. The main process fills the cache.
            plan = CVPlan("speaker split", None, [], list(dd["train"].features["emotion"].names), fixed_splits=dd)
            with training_args.main_process_first(desc="feature cache"):
                collator_factory, _ = prepare_cache(plan, data_args, model_args, training_args, cv_args)
            results = train(
                data_args,
                model_args,
                training_args,
                dataset=plan.fixed_splits,
                config=config,
                collator_factory=collator_factory,
                command=card_command(argv),
            )
    finally:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    if main_process:
        print(summary_table(results, training_args.output_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
