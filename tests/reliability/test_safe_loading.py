"""Models from strangers: pickle weights are refused on every loading path, and continuing from a model trained
on other class names never silently relabels its predictions."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modeling"))

from ser_testutils import build_encoder, make_model  # noqa: E402

from hf_ser.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DEMO_RECIPE = str(ROOT / "recipes" / "synthetic" / "default.yaml")
SYNTHETIC_CLASSES = ["neutral", "happiness", "sadness", "anger"]


def _save(path: Path, labels: list[str]) -> Path:
    from hf_ser.labels import id2label, label2id
    from hf_ser.modeling import feature_extractor_for

    torch.manual_seed(0)
    model = make_model(
        frontend="mfcc", head="mlp", num_labels=len(labels), id2label=id2label(labels), label2id=label2id(labels)
    )
    model.save_pretrained(path)
    feature_extractor_for(model.config).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def pickled_model(tmp_path_factory) -> Path:
    """A saved model folder whose weights were re-saved as pytorch_model.bin (a pickle) only."""
    return _as_pickle(_save(tmp_path_factory.mktemp("pickled"), SYNTHETIC_CLASSES))


def _as_pickle(folder: Path) -> Path:
    from safetensors.torch import load_file

    torch.save(load_file(folder / "model.safetensors"), folder / "pytorch_model.bin")
    (folder / "model.safetensors").unlink()
    return folder


@pytest.fixture(scope="module")
def pickled_encoder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pickled_encoder")
    build_encoder("wav2vec2_group").save_pretrained(folder)
    return _as_pickle(folder)


@pytest.mark.parametrize(
    "command",
    [
        ["predict", "{model}", "{wav}"],
        ["evaluate", "{model}", "--corpus", "synthetic"],
        ["export", "{model}", "--output", "{tmp}/onnx"],
        ["train", DEMO_RECIPE, "--model_name_or_path", "{model}", "--output_dir", "{tmp}/run"],
        ["cv", DEMO_RECIPE, "--model_name_or_path", "{model}", "--output_dir", "{tmp}/cv"],
    ],
    ids=["predict", "evaluate", "export", "train", "cv"],
)
def test_pickle_weights_are_refused_by_every_command(command, pickled_model, tmp_path, capsys):
    wav = tmp_path / "a.wav"
    sf.write(wav, np.zeros(1600, np.float32), 16000)
    argv = [a.format(model=pickled_model, wav=wav, tmp=tmp_path) for a in command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "pickle checkpoint (pytorch_model.bin)" in err and "safetensors only" in err and str(pickled_model) in err
    assert not (tmp_path / "run" / "test_results.json").exists()


def test_pickle_encoder_is_refused_before_training(pickled_encoder, tmp_path, capsys):
    argv = ["train", DEMO_RECIPE, "--frontend", "encoder", "--encoder_name_or_path", str(pickled_encoder)]
    assert main([*argv, "--output_dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "encoder_name_or_path's weights are a pickle checkpoint (pytorch_model.bin)" in err


def test_demo_app_loads_through_the_same_refusal(pickled_model):
    from hf_ser.inference import SERPredictor
    from hf_ser.safe_loading import PickleWeightsError

    with pytest.raises(PickleWeightsError, match="pickle checkpoint"):
        SERPredictor.from_pretrained(str(pickled_model))  # what hf-ser demo-app calls


def test_remote_code_is_off_by_default(tmp_path):
    """A model folder that needs its own code does not load unless trust_remote_code=True is passed."""
    import json

    from hf_ser.inference import load_model

    folder = _save(tmp_path / "remote", SYNTHETIC_CLASSES)
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "someone-elses-ser"
    config["auto_map"] = {
        "AutoConfig": "someones_code.SomeonesConfig",
        "AutoModelForAudioClassification": "someones_code.SomeonesModel",
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "someones_code.py").write_text("raise SystemExit('remote code ran')\n")  # never imported
    with pytest.raises(ValueError, match="trust_remote_code"):
        load_model(folder)


def _build(saved: Path, labels: list[str]):
    from types import SimpleNamespace

    from hf_ser.training.arguments import ModelArguments
    from hf_ser.training.experiment import build_model

    return build_model(SimpleNamespace(model=ModelArguments(model_name_or_path=str(saved)), data=None), labels)[0]


def test_other_class_names_reinitialise_the_classifier_with_a_warning(tmp_path, caplog):
    saved = _save(tmp_path / "emotions4", ["calm", "fear", "disgust", "surprise"])
    original = _build(saved, ["calm", "fear", "disgust", "surprise"])
    with caplog.at_level(logging.WARNING, logger="hf_ser.training.experiment"):
        model = _build(saved, SYNTHETIC_CLASSES)
    message = caplog.text
    assert "model_name_or_path" in message and "re-initialised" in message
    assert "['calm', 'fear', 'disgust', 'surprise']" in message and str(SYNTHETIC_CLASSES) in message
    assert model.config.id2label == dict(enumerate(SYNTHETIC_CLASSES))
    assert not torch.equal(model.head.classifier.weight, original.head.classifier.weight)
    # everything before the classifier is the saved model's
    assert all(torch.equal(p, original.state_dict()[k]) for k, p in model.state_dict().items() if "classifier" not in k)


def test_same_class_names_in_another_order_keep_their_trained_rows(tmp_path, caplog):
    saved = _save(tmp_path / "synthetic_order", SYNTHETIC_CLASSES)
    original = _build(saved, SYNTHETIC_CLASSES)
    order = ["anger", "sadness", "neutral", "happiness"]
    with caplog.at_level(logging.WARNING):
        model = _build(saved, order)
    assert "re-initialised" not in caplog.text
    wave = torch.randn(1, 8000)
    mask = torch.ones_like(wave, dtype=torch.long)
    a = original(input_values=wave, attention_mask=mask).logits[0]
    b = model(input_values=wave, attention_mask=mask).logits[0]
    for i, name in enumerate(order):  # the same score for each class, under its new index
        assert torch.allclose(b[i], a[SYNTHETIC_CLASSES.index(name)])


def test_more_classes_than_saved_gives_a_new_classifier(tmp_path, caplog):
    saved = _save(tmp_path / "two", ["anger", "sadness"])
    with caplog.at_level(logging.WARNING, logger="hf_ser.training.experiment"):
        model = _build(saved, SYNTHETIC_CLASSES)
    assert model.head.classifier.out_features == 4 and model.config.num_labels == 4
    assert "re-initialised" in caplog.text


def test_pickle_lora_adapter_is_refused(tmp_path):
    from hf_ser.modeling.lora import load_lora
    from hf_ser.safe_loading import PickleWeightsError

    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    torch.save({}, adapter / "adapter_model.bin")
    with pytest.raises(PickleWeightsError, match="LoRA adapter's weights are a pickle checkpoint"):
        load_lora(make_model(frontend="mfcc", head="mlp"), str(adapter))
