"""Training: recipe arguments, YAML config loading, metrics, the SER Trainer and the run itself.

``hf_ser.training.run.train(data_args, model_args, training_args, dataset=None)`` is one training
run (used per fold by cross-validation); ``hf_ser.training.run.main(argv)`` is ``hf-ser train``.
The names below load on first use, so ``hf-ser train --help`` does not wait for transformers.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DataArguments": "arguments",
    "ModelArguments": "arguments",
    "SERTrainingArguments": "arguments",
    "load_config": "config",
    "parse_config": "config",
    "classification_metrics": "metrics",
    "compute_metrics": "metrics",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hf_ser.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
