"""On-disk cache of front-end features, so heads train on them across epochs and CV folds.

A frozen encoder (or an MFCC / log-mel front end without waveform augmentation) maps each clip to
the same features every time it is seen. Cross-validation would run it ``epochs x folds`` times per
clip; the cache runs it once per clip and corpus — and a second run, or another recipe with the
same front end, runs it zero times.

Layout: ``<cache_dir>/<frontend fingerprint>/fingerprint.json`` describes the front end, and
``<cache_dir>/<fingerprint>/<aa>/<audio hash>.npy`` holds one clip's features, cut to its real
frames: ``[T, D]`` (MFCC / log-mel, single encoder layer) or ``[L, T, D]`` (the selected encoder
hidden states, for a layer combination; ``[L, 1, D]`` with ``encoder_pooling: mean``). The
fingerprint covers everything the features depend on: the front-end config fields, the selected
layers, the sampling rate, the storage dtype, the front end's weights and buffers (so a randomly
initialised test encoder with another seed never reuses the wrong features) and the source of
``hf_ser/modeling/frontends.py``. Clips are keyed by the SHA-256 of their decoded 16-bit WAV bytes,
so the same clip in two corpora is computed once; speed-perturbed training copies
(``speed_perturbation``) by ``<audio hash>-speed<factor>``.

``cache_dir`` default: ``$HF_SER_CACHE`` or ``~/.cache/hf_ser/features``.

Crash and concurrency safety: every entry is written under a temporary name and renamed into place, so a
killed run leaves whole entries or none; an entry whose size does not match its own ``.npy`` header (cut short
by a full disk or a copy) is treated as missing and recomputed. Fillers of one fingerprint take an exclusive
``flock`` on ``<fingerprint>/.lock`` and look again at what is missing once they hold it, so two ``hf-ser cv``
runs started together compute each clip once and both train on complete entries. A cache that cannot be
written (disk full, read-only) raises :class:`FeatureCacheError` naming the folder and the way out.
``hf-ser cache info|verify|prune`` (:mod:`hf_ser.cache_cli`) inspects, checks and cleans the cache.

Training on the cache (:class:`CachedFeatureCollator`) feeds the model's ``classify_frontend``
exactly what ``compute_frontend`` would have given inside ``forward`` (zero padding, frame mask),
so with ``float32`` storage the metrics equal those of uncached training on the same seed;
``float16`` (the default for encoders) halves the disk and memory cost at a ~1e-3 relative error.

Per-speaker standardisation (``speaker_normalization: speaker_z``) is applied here too: every
speaker's frames are standardised with that speaker's own mean/std, computed from its own
unlabelled clips. In leave-one-speaker-out this uses the test speaker's (unlabelled) audio — a
legitimate, *transductive* protocol that must be reported as such.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..audio import decode_audio_field
from ..modeling.frontends import autocast_dtype
from .cache_store import (
    FINGERPRINT_FILE,
    TEMP_MARKER,
    FeatureCacheError,
    default_cache_dir,
    directory_lock,
    entry_is_complete,
    write_error,
)
from .trainer import EpochSeededDataset

logger = logging.getLogger(__name__)

CACHE_VERSION = 1
KEY_COLUMN = "feature_key"
CACHE_DTYPES = ("auto", "float16", "float32")
SPEAKER_NORMALIZATIONS = ("none", "speaker_z")
# SERConfig fields that change what `compute_frontend` returns (the head's fields do not).
_FRONTEND_FIELDS = (
    "frontend",
    "level_normalization",
    "sampling_rate",
    "n_mfcc",
    "n_mels",
    "n_fft",
    "win_length_ms",
    "hop_length_ms",
    "f_min",
    "f_max",
    "deltas",
    "feature_normalization",
    "functionals_pitch_threshold",
    "functionals_energy_threshold",
    "functionals_floor_db",
    "functionals_f0_min",
    "functionals_f0_max",
    "encoder_name_or_path",
    "layer_combination",
    "encoder_layers",
    "encoder_pooling",
    "whisper_input",
    "whisper_pad_seconds",
)


# ------------------------------------------------------------------------------------- cacheability
def uncacheable_reason(model: Any, data_args: Any | None = None) -> str | None:
    """Why training on cached features would *not* equal normal training (``None``: it would).

    The cache holds one feature tensor per clip, so everything that changes a clip's front-end
    output from one step to the next rules it out: a trainable encoder (fine-tuning, LoRA), waveform
    augmentation, random training crops, and cutting evaluation clips (cut waveforms do not give
    cut features once the features are normalised per utterance). SpecAugment and everything after
    the front end run in ``classify_frontend`` and stay on.
    """
    if getattr(model, "encoder", None) is not None and model.encoder_is_trainable():
        return "the encoder is trained (not frozen), so its features change at every step"
    if hasattr(model, "can_cache_frontend") and not model.can_cache_frontend():
        return "the front end has trainable parameters"
    if data_args is not None:
        if getattr(data_args, "augment", False):
            return "waveform augmentation (augment: true) changes each clip's features every epoch"
        if getattr(data_args, "max_duration_seconds", None):
            return "max_duration_seconds crops training clips at random every epoch"
        if getattr(data_args, "eval_max_duration_seconds", None):
            return "eval_max_duration_seconds cuts evaluation clips, which cached whole-clip features cannot mimic"
    return None


def resolve_dtype(cache_dtype: str, config: Any) -> str:
    """``auto``: float16 for encoder hidden states (large, and fp16 is their training precision), float32
    for MFCC / log-mel (small, and dB-scale values keep full precision)."""
    if cache_dtype not in CACHE_DTYPES:
        raise ValueError(f"cache_dtype={cache_dtype!r} is not one of {', '.join(CACHE_DTYPES)}")
    if cache_dtype != "auto":
        return cache_dtype
    return "float16" if config.frontend == "encoder" else "float32"


# ------------------------------------------------------------------------------------------ hashing
def _hash_state(h: Any, module: torch.nn.Module | None) -> None:
    if module is None:
        return
    for name, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().to("cpu").contiguous()
        h.update(f"{name}|{tuple(t.shape)}|{t.dtype}\n".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")


@functools.lru_cache(maxsize=1)
def _frontend_source_hash() -> str:
    """Hash of the front-end code, read once per process (the code that is actually running)."""
    try:
        from ..modeling import frontends

        return hashlib.sha256(Path(frontends.__file__).read_bytes()).hexdigest()[:16]
    except (ImportError, OSError):  # pragma: no cover - a broken install
        return "unknown"


def frontend_fingerprint(model: Any, dtype: str) -> tuple[str, dict[str, Any]]:
    """``(fingerprint, description)`` of what ``model.compute_frontend`` computes, stored as ``dtype``."""
    config = model.config
    desc: dict[str, Any] = {"cache_version": CACHE_VERSION, "dtype": dtype}
    for name in _FRONTEND_FIELDS:
        value = getattr(config, name, None)
        desc[name] = list(value) if isinstance(value, (list, tuple)) else value
    frontend = getattr(model, "frontend", None)
    if getattr(frontend, "layers", None) is not None:
        desc["layers"] = list(frontend.layers)
    if getattr(config, "encoder_config", None):
        desc["encoder_model_type"] = config.encoder_config.get("model_type")
        autocast = autocast_dtype(config, next(model.parameters()).device)
        if autocast is not None:  # what "auto" resolved to on this machine (float32 caches keep their names)
            desc["encoder_autocast"] = str(autocast).removeprefix("torch.")
    h = hashlib.sha256()
    _hash_state(h, frontend)
    _hash_state(h, getattr(model, "encoder", None))
    desc["weights_sha256"] = h.hexdigest()
    desc["frontends_py_sha256"] = _frontend_source_hash()
    blob = json.dumps(desc, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:24], desc


def audio_key(cell: Any) -> str:
    """SHA-256 of a clip's audio: the WAV bytes of a ``datasets.Audio(decode=False)`` cell (or the file)."""
    data = None
    if isinstance(cell, dict):
        data = cell.get("bytes")
        if data is None and cell.get("path"):
            data = Path(cell["path"]).read_bytes()
    elif isinstance(cell, (bytes, bytearray)):
        data = bytes(cell)
    elif isinstance(cell, (str, os.PathLike)):
        data = Path(cell).read_bytes()
    if data is None:
        raise ValueError(f"cannot hash audio cell of type {type(cell).__name__}: it holds neither bytes nor a path")
    return hashlib.sha256(data).hexdigest()


