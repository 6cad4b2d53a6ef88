"""The "functionals" front end (2714 utterance-level functionals computed in torch inside the model), the mlp
head options that express the research head (input dropout, batch norm, GELU, classifier dropout) and the
feature standardisation buffers: agreement with a numpy reference (the research code), padding invariance,
save / load and feature caching (its speed: benchmarks/functionals.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchaudio
from ser_testutils import LABELS, make_config, make_model, padding_gap, train_step
from transformers import AutoModelForAudioClassification

from hf_ser.modeling import SERFeatureExtractor, feature_extractor_for
from hf_ser.modeling.frontends import FUNCTIONALS_DIM, functionals_feature_names

SR = 16000
# the research head: Dropout(0.2) -> Linear(D, 256) -> BatchNorm1d -> GELU -> Dropout(0.5) -> Linear(256, C)
RESEARCH_HEAD = dict(
    head="mlp",
    head_num_layers=1,
    head_hidden_size=256,
    head_input_dropout=0.2,
    head_norm="batch",
    head_activation="gelu",
    head_dropout=0.5,
    head_classifier_dropout=0.0,
)


# ----------------------------------------------------------------------------------- numpy reference
# The research code (experiments/mfcc/feats.py + common.py) that the front end reproduces, per clip.
def _ref_pitch_track(x, sr=SR, hop=160, win=640, fmin=60, fmax=500):
    pad = win // 2
    xp = np.pad(x, (pad, pad))
    n = 1 + (len(xp) - win) // hop
    idx = np.arange(win)[None, :] + hop * np.arange(n)[:, None]
    fr = xp[idx] * np.hanning(win)[None]
    fr = fr - fr.mean(1, keepdims=True)
    ac = np.fft.irfft(np.abs(np.fft.rfft(fr, 2 * win, axis=1)) ** 2, axis=1)[:, :win]
    w = np.hanning(win)
    acw = np.fft.irfft(np.abs(np.fft.rfft(w, 2 * win)) ** 2)[:win]
    ac = ac / (ac[:, :1] + 1e-10) / (acw / acw[0] + 1e-10)[None]
    lmin, lmax = int(sr / fmax), int(sr / fmin)
    seg = ac[:, lmin:lmax]
    k = seg.argmax(1)
    peak = seg[np.arange(n), k]
    kk = np.clip(k + lmin, 1, win - 2)
    a, b, c = ac[np.arange(n), kk - 1], ac[np.arange(n), kk], ac[np.arange(n), kk + 1]
    lag = kk + np.clip(0.5 * (a - c) / (a - 2 * b + c + 1e-10), -1, 1)
    rms = np.sqrt((fr**2).mean(1))
    return sr / lag, peak, (peak > 0.45) & (rms > 0.02 * rms.max())


def _ref_level(x):
    """DC removed, RMS over the 25 ms frames within 40 dB of the loudest set to -20 dBFS (`level_normalization`)."""
    x = x - x.mean()
    frames = np.lib.stride_tricks.sliding_window_view(x, 400)[::160]
    power = (frames**2).mean(1)
    return x * np.sqrt(10 ** (-20 / 10) / power[power >= power.max() * 1e-4].mean())


def _ref_power(x):
    """[T, 257] power spectrum plus the floor 50 dB under the loudest frame's mean power, and the frames under it."""
    s = torch.stft(torch.from_numpy(x), 512, 160, 400, torch.hann_window(400, dtype=torch.float64), return_complex=True)
    power = (s.abs() ** 2).numpy().T
    floor = power.mean(1).max() * 10 ** (-50 / 10)
    return power + floor, power.mean(1) < floor


