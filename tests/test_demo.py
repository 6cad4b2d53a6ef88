"""The Quickstart's main job (`hf-ser demo`) trains, evaluates, saves and classifies through pipeline."""

from __future__ import annotations

import json
from pathlib import Path

from hf_ser.cli import main

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "synthetic" / "default.yaml"


def test_demo_trains_saves_and_classifies_an_unseen_speaker(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--recipe", str(RECIPE), "--output_dir", str(out), "--max_steps", "4"]) == 0
    results = json.loads((out / "test_results.json").read_text())
    assert 0.0 <= results["test_uar"] <= 1.0
    assert (out / "model.safetensors").exists() and (out / "README.md").exists()
    printed = capsys.readouterr().out
    assert f"UAR {results['test_uar']:.3f}" in printed
    line = next(x for x in printed.splitlines() if x.startswith("pipeline('audio-classification')"))
    assert any(label in line for label in ("neutral", "happiness", "sadness", "anger"))


def test_demo_without_its_recipe_says_where_to_run_it(tmp_path, capsys):
    assert main(["demo", "--recipe", str(tmp_path / "missing.yaml")]) == 2
    assert "not found" in capsys.readouterr().err
