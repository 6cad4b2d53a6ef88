"""Training: recipe arguments and config loading, protocols, the experiment, the SER Trainer, the feature cache.

Layers, one way: ``arguments`` → ``config`` → ``protocol`` (folds) → ``experiment`` (one model on one fold) →
``run`` (``hf-ser train``: one fold) and ``cv`` (``hf-ser cv``: every fold). The names below load on first use,
so ``hf-ser train --help`` does not wait for transformers.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DataArguments": "arguments",
    "ModelArguments": "arguments",
    "SERTrainingArguments": "arguments",
    "CVArguments": "arguments",
    "RunArguments": "config",
    "load_config": "config",
    "parse_arguments": "config",
    "Experiment": "experiment",
    "Protocol": "protocol",
    "build_protocol": "protocol",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hf_ser.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
