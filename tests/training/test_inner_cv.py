"""Inner speaker-grouped CV (`hf-ser cv --inner_folds K` with `inner_grid`): the choice is made on each outer
fold's training speakers only, is the best recorded inner score, drives the outer model, and is recorded.

Tiny runs: 4 synthetic speakers in 2 outer folds, a 13-MFCC frame MLP, a few steps.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import datasets
import numpy as np
import pytest
from sklearn.metrics import recall_score

from hf_ser.training import cv
from hf_ser.training.config import ConfigError, parse_arguments

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny_cv import tiny_argv  # noqa: E402

GRID = '{"max_steps": [2, 8], "learning_rate": [1e-5, 3e-2]}'


@pytest.fixture(scope="module")
def inner_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("inner")
    assert cv.main(tiny_argv(tmp, num_folds=2, inner_folds=2, inner_grid=GRID)) == 0
    return tmp / "out"


def test_each_fold_chooses_the_best_inner_score_on_its_training_speakers_only(inner_run: Path):
    results = json.loads((inner_run / cv.CV_RESULTS).read_text())
    assert results["inner_cv"]["num_folds"] == 2
    assert results["inner_cv"]["grid"] == {"max_steps": [2, 8], "learning_rate": [1e-5, 3e-2]}
    for fold in results["folds"]:
        inner = fold["inner_cv"]
        inner_speakers = {s for group in inner["folds"] for s in group}
        assert inner_speakers == set(fold_training_speakers(inner_run, fold["fold"]))
        assert not inner_speakers & set(fold["test_speakers"])
        assert [s["params"] for s in inner["scores"]] == [
            {"max_steps": m, "learning_rate": lr} for m in (2, 8) for lr in (1e-5, 3e-2)
        ]
        best = max(inner["scores"], key=lambda s: s["uar"])
        assert inner["chosen"] == best["params"]


def test_the_outer_model_is_trained_with_the_chosen_values(inner_run: Path):
    for fold_dir in sorted(inner_run.glob("fold_*")):
        record = json.loads((fold_dir / cv.PREDICTIONS).read_text())
        assert record["global_step"] == record["inner_cv"]["chosen"]["max_steps"]
        assert not (fold_dir / "inner_cv.json").exists() and not (fold_dir / "inner").exists()
    summary = (inner_run / cv.CV_SUMMARY).read_text()
    assert "Hyper-parameters chosen by the inner CV" in summary


def test_the_choice_never_reads_the_test_speakers(inner_run: Path, tmp_path: Path):
    """The same outer fold with its test split removed gives the same inner record."""
    from hf_ser.training.experiment import prepare_cache
    from hf_ser.training.inner_cv import select_hyperparameters
    from hf_ser.training.protocol import CV, build_protocol

    args = parse_arguments(tiny_argv(inner_run.parent, num_folds=2, inner_folds=2, inner_grid=GRID), CV)
    protocol = build_protocol(args.data, args.protocol, CV)
    factory, _ = prepare_cache(protocol, args)
    dd = protocol.fold_dataset(0)
    without_test = datasets.DatasetDict({k: v for k, v in dd.items() if k != "test"})
    hash_ = json.loads((inner_run / "fold_00" / cv.PREDICTIONS).read_text())["config_hash"]
    _, record = select_hyperparameters(
        args, without_test, protocol=protocol, fold_dir=str(tmp_path), collator_factory=factory,
        config_hash=hash_, description="fold 1/2",
    )  # fmt: skip
    recorded = json.loads((inner_run / "fold_00" / cv.PREDICTIONS).read_text())["inner_cv"]
    assert record == recorded
    # each score is the pooled UAR of that point's inner predictions (kept until the fold's model is saved)
    state = json.loads((tmp_path / "inner_cv.json").read_text())
    for p, score in enumerate(record["scores"]):
        runs = [state["runs"][f"{p}/{j}"] for j in range(record["num_folds"])]
        y_true = np.concatenate([r["y_true"] for r in runs])
        y_pred = np.concatenate([r["y_pred"] for r in runs])
        assert score["uar"] == pytest.approx(recall_score(y_true, y_pred, labels=sorted(set(y_true)), average="macro"))
    assert not (tmp_path / "inner").exists()  # inner models are scored, then deleted


def test_the_model_line_counts_each_folds_model(inner_run: Path):
    """An inner CV may choose another architecture per fold (e.g. head_num_layers): the summary names each one."""
    results = json.loads((inner_run / cv.CV_RESULTS).read_text())
    assert {f["model_summary"] for f in results["folds"]} == {results["model_summary"]}
    linear, mlp = "layer means → linear head → 7 classes", "layer means → mlp, hidden 256 × 1 head → 7 classes"
    records = [{"fold": i, "model_summary": s} for i, s in enumerate([mlp, linear, linear])]
    summary = "layer means → [linear head: 2 folds | mlp, hidden 256 × 1 head: 1 fold] → 7 classes"
    assert cv.models_summary(records, str(inner_run)) == summary
    assert cv.models_summary([{"fold": 0, "model_summary": "A → B"}, {"fold": 1, "model_summary": "C"}], "") == (
        "[A → B: 1 fold | C: 1 fold]"
    )
    # a record written before folds kept their summary: read from the fold's saved config
    old = [{"fold": 0}, {"fold": 1}]
    assert cv.models_summary(old, str(inner_run)) == results["model_summary"]


def fold_training_speakers(out: Path, fold: int) -> list[str]:
    rec = json.loads((out / f"fold_{fold:02d}" / cv.PREDICTIONS).read_text())
    return rec["train_speakers"] + rec["validation_speakers"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"inner_folds": 2}, "inner_folds and inner_grid go together"),
        ({"inner_grid": '{"learning_rate": [0.1]}'}, "inner_folds and inner_grid go together"),
        ({"inner_folds": 1, "inner_grid": '{"learning_rate": [0.1]}'}, "inner_folds=1 must be >= 2"),
        ({"inner_folds": 2, "inner_grid": '{"n_mfcc": [13, 20]}'}, "'n_mfcc' changes the front end"),
        ({"inner_folds": 2, "inner_grid": '{"speed_perturbation": [[0.9]]}'}, "'speed_perturbation' is a data"),
        ({"inner_folds": 2, "inner_grid": '{"learnig_rate": [0.1]}'}, "'learnig_rate' is not a recipe key"),
        ({"inner_folds": 2, "inner_grid": '{"learning_rate": 0.1}'}, "needs a non-empty list"),
        ({"inner_folds": 2, "inner_grid": '{"learning_rate": ["fast"]}'}, "inner_grid.learning_rate"),
    ],
)
def test_a_bad_inner_cv_setting_is_refused_naming_it(tmp_path: Path, overrides, message):
    with pytest.raises((ConfigError, ValueError), match=message):
        parse_arguments(tiny_argv(tmp_path, **overrides), "cv")


def test_inner_cv_values_are_cast_to_their_keys_types(tmp_path: Path):
    args = parse_arguments(tiny_argv(tmp_path, inner_folds=3, inner_grid='{"num_train_epochs": ["30", 60]}'), "cv")
    assert args.protocol.inner_grid == {"num_train_epochs": [30.0, 60.0]}


def test_hf_ser_train_chooses_on_its_training_speakers_and_records_the_choice(tmp_path: Path):
    from hf_ser.cli import main

    assert main(["train", *tiny_argv(tmp_path, inner_folds=2, inner_grid=GRID)]) == 0
    out = tmp_path / "out"
    results = json.loads((out / "test_results.json").read_text())
    inner = results["inner_cv"]
    assert not {s for group in inner["folds"] for s in group} & set(results["speakers"]["test"])
    assert inner["chosen"] == max(inner["scores"], key=lambda s: s["uar"])["params"]
    assert results["global_step"] == inner["chosen"]["max_steps"]
    assert "chosen by a 2-fold speaker-grouped inner CV" in (out / "README.md").read_text()
    assert not (out / "inner").exists() and not (out / "inner_cv.json").exists()


class Killed(Exception):
    """Stands in for a kill in the middle of an inner run."""


def test_a_killed_inner_cv_resumes_without_retraining_finished_inner_runs(tmp_path: Path, monkeypatch):
    from hf_ser.training.experiment import Experiment

    real_train, calls, kill_at = Experiment.train, [], [3]

    def counted(self):
        calls.append(self.output_dir)
        if len(calls) == kill_at[0]:
            raise Killed
        real_train(self)

    monkeypatch.setattr(Experiment, "train", counted)
    argv = tiny_argv(tmp_path, num_folds=2, inner_folds=2, inner_grid='{"max_steps": [2, 4]}')
    with pytest.raises(Killed):
        cv.run_cv(parse_arguments(argv, "cv"))
    assert len(json.loads((tmp_path / "out" / "fold_00" / "inner_cv.json").read_text())["runs"]) == 2
    calls.clear()
    kill_at[0] = None
    cv.run_cv(parse_arguments(argv, "cv"))
    # fold 0: the 2 remaining inner runs + its model; fold 1: 4 inner runs + its model
    assert len(calls) == 2 + 1 + 4 + 1
