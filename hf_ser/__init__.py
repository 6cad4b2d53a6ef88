"""hf-ser: speech emotion recognition the Hugging Face way.

``import hf_ser`` is light (no torch, transformers or datasets), so the ``hf-ser`` command answers ``--help`` at
once: the names below load on first use. The model classes register with transformers' Auto classes as soon as
transformers is imported (at once if it already is), so ``import hf_ser`` followed by
``pipeline("audio-classification", model=DIR)`` loads a saved hf-ser model without ``trust_remote_code``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it (imported on first access)
_EXPORTS = {
    "AudioDecodeError": "hf_ser.audio",
    "load_audio": "hf_ser.audio",
    "load_corpus": "hf_ser.corpora",
    "CLASS_SUBSETS": "hf_ser.labels",
    "EMOTIONS": "hf_ser.labels",
    "resolve_classes": "hf_ser.labels",
    "SERConfig": "hf_ser.modeling",
    "SERFeatureExtractor": "hf_ser.modeling",
    "SERForAudioClassification": "hf_ser.modeling",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hf_ser' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


def _register_auto_classes() -> None:
    """Import :mod:`hf_ser.modeling`, whose import registers ``model_type="hf-ser"`` with the Auto classes."""
    try:
        importlib.import_module("hf_ser.modeling")
    except Exception as e:  # a broken torch stack must not make `import transformers` itself fail
        warnings.warn(f"hf-ser could not register its models with transformers' Auto classes: {e}", stacklevel=2)


class _RegisteringLoader(importlib.abc.Loader):
    """transformers' own loader, plus hf-ser's Auto-class registration once transformers has been imported."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._loader.exec_module(module)
        _register_auto_classes()

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, get_source, ... of the real loader
        return getattr(self._loader, name)


class _OnTransformersImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: hands out transformers' real spec with a :class:`_RegisteringLoader` (once)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "transformers":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _RegisteringLoader(spec.loader)
        return spec


if "transformers" in sys.modules:
    _register_auto_classes()
else:
    sys.meta_path.insert(0, _OnTransformersImport())
