"""Recording level and DC offset do not change predictions (issue #18, item 0).

A speaker recorded 20 dB quieter than the rest, or a microphone with a DC offset, must get the labels
the others get: every shipped recipe family is checked on the same clip at -30 dB, at +20 dB (still
clipping-free) and with a +0.05 DC offset, and on real EMO-DB with one speaker attenuated by 25 dB.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml
from ser_testutils import ID2LABEL, LABEL2ID

from hf_ser.modeling import SERConfig, SERForAudioClassification, feature_extractor_for
from hf_ser.modeling.modeling import LEVEL_TARGET_DBFS, normalize_level

REPO = Path(__file__).parents[2]
SHARED = (REPO / "../shared").resolve()
SR = 16000
CONFIG_KEYS = set(inspect.signature(SERConfig.__init__).parameters) - {"self", "kwargs"}
# shipped encoder -> the tiny random encoder of the same family (conftest's encoder_dirs)
TINY = {"whisper": "whisper", "hubert": "hubert", "wav2vec2": "wav2vec2_group", "wavlm": "wavlm"}
VARIANTS = {
    "-30 dB": lambda x: x * 10 ** (-30 / 20),
    "+20 dB": lambda x: x * 10 ** (20 / 20),
    "+0.05 DC": lambda x: x + 0.05,
}


def speech_like(seconds: float = 1.5, peak: float = 0.08, seed: int = 0) -> np.ndarray:
    """A voiced, pitch-gliding signal with pauses: energy contour, pitch and silence, as speech has."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f0 = 140 + 40 * np.sin(2 * np.pi * 1.3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * 1.7 * t), 0, None) ** 0.5  # syllables and pauses
    wave = voiced * envelope + 0.02 * rng.standard_normal(t.size)
    return (peak * wave / np.abs(wave).max()).astype(np.float32)


def shipped_families() -> dict[str, dict]:
    """Model section of every shipped EMO-DB recipe (one per method; every corpus ships the same ones)."""
    families = {}
    for path in sorted((REPO / "recipes" / "emodb").glob("*.yaml")):
        recipe = yaml.safe_load(path.read_text())
        families[path.stem] = {k: v for k, v in recipe.items() if k in CONFIG_KEYS and v is not None}
    return families


FAMILIES = shipped_families()


def build(family: dict, encoder_dirs: dict[str, str]) -> SERForAudioClassification:
    kwargs = dict(family)
    if kwargs.get("frontend") == "encoder":
        name = kwargs.pop("encoder_name_or_path")
        kwargs["encoder_name_or_path"] = encoder_dirs[next(v for k, v in TINY.items() if k in name)]
    torch.manual_seed(0)
    config = SERConfig(id2label=ID2LABEL, label2id=LABEL2ID, **kwargs)
    return SERForAudioClassification(config).eval()


def probabilities(model: SERForAudioClassification, wave: np.ndarray) -> np.ndarray:
    fe = feature_extractor_for(model.config)
    inputs = fe(wave, sampling_rate=SR, return_tensors="pt")
    with torch.inference_mode():
        return torch.softmax(model(**inputs).logits, -1)[0].numpy()


def test_recipe_families_found():
    assert {"default", "mfcc_cnn", "wav2vec2_frozen", "whisper_base"} <= set(FAMILIES)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_level_and_dc_offset_do_not_change_the_prediction(name, encoder_dirs):
    model = build(FAMILIES[name], encoder_dirs)
    clip = speech_like()
    reference = probabilities(model, clip)
    for variant, change in VARIANTS.items():
        changed = change(clip)
        assert np.abs(changed).max() < 1.0  # clipping-free
        p = probabilities(model, changed)
        assert p.argmax() == reference.argmax(), f"{name}, {variant}: {p} vs {reference}"
        np.testing.assert_allclose(p, reference, atol=1e-3, err_msg=f"{name}, {variant}")


