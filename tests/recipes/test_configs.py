"""Every recipe under recipes/ (found recursively) is valid, documented, and its method runs end to end.

The end-to-end runs compare their logged training losses and final test UAR with the values recorded in
``expected_runs.json`` (torchtune's way): a change to what a recipe computes fails here. After a deliberate
change, ``HF_SER_RECORD_RUNS=1 pytest tests/recipes`` rewrites the file (review its diff).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from recipe_utils import (  # noqa: E402
    RECIPES,
    ROOT,
    check_contract,
    run_train,
    tiny_args,
    tiny_encoder_config,
)

from hf_ser.training.config import parse_arguments, read_yaml  # noqa: E402

EXPECTED_RUNS = Path(__file__).with_name("expected_runs.json")
ALL_RECIPES = sorted(p for p in RECIPES.glob("**/*.yaml") if "accelerate_configs" not in p.parts)
ACCELERATE_CONFIGS = sorted((RECIPES / "accelerate_configs").glob("*.yaml"))
SYNTHETIC = sorted((RECIPES / "synthetic").glob("*.yaml"))
HUB_ENCODER = ("facebook/", "microsoft/", "openai/", "superb/")


def rel(path) -> str:
    return str(path.relative_to(ROOT))


def check_recorded_run(path: Path, out: Path) -> None:
    """The run's loss curve (every logged training loss) and test UAR equal the recorded ones."""
    state = json.loads((out / "trainer_state.json").read_text())
    run = {
        "losses": [round(e["loss"], 6) for e in state["log_history"] if "loss" in e],
        "test_uar": round(json.loads((out / "test_results.json").read_text())["test_uar"], 6),
    }
    recorded = json.loads(EXPECTED_RUNS.read_text()) if EXPECTED_RUNS.exists() else {}
    if os.environ.get("HF_SER_RECORD_RUNS") == "1":
        recorded[rel(path)] = run
        EXPECTED_RUNS.write_text(json.dumps(dict(sorted(recorded.items())), indent=1) + "\n")
        return
    assert rel(path) in recorded, f"no recorded run for {rel(path)} in {EXPECTED_RUNS.name}"
    expected = recorded[rel(path)]
    assert len(run["losses"]) == len(expected["losses"]) == 4
    assert run["losses"] == pytest.approx(expected["losses"], rel=1e-3)
    assert run["test_uar"] == pytest.approx(expected["test_uar"], abs=1e-6)


def test_recipes_are_found_recursively():
    corpora = {p.parent.name for p in ALL_RECIPES}
    assert {"synthetic", "emodb", "ravdess", "tess", "crema_d", "savee"} <= corpora
    methods = {p.stem for p in ALL_RECIPES}
    assert {"mfcc_mlp", "mfcc_cnn", "mfcc_lstm", "mfcc_cnn_lstm", "mfcc_parallel"} <= methods
    assert (RECIPES / "synthetic" / "default.yaml").exists()


@pytest.mark.parametrize("path", ALL_RECIPES, ids=rel)
def test_recipe_is_valid(path, tmp_path):
    raw = read_yaml(path)
    # explicit, reproducible and safe by default
    assert "seed" in raw and "output_dir" in raw, "recipes set seed and output_dir explicitly"
    assert raw.get("push_to_hub") is False, "recipes must say push_to_hub: false"
    if raw["corpus"] != "synthetic":
        assert "data_dir" in raw, "real-corpus recipes must list data_dir (required on the command line)"
    args = ["--output_dir", str(tmp_path)]
    if raw["corpus"] != "synthetic":
        args += ["--data_dir", str(tmp_path)]
    # hf-ser train and hf-ser cv accept the same recipes (and validate every key, both kinds, at once).
    for command in ("train", "cv"):
        parsed = parse_arguments([str(path), *args], command)
    data, model, training = parsed.data, parsed.model, parsed.training
    assert data.corpus == path.parent.name or path.parent.name == "cross_corpus"
    assert training.metric_for_best_model == "uar"
    if model.frontend == "encoder":
        assert model.encoder_name_or_path or model.encoder_config


# What may differ between two corpora's copies of one method: the corpus, where it is, how its speakers are folded.
CORPUS_KEYS = {"corpus", "data_dir", "num_folds", "output_dir", "corpus_options"}
REAL_CORPUS_RECIPES = [p for p in ALL_RECIPES if p.parent.name != "synthetic"]


