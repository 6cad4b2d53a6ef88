"""Hyper-parameters chosen without the test speakers: an inner, speaker-grouped CV inside each outer fold.

``hf-ser cv RECIPE --inner_folds K`` with ``inner_grid`` in the recipe (``{key: [values, ...]}``, training or head
keys) runs, for every outer fold (``hf-ser train``: its one split), every grid point on ``K`` speaker folds of
that fold's *training* speakers
(gender-balanced and seeded like the outer folds; each inner fold keeps the outer protocol's validation speakers),
scores each point by the pooled UAR over the inner folds, and trains the outer fold's model with the best point
(ties: the first in grid order). The test speakers are never seen by the choice. What was tried and chosen is
recorded per fold in ``cv_results.json`` (``folds[i].inner_cv``; ``hf-ser train``: ``test_results.json`` and the
model card).

Front-end keys cannot be searched: the features are cached once per run for one front end (and a searched input
length would be a different model of the same name); the cached collators refuse a model whose front end differs.
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
import shutil
from typing import Any

from ..files import write_json_atomic
from .config import ConfigError, RunArguments, point_name

logger = logging.getLogger(__name__)

INNER_STATE = "inner_cv.json"
_INNER_DIR = "inner"


def grid_points(grid: dict[str, list]) -> list[dict[str, Any]]:
    """The cartesian product, in declared order (the first key varies slowest)."""
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*(grid[k] for k in keys))]


def arguments_for(args: RunArguments, point: dict[str, Any]) -> RunArguments:
    """The run's arguments with one grid point's values, re-validated as if the recipe had set them."""
    from .config import build_arguments

    config = {**args.config, **point, "inner_folds": None, "inner_grid": None}
    chosen = build_arguments(config, args.command_name)
    chosen.command, chosen.notes = args.command, []
    return chosen


def select_hyperparameters(
    args: RunArguments,
    dd,
    *,
    protocol,
    fold_dir: str,
    collator_factory: Any,
    config_hash: str,
    description: str,
) -> tuple[RunArguments, dict[str, Any]]:
    """``(arguments with the chosen point, record for cv_results.json)`` for one outer fold ``dd``.

    Each (point, inner fold) result is kept in ``fold_dir/inner_cv.json`` as soon as it is known, so a killed run
    resumes where it stopped."""
    import numpy as np

    from ..corpora.splits import fold_split, speaker_folds
    from ..metrics import classification_metrics
    from .experiment import Experiment
    from .protocol import train_and_validation

    options = args.protocol
    points = grid_points(options.inner_grid)
    clips = train_and_validation(dd)  # every clip of the outer fold's training speakers, none of its test ones
    speakers = sorted(set(clips["speaker_id"]))
    k = min(options.inner_folds, len(speakers))
    if k < 2:
        raise ConfigError(f"inner_folds: the outer fold has {len(speakers)} training speaker(s); inner CV needs 2")
    folds = speaker_folds(
        clips, num_folds=k, seed=args.data.split_seed, num_validation_speakers=options.num_validation_speakers
    )
    state_path = os.path.join(fold_dir, INNER_STATE)
    state = _load_state(state_path, config_hash, folds)
    labels = protocol.labels
    scores, point_arguments = [], [arguments_for(args, point) for point in points]
    for p, (point, point_args) in enumerate(zip(points, point_arguments, strict=True)):
        y_true: list[int] = []
        y_pred: list[int] = []
        fold_uar = []
        for j, inner in enumerate(folds):
            key = f"{p}/{j}"
            if key not in state["runs"]:
                training_args = copy.deepcopy(point_args.training)
                training_args.output_dir = os.path.join(fold_dir, _INNER_DIR, f"point_{p:02d}_fold_{j:02d}")
                training_args.save_strategy = "no"  # nothing to resume inside one short inner run
                training_args.push_to_hub = False
                training_args.resume_from_checkpoint = None
                experiment = Experiment(
                    point_args,
                    fold_split(clips, inner),
                    protocol=protocol,
                    training_args=training_args,
                    collator_factory=collator_factory,
                    card=False,
                    progress_description=f"{description} inner {p * len(folds) + j + 1}/{len(points) * len(folds)}",
                    keep_progress_bar=False,
                )
                experiment.setup()
                experiment.train()
                result = experiment.evaluate()
                shutil.rmtree(training_args.output_dir, ignore_errors=True)
                state["runs"][key] = {"y_true": result["test_label_ids"], "y_pred": result["test_predictions"]}
                write_json_atomic(state_path, state)
            run = state["runs"][key]
            y_true += run["y_true"]
            y_pred += run["y_pred"]
            fold_uar.append(classification_metrics(run["y_true"], run["y_pred"], labels)["uar"])
        uar = classification_metrics(np.asarray(y_true), np.asarray(y_pred), labels)["uar"]
        scores.append({"params": point, "uar": uar, "fold_uar": fold_uar})
        logger.info("%s inner CV: %s -> pooled UAR %.4f", description, point_name(point), uar)
    best = max(range(len(points)), key=lambda i: (scores[i]["uar"], -i))
    shutil.rmtree(os.path.join(fold_dir, _INNER_DIR), ignore_errors=True)
    record = {
        "num_folds": k,
        "folds": [f.test_speakers for f in folds],
        "metric": "pooled UAR over the inner folds",
        "scores": scores,
        "chosen": points[best],
    }
    logger.info("%s inner CV chose %s (UAR %.4f)", description, point_name(points[best]), scores[best]["uar"])
    return point_arguments[best], record


def forget_inner_runs(fold_dir: str) -> None:
    """Drop the inner runs' state once the fold's model is saved: its record holds the scores and the choice."""
    try:
        os.remove(os.path.join(fold_dir, INNER_STATE))
    except FileNotFoundError:
        pass


def _load_state(path: str, config_hash: str, folds) -> dict[str, Any]:
    """The finished inner runs of this fold, if they belong to this config and these inner folds."""
    import json

    layout = [f.to_dict() for f in folds]
    try:
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
        if state.get("config_hash") == config_hash and state.get("folds") == layout:
            return state
    except (OSError, ValueError):
        pass
    return {"config_hash": config_hash, "folds": layout, "runs": {}}