def add_feature_keys(ds: Any, audio_column: str = "audio", num_proc: int | None = None) -> Any:
    """``ds`` with a ``feature_key`` column (the audio hash of each clip); a no-op when it has one."""
    if KEY_COLUMN in ds.column_names:
        return ds
    keys = [audio_key(cell) for cell in ds.select_columns([audio_column])[audio_column]]
    return ds.add_column(KEY_COLUMN, keys)


# --------------------------------------------------------------------------------------------- cache
@dataclass
class CacheStats:
    """What one :meth:`FeatureCache.compute` call did (logged, and recorded in cv_results.json)."""

    computed: int = 0
    reused: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"computed": self.computed, "reused": self.reused, "seconds": round(self.seconds, 2)}


@dataclass
class FeatureCache:
    """Front-end features of one model's front end, on disk under ``root/<fingerprint>/``.

    Build it with :meth:`for_model`; :meth:`compute` fills in the clips that are missing;
    :meth:`load` returns one clip's features as a float32 array.
    """

    root: str
    fingerprint: str
    description: dict[str, Any]
    dtype: str = "float32"
    max_memory_bytes: int = 4 * 1024**3
    stats: CacheStats = field(default_factory=CacheStats)
    _memory: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _memory_bytes: int = field(default=0, repr=False)

    @classmethod
    def for_model(cls, model: Any, cache_dir: str | None = None, cache_dtype: str = "auto") -> FeatureCache:
        dtype = resolve_dtype(cache_dtype, model.config)
        fingerprint, desc = frontend_fingerprint(model, dtype)
        root = os.path.expanduser(cache_dir or default_cache_dir())
        cache = cls(root=root, fingerprint=fingerprint, description=desc, dtype=dtype)
        path = os.path.join(cache.directory, FINGERPRINT_FILE)
        try:
            os.makedirs(cache.directory, exist_ok=True)
            if not os.path.exists(path):
                tmp = f"{path}.{os.getpid()}{TEMP_MARKER}"
                with open(tmp, "w", encoding="utf-8") as f:
                    json.dump(desc, f, indent=2, default=str)
                os.replace(tmp, path)
        except OSError as e:
            raise write_error(cache.directory, e) from e
        with contextlib.suppress(OSError):  # "last used" for `hf-ser cache info` / `prune --older_than_days`
            os.utime(path)
        return cache

    @property
    def directory(self) -> str:
        return os.path.join(self.root, self.fingerprint)

    def path(self, key: str) -> str:
        return os.path.join(self.directory, key[:2], f"{key}.npy")

    def has(self, key: str) -> bool:
        """Whether ``key``'s features are cached whole (a truncated entry counts as missing)."""
        return key in self._memory or entry_is_complete(self.path(key))

    def matches(self, model: Any) -> bool:
        """Whether ``model``'s front end computes what this cache holds (same fingerprint)."""
        return frontend_fingerprint(model, self.dtype)[0] == self.fingerprint

    # ----------------------------------------------------------------------------------- write
    def _save(self, key: str, array: np.ndarray) -> None:
        path = self.path(key)
        tmp = f"{path[:-4]}.{os.getpid()}{TEMP_MARKER}.npy"
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            np.save(tmp, np.ascontiguousarray(array.astype(self.dtype, copy=False)))
            os.replace(tmp, path)  # atomic: a killed run never leaves a half-written clip behind
        except OSError as e:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise write_error(self.directory, e) from e

    @torch.no_grad()
    def compute(
        self,
        model: Any,
        feature_extractor: Any,
        cells: Iterable[Any],
        keys: Sequence[str] | None = None,
        *,
        sampling_rate: int = 16000,
        batch_size: int = 8,
        progress: bool = True,
        speed: float = 1.0,
    ) -> CacheStats:
        """Run ``model.compute_frontend`` on every clip whose features are not cached yet.

        ``cells`` are audio cells (``{"bytes", "path"}``) and ``keys`` their :func:`audio_key`
        (computed when omitted). Clips are batched by similar length, run through the same feature
        extractor call as the evaluation collator, and cut back to their real frames. ``speed`` != 1:
        the clips' speed-perturbed copies (as the training collator makes them), stored under
        :func:`~hf_ser.features.augment.speed_key`.
        """
        from ..features.augment import speed_key

        cells = list(cells)
        keys = list(keys) if keys is not None else [audio_key(c) for c in cells]
        keys = [speed_key(k, speed) for k in keys]
        start = time.time()
        with directory_lock(self.directory):  # another filler of this fingerprint finishes first; reuse its entries
            todo = self._missing(keys, cells)
            reused = len(set(keys)) - len(todo)
            if todo:
                logger.info("feature cache %s: computing %d clip(s), %d cached", self.directory, len(todo), reused)
                self._fill(model, feature_extractor, todo, sampling_rate, batch_size, progress, speed)
            else:
                logger.info("feature cache %s: all %d clip(s) already cached", self.directory, reused)
        self.stats.computed += len(todo)
        self.stats.reused += reused
        self.stats.seconds += time.time() - start
        return CacheStats(len(todo), reused, time.time() - start)

    def _missing(self, keys: Sequence[str], cells: Sequence[Any]) -> dict[str, Any]:
        todo: dict[str, Any] = {}
        for key, cell in zip(keys, cells, strict=True):
            if key not in todo and not self.has(key):
                if os.path.exists(self.path(key)):
                    logger.warning("feature cache %s: entry %s is truncated; recomputing it", self.directory, key)
                todo[key] = cell
        return todo

    def _fill(
        self,
        model: Any,
        feature_extractor: Any,
        todo: dict[str, Any],
        sampling_rate: int,
        batch_size: int,
        progress: bool,
        speed: float,
    ) -> None:
        from tqdm.auto import tqdm

        from ..features.augment import change_speed

        waves = {k: decode_audio_field(c, sampling_rate) for k, c in todo.items()}
        if speed != 1.0:
            waves = {k: change_speed(w, speed) for k, w in waves.items()}
        order = sorted(waves, key=lambda k: len(waves[k]))
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        try:
            desc = "caching features" + (f" (speed x{speed:g})" if speed != 1.0 else "")
            bar = tqdm(total=len(order), desc=desc, unit="clip", disable=not progress)
            for i in range(0, len(order), batch_size):
                batch_keys = order[i : i + batch_size]
                inputs = feature_extractor(
                    [waves[k] for k in batch_keys],
                    sampling_rate=sampling_rate,
                    padding=True,
                    return_attention_mask=True,
                    return_tensors="pt",
                )
                features, mask = model.compute_frontend(
                    inputs["input_values"].to(device), inputs["attention_mask"].to(device)
                )
                lengths = mask.long().sum(-1).tolist()
                features = features.float().cpu().numpy()
                for j, key in enumerate(batch_keys):
                    clip = features[j][..., : lengths[j], :]
                    self._save(key, clip)
                bar.update(len(batch_keys))
            bar.close()
        finally:
            model.train(was_training)

    # ------------------------------------------------------------------------------------ read
    def load(self, key: str) -> np.ndarray:
        """One clip's features in the storage dtype (kept in memory up to ``max_memory_bytes``)."""
        array = self._memory.get(key)
        if array is not None:
            return array
        path = self.path(key)
        if not os.path.exists(path):
            raise KeyError(f"clip {key[:12]}… is not in the feature cache {self.directory}; compute() it first")
        try:
            array = np.load(path)
        except (OSError, ValueError, EOFError) as e:
            raise FeatureCacheError(
                f"feature cache entry {path} cannot be read ({e}); `hf-ser cache verify --delete` removes bad entries"
            ) from e
        if self._memory_bytes + array.nbytes <= self.max_memory_bytes:
            self._memory[key] = array
            self._memory_bytes += array.nbytes
        return array


