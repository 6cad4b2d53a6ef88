"""``SERTrainer``: ``transformers.Trainer`` with class-weighted loss or class-balanced sampling, and
the collator that decodes, crops and augments audio on the fly.

SER corpora are imbalanced (EMO-DB has 127 anger clips and 46 disgust clips), and UAR — the metric
checkpoints are selected on — weights every class equally, so the loss should too. Two options:
``class_weighting="balanced"`` (cross-entropy weights ``n / (k * count_c)``, as scikit-learn's
``compute_class_weight``, set on the model: ``model.set_class_weights``) or ``balanced_sampling=True``
(draw clips with probability ``1 / count_c``).

``StageProgress`` replaces Trainer's progress bar and printed logs with one bar per run (the console stays
readable; the logs go to the run's log file, :mod:`hf_ser.console`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from datasets import ClassLabel, Value
from sklearn.utils.class_weight import compute_class_weight
from torch.utils.data import Sampler
from transformers import Trainer, TrainerCallback

from ..audio import DEFAULT_SAMPLING_RATE, decode_audio_field
from ..features.augment import SPEED_COLUMN, WaveformAugmenter, change_speed

logger = logging.getLogger(__name__)


def balanced_class_weights(labels: Sequence[int], num_classes: int) -> torch.Tensor:
    """``n_samples / (n_classes * count_c)`` for the classes present; absent classes get weight 0."""
    labels = np.asarray(labels, dtype=np.int64)
    present = np.unique(labels)
    weights = np.zeros(num_classes, dtype=np.float32)
    weights[present] = compute_class_weight("balanced", classes=present, y=labels)
    return torch.from_numpy(weights)


class EpochSeededWeightedSampler(Sampler[int]):
    """``WeightedRandomSampler`` (with replacement) whose draws depend only on ``(seed, epoch)``.

    ``set_epoch`` is called by accelerate's data loader each epoch, so a resumed run redraws the
    exact sequence of the epoch it stopped in and skips the batches it already trained on.
    """

    def __init__(self, weights: Sequence[float], num_samples: int, seed: int = 0) -> None:
        self.weights = torch.as_tensor(weights, dtype=torch.double)
        self.num_samples = num_samples
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        yield from torch.multinomial(self.weights, self.num_samples, replacement=True, generator=generator).tolist()

    def __len__(self) -> int:
        return self.num_samples


class SERTrainer(Trainer):
    """Trainer that trains on the model's own (class-weighted, label-smoothed) loss, with optional balanced
    sampling and a deterministic collator for validation/test."""

    # compute_loss returns a per-batch mean: Trainer divides it by the gradient accumulation steps.
    loss_is_scaled_for_ga = False

    def __init__(
        self,
        *args: Any,
        sample_weights: Sequence[float] | None = None,
        eval_data_collator: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sample_weights = sample_weights
        self.eval_data_collator = eval_data_collator

    @contextlib.contextmanager
    def _eval_collator(self):
        """Validation/test batches use the deterministic collator (no crop, no augmentation)."""
        if self.eval_data_collator is None:
            yield
            return
        train_collator, self.data_collator = self.data_collator, self.eval_data_collator
        try:
            yield
        finally:
            self.data_collator = train_collator

    def get_eval_dataloader(self, eval_dataset=None):
        with self._eval_collator():
            return super().get_eval_dataloader(eval_dataset)

    def get_test_dataloader(self, test_dataset):
        with self._eval_collator():
            return super().get_test_dataloader(test_dataset)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """The model's own loss (class weights and label smoothing live in its config: one loss path, and the
        saved config records what training used); Trainer's label smoother would drop the class weights."""
        outputs = model(**inputs)
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs[0]
        return (loss, outputs) if return_outputs else loss

    def _get_train_sampler(self, train_dataset=None):
        if self.sample_weights is None:
            return super()._get_train_sampler(train_dataset)
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        return EpochSeededWeightedSampler(self.sample_weights, len(dataset), seed=self.args.seed)


def balanced_sample_weights(labels: Sequence[int]) -> list[float]:
    """Per-clip sampling weight ``1 / count(class)``: each class is drawn equally often on average."""
    labels = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(labels)
    return (1.0 / counts[labels]).tolist()


class EpochSeededDataset(torch.utils.data.Dataset):
    """Training rows plus a per-clip seed that depends only on ``(seed, epoch, index)``.

    Crops and augmentation draw from it, so a clip is transformed the same way in a resumed run as in
    an uninterrupted one, whatever order batches are prefetched in (the global RNG cannot promise
    that: the data loader collates the next batch before Trainer restores a checkpoint's RNG state).
    ``set_epoch`` is called by accelerate's loader and by :class:`EpochSetter` at every epoch start.
    """

    SEED_KEY = "_augment_seed"

    def __init__(self, dataset: Any, seed: int) -> None:
        self.dataset = dataset
        self.seed = int(seed)
        self.epoch = 0
        # Rows of scalars only (cached features: key, label, speaker) are read once: fetching Arrow rows one at
        # a time costs about as much as a cached head's whole training step.
        features = getattr(dataset, "features", None)
        scalar = features is not None and all(isinstance(f, (Value, ClassLabel)) for f in features.values())
        self._rows = dataset.to_list() if scalar else None

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.dataset)

    def _seed(self, index: int) -> int:
        return int(np.random.SeedSequence([self.seed, self.epoch, int(index)]).generate_state(1)[0])

    def __getitem__(self, index: int) -> dict[str, Any]:
        row = dict(self._rows[int(index)] if self._rows is not None else self.dataset[int(index)])
        row[self.SEED_KEY] = self._seed(index)
        return row

    def __getitems__(self, indices: list[int]) -> list[dict[str, Any]]:
        # torch's DataLoader fetches whole batches through __getitems__ when it exists; never let it reach
        # the wrapped datasets.Dataset's own (which would drop the seeds).
        return [self[i] for i in indices]

    @property
    def column_names(self) -> list[str]:
        return list(self.dataset.column_names)

    def __getattr__(self, name: str) -> Any:  # features, etc. of the wrapped datasets.Dataset
        if name == "dataset" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dataset, name)


