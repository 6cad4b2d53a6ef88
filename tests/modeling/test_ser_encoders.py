"""Pretrained-encoder front ends on tiny random wav2vec2 (group and layer norm), HuBERT, WavLM,
data2vec-audio and Whisper encoders: forward, backward, masking rule / padding invariance, freezing,
cached layer features, save_pretrained -> Auto classes (self-contained, no download) and pipeline."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from ser_testutils import ENCODERS, LABELS, make_model, padding_gap, train_step, write_wav
from transformers import AutoModelForAudioClassification, pipeline

from hf_ser.modeling import SERFeatureExtractor, SERForAudioClassification

# per encoder: a plain fine-tuned encoder + MLP head, and a frozen encoder + weighted layer sum + BiLSTM head
VARIANTS = {
    "finetune-mlp": dict(head="mlp", head_hidden_size=16),
    "frozen-layersum-lstm": dict(
        head="lstm", head_hidden_size=16, layer_combination="weighted_sum", freeze_encoder=True, pooling="attention"
    ),
}
CASES = [(enc, var, "real_length") for enc in ENCODERS for var in VARIANTS] + [
    ("whisper", var, "padded") for var in VARIANTS
]


def _model(encoder_dirs, encoder, variant, whisper_input="real_length", **extra):
    return make_model(
        frontend="encoder",
        encoder_name_or_path=encoder_dirs[encoder],
        whisper_input=whisper_input,
        **{"whisper_pad_seconds": 30.0, **VARIANTS[variant], **extra},
    )


@pytest.mark.parametrize(("encoder", "variant", "whisper_input"), CASES)
def test_encoder_front_end(encoder, variant, whisper_input, encoder_dirs, fe, clips, tmp_path):
    model = _model(encoder_dirs, encoder, variant, whisper_input)
    assert model.config.encoder_config["model_type"] in ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "whisper")
    enc_before = {k: v.clone() for k, v in model.encoder.state_dict().items()}

    loss = train_step(model, fe, clips)
    assert loss > 0
    frozen = model.config.freeze_encoder
    enc_after = model.encoder.state_dict()
    changed = [k for k in enc_before if not torch.equal(enc_before[k], enc_after[k])]
    assert (not changed) if frozen else changed
    assert padding_gap(model, fe, *clips) < 1e-4

    # self-contained save: the encoder architecture comes from config.encoder_config, weights from our checkpoint
    model.save_pretrained(tmp_path / "model")
    fe.save_pretrained(tmp_path / "model")
    config_file = tmp_path / "model" / "config.json"
    saved = json.loads(config_file.read_text())
    saved["encoder_name_or_path"] = str(tmp_path / "no-such-encoder")  # loading must not need the original
    config_file.write_text(json.dumps(saved))
    loaded = AutoModelForAudioClassification.from_pretrained(tmp_path / "model").eval()
    assert isinstance(loaded, SERForAudioClassification)
    assert loaded.config.encoder_config == model.config.encoder_config
    batch = fe(list(clips), sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        torch.testing.assert_close(loaded(**batch).logits, model(**batch).logits, rtol=0, atol=1e-6)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_masking_rule(encoder, encoder_dirs):
    model = _model(encoder_dirs, encoder, "finetune-mlp")
    # only layer-norm wav2vec2 / HuBERT / WavLM are given the attention mask; the rest run in equal-length groups
    assert model.frontend.use_mask == (encoder in ("wav2vec2_layer", "wavlm"))


@pytest.mark.parametrize("encoder", ["wav2vec2_group", "wav2vec2_layer", "whisper"])
def test_cached_layer_features(encoder, encoder_dirs, fe, clips):
    model = _model(encoder_dirs, encoder, "frozen-layersum-lstm").eval()
    batch = fe(list(clips), sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        feats, mask = model.compute_frontend(batch["input_values"], batch["attention_mask"])
    n_hidden = 3  # embeddings + 2 layers
    assert feats.dim() == 4 and feats.shape[:2] == (2, n_hidden) and feats.shape[2] == mask.shape[1]
    assert mask.dtype == torch.bool and mask.sum(1)[0] < mask.sum(1)[1]
    assert not feats.requires_grad  # frozen encoder runs without autograd
    assert model.can_cache_frontend()
    # the cache can be fp16; layer weights still train in classify_frontend
    model.train()
    out = model.classify_frontend(feats.half(), mask, labels=torch.tensor([0, 1]))
    out.loss.backward()
    assert model.layer_sum.weight.grad is not None
    assert model.encoder.training is False  # frozen encoder stays in eval mode (no dropout) while training
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model.classify_frontend(feats, mask).logits, model(**batch).logits)


def test_single_encoder_layer_and_freeze_feature_encoder(encoder_dirs, fe, clips):
    model = make_model(
        frontend="encoder",
        encoder_name_or_path=encoder_dirs["hubert"],
        encoder_layers=1,
        head="cnn",
        head_channels=[8],
        freeze_feature_encoder=True,
    )
    feats, _ = model.compute_frontend(**fe(list(clips), sampling_rate=16000, return_tensors="pt"))
    assert feats.dim() == 3 and feats.shape[-1] == 32
    assert not any(p.requires_grad for p in model.encoder.feature_extractor.parameters())
    assert not model.can_cache_frontend()
    assert any(p.requires_grad for p in model.encoder.encoder.parameters())
    with pytest.raises(ValueError, match="encoder_layers"):
        make_model(frontend="encoder", encoder_name_or_path=encoder_dirs["hubert"], encoder_layers=5)


def test_whisper_real_length_and_padded_30s(encoder_dirs, fe, clips):
    """Both Whisper input modes run; padded to 30 s equals transformers' own WhisperEncoder on 30 s input."""
    from transformers import WhisperFeatureExtractor, WhisperModel

    # transformers' reference sees the raw waveform (level normalisation: test_level_invariance.py)
    raw = {"level_normalization": "none"}
    real = _model(encoder_dirs, "whisper", "frozen-layersum-lstm", "real_length", **raw).eval()
    padded = _model(encoder_dirs, "whisper", "frozen-layersum-lstm", "padded", **raw).eval()
    padded.load_state_dict(real.state_dict())
    batch = fe([clips[0]], sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        f_real, m_real = real.compute_frontend(**batch)
        f_pad, m_pad = padded.compute_frontend(**batch)
        assert torch.equal(m_real, m_pad) and m_real.sum().item() == (8000 // 160 - 1) // 2 + 1
        # transformers' reference: WhisperFeatureExtractor (30 s) + WhisperEncoder, hidden states cut to real frames
        ref_fe = WhisperFeatureExtractor(feature_size=80)
        mel = ref_fe(batch["input_values"][0].numpy(), sampling_rate=16000, return_tensors="pt").input_features
        torch.testing.assert_close(
            padded.frontend.logmel(torch.nn.functional.pad(batch["input_values"], (0, 472000))), mel
        )
        ref = WhisperModel.from_pretrained(encoder_dirs["whisper"]).encoder.eval()
        hidden = ref(mel, output_hidden_states=True).hidden_states
        t = f_pad.shape[2]
        for i in range(3):
            torch.testing.assert_close(f_pad[0, i], hidden[i][0, :t], rtol=1e-5, atol=1e-5)
        # real length: same frames, computed without the 30 s of padding
        assert f_real.shape == f_pad.shape
        assert torch.nn.functional.cosine_similarity(f_real[0, 0], f_pad[0, 0], dim=-1).mean() > 0.5


@pytest.mark.parametrize("encoder", ["wav2vec2_group", "whisper"])
def test_pipeline_with_encoder_model(encoder, encoder_dirs, fe, clips, tmp_path):
    model = _model(encoder_dirs, encoder, "frozen-layersum-lstm").eval()
    model.save_pretrained(tmp_path)
    fe.save_pretrained(tmp_path)
    clf = pipeline("audio-classification", model=str(tmp_path))
    preds = clf(clips[0], top_k=None)
    assert {p["label"] for p in preds} == set(LABELS)
    if shutil.which("ffmpeg") is None:
        pytest.skip("pipeline() decodes file paths with the ffmpeg program, which is not installed")
    path = write_wav(tmp_path / "clip.wav", clips[0])
    assert {p["label"] for p in clf(str(path), top_k=None)} == set(LABELS)


def test_whisper_padded_window_equals_manual_zero_padding(encoder_dirs, fe, clips):
    """`padded` with a 1 s window: a 0.5 s clip is encoded as if zero-padded to 1 s (output cut to its real
    frames); a clip longer than the window runs on its own length; batching changes nothing."""
    # manual zero padding makes the zeros real samples, which a clip's own level normalisation would count
    raw = {"level_normalization": "none"}
    model = _model(encoder_dirs, "whisper", "frozen-layersum-lstm", "padded", whisper_pad_seconds=1.0, **raw).eval()
    real = _model(encoder_dirs, "whisper", "frozen-layersum-lstm", "real_length", **raw).eval()
    real.load_state_dict(model.state_dict())
    fe = SERFeatureExtractor(do_normalize=False)  # as for Whisper: zero padding must stay silence
    short, long = clips
    with torch.no_grad():
        f_short, m_short = model.compute_frontend(**fe([short], sampling_rate=16000, return_tensors="pt"))
        manual = np.concatenate([short, np.zeros(16000 - len(short), dtype=np.float32)])
        f_manual, _ = real.compute_frontend(**fe([manual], sampling_rate=16000, return_tensors="pt"))
        t = int(m_short.sum())
        assert t == (8000 // 160 - 1) // 2 + 1
        torch.testing.assert_close(f_short[0, :, :t], f_manual[0, :, :t], rtol=1e-5, atol=1e-5)
        f_long, _ = model.compute_frontend(**fe([long], sampling_rate=16000, return_tensors="pt"))
        f_long_real, _ = real.compute_frontend(**fe([long], sampling_rate=16000, return_tensors="pt"))
        torch.testing.assert_close(f_long, f_long_real)
    assert padding_gap(model, fe, short, long) < 1e-5


@pytest.mark.parametrize("combination", ["concat", "ensemble", "weighted_sum"])
def test_mean_pooled_layers_and_combinations(combination, encoder_dirs, fe, clips, tmp_path):
    """`encoder_pooling="mean"` gives one vector per layer ([B, L, 1, D], the time-mean of the real frames);
    every layer combination trains on it (per-layer standardisation), is padding-invariant, saves and reloads."""
    model = make_model(
        frontend="encoder",
        encoder_name_or_path=encoder_dirs["whisper"],
        freeze_encoder=True,
        encoder_pooling="mean",
        layer_combination=combination,
        feature_standardization=True,
        head="mlp",
        head_num_layers=0,
    ).eval()
    frames_model = make_model(
        frontend="encoder",
        encoder_name_or_path=encoder_dirs["whisper"],
        freeze_encoder=True,
        layer_combination="weighted_sum",
    ).eval()
    frames_model.encoder.load_state_dict(model.encoder.state_dict())
    batch = fe(list(clips), sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        pooled, mask = model.compute_frontend(**batch)
        frames, frame_mask = frames_model.compute_frontend(**batch)
    assert pooled.shape == (2, 3, 1, 32) and mask.shape == (2, 1) and mask.all()
    for i in range(2):
        n = int(frame_mask[i].sum())
        torch.testing.assert_close(pooled[i, :, 0], frames[i, :, :n].mean(1), rtol=1e-5, atol=1e-6)

    mean, std = model.fit_feature_statistics([batch])
    assert mean.shape == (3, 32)  # per layer and dimension
    torch.testing.assert_close(mean, pooled[:, :, 0].mean(0).double().float(), rtol=1e-4, atol=1e-5)
    head_params = sum(p.numel() for p in model.head.parameters())
    assert (
        head_params == {"concat": 3 * 32 * 4 + 4, "ensemble": 3 * (32 * 4 + 4), "weighted_sum": 32 * 4 + 4}[combination]
    )
    assert train_step(model, fe, clips, steps=3) > 0
    assert padding_gap(model, fe, *clips) < 1e-5
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape == (2, len(LABELS))
    if combination == "ensemble":  # mean log-probability of the per-layer heads
        with torch.no_grad():
            per_layer = model.head((pooled - model.feature_mean[:, None]) / model.feature_std[:, None], mask)
        assert per_layer.shape == (2, 3, len(LABELS))
        torch.testing.assert_close(logits, torch.log_softmax(per_layer, -1).mean(1))
    model.save_pretrained(tmp_path / "m")
    loaded = AutoModelForAudioClassification.from_pretrained(tmp_path / "m").eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(**batch).logits, logits)


def test_train_mode_keeps_a_frozen_encoder_in_eval_and_switches_the_rest(encoder_dirs):
    model = _model(encoder_dirs, "whisper", "frozen-layersum-lstm", "padded")
    encoder_modules = {id(m) for m in model.encoder.modules()}
    rest = [m for m in model.modules() if id(m) not in encoder_modules]
    for mode in (True, False, True):
        model.train(mode)
        assert all(not m.training for m in model.encoder.modules())
        assert all(m.training == mode for m in rest)
    trainable = _model(encoder_dirs, "whisper", "finetune-mlp", "padded").train()
    assert all(m.training for m in trainable.modules())  # an encoder being fine-tuned trains (dropout on)
    trainable.eval()
    assert not any(m.training for m in trainable.modules())


@pytest.mark.parametrize("encoder", ["wav2vec2_layer", "whisper"])
def test_bfloat16_encoder_precision_is_close_and_auto_follows_the_device(encoder, encoder_dirs, fe, clips, monkeypatch):
    from hf_ser.modeling import frontends

    model = _model(encoder_dirs, encoder, "frozen-layersum-lstm", "padded").eval()
    batch = fe(list(clips), sampling_rate=16000, return_tensors="pt")

    def features(precision):
        model.config.encoder_precision = precision
        with torch.no_grad():
            return model.compute_frontend(batch["input_values"], batch["attention_mask"])

    full, mask = features("float32")
    half, half_mask = features("bfloat16")
    assert half.dtype == torch.float32 and torch.equal(mask, half_mask)
    assert 0 < ((half - full).norm() / full.norm()).item() < 0.05  # bfloat16 ran, and stays close
    monkeypatch.setattr(frontends, "native_bfloat16", lambda device: False)
    assert torch.equal(features("auto")[0], full)  # no fast bfloat16 here: auto is float32
    monkeypatch.setattr(frontends, "native_bfloat16", lambda device: True)
    assert torch.equal(features("auto")[0], half)
    with pytest.raises(ValueError, match="encoder_precision"):
        make_model(frontend="encoder", encoder_name_or_path=encoder_dirs[encoder], encoder_precision="fp8")
