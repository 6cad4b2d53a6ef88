"""Every head (and pooling) on the MFCC / log-mel front ends: forward, backward, padding invariance,
save_pretrained -> Auto classes -> identical logits, and pipeline("audio-classification")."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from ser_testutils import LABELS, make_model, padding_gap, train_step, write_wav
from transformers import AutoFeatureExtractor, AutoModelForAudioClassification, pipeline
from transformers.modeling_outputs import SequenceClassifierOutput

from hf_ser.modeling import SERForAudioClassification

HEADS = ("mlp", "cnn", "lstm", "cnn_lstm", "parallel")
SMALL_HEAD = dict(head_channels=[16, 16], head_kernel_sizes=[3], head_hidden_size=16, head_num_layers=2)


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("pooling", ["mean", "attention", "stats"])
def test_mfcc_heads_train_and_are_padding_invariant(head, pooling, fe, clips):
    model = make_model(frontend="mfcc", head=head, pooling=pooling, **SMALL_HEAD)
    out = model(**fe(list(clips), sampling_rate=16000, return_tensors="pt"), labels=torch.tensor([0, 1]))
    assert isinstance(out, SequenceClassifierOutput) and out.logits.shape == (2, len(LABELS))
    train_step(model, fe, clips)
    assert padding_gap(model, fe, *clips) < 1e-4


@pytest.mark.parametrize(
    "options",
    [
        dict(frontend="logmel", deltas=2, head="cnn", head_pool_size=2, spec_augment=True),
        dict(frontend="mfcc", deltas=1, head="cnn_lstm", head_pool_size=3, bidirectional=False),
        dict(frontend="logmel", feature_normalization="none", head="parallel", head_pool_size=2),
        dict(frontend="mfcc", head="mlp", head_num_layers=0, pooling="stats", spec_augment=True),
    ],
    ids=["logmel-deltas2-cnn-pool", "mfcc-deltas-cnnlstm-pool3", "logmel-nonorm-parallel", "mfcc-linear-stats"],
)
def test_frontend_options(options, fe, clips):
    model = make_model(**{**SMALL_HEAD, **options})
    train_step(model, fe, clips)
    assert padding_gap(model, fe, *clips) < 1e-4


def test_compute_and_classify_frontend_compose_forward(fe, clips):
    model = make_model(frontend="mfcc", head="lstm", deltas=1, **SMALL_HEAD).eval()
    batch = fe(list(clips), sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        feats, mask = model.compute_frontend(batch["input_values"], batch["attention_mask"])
        split = model.classify_frontend(feats, mask).logits
        full = model(**batch).logits
    assert model.can_cache_frontend()
    assert feats.shape == (2, mask.shape[1], 80) and mask.dtype == torch.bool
    # frames: 1 + (n - n_fft) // hop with n_fft 512, hop 160
    assert mask.sum(1).tolist() == [1 + (8000 - 512) // 160, 1 + (20000 - 512) // 160]
    assert torch.all(feats[0, ~mask[0]] == 0)
    torch.testing.assert_close(split, full)


def test_class_weights_change_the_loss(fe, clips):
    model = make_model(frontend="mfcc", head="mlp").eval()
    batch = fe(list(clips), sampling_rate=16000, return_tensors="pt")
    labels = torch.tensor([0, 1])
    with torch.no_grad():
        plain = model(**batch, labels=labels).loss
        model.set_class_weights([1.0, 0.0, 1.0, 1.0])
        weighted = model(**batch, labels=labels).loss
        expected = torch.nn.functional.cross_entropy(model(**batch).logits[:1], labels[:1])
    assert model.config.class_weights == [1.0, 0.0, 1.0, 1.0]
    assert not torch.isclose(plain, weighted)
    torch.testing.assert_close(weighted, expected)
    with pytest.raises(ValueError, match="class_weights"):
        model.set_class_weights([1.0])


@pytest.mark.parametrize("head", HEADS)
def test_save_load_and_pipeline(head, fe, clips, tmp_path):
    model = make_model(frontend="mfcc", head=head, pooling="attention", **SMALL_HEAD)
    train_step(model, fe, clips)  # non-trivial batch-norm statistics
    model.save_pretrained(tmp_path)
    fe.save_pretrained(tmp_path)
    loaded = AutoModelForAudioClassification.from_pretrained(tmp_path).eval()
    assert isinstance(loaded, SERForAudioClassification)
    batch = fe(list(clips), sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        torch.testing.assert_close(loaded(**batch).logits, model(**batch).logits, rtol=0, atol=1e-6)
    assert AutoFeatureExtractor.from_pretrained(tmp_path).do_normalize is True

    clf = pipeline("audio-classification", model=str(tmp_path))
    preds = clf(clips[1])
    assert {p["label"] for p in preds} == set(LABELS)
    assert abs(sum(p["score"] for p in preds) - 1) < 1e-4
    expected = LABELS[int(model(**fe(clips[1], sampling_rate=16000, return_tensors="pt")).logits.argmax())]
    assert preds[0]["label"] == expected


def test_pipeline_on_a_wav_path(fe, clips, tmp_path):
    if shutil.which("ffmpeg") is None:
        pytest.skip("pipeline() decodes file paths with the ffmpeg program, which is not installed")
    model = make_model(frontend="mfcc", head="cnn", **SMALL_HEAD).eval()
    model.save_pretrained(tmp_path / "model")
    fe.save_pretrained(tmp_path / "model")
    path = write_wav(tmp_path / "clip.wav", clips[1])
    clf = pipeline("audio-classification", model=str(tmp_path / "model"))
    from_path = clf(str(path), top_k=4)
    from_array = clf(np.round(clips[1] * 32767) / 32767, top_k=4)  # the same 16-bit samples
    assert [p["label"] for p in from_path] == [p["label"] for p in from_array]
    assert set(p["label"] for p in from_path) == set(LABELS)
    np.testing.assert_allclose([p["score"] for p in from_path], [p["score"] for p in from_array], atol=1e-3)


@pytest.mark.parametrize("head", ["mlp", "cnn"])
def test_head_copies_train_apart_and_predict_their_mean_log_probability(head, fe, clips, tmp_path):
    """`head_ensemble_size: 3`: three differently initialised copies of the head, each trained on the labels; the
    prediction is their mean log-probability; padding-invariant, saved and reloaded like one head."""
    model = make_model(frontend="mfcc", head=head, head_ensemble_size=3, **SMALL_HEAD)
    one = make_model(frontend="mfcc", head=head, **SMALL_HEAD)
    copies = model.head.heads
    assert len(copies) == 3
    assert sum(p.numel() for p in model.head.parameters()) == 3 * sum(p.numel() for p in one.head.parameters())
    assert not torch.equal(copies[0].classifier.weight, copies[1].classifier.weight)
    batch = fe(list(clips), sampling_rate=16000, return_tensors="pt")
    out = model(**batch, labels=torch.tensor([0, 1]))
    assert out.layer_logits.shape == (2, 3, len(LABELS))  # each copy has its own loss term
    train_step(model, fe, clips)
    assert padding_gap(model, fe, *clips) < 1e-4
    model.eval()
    with torch.no_grad():
        feats, mask = model.compute_frontend(**batch)
        each = torch.stack([copy(feats, mask) for copy in copies], 1)
        logits = model(**batch).logits
    torch.testing.assert_close(logits, torch.log_softmax(each, -1).mean(1))
    model.save_pretrained(tmp_path / "m")
    loaded = AutoModelForAudioClassification.from_pretrained(tmp_path / "m").eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(**batch).logits, logits)