@pytest.mark.parametrize("method", sorted({p.name for p in REAL_CORPUS_RECIPES}))
def test_one_recipe_per_method_the_same_for_every_corpus(method):
    """A hyper-parameter tuned for one corpus would not carry over to users' corpora: every corpus's copy of a
    method sets the same keys to the same values, except the corpus keys."""
    copies = {p.parent.name: read_yaml(p) for p in REAL_CORPUS_RECIPES if p.name == method}
    reference_corpus, reference = next(iter(sorted(copies.items())))
    for corpus, raw in copies.items():
        differ = {
            k: (reference.get(k), raw.get(k))
            for k in (set(reference) | set(raw)) - CORPUS_KEYS
            if reference.get(k) != raw.get(k)
        }
        assert not differ, f"recipes/{corpus}/{method} differs from recipes/{reference_corpus}/{method}: {differ}"


@pytest.mark.parametrize("path", ALL_RECIPES, ids=rel)
def test_recipe_header(path):
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line)
    assert len(header) >= 5, "recipes start with a header comment (purpose, corpus, launch, override, expected)"
    joined = "\n".join(header)
    assert f"recipes/train.py {rel(path)}" in joined, "header gives the launch command for this file"
    assert "accelerate launch" in joined and "accelerate_configs/" in joined
    assert "Override example" in joined and "Expected" in joined
    assert "Corpus" in joined


@pytest.mark.parametrize("path", ACCELERATE_CONFIGS, ids=rel)
def test_accelerate_configs(path):
    import yaml

    cfg = yaml.safe_load(path.read_text())
    assert cfg["distributed_type"] in ("NO", "MULTI_GPU", "MULTI_CPU", "FSDP", "DEEPSPEED")
    assert path.read_text().startswith("#")
    if path.stem == "cpu_ddp":
        assert cfg["use_cpu"] is True and cfg["num_processes"] == 2


@pytest.mark.parametrize(
    "path",
    [p for p in SYNTHETIC if not any(h in p.read_text() for h in HUB_ENCODER)],
    ids=rel,
)
def test_synthetic_recipe_runs_end_to_end(path, tmp_path):
    """Each offline synthetic recipe (every MFCC head, tiny encoder frozen + LoRA) through recipes/train.py."""
    out = tmp_path / "out"
    run_train([str(path), "--output_dir", str(out), *tiny_args()])
    results = check_contract(out)
    assert results["global_step"] == 4
    check_recorded_run(path, out)
    saved = json.loads((out / "config.json").read_text())
    assert saved["model_type"] == "hf-ser" and set(saved["id2label"].values()) <= {
        "neutral",
        "happiness",
        "sadness",
        "anger",
    }


# The Hub-encoder recipes of the real corpora share their keys across corpora: run each method once
# (EMO-DB's) with the Hub encoder swapped for a tiny random one of the same architecture.
ENCODER_RECIPES = sorted(p for p in (RECIPES / "emodb").glob("*.yaml") if any(h in p.read_text() for h in HUB_ENCODER))


@pytest.mark.parametrize("path", ENCODER_RECIPES, ids=rel)
def test_encoder_recipe_method_runs_with_tiny_encoder(path, tmp_path):
    raw = read_yaml(path)
    tiny = tiny_encoder_config(raw["encoder_name_or_path"])
    out = tmp_path / "out"
    run_train(
        [
            str(path),
            "--output_dir",
            str(out),
            "--data_dir",
            "null",
            "--encoder_name_or_path",
            "null",
            *tiny_args(encoder_config=json.dumps(tiny), augment="false"),
            # the recorded losses hold on every CPU: "auto" is bfloat16 only where it is fast (tested on its own)
            *(["--encoder_precision", "float32"] if raw.get("encoder_precision") == "auto" else []),
        ]
    )
    check_contract(out)
    check_recorded_run(path, out)
    saved = json.loads((out / "config.json").read_text())
    assert saved["encoder_config"]["model_type"] == tiny["model_type"]
    assert saved["layer_combination"] == raw["layer_combination"]


def test_functionals_recipe_method_runs_on_the_synthetic_corpus(tmp_path):
    """The real corpora's `default.yaml` method (utterance functionals -> MLP; no synthetic recipe uses it), EMO-DB's
    keys, on the tiny synthetic corpus: its loss curve and test UAR are the recorded ones."""
    path = RECIPES / "emodb" / "default.yaml"
    out = tmp_path / "out"
    run_train([str(path), "--output_dir", str(out), "--data_dir", "null", *tiny_args(speed_perturbation="null")])
    check_contract(out)
    check_recorded_run(path, out)
    saved = json.loads((out / "config.json").read_text())
    assert saved["frontend"] == "functionals" and saved["level_normalization"] == "speech_rms"