def _ref_lld(x):
    f0, peak, voiced = _ref_pitch_track(x)
    power, quiet = _ref_power(x)
    s = np.sqrt(power)
    p = power + 1e-10
    freqs = np.linspace(0, SR / 2, s.shape[1])
    cs = np.cumsum(p, 1)
    roll = freqs[(cs < 0.85 * cs[:, -1:]).sum(1).clip(max=len(freqs) - 1)]
    sn = s / (s.sum(1, keepdims=True) + 1e-10)
    flux = np.r_[0, (np.diff(sn, axis=0) ** 2).sum(1)]
    alpha = np.log(p[:, freqs >= 1000].sum(1) / p[:, freqs < 1000].sum(1))
    fr = np.pad(x, (200, 200))
    n = s.shape[0]
    idx = (np.arange(400)[None] + 160 * np.arange(n)[:, None]).clip(max=len(fr) - 1)
    zcr = (np.abs(np.diff(np.sign(fr[idx]), axis=1)) > 0).mean(1) * ~quiet
    flat = np.exp(np.log(p).mean(1)) / p.mean(1)
    cols = [np.where(voiced, np.log(f0), 0.0), voiced.astype(float), peak, np.log(p.sum(1)), zcr]
    cols += [(p * freqs).sum(1) / p.sum(1) / 1000, roll / 1000, np.log(flat + 1e-10), flux * 100, alpha]
    return np.stack([c[:n] for c in cols], 1)


def _ref_stats(x):
    if x.shape[0] < 2:
        x = np.vstack([x, x])
    p = np.percentile(x, [5, 25, 50, 75, 95], axis=0)
    mu, sd = x.mean(0), x.std(0) + 1e-8
    z = (x - mu) / sd
    t = np.linspace(-1, 1, x.shape[0])
    slope = (t[:, None] * (x - mu)).sum(0) / (t**2).sum()
    return np.concatenate([mu, sd, *p, p[3] - p[1], p[4] - p[0], (z**3).mean(0), (z**4).mean(0), slope])


def _ref_delta(x):
    xp = np.pad(x, ((2, 2), (0, 0)), mode="edge")
    return (-2 * xp[:-4] - xp[1:-3] + xp[3:-1] + 2 * xp[4:]) / 10.0


def reference_functionals(x: np.ndarray) -> np.ndarray:
    x = _ref_level(x.astype(np.float64))
    power = torch.from_numpy(_ref_power(x)[0])
    fb = {n: torchaudio.functional.melscale_fbanks(257, 20.0, 8000.0, n, SR).double() for n in (64, 80)}
    logmel = torch.log(power @ fb[64] + 1e-6).numpy()
    db = 10 * torch.log10((power @ fb[80]).clamp(min=1e-10))
    db = torch.maximum(db, db.max() - 80.0)
    mfcc = (db @ torchaudio.functional.create_dct(40, 80, "ortho").double()).numpy()
    lld = _ref_lld(x)
    out = []
    for feats in (mfcc, logmel):
        out += [_ref_stats(feats), _ref_stats(_ref_delta(feats))]
    v = lld[:, 1] > 0
    f0 = lld[v, 0:1] if v.sum() > 2 else np.zeros((3, 1))
    out += [_ref_stats(f0), _ref_stats(_ref_delta(f0)), [v.mean(), np.log(len(x) / SR)]]
    out += [_ref_stats(lld[:, 2:]), _ref_stats(_ref_delta(lld[:, 2:]))]
    return np.nan_to_num(np.concatenate(out))


