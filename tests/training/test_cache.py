"""Feature cache: exact equivalence with uncached training, reuse across runs, keys, speaker z."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from hf_ser.training import cache as fc
from hf_ser.training import cv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny_cv import tiny_argv  # noqa: E402

TINY_WHISPER = json.dumps(
    {
        "model_type": "whisper",
        "d_model": 16,
        "encoder_layers": 2,
        "encoder_attention_heads": 2,
        "encoder_ffn_dim": 32,
        "decoder_layers": 1,
        "decoder_attention_heads": 2,
        "decoder_ffn_dim": 32,
        "num_mel_bins": 80,
        "max_source_positions": 1500,
    }
)


def _model(**kwargs):
    from hf_ser.modeling import SERConfig, SERForAudioClassification, feature_extractor_for

    torch.manual_seed(0)
    config = SERConfig(num_labels=4, n_mfcc=13, n_mels=26, **kwargs)
    model = SERForAudioClassification(config)
    return model, feature_extractor_for(model.config)


def _cells(n: int = 5) -> list[dict]:
    from hf_ser.audio import encode_wav

    rng = np.random.default_rng(0)
    return [
        {
            "bytes": encode_wav((0.1 * rng.standard_normal(4000 + 1500 * i)).astype(np.float32), 16000),
            "path": f"{i}.wav",
        }
        for i in range(n)
    ]


def _results(out: Path) -> tuple[dict, list[list[int]]]:
    r = json.loads((out / cv.CV_RESULTS).read_text())
    preds = [json.loads(p.read_text())["y_pred"] for p in sorted(out.glob(f"fold_*/{cv.PREDICTIONS}"))]
    return r, preds


@pytest.mark.parametrize(
    "extra",
    [
        {"spec_augment": "true", "head_dropout": 0.3},  # MFCC; SpecAugment and dropout still run on cached input
        {  # frozen (tiny, random) Whisper encoder, all hidden states cached for the weighted layer sum
            "frontend": "encoder",
            "encoder_config": TINY_WHISPER,
            "freeze_encoder": "true",
            "layer_combination": "weighted_sum",
            "cache_dtype": "float32",
        },
        {  # the whisper_base.yaml layout: 1 s padding, time-mean per layer, per-layer heads, speed copies
            "frontend": "encoder",
            "encoder_config": TINY_WHISPER,
            "freeze_encoder": "true",
            "whisper_input": "padded",
            "whisper_pad_seconds": 1.0,
            "encoder_pooling": "mean",
            "layer_combination": "ensemble",
            "feature_standardization": "true",
            "head_num_layers": 0,
            "speed_perturbation": [0.9, 1.1],
            "cache_dtype": "float32",
        },
    ],
    ids=["mfcc", "frozen_whisper", "pooled_whisper_ensemble_speed"],
)
def test_cached_training_equals_uncached(tmp_path: Path, extra: dict):
    assert cv.main(tiny_argv(tmp_path, "cached", num_folds=2, cache_features="true", **extra)) == 0
    assert cv.main(tiny_argv(tmp_path, "uncached", num_folds=2, cache_features="false", **extra)) == 0
    cached, cached_preds = _results(tmp_path / "cached")
    uncached, uncached_preds = _results(tmp_path / "uncached")
    copies = 1 + len(extra.get("speed_perturbation", []))  # every clip is a training clip in some fold
    assert cached["feature_cache"]["enabled"] and cached["feature_cache"]["computed"] == 32 * copies
    assert not uncached["feature_cache"]["enabled"]
    assert cached_preds == uncached_preds
    assert cached["pooled"] == uncached["pooled"]
    assert [f["validation_uar"] for f in cached["folds"]] == [f["validation_uar"] for f in uncached["folds"]]


def test_second_run_reuses_the_cache(tmp_path: Path, monkeypatch):
    assert cv.main(tiny_argv(tmp_path, "first", num_folds=2)) == 0
    first, _ = _results(tmp_path / "first")
    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*.npy")}
    assert first["feature_cache"]["computed"] == 32 and len(files) == 32

    calls = []
    from hf_ser.modeling import SERForAudioClassification

    original = SERForAudioClassification.compute_frontend

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SERForAudioClassification, "compute_frontend", counting)
    assert cv.main(tiny_argv(tmp_path, "second", num_folds=2)) == 0
    second, _ = _results(tmp_path / "second")
    assert second["feature_cache"]["computed"] == 0 and second["feature_cache"]["reused"] == 32
    assert not calls  # the front end never ran: neither to fill the cache nor in training
    assert {p: p.stat().st_mtime_ns for p in files} == files
    assert second["pooled"] == first["pooled"]


def test_cache_roundtrip_padding_and_mask_match_compute_frontend(tmp_path: Path):
    model, fe = _model()
    cells = _cells()
    cache = fc.FeatureCache.for_model(model, str(tmp_path), "float32")
    keys = [fc.audio_key(c) for c in cells]
    stats = cache.compute(model, fe, cells, keys, progress=False)
    assert (stats.computed, stats.reused) == (5, 0)
    assert cache.compute(model, fe, cells, keys, progress=False).computed == 0

    from hf_ser.audio import decode_audio_field

    inputs = fe([decode_audio_field(c, 16000) for c in cells], sampling_rate=16000, padding=True, return_tensors="pt")
    with torch.no_grad():
        feats, mask = model.compute_frontend(inputs["input_values"], inputs["attention_mask"])
    batch = fc.CachedFeatureCollator(cache)([{"feature_key": k, "emotion": 1} for k in keys])
    model.eval()
    assert torch.equal(batch["frontend_mask"], mask)
    torch.testing.assert_close(batch["frontend_features"], feats, atol=1e-4, rtol=1e-4)
    assert batch["labels"].tolist() == [1] * 5
    with torch.no_grad():
        cached_logits = model(frontend_features=batch["frontend_features"], frontend_mask=batch["frontend_mask"]).logits
        logits = model(**inputs).logits
    torch.testing.assert_close(cached_logits, logits, atol=1e-4, rtol=1e-4)


def test_fingerprint_tracks_what_the_features_depend_on(tmp_path: Path):
    base, _ = _model()
    fp = fc.frontend_fingerprint(base, "float32")[0]
    assert fc.frontend_fingerprint(_model()[0], "float32")[0] == fp  # head-only differences do not matter
    assert fc.frontend_fingerprint(_model(head="lstm", pooling="attention")[0], "float32")[0] == fp
    assert fc.frontend_fingerprint(base, "float16")[0] != fp
    assert fc.frontend_fingerprint(_model(deltas=1)[0], "float32")[0] != fp
    enc = dict(frontend="encoder", encoder_config=json.loads(TINY_WHISPER), freeze_encoder=True)
    a = _model(layer_combination="weighted_sum", **enc)[0]
    b = _model(layer_combination="weighted_sum", encoder_layers=[0, 1], **enc)[0]
    assert fc.frontend_fingerprint(a, "float16")[0] != fc.frontend_fingerprint(b, "float16")[0]
    with torch.no_grad():
        b.encoder.conv1.weight.add_(1.0)  # other encoder weights -> other features
    c = _model(layer_combination="weighted_sum", encoder_layers=[0, 1], **enc)[0]
    assert fc.frontend_fingerprint(b, "float16")[0] != fc.frontend_fingerprint(c, "float16")[0]
    assert fc.resolve_dtype("auto", a.config) == "float16" and fc.resolve_dtype("auto", base.config) == "float32"
    # bfloat16 encoder features are other features; float32 ones keep the fingerprint they always had
    assert "encoder_autocast" not in fc.frontend_fingerprint(c, "float16")[1]
    d = _model(layer_combination="weighted_sum", encoder_layers=[0, 1], encoder_precision="bfloat16", **enc)[0]
    d.encoder.load_state_dict(c.encoder.state_dict())
    assert fc.frontend_fingerprint(d, "float16")[1]["encoder_autocast"] == "bfloat16"
    assert fc.frontend_fingerprint(d, "float16")[0] != fc.frontend_fingerprint(c, "float16")[0]


def test_uncacheable_setups_are_detected():
    from types import SimpleNamespace

    mfcc, _ = _model()
    assert fc.uncacheable_reason(mfcc, SimpleNamespace(augment=False, max_duration_seconds=None)) is None
    assert "augment" in fc.uncacheable_reason(mfcc, SimpleNamespace(augment=True))
    assert "crop" in fc.uncacheable_reason(mfcc, SimpleNamespace(augment=False, max_duration_seconds=2.0))
    enc = _model(frontend="encoder", encoder_config=json.loads(TINY_WHISPER), freeze_encoder=False)[0]
    assert "encoder" in fc.uncacheable_reason(enc)
    frozen = _model(frontend="encoder", encoder_config=json.loads(TINY_WHISPER), freeze_encoder=True)[0]
    assert fc.uncacheable_reason(frozen) is None


def test_speaker_z_uses_each_speakers_own_frames(tmp_path: Path):
    model, fe = _model(feature_normalization="none")
    cells = _cells(6)
    keys = [fc.audio_key(c) for c in cells]
    cache = fc.FeatureCache.for_model(model, str(tmp_path), "float32")
    cache.compute(model, fe, cells, keys, progress=False)
    speakers = ["a", "a", "a", "b", "b", "b"]
    stats = fc.speaker_statistics(cache, keys, speakers)
    collate = fc.CachedFeatureCollator(cache, speaker_stats=stats)
    for spk in ("a", "b"):
        rows = [{"feature_key": k, "speaker_id": s} for k, s in zip(keys, speakers, strict=True) if s == spk]
        batch = collate(rows)
        frames = batch["frontend_features"][batch["frontend_mask"]]  # [frames, D], real frames only
        torch.testing.assert_close(frames.mean(0), torch.zeros(frames.shape[1]), atol=1e-3, rtol=0)
        torch.testing.assert_close(frames.std(0, unbiased=False), torch.ones(frames.shape[1]), atol=1e-2, rtol=0)


def test_default_cache_dir_honours_env(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("HF_SER_CACHE", str(tmp_path / "x"))
    assert fc.default_cache_dir() == str(tmp_path / "x")
    monkeypatch.delenv("HF_SER_CACHE")
    assert fc.default_cache_dir().endswith("/.cache/hf_ser/features")


def test_truncated_entries_count_as_missing_and_a_full_disk_is_a_clear_error(tmp_path: Path, monkeypatch):
    import errno

    model, fe = _model()
    cache = fc.FeatureCache.for_model(model, str(tmp_path / "cache"))
    cells = _cells(3)
    keys = [fc.audio_key(c) for c in cells]
    assert cache.compute(model, fe, cells, keys, progress=False).computed == 3
    path = cache.path(keys[0])
    whole = Path(path).read_bytes()
    expected = np.load(path)
    Path(path).write_bytes(whole[:-8])
    assert not fc.entry_is_complete(path) and not cache.has(keys[0]) and cache.has(keys[1])
    again = fc.FeatureCache.for_model(model, str(tmp_path / "cache"))
    assert again.compute(model, fe, cells, keys, progress=False).computed == 1
    np.testing.assert_allclose(np.load(path), expected, atol=1e-4)  # alone, not in a padded batch: ~1e-6 apart

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fc.np, "save", disk_full)
    with pytest.raises(fc.FeatureCacheError, match="the disk is full"):
        again.compute(model, fe, _cells(4)[3:], progress=False)
