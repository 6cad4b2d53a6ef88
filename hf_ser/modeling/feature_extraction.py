"""`SERFeatureExtractor`: the one feature extractor shared by every hf-ser model.

It hands the model the raw waveform (MFCC / log-mel / encoder front ends run *inside* the model), so
`pipeline("audio-classification")` and Hub downloads behave the same for every front end.

This file is copied next to saved models (``auto_map``) and loaded with ``trust_remote_code=True`` by
users who do not have hf-ser installed: it must import nothing but numpy and transformers.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from transformers import BatchFeature, SequenceFeatureExtractor
from transformers.utils import PaddingStrategy

logger = logging.getLogger(__name__)


class SERFeatureExtractor(SequenceFeatureExtractor):
    """Raw-waveform feature extractor: mono float32 at `sampling_rate`, optional per-utterance
    zero-mean/unit-variance normalisation, zero padding (or truncation) and an `attention_mask`.

    Normalisation statistics are computed over each clip's real samples *before* padding, so a clip's
    input does not depend on the other clips in its batch (padding is always exactly 0.0).

    Args:
        feature_size: channels per sample (1: mono).
        sampling_rate: the rate the model expects; inputs at another rate are rejected.
        padding_value: value of padded samples (0.0, which the models rely on).
        do_normalize: per-utterance zero-mean/unit-variance normalisation over the real samples.
        return_attention_mask: return the sample-level mask (1 = real sample) by default.
    """

    model_input_names = ["input_values", "attention_mask"]

    def __init__(
        self,
        feature_size: int = 1,
        sampling_rate: int = 16000,
        padding_value: float = 0.0,
        do_normalize: bool = True,
        return_attention_mask: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            feature_size=feature_size,
            sampling_rate=sampling_rate,
            padding_value=padding_value,
            return_attention_mask=return_attention_mask,
            **kwargs,
        )
        self.do_normalize = do_normalize

    @classmethod
    def from_model_config(cls, config: Any, **kwargs: Any) -> SERFeatureExtractor:
        """The extractor matching a model config (duck-typed `SERConfig`): its sampling rate, and no
        waveform normalisation for Whisper encoders (their log-mel is level-dependent and the
        pretrained weights saw raw levels) and for the functionals front end (levels are features);
        normalisation for everything else."""
        encoder_type = (getattr(config, "encoder_config", None) or {}).get("model_type")
        frontend = getattr(config, "frontend", None)
        do_normalize = not ((frontend == "encoder" and encoder_type == "whisper") or frontend == "functionals")
        kwargs.setdefault("do_normalize", do_normalize)
        kwargs.setdefault("sampling_rate", getattr(config, "sampling_rate", 16000))
        return cls(**kwargs)

    @staticmethod
    def normalize(wave: np.ndarray) -> np.ndarray:
        """Zero mean, unit variance over the given (real) samples."""
        wave = np.asarray(wave, dtype=np.float32)
        if wave.size == 0:
            return wave
        return ((wave - wave.mean()) / np.sqrt(wave.var() + 1e-7)).astype(np.float32)

    def _pad_to_common_length(
        self,
        waves: list[np.ndarray],
        padding: bool | str | PaddingStrategy,
        max_length: int | None,
        pad_to_multiple_of: int | None,
        return_attention_mask: bool | None,
    ) -> BatchFeature | None:
        """What `pad` gives for right padding to the longest clip (or to `max_length`), written straight into one
        array: `pad` pads every clip on its own and stacks them afterwards, which costs as much as the MFCC front
        end itself. None for the cases left to `pad` (no padding, left padding, a clip longer than `max_length`)."""
        strategy = self._get_padding_strategies(padding=padding, max_length=max_length)
        if strategy == PaddingStrategy.DO_NOT_PAD or self.padding_side != "right" or not waves:
            return None
        longest = max(len(w) for w in waves)
        target = longest if strategy == PaddingStrategy.LONGEST else max_length
        if longest > target:
            return None
        if pad_to_multiple_of is not None and target % pad_to_multiple_of != 0:
            target = (target // pad_to_multiple_of + 1) * pad_to_multiple_of
        values = np.full((len(waves), target), self.padding_value, dtype=np.float32)
        mask = np.zeros((len(waves), target), dtype=np.int32)
        for i, wave in enumerate(waves):
            values[i, : len(wave)] = wave
            mask[i, : len(wave)] = 1
        with_mask = self.return_attention_mask if return_attention_mask is None else return_attention_mask
        return BatchFeature({"input_values": values, "attention_mask": mask} if with_mask else {"input_values": values})

    def __call__(
        self,
        raw_speech: np.ndarray | list[float] | list[np.ndarray] | list[list[float]],
        padding: bool | str | PaddingStrategy = True,
        max_length: int | None = None,
        truncation: bool = False,
        pad_to_multiple_of: int | None = None,
        return_attention_mask: bool | None = None,
        return_tensors: str | None = None,
        sampling_rate: int | None = None,
        **kwargs: Any,
    ) -> BatchFeature:
        """Turn one waveform or a batch of waveforms into `input_values` (+ `attention_mask`).

        Args:
            raw_speech: a 1-D array / list of floats, a list of them, or a 2-D array (batch, samples).
            padding: `True`/"longest" (default), "max_length" or `False`.
            max_length: target length for "max_length" padding and for truncation.
            truncation: cut clips longer than `max_length` (before normalising).
            pad_to_multiple_of: round the padded length up to a multiple of this.
            return_attention_mask: defaults to `self.return_attention_mask`.
            return_tensors: "pt", "np" or None (lists of arrays).
            sampling_rate: rate of `raw_speech`; must equal `self.sampling_rate`.
        """
        if sampling_rate is not None:
            if sampling_rate != self.sampling_rate:
                raise ValueError(
                    f"sampling_rate: this feature extractor expects audio at {self.sampling_rate} Hz, got "
                    f"{sampling_rate} Hz; resample first, e.g. torchaudio.functional.resample(waveform, "
                    f"{sampling_rate}, {self.sampling_rate}) (pipeline('audio-classification') resamples "
                    "{'raw': waveform, 'sampling_rate': rate} inputs itself)."
                )
        else:
            logger.warning(
                "Pass `sampling_rate=` to %s() so that audio at the wrong rate is caught.", self.__class__.__name__
            )

        if hasattr(raw_speech, "detach"):  # torch tensor without importing torch
            raw_speech = raw_speech.detach().cpu().numpy()
        is_batched_numpy = isinstance(raw_speech, np.ndarray) and raw_speech.ndim > 1
        if is_batched_numpy and raw_speech.ndim > 2:
            raise ValueError(f"raw_speech: only mono audio is supported, got an array of shape {raw_speech.shape}")
        is_batched = is_batched_numpy or (
            isinstance(raw_speech, (list, tuple))
            and len(raw_speech) > 0
            and (isinstance(raw_speech[0], (np.ndarray, tuple, list)) or hasattr(raw_speech[0], "detach"))
        )
        if not is_batched:
            raw_speech = [raw_speech]

        waves = []
        for wave in raw_speech:
            if hasattr(wave, "detach"):
                wave = wave.detach().cpu().numpy()
            wave = np.asarray(wave, dtype=np.float32)
            if wave.ndim != 1:
                raise ValueError(f"raw_speech: expected mono 1-D waveforms, got shape {wave.shape}")
            if truncation and max_length is not None:
                wave = wave[:max_length]
            if self.do_normalize:
                wave = self.normalize(wave)
            waves.append(wave)

        padded = self._pad_to_common_length(waves, padding, max_length, pad_to_multiple_of, return_attention_mask)
        if padded is None:
            padded = self.pad(
                BatchFeature({"input_values": waves}),
                padding=padding,
                max_length=max_length,
                truncation=False,
                pad_to_multiple_of=pad_to_multiple_of,
                return_attention_mask=return_attention_mask if return_attention_mask is not None else None,
            )
        values = padded["input_values"]
        if isinstance(values, np.ndarray) and values.dtype != object:
            padded["input_values"] = values.astype(np.float32, copy=False)
        else:
            padded["input_values"] = [np.asarray(v, dtype=np.float32) for v in values]
        mask = padded.get("attention_mask")
        if mask is not None:
            padded["attention_mask"] = (
                mask.astype(np.int32)
                if isinstance(mask, np.ndarray) and mask.dtype != object
                else [np.asarray(m, dtype=np.int32) for m in mask]
            )
        if return_tensors is not None:
            padded = padded.convert_to_tensors(return_tensors)
        return padded