def test_normalize_level_sets_speech_rms_and_ignores_gain_offset_and_padding():
    clip = torch.from_numpy(speech_like())
    quiet = clip * 10 ** (-30 / 20) + 0.05
    batch = torch.zeros(2, clip.numel() + 4000)
    batch[0, : clip.numel()], batch[1, : clip.numel()] = clip, quiet
    mask = torch.zeros_like(batch, dtype=torch.long)
    mask[:, : clip.numel()] = 1
    out = normalize_level(batch, mask, SR)
    torch.testing.assert_close(out[0], out[1], atol=1e-5, rtol=0)
    assert out[:, clip.numel() :].abs().max() == 0  # padding stays zero
    alone = normalize_level(clip[None], None, SR)[0]
    torch.testing.assert_close(alone, out[0, : clip.numel()], atol=1e-6, rtol=0)
    frames = alone.unfold(0, 400, 160).pow(2).mean(-1)
    speech = frames[frames >= frames.max() * 1e-4]
    assert abs(10 * torch.log10(speech.mean()).item() - LEVEL_TARGET_DBFS) < 0.01
    assert abs(alone.mean().item()) < 1e-6


def test_normalize_level_leaves_digital_silence_and_tiny_clips_finite():
    silence = torch.zeros(1, 8000)
    assert normalize_level(silence, None, SR).abs().max() == 0
    tiny = torch.full((1, 100), 0.01) + torch.linspace(0, 0.001, 100)  # shorter than one 25 ms frame
    out = normalize_level(tiny, None, SR)
    assert torch.isfinite(out).all() and abs(out.mean().item()) < 1e-6


def test_models_saved_with_a_level_setting_keep_it(tmp_path):
    config = SERConfig(frontend="mfcc", level_normalization="speech_rms", id2label=ID2LABEL, label2id=LABEL2ID)
    SERForAudioClassification(config).save_pretrained(tmp_path)
    assert SERConfig.from_pretrained(tmp_path).level_normalization == "speech_rms"
    with pytest.raises(ValueError, match="level_normalization"):
        SERConfig(level_normalization="peak")


EMODB = SHARED / "corpora" / "emodb" / "wav"


@pytest.mark.slow
@pytest.mark.skipif(not EMODB.is_dir(), reason=f"real EMO-DB copy not found at {EMODB}")
@pytest.mark.parametrize("name", ["default", "whisper_base"])
def test_emodb_speaker_attenuated_by_25_db_gets_the_same_features(name, encoder_dirs):
    """Speaker 03 recorded 25 dB quieter (stored as 16-bit, like a real quiet recording): the front-end
    features the head sees match the original's, so any trained head predicts the same labels."""
    family = dict(FAMILIES[name])
    whisper = SHARED / "models" / "whisper-base"
    if family.get("frontend") == "encoder":
        if not whisper.is_dir():
            pytest.skip(f"Whisper-base not found at {whisper}")
        family["encoder_name_or_path"] = str(whisper)
    torch.manual_seed(0)
    model = SERForAudioClassification(SERConfig(id2label=ID2LABEL, label2id=LABEL2ID, **family)).eval()
    fe = feature_extractor_for(model.config)
    files = sorted(EMODB.glob("03*.wav"))[:: 4 if name == "whisper_base" else 1]
    original, quiet = [], []
    for f in files:
        wave, sr = sf.read(f, dtype="float32")
        attenuated = (np.round(wave * 10 ** (-25 / 20) * 32768) / 32768).astype(np.float32)  # a quiet 16-bit take
        for w, out in ((wave, original), (attenuated, quiet)):
            inputs = fe(w, sampling_rate=sr, return_tensors="pt")
            with torch.inference_mode():
                feats, mask = model.compute_frontend(inputs["input_values"], inputs["attention_mask"])
            out.append(feats[0][mask[0]].mean(0).flatten())  # the clip's mean feature vector
    original, quiet = torch.stack(original), torch.stack(quiet)
    spread = original.std(0).clamp(min=1e-6)  # how much each feature varies between this speaker's clips
    change = ((quiet - original).abs() / spread).flatten()
    assert change.quantile(0.99) < 0.05, f"{name}: 99th percentile change {change.quantile(0.99):.3g} of the spread"
    assert change.median() < 0.01, f"{name}: median change {change.median():.3g} of the spread"
