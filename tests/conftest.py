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


@pytest.fixture
def fake_hub(monkeypatch) -> list:
    """``huggingface_hub.HfApi`` replaced by a recorder: each call as a tuple, uploads with the files they carry
    (name -> bytes). Shared by every test of a Hub upload (``hf-ser push``, training's push, the model's own)."""
    import huggingface_hub

    calls: list = []

    class FakeApi:
        def __init__(self, token=None):
            calls.append(("init", token))

        def create_repo(self, repo_id, private=False, exist_ok=False, **kwargs):
            calls.append(("create_repo", repo_id, private, exist_ok))
            return huggingface_hub.RepoUrl(f"https://huggingface.co/{repo_id}")

        def upload_folder(self, repo_id, folder_path, commit_message=None, ignore_patterns=None, **kwargs):
            files = {
                name: open(os.path.join(folder_path, name), "rb").read()
                for name in sorted(os.listdir(folder_path))
                if os.path.isfile(os.path.join(folder_path, name))
            }
            calls.append(("upload_folder", repo_id, sorted(os.listdir(folder_path)), ignore_patterns, files))

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    return calls
