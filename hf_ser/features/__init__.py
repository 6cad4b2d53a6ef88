"""Waveform-level training features: augmentation and speed perturbation (:mod:`hf_ser.features.augment`).

The feature extractor a model ships with lives with the model code it ships with:
:class:`hf_ser.modeling.SERFeatureExtractor`.
"""
