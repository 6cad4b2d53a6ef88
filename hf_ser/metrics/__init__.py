"""Classification metrics for speech emotion recognition, computed with scikit-learn.

UAR (unweighted average recall, = balanced accuracy = macro recall) is the headline metric: SER
corpora are imbalanced and a model that always answers the majority class must not look good.
WA (weighted accuracy) is plain accuracy. Nothing here hand-rolls metric math.

``evaluate.load(hf_ser.metrics.EVALUATE_MODULE)`` loads the same metrics as an ``evaluate`` module (the
ecosystem's metric interface; a local script, so it loads offline): ``compute(predictions=, references=,
labels=)`` returns :func:`classification_metrics`'s dict.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score

EVALUATE_MODULE = os.path.join(os.path.dirname(__file__), "ser_metrics", "ser_metrics.py")


def classification_metrics(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    labels: Sequence[str] | None = None,
) -> dict[str, Any]:
    """UAR, accuracy (WA), macro-F1, per-class recall and the confusion matrix.

    ``labels`` are the class names in id order. UAR and macro-F1 average over the classes present in
    ``y_true`` (a class with no clips has no recall to average: a fold or split that lacks one is not
    pulled towards 0); every class keeps its row and column in the confusion matrix and its count in
    ``support``, and ``per_class_recall`` lists the classes present.
    """
    y_true = np.asarray(y_true, dtype=np.int64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.int64).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} items but y_pred has {y_pred.size}")
    if y_true.size == 0:
        raise ValueError("cannot compute metrics on an empty set of predictions")
    num_classes = len(labels) if labels is not None else int(max(y_true.max(), y_pred.max())) + 1
    names = list(labels) if labels is not None else [str(i) for i in range(num_classes)]
    ids = list(range(num_classes))
    present = sorted(set(y_true.tolist()))
    uar = recall_score(y_true, y_pred, labels=present, average="macro", zero_division=0)
    per_class = recall_score(y_true, y_pred, labels=ids, average=None, zero_division=0)
    support = np.bincount(y_true, minlength=num_classes)
    return {
        "uar": float(uar),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0)),
        "per_class_recall": {name: float(r) for name, r, n in zip(names, per_class, support, strict=True) if n > 0},
        "support": {name: int(n) for name, n in zip(names, support, strict=True)},
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=ids).tolist(),
        "labels": names,
        "num_samples": int(y_true.size),
    }


def compute_metrics(eval_pred: Any) -> dict[str, float]:
    """``Trainer(compute_metrics=...)``: ``{"uar", "accuracy", "macro_f1"}`` from logits and labels.

    Trainer prefixes them (``eval_uar``), which is what ``metric_for_best_model="uar"`` selects on.
    """
    logits, labels = eval_pred.predictions, eval_pred.label_ids
    if isinstance(logits, (tuple, list)):
        logits = logits[0]
    preds = np.asarray(logits).argmax(axis=-1)
    m = classification_metrics(labels, preds, labels=[str(i) for i in range(np.asarray(logits).shape[-1])])
    return {"uar": m["uar"], "accuracy": m["accuracy"], "macro_f1": m["macro_f1"]}
