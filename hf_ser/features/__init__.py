"""Feature extraction: `SERFeatureExtractor` (raw waveform, normalised, padded, attention mask)."""

from .extraction import SERFeatureExtractor

__all__ = ["SERFeatureExtractor"]
