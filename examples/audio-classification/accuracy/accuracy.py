"""Accuracy as an `evaluate` module, computed with scikit-learn, for offline runs.

transformers' `examples/pytorch/audio-classification/run_audio_classification.py` calls
`evaluate.load("accuracy")`, which fetches `evaluate-metric/accuracy` from the Hub. `evaluate.load`
first looks for a local folder of that name holding a script of the same name (`accuracy/accuracy.py`,
relative to the working folder): run the example from the folder above this one and it loads this
module instead, with no network. Same inputs and output as the Hub module: `{"accuracy": float}`.
"""

import datasets
import evaluate
from sklearn.metrics import accuracy_score

_DESCRIPTION = "Accuracy: the fraction of predictions equal to their reference label (scikit-learn's accuracy_score)."

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int): predicted labels.
    references (list of int): true labels.
    normalize (bool): fraction (default) or number of correct predictions.
    sample_weight (list of float): per-example weights (default: none).
Returns:
    accuracy (float): in [0, 1] when normalize is true.
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Accuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}),
            reference_urls=["https://scikit-learn.org/stable/modules/generated/sklearn.metrics.accuracy_score.html"],
        )

    def _compute(self, predictions, references, normalize=True, sample_weight=None):
        return {
            "accuracy": float(accuracy_score(references, predictions, normalize=normalize, sample_weight=sample_weight))
        }
