"""A saved model directory carries self-contained code (auto_map) and loads with trust_remote_code=True
where hf-ser (and peft) cannot be imported - what a Hub user without hf-ser gets."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from ser_testutils import LABELS, make_model

ALLOWED_TOP_LEVEL = {
    "__future__",
    "dataclasses",
    "json",
    "logging",
    "math",
    "os",
    "re",
    "tempfile",
    "typing",
    "numpy",
    "torch",
    "torchaudio",
    "transformers",
    "huggingface_hub",  # a transformers dependency: the model's push_to_hub uploads its own card
}

SCRIPT = r"""
import sys
sys.modules["hf_ser"] = None  # hf-ser is not installed for a Hub user
sys.modules["peft"] = None
import json
import numpy as np
import torch
from transformers import AutoFeatureExtractor, AutoModelForAudioClassification, pipeline

d = sys.argv[1]
clf = pipeline("audio-classification", model=d, trust_remote_code=True)
assert "transformers_modules" in type(clf.model).__module__, type(clf.model).__module__
assert "transformers_modules" in type(clf.feature_extractor).__module__
wave = np.load(sys.argv[2])
preds = clf(wave, top_k=None)
fe = AutoFeatureExtractor.from_pretrained(d, trust_remote_code=True)
model = AutoModelForAudioClassification.from_pretrained(d, trust_remote_code=True).eval()
with torch.no_grad():
    logits = model(**fe(wave, sampling_rate=16000, return_tensors="pt")).logits[0].tolist()
print(json.dumps({"labels": [p["label"] for p in preds], "logits": logits}))
"""


def _saved_model(tmp_path: Path, fe, **config) -> Path:
    model = make_model(**config).eval()
    if model.uses_feature_standardization():  # non-trivial statistics, which must travel with the weights
        dim = model.feature_mean.numel()
        model.set_feature_statistics(torch.linspace(-1.0, 1.0, dim), torch.linspace(0.5, 2.0, dim))
    out = tmp_path / "saved"
    model.save_pretrained(out)
    fe.save_pretrained(out)
    return out


@pytest.mark.parametrize(
    "config",
    [
        dict(frontend="mfcc", head="parallel", head_channels=[8], head_hidden_size=8, deltas=1),
        dict(
            frontend="encoder", layer_combination="weighted_sum", head="cnn_lstm", head_channels=[8], head_hidden_size=8
        ),
        dict(frontend="functionals", head="mlp", head_hidden_size=16, head_norm="batch", head_activation="gelu"),
    ],
    ids=["mfcc-parallel", "whisper-cnn_lstm", "functionals-mlp"],
)
def test_loads_without_hf_ser(config, encoder_dirs, fe, clips, tmp_path):
    if config["frontend"] == "encoder":
        config = {**config, "encoder_name_or_path": encoder_dirs["whisper"]}
    saved = _saved_model(tmp_path, fe, **config)
    assert json.loads((saved / "config.json").read_text())["auto_map"] == {
        "AutoConfig": "configuration.SERConfig",
        "AutoModelForAudioClassification": "modeling.SERForAudioClassification",
    }
    assert json.loads((saved / "preprocessor_config.json").read_text())["auto_map"] == {
        "AutoFeatureExtractor": "feature_extraction.SERFeatureExtractor"
    }
    # the copied code imports only the standard library, numpy, torch, torchaudio, transformers and itself
    code = sorted(p.name for p in saved.glob("*.py"))
    assert code == ["configuration.py", "feature_extraction.py", "frontends.py", "heads.py", "modeling.py"]
    for name in code:
        text = (saved / name).read_text()
        for module in re.findall(r"^\s*(?:from|import)\s+([\w.]+)", text, flags=re.MULTILINE):
            if module.startswith("."):
                continue
            assert module.split(".")[0] in ALLOWED_TOP_LEVEL, f"{name} imports {module}"
        for rel in re.findall(r"^\s*from\s+\.(\w+)\s+import", text, flags=re.MULTILINE):
            assert f"{rel}.py" in code, f"{name} imports .{rel}, which is not saved"

    # a Hub user's copy: a different directory, hf_ser and peft unimportable, a fresh module cache
    user_dir = tmp_path / "downloaded-model"
    shutil.copytree(saved, user_dir)
    wave_file = tmp_path / "wave.npy"
    np.save(wave_file, clips[0])
    env = {
        **os.environ,
        "HF_MODULES_CACHE": str(tmp_path / "modules"),
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": "",
    }
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(user_dir), str(wave_file)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(result["labels"]) == set(LABELS)

    from transformers import AutoModelForAudioClassification

    local = AutoModelForAudioClassification.from_pretrained(saved).eval()
    with torch.no_grad():
        expected = local(**fe(clips[0], sampling_rate=16000, return_tensors="pt")).logits[0]
    np.testing.assert_allclose(result["logits"], expected.numpy(), atol=1e-5)
