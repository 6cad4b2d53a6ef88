"""Shared pytest fixtures: offline Hugging Face, and a short test tone."""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest

# Tests never touch the network: the Hub client fails fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# Feature caches of test runs (and of the CLIs they start) stay out of the user's ~/.cache.
os.environ.setdefault("HF_SER_CACHE", tempfile.mkdtemp(prefix="hf-ser-test-cache-"))


@pytest.fixture
def tone() -> np.ndarray:
    """One second of a 220 Hz tone at 16 kHz (float32, amplitude 0.3)."""
    t = np.arange(16000) / 16000
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
