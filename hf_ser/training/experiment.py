"""One model on one fold: :class:`Experiment` (setup → train → evaluate → save).

``hf-ser train`` runs one Experiment on the protocol's single fold, ``hf-ser cv`` one per fold
(:mod:`hf_ser.training.cv`); both reach the data through :mod:`hf_ser.training.protocol` and decide about
the feature cache in :func:`prepare_cache`. Steps, as alignment-handbook's scripts: seed → resume → data →
model → train (best checkpoint by validation UAR, early stopping) → test evaluation → save (main process
only: model with its card, results, confusion matrix) → push to the Hub.

Features:
    * class-weighted cross-entropy (default) or class-balanced sampling; the loss is the model's own
      (:meth:`SERForAudioClassification.classify_frontend`), its class weights recorded in the saved config;
    * on-the-fly waveform augmentation and random crops for training clips only;
    * ``--resume_from_checkpoint PATH|true`` continues an interrupted run and ends with the same metrics as an
      uninterrupted one (RNG, sampler, early-stopping state are all restored; an incomplete checkpoint left by
      a kill is skipped for the previous complete one);
    * 1 process, N CPU processes over gloo or N GPUs under ``accelerate launch``; test metrics count every test
      clip exactly once (``gather_for_metrics`` drops the padding DDP adds).

Layout of ``output_dir``: the saved model, exactly what ``push_to_hub`` uploads (weights, config, feature
extractor, model code, model card, ``train_config.yaml``, test results, confusion matrix, ``train.log``), and
while it trains, Trainer's ``output_dir/checkpoint-N`` folders (with optimizer states, for
``--resume_from_checkpoint``), deleted once the model is saved unless ``keep_checkpoints: true``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import time
from typing import Any

from ..evaluation import CONFUSION_PNG, build_report, plot_confusion_matrix
from ..files import write_json_atomic
from .config import RunArguments
from .protocol import Protocol, ProtocolError

logger = logging.getLogger(__name__)

TEST_RESULTS = "test_results.json"
_TRUE = ("true", "1", "yes", "last")


# ---------------------------------------------------------------------------------------- resume
def checkpoints(folder: str) -> list[str]:
    """Trainer's ``folder/checkpoint-N`` folders, oldest first."""
    if not os.path.isdir(folder):
        return []
    found = [os.path.join(folder, n) for n in os.listdir(folder) if n.startswith("checkpoint-")]
    return sorted((p for p in found if p.split("-")[-1].isdigit()), key=lambda p: int(p.split("-")[-1]))


def checkpoint_is_complete(path: str) -> bool:
    """Trainer writes ``trainer_state.json`` last: a checkpoint without it was interrupted mid-save."""
    try:
        with open(os.path.join(path, "trainer_state.json"), encoding="utf-8") as f:
            json.load(f)
    except (OSError, ValueError):
        return False
    return True


def resolve_resume_checkpoint(value: str | bool | None, output_dir: str) -> str | None:
    """``true``/``last`` → the newest complete ``output_dir/checkpoint-N``; a path → that
    checkpoint, or, if it was cut short by a kill, the newest complete one before it (with a warning)."""
    if value in (None, False, "", "false", "False", "none", "None"):
        return None
    if value is True or str(value).lower() in _TRUE:
        complete = [c for c in checkpoints(output_dir) if checkpoint_is_complete(c)]
        if not complete:
            raise ValueError(f"resume_from_checkpoint=true but {output_dir} holds no complete checkpoint")
        return complete[-1]
    path = str(value)
    if not os.path.isdir(path):
        raise ValueError(f"resume_from_checkpoint: no checkpoint folder {path}")
    if checkpoint_is_complete(path):
        return path
    step = int(path.rstrip("/").split("-")[-1]) if path.rstrip("/").split("-")[-1].isdigit() else None
    earlier = [c for c in checkpoints(os.path.dirname(os.path.abspath(path))) if checkpoint_is_complete(c)]
    if step is not None:
        earlier = [c for c in earlier if int(c.split("-")[-1]) < step]
    if not earlier:
        raise ValueError(f"resume_from_checkpoint: {path} is incomplete (no trainer_state.json) and no earlier one")
    logger.warning("%s is incomplete (interrupted while saving); resuming from %s instead", path, earlier[-1])
    return earlier[-1]


