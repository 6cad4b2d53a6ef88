"""hf-ser's SER metrics (UAR, WA, macro-F1, per-class recall, confusion matrix) as an ``evaluate`` module.

``evaluate.load(hf_ser.metrics.EVALUATE_MODULE)`` (a local path: no Hub needed); the numbers come from
:func:`hf_ser.metrics.classification_metrics` (scikit-learn), the same function training and evaluation use.
"""

import datasets
import evaluate

from hf_ser.metrics import classification_metrics

_DESCRIPTION = """UAR (unweighted average recall, the SER headline metric), WA (accuracy), macro-F1, per-class
recall, support and the confusion matrix of integer class predictions."""

_KWARGS_DESCRIPTION = """
Args:
    predictions: predicted class ids.
    references: true class ids.
    labels: class names in id order (optional; default: the ids as strings).
Returns:
    uar, accuracy, macro_f1, per_class_recall, support, confusion_matrix, labels, num_samples.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class SERMetrics(evaluate.Metric):
    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
            reference_urls=["https://scikit-learn.org/stable/modules/model_evaluation.html"],
        )

    def _compute(self, predictions, references, labels=None):
        return classification_metrics(references, predictions, labels)
