"""hf-ser: speech emotion recognition the Hugging Face way."""

from .audio import AudioDecodeError, load_audio
from .corpora import load_corpus
from .labels import CLASS_SUBSETS, EMOTIONS, resolve_classes
from .modeling import SERConfig, SERFeatureExtractor, SERForAudioClassification  # registers the Auto classes

__version__ = "0.1.0"

__all__ = [
    "AudioDecodeError",
    "CLASS_SUBSETS",
    "EMOTIONS",
    "SERConfig",
    "SERFeatureExtractor",
    "SERForAudioClassification",
    "load_audio",
    "load_corpus",
    "resolve_classes",
    "__version__",
]
