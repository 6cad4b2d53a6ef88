"""The one place audio enters hf-ser: decode, downmix, resample, validate.

Decoding uses libsndfile (through ``soundfile``), which recognises WAV, FLAC, AIFF/AIFF-C and
OGG by their content, so an AIFF-C file named ``.wav`` still loads, and nothing here needs
FFmpeg or torchcodec. Every failure is an :class:`AudioDecodeError` that names the file.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import numpy as np
import soundfile as sf

DEFAULT_SAMPLING_RATE = 16000
# libsndfile's header log says "data : N (should be M)" when a WAV/AIFF is cut short: it then
# silently reads only what is there, so the log is the only sign of truncation. (AIFF logs
# indent the chunk line: " SSND : N (should be M)".)
_TRUNCATED_CHUNK = re.compile(r"^[ \t]*(data|SSND)\s*:.*should be", re.MULTILINE)
# One 25 ms analysis window at 16 kHz: anything shorter cannot yield a single feature frame.
DEFAULT_MIN_SAMPLES = 400
# Level frames: 25 ms windows every 10 ms, as the spectral front ends frame speech.
LEVEL_FRAME_SECONDS = 0.025
LEVEL_HOP_SECONDS = 0.010
# Digital silence is not an emotion: a clip none of whose 25 ms frames reaches this level (dBFS, DC removed)
# holds no usable speech. -70 dBFS is an RMS of 0.0003 (about 10 LSB of 16-bit audio): under every take of
# EMO-DB and RAVDESS (the quietest RAVDESS take peaks at -54.6 dBFS; a -50 dBFS floor would drop 10 real
# takes), above all-zero files and dithered silence.
SILENCE_FLOOR_DB = -70.0


class AudioDecodeError(ValueError):
    """An audio file (or buffer) that cannot be used: unreadable, empty, too short or non-finite."""


# torchaudio's windowed-sinc kernel has one phase per output sample of the reduced ratio: for
# awkward rates (TESS's 24414 Hz -> 16 kHz is 8000:12207) that is seconds per clip. Above this
# many phases a cached polyphase FIR (scipy's resample_poly design) is used instead.
MAX_SINC_PHASES = 1000


@lru_cache(maxsize=4)
def _polyphase_filter(up: int, down: int) -> np.ndarray:
    """The low-pass FIR that ``scipy.signal.resample_poly`` designs for ``up``/``down`` (Kaiser 5.0)."""
    from scipy.signal import firwin

    max_rate = max(up, down)
    return firwin(2 * 10 * max_rate + 1, 1.0 / max_rate, window=("kaiser", 5.0))


def resample(waveform: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Band-limited resampling, float32 in and out: torchaudio's windowed sinc, or a polyphase FIR
    for rate pairs whose reduced ratio would make the sinc kernel huge."""
    if orig_sr == target_sr:
        return waveform.astype(np.float32, copy=False)
    g = math.gcd(orig_sr, target_sr)
    up, down = target_sr // g, orig_sr // g
    if max(up, down) > MAX_SINC_PHASES:
        from scipy.signal import resample_poly

        return resample_poly(waveform, up, down, window=_polyphase_filter(up, down)).astype(np.float32)
    import torch
    import torchaudio.functional as F

    out = F.resample(torch.from_numpy(np.ascontiguousarray(waveform, dtype=np.float32)), orig_sr, target_sr)
    return out.numpy()


def _read(source: Any, name: str) -> tuple[np.ndarray, int]:
    try:
        with sf.SoundFile(source) as f:
            header_log = f.extra_info
            data = f.read(dtype="float32", always_2d=True)
            sr = f.samplerate
    except sf.LibsndfileError as e:  # its message names the source, here an in-memory buffer: keep the reason only
        raise AudioDecodeError(f"{name}: cannot decode audio ({e.error_string.rstrip('.')})") from e
    except (RuntimeError, TypeError) as e:
        raise AudioDecodeError(f"{name}: cannot decode audio ({e})") from e
    if _TRUNCATED_CHUNK.search(header_log):
        raise AudioDecodeError(f"{name}: truncated file (the header declares more audio than the file holds)")
    return data, sr


