"""Waveform augmentation: seeded, effective, and training-only through the collator."""

import numpy as np
import pytest
import torch

from hf_ser.audio import encode_wav
from hf_ser.features.augment import WaveformAugmenter, add_noise, apply_gain, change_speed, pitch_shift
from hf_ser.training.trainer import SERDataCollator

SR = 16000


def tone(freq=200.0, seconds=1.0):
    t = np.arange(int(SR * seconds)) / SR
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(x):
    return np.argmax(np.abs(np.fft.rfft(x))) * SR / len(x)


def test_speed_changes_duration_and_pitch():
    x = tone()
    y = change_speed(x, 1.1)
    assert len(y) == pytest.approx(len(x) / 1.1, rel=0.01)
    assert peak_hz(y) == pytest.approx(220, rel=0.02)


def test_pitch_shift_keeps_duration():
    x = tone(seconds=1.5)
    y = pitch_shift(x, 2.0)
    assert len(y) == len(x)
    assert peak_hz(y) == pytest.approx(200 * 2 ** (2 / 12), rel=0.02)


def test_noise_snr_and_gain():
    x = tone()
    rng = np.random.default_rng(0)
    y = add_noise(x, 10.0, rng)
    snr = 10 * np.log10(np.mean(x**2) / np.mean((y - x) ** 2))
    assert snr == pytest.approx(10.0, abs=0.5)
    assert np.allclose(apply_gain(x, 6.0), x * 10 ** (6 / 20))


def test_augmenter_is_seeded():
    aug = WaveformAugmenter(speed_prob=1.0, pitch_shift_prob=0.5, noise_prob=1.0, gain_prob=1.0)
    a = aug(tone(), np.random.default_rng(3))
    b = aug(tone(), np.random.default_rng(3))
    c = aug(tone(), np.random.default_rng(4))
    assert np.array_equal(a, b)
    assert not (len(a) == len(c) and np.allclose(a, c))


class _FE:
    """Stand-in feature extractor: pads with zeros, returns tensors."""

    sampling_rate = SR

    def __call__(self, waves, sampling_rate, padding, return_attention_mask, return_tensors):
        n = max(len(w) for w in waves)
        values = np.zeros((len(waves), n), np.float32)
        mask = np.zeros((len(waves), n), np.int64)
        for i, w in enumerate(waves):
            values[i, : len(w)] = w
            mask[i, : len(w)] = 1
        return {"input_values": torch.from_numpy(values), "attention_mask": torch.from_numpy(mask)}


def rows():
    return [{"audio": {"bytes": encode_wav(tone(seconds=2.0), SR), "path": f"{i}.wav"}, "emotion": i} for i in range(2)]


def test_collator_eval_is_deterministic_and_unaugmented():
    aug = WaveformAugmenter(speed_prob=1.0, noise_prob=1.0, gain_prob=1.0)
    col = SERDataCollator(_FE(), SR, training=False, max_duration_seconds=1.0, augmenter=aug)
    a, b = col(rows()), col(rows())
    assert torch.equal(a["input_values"], b["input_values"])
    assert a["input_values"].shape == (2, SR)  # truncated to 1 s, not cropped at random
    assert np.allclose(a["input_values"][0].numpy(), tone(seconds=2.0)[:SR], atol=1e-4)
    assert a["labels"].tolist() == [0, 1]


def test_collator_training_crops_and_augments_reproducibly():
    aug = WaveformAugmenter(speed_prob=1.0, noise_prob=1.0, gain_prob=1.0)
    col = SERDataCollator(_FE(), SR, training=True, max_duration_seconds=1.0, augmenter=aug)
    torch.manual_seed(0)
    a = col(rows())
    torch.manual_seed(0)
    b = col(rows())
    c = col(rows())
    assert a["input_values"].shape[1] <= SR
    assert torch.equal(a["input_values"], b["input_values"])  # same torch RNG state -> same batch
    assert not torch.equal(b["input_values"], c["input_values"])


def test_speed_perturbed_copies_and_their_collation():
    import datasets

    from hf_ser.features.augment import add_speed_perturbed_copies, speed_key

    ds = datasets.Dataset.from_list([{**r, "feature_key": f"k{i}"} for i, r in enumerate(rows())])
    out = add_speed_perturbed_copies(ds, [0.9, 1.1])
    assert len(out) == 6 and len(ds) == 2  # the input dataset is left as it was
    assert out["speed"] == [1.0, 1.0, 0.9, 0.9, 1.1, 1.1]
    assert out["feature_key"] == ["k0", "k1", "k0-speed0.9", "k1-speed0.9", "k0-speed1.1", "k1-speed1.1"]
    assert speed_key("k0", 1.0) == "k0" and out["emotion"] == [0, 1] * 3
    with pytest.raises(ValueError, match="speed copies added twice"):
        add_speed_perturbed_copies(out, [0.9])

    col = SERDataCollator(_FE(), SR, training=False)
    batch = col([out[0], out[2], out[4]])
    lengths = batch["attention_mask"].sum(1).tolist()
    assert lengths == [2 * SR, round(2 * SR / 0.9), round(2 * SR / 1.1)]  # slower copies are longer
    original = batch["input_values"][0, : lengths[0]].numpy()  # the decoded clip
    np.testing.assert_allclose(batch["input_values"][1, : lengths[1]].numpy(), change_speed(original, 0.9), atol=1e-6)


@pytest.mark.parametrize("bad", [[1.0], [0.9, 0.9], [3.0]])
def test_speed_perturbation_argument_is_checked(bad):
    from hf_ser.training.arguments import DataArguments

    with pytest.raises(ValueError, match="speed_perturbation"):
        DataArguments(corpus="synthetic", speed_perturbation=bad)
