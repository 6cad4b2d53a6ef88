"""Fixtures for the corpus tests: tiny, distinct audio files written into corpus-shaped trees."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf


def tone(key: str, sr: int = 16000, seconds: float = 0.05, channels: int = 1) -> np.ndarray:
    """A short noisy tone that is different for every ``key`` (so no two fixture files are duplicates)."""
    seed = zlib.crc32(key.encode())
    rng = np.random.default_rng(seed)
    n = int(sr * seconds)
    t = np.arange(n) / sr
    wave = 0.2 * np.sin(2 * np.pi * (150 + seed % 500) * t) + 0.01 * rng.standard_normal(n)
    if channels > 1:
        wave = np.stack([wave * (1 - 0.1 * c) for c in range(channels)], axis=1)
    return wave.astype(np.float32)


def write_audio(
    path: Path,
    key: str | None = None,
    *,
    sr: int = 16000,
    seconds: float = 0.05,
    channels: int = 1,
    format: str = "WAV",
    subtype: str = "PCM_16",
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(key or str(path), sr, seconds, channels), sr, format=format, subtype=subtype)
    return path


def write_bad_files(folder: Path, names: dict[str, str]) -> None:
    """``names``: {file name: kind} with kind in empty, text, truncated, lfs, short."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, kind in names.items():
        p = folder / name
        if kind == "empty":
            p.write_bytes(b"")
        elif kind == "text":
            p.write_text("this is not audio\n")
        elif kind == "lfs":
            p.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n")
        elif kind == "truncated":
            write_audio(p, f"trunc{name}", seconds=0.2)
            data = p.read_bytes()
            p.write_bytes(data[: len(data) // 2])
        elif kind == "short":
            write_audio(p, f"short{name}", seconds=0.005)
        else:
            raise ValueError(kind)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "hf_cache"


@pytest.fixture
def audio_writer() -> Callable[..., Path]:
    return write_audio


@pytest.fixture
def bad_writer() -> Callable[..., None]:
    return write_bad_files
