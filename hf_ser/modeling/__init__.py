"""hf-ser models: `SERConfig`, `SERForAudioClassification` and their registration with the Auto classes.

Importing this package registers `model_type="hf-ser"` with `AutoConfig`, `AutoModelForAudioClassification`
and `AutoFeatureExtractor`, and marks the classes for `auto_map` so `save_pretrained` copies their
(self-contained) code next to the weights: a saved model then loads with `trust_remote_code=True` where
hf-ser is not installed. LoRA helpers live in `hf_ser.modeling.lora` (imported on demand: it needs peft).
"""

from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification

from .configuration import SERConfig
from .feature_extraction import SERFeatureExtractor
from .modeling import SERForAudioClassification, SERPreTrainedModel

AutoConfig.register(SERConfig.model_type, SERConfig, exist_ok=True)
AutoModelForAudioClassification.register(SERConfig, SERForAudioClassification, exist_ok=True)
AutoFeatureExtractor.register(SERConfig, SERFeatureExtractor, exist_ok=True)
SERConfig.register_for_auto_class()
SERForAudioClassification.register_for_auto_class("AutoModelForAudioClassification")
SERFeatureExtractor.register_for_auto_class()


def feature_extractor_for(config: SERConfig, **kwargs) -> SERFeatureExtractor:
    """The `SERFeatureExtractor` that matches `config` (sampling rate; no waveform normalisation for Whisper)."""
    return SERFeatureExtractor.from_model_config(config, **kwargs)


__all__ = [
    "SERConfig",
    "SERFeatureExtractor",
    "SERForAudioClassification",
    "SERPreTrainedModel",
    "feature_extractor_for",
]