def _validate(waveform: np.ndarray, name: str, min_samples: int) -> np.ndarray:
    if waveform.size == 0:
        raise AudioDecodeError(f"{name}: empty audio (0 samples)")
    if not np.all(np.isfinite(waveform)):
        raise AudioDecodeError(f"{name}: audio contains non-finite samples (NaN or Inf)")
    if waveform.size < min_samples:
        raise AudioDecodeError(f"{name}: too short ({waveform.size} samples, need at least {min_samples})")
    return waveform


def frame_levels(wave: np.ndarray, sampling_rate: int) -> np.ndarray:
    """RMS level (dBFS) of 25 ms frames every 10 ms, DC removed first (an offset is not speech)."""
    frame = max(1, int(LEVEL_FRAME_SECONDS * sampling_rate))
    step = max(1, int(LEVEL_HOP_SECONDS * sampling_rate))
    x = np.asarray(wave, dtype=np.float64)
    x = x - x.mean()
    frames = x[None, :] if x.size < frame else np.lib.stride_tricks.sliding_window_view(x, frame)[::step]
    rms = np.sqrt(np.mean(frames * frames, axis=-1))
    return 20.0 * np.log10(rms + 1e-10)


def speech_fraction(wave: np.ndarray, sampling_rate: int, threshold_db: float) -> float:
    """Fraction of 25 ms frames (every 10 ms, DC removed) whose RMS level is at least ``threshold_db`` dBFS."""
    return float(np.mean(frame_levels(wave, sampling_rate) >= threshold_db))


def silence_detail(wave: np.ndarray, sampling_rate: int, floor_db: float = SILENCE_FLOOR_DB) -> str | None:
    """Why ``wave`` counts as silent (no 25 ms frame reaches ``floor_db``), or None when it holds sound."""
    loudest = float(frame_levels(wave, sampling_rate).max())
    if loudest >= floor_db:
        return None
    if not np.any(wave):
        return f"silent: all {wave.size} samples are zero"
    return f"silent: the loudest 25 ms frame is {loudest:.1f} dBFS, under the {floor_db:g} dBFS floor"


def to_mono_resampled(
    data: np.ndarray, orig_sr: int, sampling_rate: int, name: str, min_samples: int = DEFAULT_MIN_SAMPLES
) -> np.ndarray:
    """Downmix a (frames, channels) or (frames,) array to mono, resample and validate it."""
    mono = data.mean(axis=1) if data.ndim == 2 else data
    mono = np.asarray(mono, dtype=np.float32)
    _validate(mono, name, 1)
    return _validate(resample(mono, orig_sr, sampling_rate), name, min_samples)


