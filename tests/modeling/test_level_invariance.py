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

from hf_ser.audio import recorded_at_gain
from hf_ser.labels import CORPUS_LABEL_MAPS
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
WHISPER = SHARED / "models" / "whisper-base"
EMODB_EMOTIONS = CORPUS_LABEL_MAPS["emodb"]  # the emotion letter at position 5 of a file name
needs_emodb = pytest.mark.skipif(not EMODB.is_dir(), reason=f"real EMO-DB copy not found at {EMODB}")


def quiet_take(wave: np.ndarray, db: float = -25.0) -> np.ndarray:
    """What a take recorded `db` quieter holds once stored as 16-bit PCM."""
    return recorded_at_gain(wave, db)


def frontend_output(model, fe, wave: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    inputs = fe(wave, sampling_rate=SR, return_tensors="pt")
    with torch.inference_mode():
        return model.compute_frontend(inputs["input_values"], inputs["attention_mask"])


@pytest.mark.slow
@needs_emodb
def test_emodb_speaker_attenuated_by_25_db_is_predicted_the_same():
    """The default recipe's model, trained on 9 EMO-DB speakers, predicts speaker 03 the same whether its
    takes are as recorded or 25 dB quieter (16-bit), and well above chance (a collapsed fold scores 1/7)."""
    labels = sorted(set(EMODB_EMOTIONS.values()))
    label2id = {name: i for i, name in enumerate(labels)}
    torch.manual_seed(0)
    config = SERConfig(id2label=dict(enumerate(labels)), label2id=label2id, **FAMILIES["default"])
    model = SERForAudioClassification(config).eval()
    fe = feature_extractor_for(model.config)
    train_x, train_y, test_x, quiet_x, test_y = [], [], [], [], []
    for path in sorted(EMODB.glob("*.wav")):
        wave, _ = sf.read(path, dtype="float32")
        label = label2id[EMODB_EMOTIONS[path.stem[5]]]
        features = frontend_output(model, fe, wave)[0]
        if path.name.startswith("03"):
            (
                test_x.append(features),
                test_y.append(label),
                quiet_x.append(frontend_output(model, fe, quiet_take(wave))[0]),
            )
        else:
            train_x.append(features), train_y.append(label)
    x, y = torch.cat(train_x), torch.tensor(train_y)
    model.set_feature_statistics(x.mean(0)[0], x.std(0)[0])
    optimizer = torch.optim.AdamW(model.head.parameters(), lr=1e-3, weight_decay=1e-3)
    model.train()
    for _ in range(60):  # the recipe's head and loss, a plain loop (the test is about the inputs, not the trainer)
        for batch in torch.randperm(len(y)).split(32):
            loss = model(frontend_features=x[batch], labels=y[batch]).loss
            optimizer.zero_grad(), loss.backward(), optimizer.step()
    model.eval()
    with torch.inference_mode():
        as_recorded = model(frontend_features=torch.cat(test_x)).logits.argmax(-1)
        quieter = model(frontend_features=torch.cat(quiet_x)).logits.argmax(-1)
    truth = torch.tensor(test_y)

    def uar(pred: torch.Tensor) -> float:
        return float(np.mean([(pred[truth == c] == c).float().mean() for c in truth.unique()]))

    agree = (as_recorded == quieter).float().mean().item()
    assert agree >= 0.9, f"only {agree:.0%} of speaker 03's takes keep their label 25 dB quieter"
    assert abs(uar(as_recorded) - uar(quieter)) <= 0.05 and uar(quieter) >= 2 / len(labels)


@pytest.mark.slow
@needs_emodb
@pytest.mark.skipif(not WHISPER.is_dir(), reason=f"Whisper-base not found at {WHISPER}")
def test_emodb_speaker_attenuated_by_25_db_gets_the_same_whisper_features():
    """Whisper-base layer means of speaker 03's takes 25 dB quieter (16-bit) stay closer to their own take as
    recorded than to any other of the speaker's takes: the level moves them less than the emotion does."""
    family = dict(FAMILIES["whisper_base"], encoder_name_or_path=str(WHISPER))
    model = SERForAudioClassification(SERConfig(id2label=ID2LABEL, label2id=LABEL2ID, **family)).eval()
    fe = feature_extractor_for(model.config)
    original, quiet = [], []
    for path in sorted(EMODB.glob("03*.wav"))[::4]:
        wave, _ = sf.read(path, dtype="float32")
        original.append(frontend_output(model, fe, wave)[0].flatten())
        quiet.append(frontend_output(model, fe, quiet_take(wave))[0].flatten())
    original, quiet = torch.stack(original), torch.stack(quiet)
    scale = original.std(0).clamp(min=1e-6)
    distance = torch.cdist(quiet / scale, original / scale)  # [quiet take, take as recorded]
    own = distance.diagonal()
    others = distance.masked_fill(torch.eye(len(own), dtype=torch.bool), float("inf")).amin(1)
    assert (own < 0.25 * others).all(), f"own take {own.tolist()} vs nearest other {others.tolist()}"
