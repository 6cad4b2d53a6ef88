"""Training: recipe arguments, YAML config loading, metrics, the SER Trainer and the run itself.

``hf_ser.training.run.train(data_args, model_args, training_args, dataset=None)`` is one training
run (used per fold by cross-validation); ``hf_ser.training.run.main(argv)`` is ``hf-ser train``.
"""

from .arguments import DataArguments, ModelArguments, SERTrainingArguments
from .config import load_config, parse_config
from .metrics import classification_metrics, compute_metrics

__all__ = [
    "DataArguments",
    "ModelArguments",
    "SERTrainingArguments",
    "classification_metrics",
    "compute_metrics",
    "load_config",
    "parse_config",
]