# ------------------------------------------------------------------------------------------- helpers
def voiced_clip(seconds: float, f0: float = 180.0, seed: int = 0) -> np.ndarray:
    """A harmonic tone with vibrato and an amplitude envelope, pauses and a little noise (voiced and unvoiced)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    freq = f0 * (1 + 0.05 * np.sin(2 * np.pi * 3 * t))
    phase = 2 * np.pi * np.cumsum(freq) / SR
    wave = sum(np.sin(k * phase) / k for k in range(1, 6))
    envelope = np.clip(np.sin(2 * np.pi * 1.3 * t), 0, None) ** 0.5
    wave = 0.2 * wave * envelope + 0.003 * rng.standard_normal(len(t))
    return wave.astype(np.float32)


@pytest.fixture(scope="module")
def raw_fe() -> SERFeatureExtractor:
    return SERFeatureExtractor(do_normalize=False)


@pytest.fixture(scope="module")
def speech_like() -> tuple[np.ndarray, np.ndarray]:
    return voiced_clip(0.9, 150.0, seed=1), voiced_clip(2.2, 220.0, seed=2)


def functionals_model(**kwargs):
    return make_model(frontend="functionals", **{**RESEARCH_HEAD, **kwargs})


def set_random_statistics(model, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    model.set_feature_statistics(
        torch.randn(FUNCTIONALS_DIM, generator=g), torch.rand(FUNCTIONALS_DIM, generator=g) + 0.5
    )


# --------------------------------------------------------------------------------------------- tests
def test_config_defaults_and_validation():
    cfg = make_config(frontend="functionals")
    assert cfg.feature_dim == FUNCTIONALS_DIM == 2714 == len(functionals_feature_names())
    assert cfg.feature_standardization is True
    assert (cfg.functionals_pitch_threshold, cfg.functionals_energy_threshold) == (0.45, 0.02)
    assert (cfg.functionals_f0_min, cfg.functionals_f0_max) == (60.0, 500.0)
    assert cfg.functionals_floor_db == 50.0
    assert make_config(frontend="mfcc").feature_standardization is False
    assert make_config(frontend="mfcc", feature_standardization=True).feature_standardization is True
    assert make_config().head_norm == "none" and make_config().head_classifier_dropout is None
    for kwargs, field in [
        ({"frontend": "functionals", "spec_augment": True}, "spec_augment"),
        ({"frontend": "functionals", "functionals_pitch_threshold": 1.5}, "functionals_pitch_threshold"),
        ({"frontend": "functionals", "functionals_f0_min": 600.0}, "functionals_f0_min"),
        ({"frontend": "functionals", "functionals_floor_db": 0}, "functionals_floor_db"),
        ({"frontend": "functionals", "functionals_floor_db": "50"}, "functionals_floor_db"),
        ({"head_norm": "group"}, "head_norm"),
        ({"head_activation": "tanh"}, "head_activation"),
        ({"head_input_dropout": 1.0}, "head_input_dropout"),
        ({"head_classifier_dropout": -0.1}, "head_classifier_dropout"),
    ]:
        with pytest.raises(ValueError, match=field):
            make_config(**kwargs)
    assert feature_extractor_for(cfg).do_normalize is False  # levels are features
    assert feature_extractor_for(make_config(frontend="mfcc")).do_normalize is True


def test_matches_the_numpy_reference(speech_like):
    model = functionals_model().eval()
    names = functionals_feature_names()
    for wave in (*speech_like, 0.05 * voiced_clip(0.25, seed=3)):
        with torch.no_grad():
            feats, mask = model.compute_frontend(torch.from_numpy(wave)[None])
        assert feats.shape == (1, 1, FUNCTIONALS_DIM) and feats.dtype == torch.float32 and mask.tolist() == [[True]]
        ours, ref = feats[0, 0].double().numpy(), reference_functionals(wave)
        err = np.abs(ours - ref) / (1e-3 + 1e-3 * np.abs(ref))  # the reference's MFCC / log-mel are float32
        assert err.max() < 1, f"{names[int(err.argmax())]}: {ours[err.argmax()]} vs {ref[err.argmax()]}"


def test_the_power_floor_hides_noise_below_it():
    """White noise 80 dB under the clip's peak sample moves the features much less under a 40 dB floor than under
    an 80 dB one (measured: 0.024 vs 0.118 mean relative change): below the floor, noise is not a feature."""
    clean = voiced_clip(2.0, 200.0, seed=4) - 0.003 * np.random.default_rng(4).standard_normal(32000)  # no noise
    clean = clean.astype(np.float32)
    noisy = clean + (np.abs(clean).max() * 1e-4 * np.random.default_rng(5).standard_normal(len(clean))).astype(
        np.float32
    )
    change = {}
    for floor_db in (40.0, 80.0):
        model = functionals_model(functionals_floor_db=floor_db).eval()
        with torch.no_grad():
            a, b = (model.compute_frontend(torch.from_numpy(w)[None])[0][0, 0].double() for w in (clean, noisy))
        change[floor_db] = ((a - b).abs() / (a.abs() + b.abs() + 1e-3)).mean().item()
    assert change[40.0] < 0.5 * change[80.0], change


def test_pitch_and_voicing_of_a_tone():
    model = functionals_model().eval()
    names = functionals_feature_names()
    with torch.no_grad():
        feats = model.compute_frontend(torch.from_numpy(voiced_clip(1.5, 200.0))[None])[0][0, 0]
    value = dict(zip(names, feats.tolist(), strict=True))
    assert abs(np.exp(value["voiced_log_f0_p50"]) - 200.0) < 10.0
    assert 0.3 < value["voiced_fraction"] < 0.95
    assert abs(value["log_duration"] - np.log(1.5)) < 1e-6


def test_frontend_is_padding_invariant(raw_fe, speech_like):
    model = functionals_model().eval()
    short, long = speech_like
    with torch.no_grad():
        alone = model.compute_frontend(**raw_fe([short], sampling_rate=SR, return_tensors="pt"))[0]
        batch = raw_fe([long, short], sampling_rate=SR, padding=True, return_tensors="pt")
        batched, mask = model.compute_frontend(batch["input_values"], batch["attention_mask"])
        # extra zero padding beyond the longest clip changes nothing either
        padded = raw_fe([short, long], sampling_rate=SR, padding="max_length", max_length=48000, return_tensors="pt")
        padded = model.compute_frontend(padded["input_values"], padded["attention_mask"])[0]
    assert batched.shape == (2, 1, FUNCTIONALS_DIM) and mask.all() and mask.shape == (2, 1)
    scale = alone.abs().clamp(min=1.0)
    assert ((alone[0] - batched[1]).abs() / scale[0]).max() < 1e-4
    assert ((alone[0] - padded[0]).abs() / scale[0]).max() < 1e-4


def test_research_head_trains_and_is_padding_invariant(raw_fe, speech_like):
    model = functionals_model()
    head = model.head
    assert isinstance(head.input_dropout, torch.nn.Dropout) and head.input_dropout.p == 0.2
    assert [type(m).__name__ for m in head.mlp.modules()][1:] == [
        "ModuleList",
        "Linear",
        "ModuleList",
        "MaskedFrameNorm",
        "MaskedBatchNorm1d",
        "GELU",
        "Dropout",
    ]
    assert head.mlp.dropout.p == 0.5 and head.dropout.p == 0.0
    set_random_statistics(model)
    clips = (*speech_like, voiced_clip(1.4, 120.0, seed=4))
    train_step(model, raw_fe, clips, steps=2)
    assert head.mlp.norms[0].norm.num_batches_tracked.item() == 2
    assert padding_gap(model, raw_fe, *speech_like) < 1e-4


@pytest.mark.parametrize("norm", ["none", "layer", "batch"])
def test_mlp_head_options_on_frame_features(norm, fe, clips):
    model = make_model(
        frontend="mfcc",
        head="mlp",
        head_hidden_size=16,
        head_num_layers=2,
        head_norm=norm,
        head_activation="gelu",
        head_input_dropout=0.1,
        pooling="attention",
    )
    train_step(model, fe, clips)
    assert padding_gap(model, fe, *clips) < 1e-4


def test_feature_standardization_is_applied_and_saved(raw_fe, speech_like, tmp_path):
    model = functionals_model().eval()
    batch = raw_fe(list(speech_like), sampling_rate=SR, padding=True, return_tensors="pt")
    with torch.no_grad():
        feats, mask = model.compute_frontend(batch["input_values"], batch["attention_mask"])
        before = model(**batch).logits
    assert not model.feature_statistics_are_set()
    # fitted from waveform batches or from cached front-end output: the same statistics
    mean, std = model.fit_feature_statistics([batch])
    assert model.feature_statistics_are_set() and float(model.feature_statistics_count) == 2
    expected_mean = feats[:, 0].double().mean(0)
    expected_std = feats[:, 0].double().std(0, unbiased=False)
    expected_std = torch.where(expected_std < 1e-8, torch.ones_like(expected_std), expected_std)
    torch.testing.assert_close(mean, expected_mean.float())
    torch.testing.assert_close(std, expected_std.float())
    model.fit_feature_statistics(
        [{"frontend_features": feats[:1], "frontend_mask": mask[:1]}, {"frontend_features": feats[1:]}]
    )
    torch.testing.assert_close(model.feature_mean, mean)
    set_random_statistics(model)
    with torch.no_grad():
        after = model(**batch).logits
        manual = model.head(((feats - model.feature_mean) / model.feature_std), mask)
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, manual)

    model.save_pretrained(tmp_path)
    raw_fe.save_pretrained(tmp_path)
    from safetensors.torch import load_file

    state = load_file(str(tmp_path / "model.safetensors"))
    assert {"feature_mean", "feature_std", "feature_statistics_count"} <= set(state)
    loaded = AutoModelForAudioClassification.from_pretrained(tmp_path).eval()
    torch.testing.assert_close(loaded.feature_mean, model.feature_mean)
    assert loaded.feature_statistics_are_set()
    with torch.no_grad():
        torch.testing.assert_close(loaded(**batch).logits, after, rtol=0, atol=1e-6)

    with pytest.raises(ValueError, match="2714"):
        model.set_feature_statistics(torch.zeros(3), torch.ones(3))
    with pytest.raises(ValueError, match="feature_standardization is off"):
        make_model(frontend="mfcc").set_feature_statistics(torch.zeros(40), torch.ones(40))


def test_save_load_identical_logits_after_training(raw_fe, speech_like, tmp_path):
    model = functionals_model()
    set_random_statistics(model)
    train_step(model, raw_fe, (*speech_like, voiced_clip(1.1, 170.0, seed=5)))
    model.save_pretrained(tmp_path)
    loaded = AutoModelForAudioClassification.from_pretrained(tmp_path).eval()
    batch = raw_fe(list(speech_like), sampling_rate=SR, padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.testing.assert_close(loaded(**batch).logits, model.eval()(**batch).logits, rtol=0, atol=1e-6)
    assert loaded.config.frontend == "functionals" and loaded.config.head_norm == "batch"


def test_feature_cache_and_speaker_z_work_unchanged(raw_fe, speech_like, tmp_path):
    cache_mod = pytest.importorskip("hf_ser.training.cache")
    from hf_ser.audio import decode_audio_field, encode_wav

    model = functionals_model().eval()
    assert model.can_cache_frontend() and cache_mod.uncacheable_reason(model) is None
    waves = [*speech_like, voiced_clip(1.3, 140.0, seed=6)]
    cells = [{"bytes": encode_wav(w, SR), "path": f"c{i}.wav"} for i, w in enumerate(waves)]
    cache = cache_mod.FeatureCache.for_model(model, str(tmp_path / "cache"))
    assert cache.dtype == "float32"
    keys = [cache_mod.audio_key(c) for c in cells]
    cache.compute(model, raw_fe, cells, keys, progress=False)
    assert cache.load(keys[0]).shape == (1, FUNCTIONALS_DIM)
    stats = cache_mod.speaker_statistics(cache, keys, ["a", "a", "b"])
    assert stats["a"][0].shape == (1, FUNCTIONALS_DIM)
    collate = cache_mod.CachedFeatureCollator(cache, speaker_stats=stats)
    rows = [{"feature_key": k, "speaker_id": s, "emotion": 0} for k, s in zip(keys, ["a", "a", "b"], strict=True)]
    batch = collate(rows)
    assert batch["frontend_features"].shape == (3, 1, FUNCTIONALS_DIM) and batch["frontend_mask"].all()
    model.fit_feature_statistics([batch])  # statistics of what classify_frontend receives (speaker-z'd)
    with torch.no_grad():
        out = model(frontend_features=batch["frontend_features"], frontend_mask=batch["frontend_mask"])
    assert out.logits.shape == (3, len(LABELS)) and torch.isfinite(out.logits).all()
    # without speaker normalisation, cached features give the forward pass's logits
    plain = cache_mod.CachedFeatureCollator(cache)(rows[:2])
    decoded = [decode_audio_field(c, SR) for c in cells[:2]]
    with torch.no_grad():
        from_cache = model(frontend_features=plain["frontend_features"], frontend_mask=plain["frontend_mask"]).logits
        direct = model(**raw_fe(decoded, sampling_rate=SR, padding=True, return_tensors="pt")).logits
    torch.testing.assert_close(from_cache, direct, rtol=0, atol=1e-4)