# ----------------------------------------------------------------------------------------- model
def build_model(args: RunArguments, labels: list[str]):
    """``(model, feature_extractor)`` for the recipe: a new SERForAudioClassification, or a saved one."""
    from ..labels import id2label, label2id
    from ..modeling import SERForAudioClassification, feature_extractor_for
    from .arguments import model_config

    model_args = args.model
    names = {"num_labels": len(labels), "id2label": id2label(labels), "label2id": label2id(labels)}
    if model_args.model_name_or_path:
        from transformers import AutoFeatureExtractor

        source = model_args.model_name_or_path
        model = SERForAudioClassification.from_pretrained(source, use_safetensors=True)
        saved_labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        if model.adopt_labels(labels) == "reinitialised":
            logger.warning(
                "model_name_or_path: %s was trained on classes %s, this run's classes are %s: its classifier is "
                "re-initialised (kept, it would silently relabel every prediction)",
                source,
                saved_labels,
                labels,
            )
        feature_extractor = AutoFeatureExtractor.from_pretrained(source)
    else:
        model = SERForAudioClassification(model_config(args.data, model_args, **names))
        kwargs = {} if model_args.do_normalize is None else {"do_normalize": model_args.do_normalize}
        feature_extractor = feature_extractor_for(model.config, **kwargs)
    if model_args.use_lora:
        from ..modeling.lora import apply_lora

        lora_kwargs = dict(r=model_args.lora_r, alpha=model_args.lora_alpha, dropout=model_args.lora_dropout)
        if model_args.lora_target_modules:
            lora_kwargs["target_modules"] = list(model_args.lora_target_modules)
        model = apply_lora(model, **lora_kwargs)
    return model, feature_extractor


