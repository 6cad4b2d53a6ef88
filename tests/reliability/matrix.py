"""The bad-input matrix: one row per kind of messy input, the file that shows it, and what each entry point
(``hf-ser prepare``, ``hf-ser predict``, the Python API ``hf_ser.load_audio``) must do with it.

docs/reliability.md prints this table; ``test_input_matrix.py`` checks every cell (and that the docs list
every row). Files are EMO-DB-named (``<speaker><text><emotion><version>.wav``) so ``hf-ser prepare emodb``
reads speaker and emotion from the name; rows that are about the name break it on purpose.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

SR = 16000
KEPT = "kept"


def speech(seconds: float = 0.6, sr: int = SR, seed: int = 0, level: float = 0.1, channels: int = 1) -> np.ndarray:
    """A voiced-like test signal: a 150-250 Hz tone with an amplitude envelope and a little noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    tone = np.sin(2 * np.pi * (150 + 10 * seed) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    wave = level * (tone + 0.1 * rng.standard_normal(n))
    wave = wave.astype(np.float32)
    return wave if channels == 1 else np.stack([wave * (1 - 0.1 * c) for c in range(channels)], axis=1)


def _wav_bytes(wave: np.ndarray, sr: int = SR, **kwargs) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, wave, sr, format=kwargs.pop("format", "WAV"), **kwargs)
    return buffer.getvalue()


@dataclass(frozen=True)
class Row:
    """One kind of input: ``make(folder)`` writes its file(s) and returns the one the row is about."""

    id: str
    what: str
    make: Callable[[Path], Path]
    prepare: str  # "kept", or the rejection reason in prepare_report.json
    predict: str  # "kept" (a label), or a phrase of the error it is skipped with
    api: str  # "kept" (hf_ser.load_audio returns audio), or a phrase of its AudioDecodeError
    real: str = ""  # where the oddity occurs in a real public corpus


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return make


def _sf(name: str, wave: np.ndarray, sr: int = SR, **kwargs) -> Callable[[Path], Path]:
    return _write(name, _wav_bytes(wave, sr, **kwargs))


