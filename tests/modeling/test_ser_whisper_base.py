"""The real Whisper-base encoder (../shared/models/whisper-base): our in-model log-mel and 30 s-padded
encoder equal transformers' WhisperFeatureExtractor + WhisperEncoder; real-length runs; a saved model is
self-contained and runs in pipeline()."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch
from ser_testutils import LABELS, make_model

WHISPER_BASE = Path(__file__).resolve().parents[2].parent / "shared" / "models" / "whisper-base"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (WHISPER_BASE / "model.safetensors").exists(), reason=f"no {WHISPER_BASE}"),
]


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """2 s of a harmonic, amplitude-modulated signal at speech-like level (no corpus needed)."""
    t = np.arange(32000) / 16000
    f0 = 140 + 20 * np.sin(2 * np.pi * 0.5 * t)
    wave = sum(np.sin(2 * np.pi * k * np.cumsum(f0) / 16000) / k for k in range(1, 8))
    return (0.05 * wave * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def test_whisper_base_matches_transformers(speech, tmp_path):
    from transformers import WhisperFeatureExtractor, WhisperModel, pipeline

    from hf_ser.modeling import feature_extractor_for

    model = make_model(
        frontend="encoder",
        encoder_name_or_path=str(WHISPER_BASE),
        layer_combination="weighted_sum",
        freeze_encoder=True,
        whisper_input="padded",
        whisper_pad_seconds=30.0,
        head="mlp",
        level_normalization="none",  # transformers' reference sees the raw waveform (see test_level_invariance.py)
    ).eval()
    assert model.encoder.conv1.weight.dtype == torch.float32
    fe = feature_extractor_for(model.config)
    assert fe.do_normalize is False
    batch = fe(speech, sampling_rate=16000, return_tensors="pt")

    ref_fe = WhisperFeatureExtractor.from_pretrained(WHISPER_BASE)
    mel = ref_fe(speech, sampling_rate=16000, return_tensors="pt").input_features
    ref = WhisperModel.from_pretrained(WHISPER_BASE, dtype=torch.float32).encoder.eval()
    with torch.no_grad():
        ref_hidden = ref(mel, output_hidden_states=True).hidden_states
        padded, mask = model.compute_frontend(**batch)
        model.config.whisper_input = "real_length"
        start = time.perf_counter()
        real, mask_real = model.compute_frontend(**batch)
        real_s = time.perf_counter() - start
    t = int(mask.sum())
    assert t == 100 and padded.shape == (1, 7, 100, 512) and torch.equal(mask, mask_real)
    for i in range(7):  # pretrained weights loaded (not random) and the same computation as transformers
        torch.testing.assert_close(padded[0, i], ref_hidden[i][0, :t], rtol=1e-4, atol=1e-4)
    cos = torch.nn.functional.cosine_similarity(real[0], padded[0], dim=-1).mean(-1)
    print(f"real-length vs 30 s padded cosine per layer: {[round(c, 4) for c in cos.tolist()]}; real {real_s:.2f}s")
    assert cos[0] > 0.99  # same log-mel and convolutions; deeper layers see the missing 30 s of padding

    assert model.config.whisper_input == "real_length"
    model.save_pretrained(tmp_path)
    fe.save_pretrained(tmp_path)
    assert (tmp_path / "model.safetensors").stat().st_size > 70e6  # fp32 encoder weights inside
    clf = pipeline("audio-classification", model=str(tmp_path))
    assert {p["label"] for p in clf(speech, top_k=None)} == set(LABELS)