# ----------------------------------------------------------------------------------------- cache
def prepare_cache(protocol: Protocol, args: RunArguments):
    """``(collator_factory or None, cache info for the results)``: whether training on cached front-end features
    is exact (frozen encoder, or MFCC/functionals without waveform augmentation) and, if so, fill the cache once,
    before any fold trains. The only place that decides about the cache."""
    from transformers import set_seed

    from .cache import (
        KEY_COLUMN,
        FeatureCache,
        add_feature_keys,
        cached_collator_factory,
        speaker_statistics,
        uncacheable_reason,
    )

    options, training_args = args.protocol, args.training
    if options.cache_features == "false":
        return None, {"enabled": False, "reason": "cache_features: false"}
    set_seed(training_args.seed)  # the same initial weights as each fold's model (random-init encoders)
    model, feature_extractor = build_model(args, protocol.labels)
    reason = uncacheable_reason(model, args.data)
    if reason is None and args.model.use_lora:
        reason = "LoRA adapts the encoder"
    if reason:
        if options.cache_features == "true":
            raise ProtocolError(
                f"cache_features: true, but training on cached features would change the results: {reason}"
            )
        if options.speaker_normalization != "none":
            raise ProtocolError(f"speaker_normalization needs cached features, which are off here: {reason}")
        logger.info("not caching front-end features: %s", reason)
        return None, {"enabled": False, "reason": reason}
    cache = FeatureCache.for_model(model, options.cache_dir, options.cache_dtype)
    protocol.map_splits(add_feature_keys)  # number the clips by audio hash wherever the folds look them up
    clips = protocol.all_clips(["audio", "speaker_id", KEY_COLUMN])
    keys = clips[KEY_COLUMN]
    compute = functools.partial(
        cache.compute,
        model,
        feature_extractor,
        sampling_rate=args.data.sampling_rate,
        batch_size=max(1, training_args.per_device_eval_batch_size // 2),
        progress=not training_args.disable_tqdm,
    )
    compute(clips["audio"], keys)
    if args.data.speed_perturbation:  # speed-perturbed copies of every clip some fold trains on
        train = protocol.training_clips(include_validation=options.inner_folds is not None)
        for factor in args.data.speed_perturbation:
            compute(train["audio"], train[KEY_COLUMN], speed=factor)
    del model
    speaker_stats = None
    if options.speaker_normalization == "speaker_z":
        speaker_stats = speaker_statistics(cache, keys, clips["speaker_id"])
        logger.info("per-speaker z normalisation over %d speakers (transductive)", len(speaker_stats))
    info = {"enabled": True, "directory": cache.directory, "dtype": cache.dtype, **cache.stats.to_dict()}
    return cached_collator_factory(cache, speaker_stats), info


# ------------------------------------------------------------------------------------ experiment
def _speakers(ds) -> list[str]:
    return sorted(set(ds["speaker_id"])) if "speaker_id" in ds.column_names else []


class Experiment:
    """Train one model on one fold's ``DatasetDict`` and test it once.

    ``collator_factory``: ``(model, feature_extractor) -> (train_collator, eval_collator)`` replacing the waveform
    collators (training on cached features, :func:`prepare_cache`). ``card``: write the model card with the model
    (``save_pretrained`` writes it, so a user's own ``push_to_hub`` uploads it too). Logging is the caller's
    (:func:`hf_ser.console.run_console`). ``record``: more entries for ``test_results.json`` (the inner CV's choice).
    """

    def __init__(
        self,
        args: RunArguments,
        fold,
        *,
        protocol: Protocol,
        training_args: Any = None,
        collator_factory: Any = None,
        callbacks: list | None = None,
        card: bool = True,
        progress_description: str = "training",
        keep_progress_bar: bool = True,
        record: dict[str, Any] | None = None,
    ) -> None:
        self.args = args
        self.training_args = training_args or args.training
        self.fold = fold
        self.protocol = protocol
        self.collator_factory = collator_factory
        self.callbacks = list(callbacks or [])
        self.card = card
        self.progress_description = progress_description
        self.keep_progress_bar = keep_progress_bar
        self.record = dict(record or {})
        self.output_dir = self.training_args.output_dir

    def run(self) -> dict[str, Any]:
        self.setup()
        self.train()
        results = self.evaluate()
        self.save(results)
        return results

    # -------------------------------------------------------------------------------- setup
    def setup(self) -> None:
        """Seed, resume point, splits, model, loss weights, collators, Trainer."""
        import numpy as np
        import torch
        from transformers import EarlyStoppingCallback, IntervalStrategy, PrinterCallback, ProgressCallback, set_seed

        from ..features.augment import WaveformAugmenter
        from ..metrics import compute_metrics
        from .trainer import (
            EpochSeededDataset,
            EpochSetter,
            SERDataCollator,
            SERTrainer,
            StageProgress,
            balanced_class_weights,
            balanced_sample_weights,
        )

        data_args, training_args = self.args.data, self.training_args
        set_seed(training_args.seed)
        self.resume = resolve_resume_checkpoint(training_args.resume_from_checkpoint, self.output_dir)
        needs_validation = bool(training_args.load_best_model_at_end or training_args.early_stopping_patience)
        dd = self.dataset = self._splits(self.fold, needs_validation)
        if "validation" not in dd:
            training_args.eval_strategy = IntervalStrategy.NO
        labels = self.labels = list(dd["train"].features["emotion"].names)
        sr = data_args.sampling_rate
        for split, ds in dd.items():
            logger.info("%s: %d clips, %d speakers", split, len(ds), len(_speakers(ds)))
        if "validation" in dd and len(_speakers(dd["validation"])) < 2:
            logger.info(
                "the best checkpoint is chosen on %d validation clips from %d speaker(s): a noisy choice",
                len(dd["validation"]),
                len(_speakers(dd["validation"])),
            )

        model, feature_extractor = build_model(self.args, labels)
        train_labels = np.asarray(dd["train"]["emotion"], dtype=np.int64)
        if training_args.class_weighting == "balanced":
            model.set_class_weights(balanced_class_weights(train_labels, len(labels)))
            logger.info("class weights: %s", dict(zip(labels, model.config.class_weights, strict=True)))
        model.config.label_smoothing = float(training_args.label_smoothing_factor)
        sample_weights = balanced_sample_weights(train_labels) if training_args.balanced_sampling else None
        if self.collator_factory is not None:
            train_collator, eval_collator = self.collator_factory(model, feature_extractor)
        else:
            augmenter = WaveformAugmenter.from_data_args(data_args) if data_args.augment else None
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
        self.progress = StageProgress(
            self.progress_description, disable=training_args.disable_tqdm, leave=self.keep_progress_bar
        )
        callbacks = [EpochSetter(train_dataset, training_args.gradient_accumulation_steps), self.progress]
        if self.card:
            from ..model_card import ModelCardCallback

            callbacks.append(ModelCardCallback(self._card_data(model, dd)))
        callbacks += self.callbacks
        if training_args.early_stopping_patience:
            callbacks.append(
                EarlyStoppingCallback(training_args.early_stopping_patience, training_args.early_stopping_threshold)
            )
        # The Hub upload happens once at the end (model + card + results), not from every checkpoint.
        self.push = bool(training_args.push_to_hub)
        training_args.push_to_hub = False
        self.trainer = SERTrainer(
            model=model,
            args=training_args,
            train_dataset=train_dataset,
            eval_dataset=dd.get("validation"),
            data_collator=train_collator,
            eval_data_collator=eval_collator,
            processing_class=feature_extractor,
            compute_metrics=compute_metrics,
            callbacks=callbacks,
            sample_weights=sample_weights,
        )
        for default_progress in (ProgressCallback, PrinterCallback):  # StageProgress replaces them
            self.trainer.remove_callback(default_progress)

    def _splits(self, dd, needs_validation: bool):
        """Check splits, carve a validation set when there are no validation speakers and one is needed (best
        checkpoint, early stopping), apply debug caps and speed perturbation. A fixed epoch budget needs none:
        then every training clip is trained on and nothing is evaluated during training."""
        import datasets

        data_args, seed = self.args.data, self.training_args.seed
        missing = [s for s in ("train", "test") if s not in dd]
        if missing:
            raise ValueError(f"the dataset needs train and test splits; it has {list(dd)}")
        if "emotion" not in dd["train"].column_names or "audio" not in dd["train"].column_names:
            raise ValueError(f"columns 'audio' and 'emotion' are required; found {dd['train'].column_names}")
        if self.collator_factory is not None:
            # The cached collators read only these columns: without the audio bytes, building speed copies and
            # fetching rows every step is cheap (an inner CV trains many models per fold).
            from .cache import KEY_COLUMN

            keep = [c for c in (KEY_COLUMN, "emotion", "speaker_id") if c in dd["train"].column_names]
            dd = datasets.DatasetDict({split: ds.select_columns(keep) for split, ds in dd.items()})
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
        if data_args.speed_perturbation:
            from ..features.augment import add_speed_perturbed_copies

            n = len(train_ds)
            train_ds = add_speed_perturbed_copies(train_ds, data_args.speed_perturbation)
            logger.info(
                "speed perturbation x%s: %d -> %d training clips", data_args.speed_perturbation, n, len(train_ds)
            )
        splits = {"train": train_ds, "validation": val_ds, "test": test_ds}
        return datasets.DatasetDict({k: v for k, v in splits.items() if v is not None})

    def _card_data(self, model, dd):
        from ..model_card import SERModelCardData, hardware, model_summary

        data_args, training_args = self.args.data, self.training_args
        if self.protocol.fixed_splits is not None and not self.args.protocol.test_corpus:
            details = (
                f"Speakers are disjoint between training, validation and test (split seed {data_args.split_seed}, "
                f"test_size {data_args.test_size}, validation_size {data_args.validation_size} of the speakers); "
            )
        else:
            details = f"{self.protocol.description}; "
        details += (
            "the best checkpoint is chosen on validation UAR and evaluated once on the test speakers."
            if training_args.load_best_model_at_end
            else f"a fixed budget of {training_args.num_train_epochs:g} epochs; the final model is evaluated "
            "once on the test speakers."
        )
        inner = self.record.get("inner_cv")
        if inner:
            from .config import point_name

            details += (
                f" {', '.join(inner['chosen'])} chosen by a {inner['num_folds']}-fold speaker-grouped inner CV on the "
                f"training speakers only: {point_name(inner['chosen'])}."
            )
        config = model.config
        encoder = config.frontend == "encoder"
        return SERModelCardData(
            model_name=training_args.hub_model_id or os.path.basename(os.path.normpath(self.output_dir)),
            corpus=data_args.corpus,
            labels=self.labels,
            metrics={},
            repo_id=training_args.hub_model_id,
            protocol=self.protocol.description,
            protocol_details=details,
            split_table=[{"split": s, "speakers": len(_speakers(ds)), "clips": len(ds)} for s, ds in dd.items()],
            test_speakers=_speakers(dd["test"]),
            model_summary=model_summary(config),
            base_model=config.encoder_name_or_path if encoder else None,
            base_model_type=(config.encoder_config or {}).get("model_type") if encoder else None,
            num_parameters=sum(p.numel() for p in model.parameters()),
            num_trainable_parameters=sum(p.numel() for p in model.parameters() if p.requires_grad),
            sampling_rate=data_args.sampling_rate,
            recipe={k: getattr(data_args, k) for k in ("max_duration_seconds", "augment", "classes", "split_seed")},
            command=self.args.command,
            hardware=hardware(training_args),
        )

    # -------------------------------------------------------------------------------- train
    def train(self) -> None:
        from ..model_card import model_summary

        trainer, model = self.trainer, self.trainer.model
        n_params = sum(p.numel() for p in model.parameters())
        n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        logger.info(
            "model: %s; %s parameters, %s trainable", model_summary(model.config), f"{n_params:,}", f"{n_trainable:,}"
        )
        start = time.time()
        self.train_result = trainer.train(resume_from_checkpoint=self.resume)
        self.train_runtime = time.time() - start
        if self.args.model.use_lora:
            # Fold the adapters into the encoder: the saved model is a plain, self-contained SERForAudioClassification.
            from ..modeling.lora import merge_lora

            merged = merge_lora(trainer.accelerator.unwrap_model(trainer.model))
            merged.card_data = getattr(model, "card_data", None)
            trainer.model = trainer.model_wrapped = merged
        logger.info(
            "best checkpoint %s (validation UAR %s)", trainer.state.best_model_checkpoint, trainer.state.best_metric
        )

    # ----------------------------------------------------------------------------- evaluate
    def evaluate(self) -> dict[str, Any]:
        """The test split, every clip exactly once (Trainer gathers with gather_for_metrics, which drops DDP
        padding): the dict written to ``test_results.json``, plus ``test_predictions`` and ``test_label_ids``."""
        import numpy as np

        from ..model_card import model_summary

        trainer, dd, state = self.trainer, self.dataset, self.trainer.state
        prediction = trainer.predict(dd["test"], metric_key_prefix="test")
        logits = prediction.predictions
        y_pred = np.asarray(logits[0] if isinstance(logits, (tuple, list)) else logits).argmax(-1)
        y_true = np.asarray(prediction.label_ids)
        if len(y_true) != len(dd["test"]):
            raise RuntimeError(f"got {len(y_true)} test predictions for {len(dd['test'])} test clips")
        test = dd["test"]
        report = build_report(
            y_true, y_pred, self.labels, list(test["speaker_id"]) if "speaker_id" in test.column_names else None
        )
        model = trainer.model
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
            "labels": self.labels,
            "validation_uar": state.best_metric,
            "best_step": state.best_global_step,
            "global_step": state.global_step,
            "planned_steps": self.progress.planned_steps,
            "stopped_early": self.progress.stopped_early,
            "early_stopping_patience": self.training_args.early_stopping_patience,
            "train_runtime": round(self.train_runtime, 2),
            "corpus": self.args.data.corpus,
            "protocol": self.protocol.description,
            "split_seed": self.args.data.split_seed,
            "seed": self.training_args.seed,
            "speakers": {split: _speakers(ds) for split, ds in dd.items()},
            "clips": {split: len(ds) for split, ds in dd.items()},
            "model_summary": model_summary(model.config),
            "num_parameters": sum(p.numel() for p in model.parameters()),
            "num_processes": self.training_args.world_size,
            **self.record,
        }
        logger.info(
            "test UAR %.4f, WA %.4f, macro-F1 %.4f over %d clips",
            results["test_uar"],
            results["test_accuracy"],
            results["test_macro_f1"],
            results["test_num_samples"],
        )
        card_data = getattr(model, "card_data", None)
        if card_data is not None:
            card_data.set_results(results)
        results["test_predictions"] = y_pred.tolist()
        results["test_label_ids"] = y_true.tolist()
        return results

    # --------------------------------------------------------------------------------- save
    def save(self, results: dict[str, Any]) -> None:
        """The model (with its card), Trainer's metrics and state, test results and the confusion matrix; then
        the checkpoints go (unless kept) and the folder is pushed when asked."""
        from transformers.trainer import TRAINING_ARGS_NAME

        trainer, output_dir = self.trainer, self.output_dir
        trainer.save_model(output_dir)
        trainer.save_metrics("train", self.train_result.metrics)
        trainer.save_state()
        if trainer.is_world_process_zero():
            # Trainer's pickled arguments: train_config.yaml holds the same, readable (hf-ser loads no pickles).
            pickled = os.path.join(output_dir, TRAINING_ARGS_NAME)
            if os.path.isfile(pickled):
                os.remove(pickled)
            umask = os.umask(0)
            os.umask(umask)
            for name in os.listdir(output_dir):  # as readable as any file the user writes (safetensors: 0600)
                if name.endswith(".safetensors"):
                    os.chmod(os.path.join(output_dir, name), 0o666 & ~umask)
            saved = {k: v for k, v in results.items() if k not in ("test_predictions", "test_label_ids")}
            write_json_atomic(os.path.join(output_dir, TEST_RESULTS), saved)
            plot_confusion_matrix(
                results["test_confusion_matrix"],
                self.labels,
                os.path.join(output_dir, CONFUSION_PNG),
                title=f"{results['corpus']} test (UAR {results['test_uar']:.3f})",
            )
            if not self.training_args.keep_checkpoints:
                for path in checkpoints(output_dir):
                    shutil.rmtree(path, ignore_errors=True)
            if self.push:
                from ..hub import push_model_folder

                repo_id = push_model_folder(
                    output_dir,
                    self.training_args.hub_model_id or os.path.basename(os.path.normpath(output_dir)),
                    private=bool(self.training_args.hub_private_repo),
                    token=self.training_args.hub_token,
                    commit_message="Upload hf-ser model, model card and test results",
                )
                logger.info("pushed %s to the Hub as %s", output_dir, repo_id)
        self.training_args.push_to_hub = self.push
