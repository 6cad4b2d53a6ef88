"""transformers' own audio-classification example, unmodified, fine-tunes a saved hf-ser model on a
dataset saved by ``hf-ser prepare``: the README's command line, offline (the Hub's ``accuracy`` metric
replaced by ``examples/audio-classification/accuracy/``, found by ``evaluate.load`` from that folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "transformers_examples" / "run_audio_classification.py"
EXAMPLE_DIR = ROOT / "examples" / "audio-classification"

pytest.importorskip("evaluate", reason="the example needs `evaluate` (pip install -e '.[test]')")


@pytest.fixture
def tiny_model(tmp_path) -> Path:
    """A freshly initialised 13-MFCC → MLP hf-ser model, saved as `hf-ser train` saves one (code included)."""
    from hf_ser.labels import id2label, label2id
    from hf_ser.modeling import SERConfig, SERForAudioClassification, feature_extractor_for

    labels = ["neutral", "happiness", "sadness", "anger"]
    config = SERConfig(
        frontend="mfcc", n_mfcc=13, n_mels=26, head="mlp", head_hidden_size=8, pooling="mean",
        num_labels=4, id2label=id2label(labels), label2id=label2id(labels),
    )  # fmt: skip
    out = tmp_path / "model"
    SERForAudioClassification(config).save_pretrained(out)
    feature_extractor_for(config).save_pretrained(out)
    return out


def test_official_example_fine_tunes_an_hf_ser_model_on_an_hf_ser_dataset(tiny_model, tmp_path):
    from hf_ser.cli import main

    data = tmp_path / "data"
    argv = ["prepare", "synthetic", "--output_dir", str(data), "--cache_dir", str(tmp_path / "cache"), "--no_progress"]
    assert main([*argv, "--option", "num_speakers=5", "--option", "utterances_per_emotion=1"]) == 0
    out = tmp_path / "finetuned"
    command = [
        sys.executable, str(SCRIPT),
        "--model_name_or_path", str(tiny_model), "--trust_remote_code",
        "--dataset_name", str(data),  # its `label` column is what the example reads by default
        "--output_dir", str(out),
        "--do_train", "--do_eval",
        "--remove_unused_columns", "False",  # as in the example's own README: its transforms need `audio`
        "--max_length_seconds", "1", "--max_steps", "2", "--per_device_train_batch_size", "4",
        "--report_to", "none", "--seed", "0",
    ]  # fmt: skip
    env = dict(os.environ, HF_HOME=str(tmp_path / "hf"), OMP_NUM_THREADS="1")
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_EVALUATE_OFFLINE="1")
    proc = subprocess.run(command, cwd=EXAMPLE_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == 2
    accuracy = json.loads((out / "eval_results.json").read_text())["eval_accuracy"]
    assert 0.0 <= accuracy <= 1.0
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "hf-ser" and list(config["id2label"].values()) == [
        "neutral", "happiness", "sadness", "anger",
    ]  # fmt: skip

    # the fine-tuned folder is an hf-ser model again
    import numpy as np

    from hf_ser.inference import load_model

    model, feature_extractor = load_model(out)
    batch = feature_extractor([np.zeros(8000, dtype=np.float32) + 0.01], sampling_rate=16000, return_tensors="pt")
    assert model(**batch).logits.shape == (1, 4)
