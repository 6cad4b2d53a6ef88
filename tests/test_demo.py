"""The Quickstart's main job (`hf-ser demo`) trains, evaluates, saves and classifies through pipeline,
from any folder (the recipe ships with hf-ser), in one screen of console output."""

from __future__ import annotations

import json

from hf_ser.cli import main


def test_demo_from_any_folder_trains_saves_and_classifies_an_unseen_speaker(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no recipes/ here
    assert main(["demo", "--max_steps", "4"]) == 0
    out = tmp_path / "outputs" / "demo"
    results = json.loads((out / "test_results.json").read_text())
    assert 0.0 <= results["test_uar"] <= 1.0
    assert (out / "model.safetensors").exists() and (out / "README.md").exists()
    assert not list(out.glob("checkpoint-*"))
    captured = capsys.readouterr()
    printed = captured.out
    assert f"UAR {results['test_uar']:.3f}" in printed
    line = next(x for x in printed.splitlines() if x.startswith("pipeline('audio-classification')"))
    assert any(label in line for label in ("neutral", "happiness", "sadness", "anger"))
    # one screen: the summary table, the pipeline line and the progress bars (redrawn in place, one line each)
    assert len((captured.out + captured.err).split("\n")) <= 40
    assert (
        "Trained with `hf-ser train recipes/synthetic/default.yaml --output_dir outputs/demo --max_steps 4`"
        in (out / "README.md").read_text()
    )


def test_demo_without_its_recipe_says_so(tmp_path, capsys):
    assert main(["demo", "--recipe", str(tmp_path / "missing.yaml")]) == 2
    assert "not found" in capsys.readouterr().err
