"""Helpers for the modeling tests: tiny randomly initialised speech encoders (2 layers, hidden 32), model
builders and checks shared by the test modules (fixtures are in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

import hf_ser  # noqa: F401  (registers the Auto classes)
from hf_ser.modeling import SERConfig, SERForAudioClassification

LABELS = ("neutral", "happiness", "sadness", "anger")
ID2LABEL = dict(enumerate(LABELS))
LABEL2ID = {name: i for i, name in ID2LABEL.items()}

_SSL_SMALL = dict(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    conv_dim=(32, 32),
    conv_stride=(5, 4),
    conv_kernel=(10, 8),
    num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=2,
)


def build_encoder(kind: str):
    from transformers import (
        Data2VecAudioConfig,
        Data2VecAudioModel,
        HubertConfig,
        HubertModel,
        Wav2Vec2Config,
        Wav2Vec2Model,
        WavLMConfig,
        WavLMModel,
        WhisperConfig,
        WhisperModel,
    )

    if kind == "whisper":
        cfg = WhisperConfig(
            d_model=32,
            encoder_layers=2,
            decoder_layers=1,
            encoder_attention_heads=2,
            decoder_attention_heads=2,
            encoder_ffn_dim=64,
            decoder_ffn_dim=64,
            num_mel_bins=80,
            max_source_positions=1500,
            max_target_positions=32,
            vocab_size=100,
            pad_token_id=0,
            bos_token_id=1,
            eos_token_id=2,
            decoder_start_token_id=1,
            suppress_tokens=None,
            begin_suppress_tokens=None,
        )
        return WhisperModel(cfg)
    kw = dict(_SSL_SMALL)
    if kind == "wav2vec2_group":
        return Wav2Vec2Model(Wav2Vec2Config(feat_extract_norm="group", **kw))
    if kind == "wav2vec2_layer":
        return Wav2Vec2Model(Wav2Vec2Config(feat_extract_norm="layer", do_stable_layer_norm=True, **kw))
    if kind == "hubert":
        return HubertModel(HubertConfig(feat_extract_norm="group", **kw))
    if kind == "wavlm":
        return WavLMModel(WavLMConfig(feat_extract_norm="layer", num_buckets=16, max_bucket_distance=50, **kw))
    if kind == "data2vec_audio":
        kw.pop("num_conv_pos_embedding_groups")
        kw["num_conv_pos_embeddings"] = 4
        return Data2VecAudioModel(Data2VecAudioConfig(**kw))
    raise KeyError(kind)


ENCODERS = ("wav2vec2_group", "wav2vec2_layer", "hubert", "wavlm", "data2vec_audio", "whisper")


def make_config(**kwargs) -> SERConfig:
    kwargs.setdefault("id2label", ID2LABEL)
    kwargs.setdefault("label2id", LABEL2ID)
    return SERConfig(**kwargs)


def make_model(**kwargs) -> SERForAudioClassification:
    torch.manual_seed(0)
    return SERForAudioClassification(make_config(**kwargs))


def padding_gap(model, fe, short: np.ndarray, long: np.ndarray) -> float:
    """Max |logits(short alone) - logits(short batched with a longer clip)| in eval mode."""
    model.eval()
    with torch.no_grad():
        one = model(**fe([short], sampling_rate=16000, return_tensors="pt")).logits[0]
        both = model(**fe([short, long], sampling_rate=16000, padding=True, return_tensors="pt")).logits[0]
    return (one - both).abs().max().item()


def train_step(model, fe, clips, steps: int = 1) -> float:
    """A few optimizer steps; returns the last loss (and checks gradients reach the head)."""
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-2)
    batch = fe(list(clips), sampling_rate=16000, return_tensors="pt")
    labels = torch.arange(len(clips)) % len(LABELS)
    loss = None
    for _ in range(steps):
        out = model(**batch, labels=labels)
        out.loss.backward()
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in params)
        opt.step()
        opt.zero_grad()
        loss = out.loss.item()
    model.eval()
    return loss


def write_wav(path: Path, wave: np.ndarray, sr: int = 16000) -> Path:
    import soundfile as sf

    sf.write(str(path), wave, sr, subtype="PCM_16")
    return path
