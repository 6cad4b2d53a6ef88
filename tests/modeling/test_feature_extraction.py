"""SERFeatureExtractor: raw waveform, per-utterance normalisation over real samples, zero padding, masks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import AutoFeatureExtractor, BatchFeature

import hf_ser  # noqa: F401  (registers AutoFeatureExtractor)
from hf_ser.modeling import SERFeatureExtractor


@pytest.fixture
def waves() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [(0.2 * rng.standard_normal(n) + 0.05).astype(np.float32) for n in (1000, 400)]


def test_single_clip_is_batched_and_normalised(waves):
    fe = SERFeatureExtractor()
    out = fe(waves[0], sampling_rate=16000, return_tensors="pt")
    assert out["input_values"].shape == (1, 1000) and out["input_values"].dtype == torch.float32
    assert out["attention_mask"].shape == (1, 1000) and out["attention_mask"].all()
    x = out["input_values"][0].double()
    assert abs(x.mean().item()) < 1e-5 and abs(x.std(unbiased=False).item() - 1) < 1e-3


def test_normalisation_uses_real_samples_only_and_padding_is_zero(waves):
    fe = SERFeatureExtractor()
    alone = fe([waves[1]], sampling_rate=16000, return_tensors="np")["input_values"][0]
    batch = fe(waves, sampling_rate=16000, padding=True, return_tensors="np")
    assert batch["input_values"].shape == (2, 1000)
    np.testing.assert_array_equal(batch["attention_mask"].sum(1), [1000, 400])
    np.testing.assert_allclose(batch["input_values"][1, :400], alone, atol=1e-6)
    assert np.all(batch["input_values"][1, 400:] == 0.0)


def test_without_normalisation_values_pass_through(waves):
    fe = SERFeatureExtractor(do_normalize=False)
    out = fe(waves, sampling_rate=16000, return_tensors="np")
    np.testing.assert_array_equal(out["input_values"][0], waves[0])


def test_truncation_and_max_length_padding(waves):
    fe = SERFeatureExtractor()
    out = fe(waves, sampling_rate=16000, padding="max_length", max_length=600, truncation=True, return_tensors="pt")
    assert out["input_values"].shape == (2, 600)
    assert out["attention_mask"].sum(1).tolist() == [600, 400]
    trunc = out["input_values"][0].double()  # normalised after truncation
    assert abs(trunc.mean().item()) < 1e-5


@pytest.mark.parametrize(
    "options",
    [
        dict(padding=True),
        dict(padding="longest", pad_to_multiple_of=64),
        dict(padding="max_length", max_length=1500),
        dict(padding="max_length", max_length=700),  # longer than max_length without truncation: left to `pad`
        dict(padding=True, return_attention_mask=False),
    ],
)
def test_padding_equals_transformers_pad(waves, options):
    """The one-array padding gives exactly what SequenceFeatureExtractor.pad gives."""
    fe = SERFeatureExtractor(do_normalize=False, padding_value=0.0)
    ours = fe(waves, sampling_rate=16000, **options)
    theirs = fe.pad(BatchFeature({"input_values": list(waves)}), **options)  # rows of a ragged batch: a list
    assert sorted(ours.keys()) == sorted(theirs.keys())
    for key in theirs:
        assert len(ours[key]) == len(theirs[key])
        for row_a, row_b in zip(ours[key], theirs[key], strict=True):
            assert row_a.dtype == row_b.dtype
            np.testing.assert_array_equal(row_a, row_b)


def test_unpadded_lists_and_torch_input(waves):
    fe = SERFeatureExtractor()
    out = fe([torch.from_numpy(w) for w in waves], sampling_rate=16000, padding=False)
    assert [len(v) for v in out["input_values"]] == [1000, 400]


def test_wrong_sampling_rate_is_rejected(waves):
    with pytest.raises(ValueError, match="sampling_rate"):
        SERFeatureExtractor()(waves[0], sampling_rate=8000)


def test_stereo_is_rejected():
    with pytest.raises(ValueError, match="mono"):
        SERFeatureExtractor()([np.zeros((2, 100), dtype=np.float32)], sampling_rate=16000)


def test_save_and_auto_load(tmp_path):
    fe = SERFeatureExtractor(sampling_rate=8000, do_normalize=False)
    fe.save_pretrained(tmp_path)
    loaded = AutoFeatureExtractor.from_pretrained(tmp_path)
    assert isinstance(loaded, SERFeatureExtractor)
    assert loaded.sampling_rate == 8000 and loaded.do_normalize is False
    assert loaded.model_input_names == ["input_values", "attention_mask"]


def test_from_model_config():
    from hf_ser.modeling import SERConfig

    assert SERFeatureExtractor.from_model_config(SERConfig(sampling_rate=8000)).do_normalize is True
    whisper = SERConfig(frontend="encoder", encoder_config={"model_type": "whisper"})
    fe = SERFeatureExtractor.from_model_config(whisper)
    assert fe.do_normalize is False and fe.sampling_rate == 16000
