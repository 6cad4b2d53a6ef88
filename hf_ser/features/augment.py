"""Waveform augmentation for training clips: on the fly (speed, pitch shift, additive noise, gain) and
fixed speed-perturbed copies of the training split (:func:`add_speed_perturbed_copies`).

Applied by the training collator to training clips only (never to validation or test), with
randomness drawn from a ``numpy.random.Generator`` the caller seeds. The training collator derives
that generator from torch's global RNG, which ``Trainer`` saves in every checkpoint and restores on
resume, so an interrupted and resumed run sees the same augmented clips as an uninterrupted one.

Speed and pitch factors are rounded to small rational numbers before resampling: torchaudio's
polyphase resampler costs grows with the numerator/denominator of the rate ratio, and e.g.
``torchaudio.functional.pitch_shift`` by one semitone (ratio 2^(1/12)) takes ~20 s on a 3 s clip,
whereas the rounded ratio (e.g. 18/17) takes a few milliseconds and is within 0.1 % of the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import torch
import torchaudio.functional as AF

# Largest denominator of the rational speed/pitch ratios (keeps resampling kernels tiny).
_MAX_DENOMINATOR = 24
_N_FFT = 512
_HOP = 128


def _ratio(value: float) -> Fraction:
    return Fraction(value).limit_denominator(_MAX_DENOMINATOR)


def change_speed(waveform: np.ndarray, factor: float) -> np.ndarray:
    """Play ``factor`` times faster (tempo and pitch change together, as Kaldi-style speed perturbation)."""
    ratio = _ratio(factor)
    if ratio == 1:
        return waveform
    out = AF.resample(torch.from_numpy(np.ascontiguousarray(waveform)), ratio.numerator, ratio.denominator)
    return out.numpy().astype(np.float32, copy=False)


def time_stretch(waveform: np.ndarray, rate: float) -> np.ndarray:
    """Change duration by ``1 / rate`` at constant pitch (phase vocoder on a 512-point STFT)."""
    if rate == 1:
        return waveform
    x = torch.from_numpy(np.ascontiguousarray(waveform))
    window = torch.hann_window(_N_FFT)
    spec = torch.stft(x, _N_FFT, _HOP, window=window, return_complex=True)
    phase_advance = torch.linspace(0, math.pi * _HOP, spec.shape[-2])[..., None]
    stretched = AF.phase_vocoder(spec, rate, phase_advance)
    length = int(round(waveform.shape[-1] / rate))
    return torch.istft(stretched, _N_FFT, _HOP, window=window, length=length).numpy().astype(np.float32, copy=False)


def pitch_shift(waveform: np.ndarray, semitones: float) -> np.ndarray:
    """Shift pitch by ``semitones`` keeping the duration (time-stretch then rational resampling)."""
    ratio = _ratio(2.0 ** (semitones / 12.0))
    if ratio == 1:
        return waveform
    stretched = time_stretch(waveform, 1.0 / float(ratio))
    out = change_speed(stretched, float(ratio))
    n = waveform.shape[-1]
    if out.shape[-1] >= n:
        return out[:n]
    return np.pad(out, (0, n - out.shape[-1]))


def add_noise(waveform: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add white Gaussian noise at ``snr_db`` dB below the clip's mean power."""
    power = float(np.mean(waveform.astype(np.float64) ** 2))
    if power <= 0.0:
        return waveform
    noise = rng.standard_normal(waveform.shape[-1]).astype(np.float32)
    return (waveform + noise * math.sqrt(power / (10.0 ** (snr_db / 10.0)))).astype(np.float32, copy=False)


def apply_gain(waveform: np.ndarray, gain_db: float) -> np.ndarray:
    """Scale by ``gain_db`` dB (no clipping: waveforms stay float)."""
    return (waveform * np.float32(10.0 ** (gain_db / 20.0))).astype(np.float32, copy=False)


@dataclass
class WaveformAugmenter:
    """Random speed, pitch, noise and gain, each with its own probability; call it on one clip.

    Order: speed → pitch → gain → noise (noise last so the SNR holds for the final signal).
    """

    speed_prob: float = 0.5
    speed_range: tuple[float, float] = (0.9, 1.1)
    pitch_shift_prob: float = 0.0
    pitch_shift_semitones: float = 2.0
    noise_prob: float = 0.5
    noise_snr_db: tuple[float, float] = (15.0, 40.0)
    gain_prob: float = 0.5
    gain_db: tuple[float, float] = (-6.0, 6.0)

    @classmethod
    def from_data_args(cls, data_args) -> WaveformAugmenter:
        """The augmenter a :class:`~hf_ser.training.arguments.DataArguments` describes."""
        return cls(
            speed_prob=data_args.speed_prob,
            speed_range=tuple(data_args.speed_range),
            pitch_shift_prob=data_args.pitch_shift_prob,
            pitch_shift_semitones=data_args.pitch_shift_semitones,
            noise_prob=data_args.noise_prob,
            noise_snr_db=tuple(data_args.noise_snr_db),
            gain_prob=data_args.gain_prob,
            gain_db=tuple(data_args.gain_db),
        )

    def __call__(self, waveform: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        x = np.asarray(waveform, dtype=np.float32)
        # Draw every random number whether or not the effect fires, so the stream of draws (and
        # hence every later clip's augmentation) does not depend on earlier coin flips.
        u = rng.random(4)
        speed = rng.uniform(*self.speed_range)
        semitones = rng.uniform(-self.pitch_shift_semitones, self.pitch_shift_semitones)
        gain = rng.uniform(*self.gain_db)
        snr = rng.uniform(*self.noise_snr_db)
        if u[0] < self.speed_prob:
            x = change_speed(x, speed)
        if u[1] < self.pitch_shift_prob:
            x = pitch_shift(x, semitones)
        if u[2] < self.gain_prob:
            x = apply_gain(x, gain)
        if u[3] < self.noise_prob:
            x = add_noise(x, snr, rng)
        return x


SPEED_COLUMN = "speed"


def speed_key(key: str, factor: float) -> str:
    """Feature-cache key of a clip's speed-perturbed copy (the clip's own key for factor 1)."""
    return key if factor == 1.0 else f"{key}-speed{factor:g}"


def add_speed_perturbed_copies(dataset: Any, factors: list[float], key_column: str = "feature_key") -> Any:
    """``dataset`` followed by one copy per factor, with a ``speed`` column (1.0 on the originals).

    The collators play a row ``speed`` times faster (:func:`change_speed`) before the front end; a
    ``feature_key`` column, when present, gets each copy's own cache key (:func:`speed_key`)."""
    import datasets

    def tag(factor: float):
        def fn(batch: dict[str, list]) -> dict[str, list]:
            out = {SPEED_COLUMN: [factor] * len(batch[next(iter(batch))])}
            if key_column in batch:
                out[key_column] = [speed_key(k, factor) for k in batch[key_column]]
            return out

        return fn

    if SPEED_COLUMN in dataset.column_names:
        raise ValueError(f"the training split already has a {SPEED_COLUMN!r} column: speed copies added twice")
    copies = [dataset.map(tag(f), batched=True, desc=f"speed x{f:g}") for f in [1.0, *factors]]
    return datasets.concatenate_datasets(copies)
