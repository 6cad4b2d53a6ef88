"""SERConfig: defaults, validation naming the field, JSON round trip, and the seeds' models as configs."""

from __future__ import annotations

import pytest
from ser_testutils import make_config, make_model
from transformers import AutoConfig

from hf_ser.labels import EMOTIONS
from hf_ser.modeling import SERConfig


def test_defaults_and_feature_dim():
    cfg = SERConfig()
    assert cfg.model_type == "hf-ser"
    assert cfg.frontend == "mfcc" and cfg.head == "mlp" and cfg.pooling == "mean"
    assert cfg.feature_dim == 40
    assert SERConfig(frontend="logmel", n_mels=32, deltas=2).feature_dim == 96


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"frontend": "wavelet"}, "frontend"),
        ({"head": "transformer"}, "head"),
        ({"pooling": "max"}, "pooling"),
        ({"deltas": 3}, "deltas"),
        ({"feature_normalization": "global"}, "feature_normalization"),
        ({"whisper_input": "chunked"}, "whisper_input"),
        ({"whisper_pad_seconds": 40.0}, "whisper_pad_seconds"),
        ({"layer_combination": "mean"}, "layer_combination"),
        ({"layer_combination": "concat"}, "layer_combination"),  # needs frontend="encoder"
        ({"encoder_pooling": "mean"}, "encoder_pooling"),  # needs frontend="encoder"
        (
            {"frontend": "encoder", "encoder_name_or_path": "x", "layer_combination": "ensemble", "spec_augment": True},
            "spec_augment",
        ),
        ({"frontend": "mfcc", "n_mfcc": 80, "n_mels": 40}, "n_mfcc"),
        ({"n_fft": 128}, "n_fft"),
        ({"head_kernel_sizes": [4]}, "head_kernel_sizes"),
        ({"head_channels": [32, 32], "head_kernel_sizes": [3, 3, 3]}, "head_kernel_sizes"),
        ({"head_channels": []}, "head_channels"),
        ({"head_dropout": 1.5}, "head_dropout"),
        ({"head_pool_size": 0}, "head_pool_size"),
        ({"head": "lstm", "head_num_layers": 0}, "head_num_layers"),
        ({"frontend": "encoder"}, "encoder_name_or_path"),
        ({"encoder_layers": [1, 2], "frontend": "encoder", "encoder_name_or_path": "x"}, "encoder_layers"),
        ({"class_weights": [1.0], "num_labels": 3}, "class_weights"),
        ({"sampling_rate": 0}, "sampling_rate"),
        ({"head_ensemble_size": 0}, "head_ensemble_size"),
    ],
)
def test_validation_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        SERConfig(**kwargs)


def test_round_trip_through_auto_config(tmp_path):
    cfg = make_config(frontend="logmel", head="parallel", head_channels=[8, 16], head_kernel_sizes=[3, 5], deltas=1)
    cfg.save_pretrained(tmp_path)
    loaded = AutoConfig.from_pretrained(tmp_path)
    assert isinstance(loaded, SERConfig)
    for key in ("frontend", "head", "head_channels", "head_kernel_sizes", "deltas", "id2label", "label2id"):
        assert getattr(loaded, key) == getattr(cfg, key)
    assert set(loaded.id2label.values()) <= set(EMOTIONS)


RAVDESS_8 = ("neutral", "calm", "happiness", "sadness", "anger", "fear", "disgust", "surprise")

# The seeds' classic architectures, as hf-ser configs.
SEED_CONFIGS = {
    # Conv1D(256, kernel 5) -> 4 x LSTM(128) -> dropout -> softmax, on 40 MFCCs
    "conv1d256_4xlstm128": dict(
        frontend="mfcc",
        n_mfcc=40,
        head="cnn_lstm",
        head_channels=[256],
        head_kernel_sizes=[5],
        head_num_layers=4,
        head_hidden_size=128,
        bidirectional=False,
        head_dropout=0.2,
    ),
    # 2 x (Conv1D + pool) -> 2 x LSTM on 40 MFCCs
    "2cnn_2lstm": dict(
        frontend="mfcc",
        n_mfcc=40,
        head="cnn_lstm",
        head_channels=[64, 128],
        head_kernel_sizes=[3],
        head_pool_size=2,
        head_num_layers=2,
        head_hidden_size=128,
        bidirectional=False,
        head_dropout=0.2,
    ),
    # ParallelModel: CNN branch || BiLSTM + attention branch on 128 log-mels, 8 classes
    "parallel_cnn_bilstm_attention_8class": dict(
        frontend="logmel",
        n_mels=128,
        n_fft=1024,
        head="parallel",
        head_channels=[16, 32, 64, 64],
        head_kernel_sizes=[3],
        head_pool_size=2,
        head_num_layers=1,
        head_hidden_size=128,
        head_dropout=0.3,
        id2label=dict(enumerate(RAVDESS_8)),
        label2id={name: i for i, name in enumerate(RAVDESS_8)},
    ),
}


@pytest.mark.parametrize("name", sorted(SEED_CONFIGS))
def test_seed_models_are_configs(name, fe, clips):
    model = make_model(**SEED_CONFIGS[name])
    n_params = sum(p.numel() for p in model.parameters())
    print(f"seed model {name}: {n_params:,} parameters")
    assert 50_000 < n_params < 2_000_000  # plausible for these small Keras-era models
    out = model(**fe(list(clips), sampling_rate=16000, return_tensors="pt"))
    assert out.logits.shape == (2, model.config.num_labels)