def _truncated(folder: Path) -> Path:
    data = _wav_bytes(speech(1.0, seed=5), subtype="PCM_16")
    (folder / "16x03Wa.wav").write_bytes(data[: len(data) // 2])
    return folder / "16x03Wa.wav"


def _with(values: list[float], seed: int) -> np.ndarray:
    wave = speech(0.5, seed=seed)
    wave[100 : 100 + len(values)] = values
    return wave


def _duplicate_across_speakers(folder: Path) -> Path:
    """The same bytes under another speaker's name (a copy that slipped into another actor's folder)."""
    original = folder / "03a01Wa.wav"
    copy = folder / "08x20Wa.wav"
    copy.write_bytes(original.read_bytes())
    return copy


def _duplicate_audio_other_format(folder: Path) -> Path:
    """The same samples as a good 16-bit take, stored as 32-bit float: other bytes, same audio."""
    wave, sr = sf.read(folder / "09a01Ta.wav", dtype="float32")
    sf.write(folder / "09x21Tb.wav", wave, sr, subtype="FLOAT")
    return folder / "09x21Tb.wav"


def _non_ascii_path(folder: Path) -> Path:
    sub = folder / "Aufnahmen März 2024"
    sub.mkdir(exist_ok=True)
    sf.write(sub / "16x22Na.wav", speech(0.5, seed=22), SR)
    return sub / "16x22Na.wav"


ROWS: tuple[Row, ...] = (
    Row("empty_file", "0-byte file", _write("16x01Wa.wav", b""), "empty", "empty file", "empty file"),
    Row(
        "zero_sample_wav",
        "valid WAV header, 0 samples",
        _sf("16x02Wa.wav", np.zeros(0, np.float32)),
        "empty",
        "empty audio",
        "empty audio",
    ),
    Row("truncated_wav", "WAV cut to half its declared length", _truncated, "truncated", "truncated", "truncated"),
    Row(
        "text_as_wav",
        "a text file named .wav",
        _write("16x04Wa.wav", b"this is not audio\n"),
        "unreadable",
        "cannot decode",
        "cannot decode",
    ),
    Row(
        "lfs_pointer",
        "a Git LFS pointer instead of the audio",
        _write("16x05Wa.wav", b"version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n"),
        "lfs_pointer",
        "cannot decode",
        "cannot decode",
    ),
    Row(
        "aifc_as_wav",
        "AIFF-C (float) content named .wav",
        _sf("16x06Wa.wav", speech(0.5, seed=6), format="AIFF", subtype="FLOAT"),
        KEPT,
        KEPT,
        KEPT,
        "AIFF-C files named .wav in public corpus copies",
    ),
    Row("rate_8k", "8 kHz", _sf("16x07Ta.wav", speech(0.5, 8000, seed=7), 8000), KEPT, KEPT, KEPT),
    Row("rate_44k1", "44.1 kHz", _sf("16x08Ta.wav", speech(0.5, 44100, seed=8), 44100), KEPT, KEPT, KEPT),
    Row(
        "rate_96k",
        "96 kHz",
        _sf("16x09Ta.wav", speech(0.5, 96000, seed=9), 96000),
        KEPT,
        KEPT,
        KEPT,
        "96 kHz files in public corpus copies",
    ),
    Row(
        "rate_24414",
        "24414 Hz (an awkward ratio to 16 kHz)",
        _sf("16x10Ta.wav", speech(0.5, 24414, seed=10), 24414),
        KEPT,
        KEPT,
        KEPT,
        "TESS is 24414 Hz",
    ),
    Row("stereo", "2 channels (downmixed)", _sf("16x11Na.wav", speech(0.5, seed=11, channels=2)), KEPT, KEPT, KEPT),
    Row(
        "six_channels", "6 channels (downmixed)", _sf("16x12Na.wav", speech(0.5, seed=12, channels=6)), KEPT, KEPT, KEPT
    ),
    Row(
        "nan_samples",
        "float WAV with NaN samples",
        _sf("16x13Na.wav", _with([np.nan], 13), subtype="FLOAT"),
        "non_finite",
        "non-finite",
        "non-finite",
    ),
    Row(
        "inf_samples",
        "float WAV with +inf/-inf samples",
        _sf("16x14Na.wav", _with([np.inf, -np.inf], 14), subtype="FLOAT"),
        "non_finite",
        "non-finite",
        "non-finite",
    ),
    Row(
        "all_zero",
        "41,108 zero samples (digital silence)",
        _sf("16x15Ta.wav", np.zeros(41108, np.float32), subtype="PCM_16"),
        "silent",
        "silent",
        KEPT,
        "CREMA-D holds one all-zero file (41,108 samples)",
    ),
    Row(
        "below_floor",
        "noise at -80 dBFS (under the -70 dBFS floor)",
        _sf(
            "16x16Ta.wav", (1e-4 * np.random.default_rng(16).standard_normal(16000)).astype(np.float32), subtype="FLOAT"
        ),
        "silent",
        "silent",
        KEPT,
    ),
    Row(
        "quiet_take",
        "a real-level quiet take (-55 dBFS; above the -70 dBFS floor, so prepared and predicted)",
        _sf("16x17Ta.wav", speech(0.5, seed=17, level=0.0025), subtype="FLOAT"),
        KEPT,
        KEPT,
        KEPT,
        "RAVDESS's quietest takes peak at -54.6 dBFS",
    ),
    Row("clip_50ms", "a 0.05 s clip", _sf("16x18Wa.wav", speech(0.05, seed=18)), KEPT, KEPT, KEPT),
    Row(
        "clip_10ms",
        "a 0.01 s clip (under one 25 ms frame)",
        _sf("16x19Wa.wav", speech(0.01, seed=19)),
        "too_short",
        "too short",
        "too short",
    ),
    Row(
        "unknown_label",
        "emotion letter X, not an EMO-DB code",
        _sf("16x23Xa.wav", speech(0.5, seed=23)),
        "unknown_label",
        KEPT,
        KEPT,
    ),
    Row(
        "no_speaker_prefix",
        "a misnamed take without the speaker prefix",
        _sf("x24Wa.wav", speech(0.5, seed=24)),
        "name_mismatch",
        KEPT,
        KEPT,
        "misnamed files without speaker prefix in public copies",
    ),
    Row(
        "duplicate_across_speakers",
        "the same bytes under another speaker's name",
        _duplicate_across_speakers,
        "duplicate",
        KEPT,
        KEPT,
        "RAVDESS Actor_07 holds two takes with identical bytes (tested on the real files when present)",
    ),
    Row(
        "duplicate_audio",
        "the same samples as another take, as float WAV (other bytes)",
        _duplicate_audio_other_format,
        "duplicate",
        KEPT,
        KEPT,
    ),
    Row("non_ascii_path", "folder name with spaces and umlauts", _non_ascii_path, KEPT, KEPT, KEPT),
)

# 4 speakers x 3 emotions of good takes the bad ones sit among (and 03a01Wa / 09a01Ta are copied by two rows).
GOOD_SPEAKERS = ("03", "08", "09", "10")
GOOD_EMOTIONS = ("W", "T", "N")


def build_matrix_folder(folder: Path) -> dict[str, Path]:
    """The good takes plus one file per row; returns row id -> that row's file."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, spk in enumerate(GOOD_SPEAKERS):
        for j, emo in enumerate(GOOD_EMOTIONS):
            sf.write(folder / f"{spk}a01{emo}a.wav", speech(0.6, seed=40 + 3 * i + j), SR, subtype="PCM_16")
    return {row.id: row.make(folder) for row in ROWS}