class EpochSetter(TrainerCallback):
    """Tell an :class:`EpochSeededDataset` which epoch starts (also under DDP, where accelerate's loader
    only forwards ``set_epoch`` to the sampler). Resuming mid-epoch recomputes the same epoch."""

    def __init__(self, dataset: EpochSeededDataset, gradient_accumulation_steps: int = 1) -> None:
        self.dataset = dataset
        self.gradient_accumulation_steps = max(1, int(gradient_accumulation_steps))

    def on_epoch_begin(self, args, state, control, train_dataloader=None, **kwargs):
        if train_dataloader is not None and len(train_dataloader) > 0:
            steps_per_epoch = max(1, -(-len(train_dataloader) // self.gradient_accumulation_steps))
            self.dataset.set_epoch(state.global_step // steps_per_epoch)
        return control


@dataclass
class SERDataCollator:
    """Decode ``audio`` cells, crop/augment (training only), run the feature extractor, add ``labels``.

    Training randomness (crop offsets, augmentation) comes from each row's ``_augment_seed``
    (:class:`EpochSeededDataset`: a function of seed, epoch and clip index), so runs are repeatable
    and a resumed run sees the same clips as an uninterrupted one. Rows without it fall back to a
    seed drawn from torch's global RNG.
    """

    feature_extractor: Any
    sampling_rate: int = DEFAULT_SAMPLING_RATE
    training: bool = False
    max_duration_seconds: float | None = None
    augmenter: WaveformAugmenter | None = None
    label_column: str = "emotion"
    audio_column: str = "audio"

    def _decode(self, row: dict[str, Any]) -> np.ndarray:
        wave = decode_audio_field(row[self.audio_column], self.sampling_rate)
        return change_speed(wave, float(row.get(SPEED_COLUMN) or 1.0))

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        waves = [self._decode(r) for r in rows]
        max_len = int(round(self.max_duration_seconds * self.sampling_rate)) if self.max_duration_seconds else None
        if self.training:
            key = EpochSeededDataset.SEED_KEY
            fallback = None if all(key in r for r in rows) else int(torch.randint(0, 2**31 - 1, (1,)).item())
            out = []
            for i, (row, w) in enumerate(zip(rows, waves, strict=True)):
                rng = np.random.default_rng(row[key] if fallback is None else [fallback, i])
                if self.augmenter is not None:
                    w = self.augmenter(w, rng)
                if max_len is not None and len(w) > max_len:
                    start = int(rng.integers(0, len(w) - max_len + 1))
                    w = w[start : start + max_len]
                out.append(w)
            waves = out
        elif max_len is not None:
            waves = [w[:max_len] for w in waves]
        batch = self.feature_extractor(
            waves, sampling_rate=self.sampling_rate, padding=True, return_attention_mask=True, return_tensors="pt"
        )
        if self.label_column in rows[0]:
            batch["labels"] = torch.tensor([int(r[self.label_column]) for r in rows], dtype=torch.long)
        return dict(batch)


class StageProgress(TrainerCallback):
    """One progress bar for training (the latest and best validation UAR beside it) instead of Trainer's bar,
    its nested evaluation bars and its printed log dicts, which go to the log file instead. Notes whether
    training ended early, and why, for the closing summary."""

    def __init__(self, description: str = "training", disable: bool = False, leave: bool = True) -> None:
        self.description = description
        self.disable = disable
        self.leave = leave
        self.bar = None
        self.stopped_early = False
        self.planned_steps = 0
        self.best: float | None = None

    def on_train_begin(self, args, state, control, **kwargs):
        from tqdm.auto import tqdm

        self.planned_steps = state.max_steps
        if state.is_world_process_zero:
            self.bar = tqdm(
                total=state.max_steps,
                initial=state.global_step,
                desc=self.description,
                unit="step",
                disable=self.disable,
                leave=self.leave,
                dynamic_ncols=True,
            )

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        metrics = metrics or {}
        if "eval_uar" in metrics:
            logger.info("step %d: validation %s", state.global_step, _fmt(metrics))
            # Trainer updates state.best_metric only when it saves the checkpoint, after this call.
            seen = [v for v in (self.best, state.best_metric, metrics["eval_uar"]) if v is not None]
            self.best = max(seen)
            if self.bar is not None:
                self.bar.set_postfix_str(f"val UAR {metrics['eval_uar']:.3f}, best {self.best:.3f}", refresh=False)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs and not any(k.startswith(("eval_", "test_")) for k in logs):
            logger.info("step %d: %s", state.global_step, _fmt(logs))

    def on_train_end(self, args, state, control, **kwargs):
        self.stopped_early = 0 < state.global_step < state.max_steps
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _fmt(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items())