# ----------------------------------------------------------------------------- speaker normalisation
def speaker_statistics(
    cache: FeatureCache, keys: Sequence[str], speakers: Sequence[str], eps: float = 1e-5
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per speaker: mean and std of every feature dimension over all real frames of its clips.

    Labels are never used, only the speaker's own audio. Statistics are per layer for ``[L, T, D]``
    features (shape ``[L, 1, D]``) and per dimension for ``[T, D]`` (shape ``[1, D]``).
    """
    by_speaker: dict[str, list[str]] = {}
    for key, spk in zip(keys, speakers, strict=True):
        by_speaker.setdefault(str(spk), [])
        if key not in by_speaker[str(spk)]:
            by_speaker[str(spk)].append(key)
    stats = {}
    for spk, spk_keys in by_speaker.items():
        total = None
        total_sq = None
        frames = 0
        for key in spk_keys:
            x = cache.load(key).astype(np.float64)
            s, sq = x.sum(axis=-2, keepdims=True), (x * x).sum(axis=-2, keepdims=True)
            total = s if total is None else total + s
            total_sq = sq if total_sq is None else total_sq + sq
            frames += x.shape[-2]
        mean = total / max(frames, 1)
        var = np.maximum(total_sq / max(frames, 1) - mean * mean, 0.0)
        stats[spk] = (mean.astype(np.float32), np.sqrt(var + eps).astype(np.float32))
    return stats


# ------------------------------------------------------------------------------------------ collator
@dataclass
class CachedFeatureCollator:
    """Rows with a ``feature_key`` -> ``{"frontend_features", "frontend_mask", "labels"}`` from the cache.

    Zero padding and the frame mask are exactly what ``compute_frontend`` produces for a padded
    batch, so ``classify_frontend`` sees the same input as in uncached training. In training mode
    it consumes torch's global RNG exactly as :class:`hf_ser.training.trainer.SERDataCollator` does
    (one draw per batch only for rows without a per-clip seed), so dropout, SpecAugment and the
    sampler see the same random stream as in uncached training.
    """

    cache: FeatureCache
    training: bool = False
    speaker_stats: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
    label_column: str = "emotion"
    speaker_column: str = "speaker_id"

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        if self.training and not all(EpochSeededDataset.SEED_KEY in r for r in rows):
            torch.randint(0, 2**31 - 1, (1,))  # keep the RNG stream of the waveform collator
        clips = []
        for row in rows:
            x = self.cache.load(row[KEY_COLUMN]).astype(np.float32)
            if self.speaker_stats is not None:
                mean, std = self.speaker_stats[str(row[self.speaker_column])]
                x = (x - mean) / std
            clips.append(x)
        lengths = [c.shape[-2] for c in clips]
        t = max(lengths)
        shape = (len(clips), *clips[0].shape[:-2], t, clips[0].shape[-1])
        features = np.zeros(shape, dtype=np.float32)
        for i, c in enumerate(clips):
            features[i, ..., : c.shape[-2], :] = c
        mask = torch.arange(t)[None, :] < torch.tensor(lengths)[:, None]
        batch = {"frontend_features": torch.from_numpy(features), "frontend_mask": mask}
        if self.label_column in rows[0]:
            batch["labels"] = torch.tensor([int(r[self.label_column]) for r in rows], dtype=torch.long)
        return batch


def cached_collator_factory(
    cache: FeatureCache, speaker_stats: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
) -> Callable[[Any, Any], tuple[CachedFeatureCollator, CachedFeatureCollator]]:
    """The ``collator_factory`` that :func:`hf_ser.training.run.train` calls with the fold's fresh model.

    It refuses a model whose front end differs from the cache's (other weights, layers or
    config) instead of silently training on features of another front end.
    """

    def factory(model: Any, feature_extractor: Any) -> tuple[CachedFeatureCollator, CachedFeatureCollator]:
        reason = uncacheable_reason(model)
        if reason:
            raise ValueError(f"cannot train on cached features: {reason}")
        if not cache.matches(model):
            raise ValueError(
                f"the model's front end does not match the feature cache {cache.directory} "
                "(different front-end config, layers or weights)"
            )
        return (
            CachedFeatureCollator(cache, training=True, speaker_stats=speaker_stats),
            CachedFeatureCollator(cache, training=False, speaker_stats=speaker_stats),
        )

    return factory
