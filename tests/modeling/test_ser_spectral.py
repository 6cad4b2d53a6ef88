"""The MFCC / log-mel front end (`SpectralFrontend`) against a per-clip reference written the straightforward
way (torch.stft, |X|^2, mel matrix, dB, DCT, regression deltas; the implementation the recipes' models were
trained with) and against librosa (the seeds' MFCC), on clips batched with zero padding."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch
from ser_testutils import make_model

from hf_ser.modeling import SERFeatureExtractor

SR = 16000
MFCC_RECIPE = dict(frontend="mfcc", n_mfcc=40, n_mels=64, win_length_ms=25.0, hop_length_ms=10.0)


def reference_features(model, wave: np.ndarray) -> np.ndarray:
    """[T, D] of one clip on its own, step by step as the front end's docstring describes (float32, as the model)."""
    front, cfg = model.frontend, model.config
    x = torch.from_numpy(wave)
    if x.numel() < front.n_fft:
        x = torch.nn.functional.pad(x, (0, front.n_fft - x.numel()))
    window = torch.hann_window(front.win_length)
    spec = torch.stft(x, front.n_fft, front.hop_length, front.win_length, window, center=False, return_complex=True)
    mel = front.mel_fb.T @ spec.abs() ** 2  # [n_mels, T]
    db = 10.0 * torch.log10(mel.clamp(min=1e-10))
    feats = torch.maximum(db, db.max() - 80.0)
    if cfg.frontend == "mfcc":
        feats = front.dct.T @ feats
    parts = [feats.T.numpy()]  # [T, D]
    for _ in range(cfg.deltas):  # 5-frame regression, edge frames replicated (torchaudio's compute_deltas)
        c = np.pad(parts[-1], ((2, 2), (0, 0)), mode="edge")
        parts.append((2 * (c[4:] - c[:-4]) + (c[3:-1] - c[1:-3])) / 10)
    feats = np.concatenate(parts, axis=1)
    if cfg.feature_normalization == "utterance":
        feats = (feats - feats.mean(0)) / np.sqrt(feats.var(0) + 1e-5)
    return feats


@pytest.fixture(scope="module")
def waves() -> list[np.ndarray]:
    """Noise; a tone over faint noise, then digital silence (the 80 dB floor bites there); a clip shorter than one
    window."""
    rng = np.random.default_rng(0)
    t = np.arange(int(1.7 * SR)) / SR
    tone = ((0.5 * np.sin(2 * np.pi * 310 * t) + 1e-3 * rng.standard_normal(t.size)) * (t < 1.0)).astype(np.float32)
    return [
        (0.1 * rng.standard_normal(20000)).astype(np.float32),
        tone,
        (0.1 * rng.standard_normal(8000)).astype(np.float32),
        (0.1 * rng.standard_normal(300)).astype(np.float32),
    ]


@pytest.mark.parametrize(
    "options",
    [
        MFCC_RECIPE,
        dict(frontend="mfcc", deltas=2),
        dict(frontend="logmel", deltas=1, n_mels=40),
        dict(frontend="logmel", feature_normalization="none"),
        dict(frontend="mfcc", feature_normalization="none", n_fft=1024, win_length_ms=40.0, hop_length_ms=12.5),
    ],
    ids=["mfcc-recipe", "mfcc-deltas2", "logmel-deltas", "logmel-nonorm", "mfcc-nonorm-nfft1024"],
)
def test_batched_features_match_the_per_clip_reference(options, waves):
    model = make_model(**options).eval()
    batch = SERFeatureExtractor(do_normalize=False)(waves, sampling_rate=SR, padding=True, return_tensors="pt")
    with torch.no_grad():
        feats, mask = model.compute_frontend(batch["input_values"], batch["attention_mask"])
    assert feats.dtype == torch.float32 and feats.shape[2] == model.frontend.output_dim
    for i, wave in enumerate(waves):
        ref = reference_features(model, wave)
        n = int(mask[i].sum())
        assert n == ref.shape[0] == max(1, 1 + (len(wave) - model.frontend.n_fft) // model.frontend.hop_length)
        assert torch.all(feats[i, n:] == 0)
        scale = 1.0 if options.get("feature_normalization", "utterance") == "utterance" else np.abs(ref).max()
        np.testing.assert_allclose(feats[i, :n].numpy(), ref, rtol=0, atol=1e-4 * scale)


def test_mfcc_matches_librosa(waves):
    """The recipe's MFCC equals librosa's with the same settings (the seeds computed it file by file)."""
    model = make_model(**MFCC_RECIPE, feature_normalization="none").eval()
    with torch.no_grad():
        for wave in waves[:3]:
            ours = model.compute_frontend(torch.from_numpy(wave)[None])[0][0].numpy()
            ref = librosa.feature.mfcc(
                y=wave.astype(np.float64), sr=SR, n_mfcc=40, n_fft=512, hop_length=160, win_length=400,
                center=False, n_mels=64, htk=True, mel_norm=None, fmin=0.0, fmax=SR / 2,
            ).T  # fmt: skip
            np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-4 * np.abs(ref).max())
