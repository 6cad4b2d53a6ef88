"""Metrics against small examples computed by hand."""

import numpy as np
import pytest

from hf_ser.metrics import classification_metrics, compute_metrics


def test_hand_computed_example():
    # 3 classes; true counts a:4, b:2, c:2
    y_true = [0, 0, 0, 0, 1, 1, 2, 2]
    y_pred = [0, 0, 0, 1, 1, 0, 2, 2]
    m = classification_metrics(y_true, y_pred, ["a", "b", "c"])
    # recalls: a 3/4, b 1/2, c 2/2 -> UAR = (0.75 + 0.5 + 1) / 3
    assert m["uar"] == pytest.approx((0.75 + 0.5 + 1.0) / 3)
    assert m["accuracy"] == pytest.approx(6 / 8)
    # precisions: a 3/4, b 1/2, c 1 -> F1 a 0.75, b 0.5, c 1.0
    assert m["macro_f1"] == pytest.approx((0.75 + 0.5 + 1.0) / 3)
    assert m["per_class_recall"] == pytest.approx({"a": 0.75, "b": 0.5, "c": 1.0})
    assert m["confusion_matrix"] == [[3, 1, 0], [1, 1, 0], [0, 0, 2]]
    assert m["support"] == {"a": 4, "b": 2, "c": 2}
    assert m["num_samples"] == 8


def test_majority_class_gets_chance_uar_but_high_accuracy():
    y_true = [0] * 8 + [1, 2]
    m = classification_metrics(y_true, [0] * 10, ["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(0.8)
    assert m["uar"] == pytest.approx(1 / 3)


def test_absent_class_does_not_count_in_uar_but_stays_in_matrix():
    m = classification_metrics([0, 0, 1, 1], [0, 2, 1, 1], ["a", "b", "c"])
    assert m["uar"] == pytest.approx((0.5 + 1.0) / 2)
    assert "c" not in m["per_class_recall"]
    assert m["confusion_matrix"] == [[1, 0, 1], [0, 2, 0], [0, 0, 0]]


def test_compute_metrics_from_logits():
    class EvalPred:
        predictions = np.array([[2.0, 0.1], [0.3, 0.9], [0.9, 0.1]])
        label_ids = np.array([0, 1, 1])

    out = compute_metrics(EvalPred())
    assert set(out) == {"uar", "accuracy", "macro_f1"}
    assert out["uar"] == pytest.approx(0.75)
    assert out["accuracy"] == pytest.approx(2 / 3)


def test_errors():
    with pytest.raises(ValueError, match="items"):
        classification_metrics([0, 1], [0])
    with pytest.raises(ValueError, match="empty"):
        classification_metrics([], [])


def test_evaluate_module_loads_offline_by_path_and_gives_the_same_numbers(monkeypatch, tmp_path):
    evaluate = pytest.importorskip("evaluate")
    from hf_ser.metrics import EVALUATE_MODULE

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    metric = evaluate.load(EVALUATE_MODULE, cache_dir=str(tmp_path))
    y_true, y_pred = [0, 0, 0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 0, 2, 2]
    out = metric.compute(predictions=y_pred, references=y_true, labels=["a", "b", "c"])
    assert out == classification_metrics(y_true, y_pred, ["a", "b", "c"])
    assert out["uar"] == pytest.approx((0.75 + 0.5 + 1.0) / 3)
