"""Fixtures for the modeling tests: tiny random encoders saved like Hub checkpoints (built once per
session), the feature extractor and two short clips."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

# pytest runs with --import-mode=importlib: make the shared helpers (ser_testutils.py) importable
sys.path.insert(0, str(Path(__file__).parent))

from ser_testutils import ENCODERS, build_encoder  # noqa: E402

from hf_ser.modeling import SERFeatureExtractor  # noqa: E402


@pytest.fixture(scope="session")
def encoder_dirs(tmp_path_factory) -> dict[str, str]:
    """Tiny random encoders saved with `save_pretrained`, used as `encoder_name_or_path`."""
    root = tmp_path_factory.mktemp("encoders")
    out = {}
    torch.manual_seed(0)
    for kind in ENCODERS:
        path = root / kind
        build_encoder(kind).save_pretrained(path)
        out[kind] = str(path)
    return out


@pytest.fixture(scope="session")
def fe() -> SERFeatureExtractor:
    return SERFeatureExtractor()


@pytest.fixture(scope="session")
def clips() -> tuple[np.ndarray, np.ndarray]:
    """A short (0.5 s) and a longer (1.25 s) random clip at 16 kHz."""
    rng = np.random.default_rng(0)
    return (
        (0.1 * rng.standard_normal(8000)).astype(np.float32),
        (0.1 * rng.standard_normal(20000)).astype(np.float32),
    )
