"""recipes/emodb/whisper_base.yaml on the real corpus and encoder (../shared): 2 speaker folds through
`hf-ser cv` (the encoder runs once per clip into the feature cache), then a fold's saved model in
`pipeline("audio-classification")` on an EMO-DB file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hf_ser.training import cv

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
EMODB = SHARED / "corpora" / "emodb"
WHISPER_BASE = SHARED / "models" / "whisper-base"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (EMODB / "wav").is_dir(), reason=f"real EMO-DB copy not found at {EMODB}"),
    pytest.mark.skipif(not (WHISPER_BASE / "model.safetensors").exists(), reason=f"no Whisper-base at {WHISPER_BASE}"),
]


def test_whisper_base_recipe_on_emodb(tmp_path):
    out = tmp_path / "cv"
    argv = [
        str(ROOT / "recipes" / "emodb" / "whisper_base.yaml"),
        "--data_dir",
        str(EMODB),
        "--encoder_name_or_path",
        str(WHISPER_BASE),
        "--output_dir",
        str(out),
        "--num_folds",
        "2",
        "--speed_perturbation",
        "null",  # one encoder pass per clip keeps the test short; the recipe's copies are tested on tiny models
        "--cache_dir",
        str(tmp_path / "cache"),
        "--write_fold_cards",
        "true",
        "--disable_tqdm",
        "true",
    ]
    assert cv.main(argv) == 0
    results = json.loads((out / cv.CV_RESULTS).read_text())
    assert results["feature_cache"]["enabled"] and results["feature_cache"]["computed"] == 535
    assert results["protocol"].startswith("2 speaker folds")
    # 5 unseen speakers per fold, 4 for training: the MFCC-functionals recipe scores ~0.75 here
    assert results["pooled"]["uar"] > 0.85, results["pooled"]
    cached = list((tmp_path / "cache").rglob("*.npy"))
    assert {np.load(p).shape for p in cached[:5]} == {(7, 1, 512)}  # one vector per layer

    from transformers import AutoModelForAudioClassification, pipeline

    fold = out / "fold_00"
    model = AutoModelForAudioClassification.from_pretrained(fold)
    assert model.config.layer_combination == "ensemble" and model.config.whisper_input == "padded"
    card = (fold / "README.md").read_text()
    assert f"`{WHISPER_BASE}` (local folder) (whisper); weights licence: MIT" in card
    clf = pipeline("audio-classification", model=str(fold))
    wav = sorted((EMODB / "wav").glob("*.wav"))[0]
    scores = clf(str(wav), top_k=None)
    assert {s["label"] for s in scores} == set(results["labels"])
    assert abs(sum(s["score"] for s in scores) - 1.0) < 1e-4
