"""hf-ser: speech emotion recognition the Hugging Face way."""

from .audio import AudioDecodeError, load_audio
from .labels import CLASS_SUBSETS, EMOTIONS, resolve_classes

__version__ = "0.1.0"

__all__ = ["AudioDecodeError", "CLASS_SUBSETS", "EMOTIONS", "load_audio", "resolve_classes", "__version__"]