def load_audio(
    path: str | os.PathLike,
    sampling_rate: int = DEFAULT_SAMPLING_RATE,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> np.ndarray:
    """Read an audio file as mono float32 at ``sampling_rate``.

    Raises :class:`AudioDecodeError` (a ``ValueError``) naming the file when it is unreadable,
    corrupt or truncated, empty, shorter than ``min_samples`` after resampling, or non-finite.
    """
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise AudioDecodeError(f"{name}: no such file")
    if os.path.getsize(name) == 0:
        raise AudioDecodeError(f"{name}: empty file (0 bytes)")
    data, sr = _read(name, name)
    return to_mono_resampled(data, sr, sampling_rate, name, min_samples)


def audio_duration(path: str | os.PathLike) -> float:
    """Duration in seconds from the file's header alone (nothing is decoded); 0.0 when the header is unreadable."""
    try:
        info = sf.info(os.fspath(path))
    except (sf.LibsndfileError, RuntimeError, TypeError):
        return 0.0
    return info.frames / info.samplerate if info.samplerate else 0.0


def stream_audio(
    path: str | os.PathLike, sampling_rate: int = DEFAULT_SAMPLING_RATE, block_seconds: float = 30.0
) -> Iterator[np.ndarray]:
    """Mono float32 audio at ``sampling_rate`` in consecutive blocks of about ``block_seconds``, read and resampled
    block by block, so memory does not grow with the file's length (hour-long recordings).

    Each block is resampled with a margin of neighbouring input on both sides that is then cut off, and blocks
    start at input positions that map to whole output samples, so the concatenated blocks equal
    :func:`load_audio` of the whole file up to the resampler's own rounding. Raises :class:`AudioDecodeError`
    naming the file (and, for non-finite samples, the time) like :func:`load_audio`.
    """
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise AudioDecodeError(f"{name}: no such file")
    if os.path.getsize(name) == 0:
        raise AudioDecodeError(f"{name}: empty file (0 bytes)")
    try:
        f = sf.SoundFile(name)
    except (sf.LibsndfileError, RuntimeError, TypeError) as e:
        raise AudioDecodeError(f"{name}: cannot decode audio ({e})") from e
    with f:
        if _TRUNCATED_CHUNK.search(f.extra_info):
            raise AudioDecodeError(f"{name}: truncated file (the header declares more audio than the file holds)")
        orig_sr, total = f.samplerate, f.frames
        if total == 0:
            raise AudioDecodeError(f"{name}: empty audio (0 samples)")
        g = math.gcd(orig_sr, sampling_rate)
        up, down = sampling_rate // g, orig_sr // g  # every `down` input samples map to `up` output samples
        step = max(down, int(block_seconds * orig_sr) // down * down)
        margin = -(-1024 // down) * down if orig_sr != sampling_rate else 0
        for start in range(0, total, step):
            lo, hi = max(0, start - margin), min(total, start + step + margin)
            f.seek(lo)
            data = f.read(hi - lo, dtype="float32", always_2d=True).mean(axis=1)
            if not np.all(np.isfinite(data)):
                raise AudioDecodeError(
                    f"{name}: audio contains non-finite samples (NaN or Inf) near {lo / orig_sr:.1f} s"
                )
            out = resample(data, orig_sr, sampling_rate)
            skip = (start - lo) // down * up  # exact: block starts and margins are multiples of `down`
            keep = -(-min(total, start + step) * up // down) - start // down * up  # resample() gives ceil(n up/down)
            yield out[skip : skip + keep]


def decode_audio_bytes(
    data: bytes,
    sampling_rate: int = DEFAULT_SAMPLING_RATE,
    name: str = "<bytes>",
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> np.ndarray:
    """Like :func:`load_audio` for encoded bytes (e.g. a datasets ``Audio(decode=False)`` value)."""
    if not data:
        raise AudioDecodeError(f"{name}: empty file (0 bytes)")
    array, sr = _read(io.BytesIO(data), name)
    return to_mono_resampled(array, sr, sampling_rate, name, min_samples)


def decode_audio_field(value: dict | np.ndarray, sampling_rate: int = DEFAULT_SAMPLING_RATE) -> np.ndarray:
    """Decode one datasets ``Audio`` cell without torchcodec.

    Accepts the undecoded form ``{"bytes": ..., "path": ...}`` (``Audio(decode=False)``), the
    legacy decoded form ``{"array": ..., "sampling_rate": ...}`` or a bare array (taken to be at
    ``sampling_rate`` already).
    """
    if isinstance(value, np.ndarray):
        return _validate(value.astype(np.float32, copy=False), "<array>", 1)
    name = value.get("path") or "<bytes>"
    if value.get("array") is not None:
        array = np.asarray(value["array"], dtype=np.float32)
        return to_mono_resampled(array.T if array.ndim == 2 else array, value["sampling_rate"], sampling_rate, name, 1)
    if value.get("bytes"):
        return decode_audio_bytes(value["bytes"], sampling_rate, name)
    return load_audio(name, sampling_rate)


def recorded_at_gain(waveform: np.ndarray, gain_db: float) -> np.ndarray:
    """What a take recorded ``gain_db`` louder (or quieter, negative) holds once stored as 16-bit PCM: scaled,
    clipped at full scale and rounded to the 16-bit grid, so a much quieter take keeps its quantisation noise."""
    scaled = np.clip(np.asarray(waveform, dtype=np.float64) * 10 ** (gain_db / 20), -1.0, 32767 / 32768)
    return (np.round(scaled * 32768) / 32768).astype(np.float32)


def encode_wav(waveform: np.ndarray, sampling_rate: int) -> bytes:
    """16-bit PCM WAV bytes: what hf-ser stores in a dataset's ``Audio`` column."""
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(waveform, -1.0, 1.0), sampling_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
