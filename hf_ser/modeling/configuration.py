"""`SERConfig`: one flat configuration for every hf-ser model (front end + head).

Flat on purpose: YAML recipes map 1:1 onto these fields. This file is copied next to saved models
(``auto_map``), so it imports nothing but transformers.
"""

from __future__ import annotations

from typing import Any

from transformers import PretrainedConfig

FRONTENDS = ("mfcc", "logmel", "encoder", "functionals")
HEADS = ("mlp", "cnn", "lstm", "cnn_lstm", "parallel")
POOLINGS = ("mean", "attention", "stats")
FEATURE_NORMALIZATIONS = ("utterance", "none")
WHISPER_INPUTS = ("real_length", "padded")
LAYER_COMBINATIONS = ("none", "weighted_sum", "concat", "ensemble")
ENCODER_POOLINGS = ("none", "mean")
ENCODER_PRECISIONS = ("float32", "bfloat16", "auto")
LEVEL_NORMALIZATIONS = ("none", "speech_rms")
HEAD_NORMS = ("none", "batch", "layer")
HEAD_ACTIVATIONS = ("relu", "gelu")
# 12 statistics x (40 MFCC + 64 log-mel + 8 LLDs, and their deltas) + voiced log-F0 and its delta + 2
FUNCTIONALS_DIM = 2714


# One line of help per field: the recipe keys (hf-ser train --help-all) are generated from this signature.
FIELD_HELP = {
    "sampling_rate": "Sampling rate (Hz) the model takes; audio is resampled to it.",
    "frontend": (
        "Front end: mfcc, logmel, functionals (utterance-level statistics of log-mel, MFCC and prosodic "
        "descriptors; computed inside the model) or encoder."
    ),
    "n_mfcc": "Number of MFCC coefficients (frontend=mfcc).",
    "n_mels": "Number of mel bands (mfcc / logmel).",
    "n_fft": "FFT size of the spectrogram front ends.",
    "win_length_ms": "Analysis window length in ms.",
    "hop_length_ms": "Frame hop in ms.",
    "f_min": "Lowest mel filter frequency in Hz.",
    "f_max": "Highest mel filter frequency in Hz (None: Nyquist).",
    "deltas": "Append delta (1) or delta + delta-delta (2) features.",
    "feature_normalization": "Per-utterance feature normalisation: utterance or none.",
    "spec_augment": "SpecAugment-style time/feature masking of the front-end output in training.",
    "freq_mask_param": "SpecAugment: widest feature (frequency) mask in bins.",
    "time_mask_param": "SpecAugment: longest time mask in frames.",
    "num_freq_masks": "SpecAugment: feature masks per clip.",
    "num_time_masks": "SpecAugment: time masks per clip.",
    "encoder_name_or_path": (
        "Pretrained speech encoder (frontend=encoder): a Hub id such as facebook/wav2vec2-base, "
        "microsoft/wavlm-base-plus, facebook/hubert-base-ls960, openai/whisper-base, or a local folder."
    ),
    "encoder_config": (
        "Encoder config as a mapping (must include model_type), used to build a randomly initialised encoder "
        "with no download, e.g. a tiny wav2vec2 for tests and offline demos."
    ),
    "layer_combination": (
        "Several encoder layers: weighted_sum (learned softmax weights), concat (along features) or ensemble "
        "(one head per layer, log-probabilities averaged); none = one layer (the default)."
    ),
    "encoder_layers": (
        "Encoder hidden states to use (0 = embeddings, i = after layer i), e.g. 0 1 2 3 4 with a "
        "layer_combination; default: all when layers are combined, else the last."
    ),
    "encoder_pooling": (
        "mean: average each encoder layer over the clip's frames in the front end (the head sees one vector "
        "per layer; cached features shrink ~100x); none: frame sequences to the head."
    ),
    "encoder_precision": (
        "bfloat16: the encoder's matrix products in bfloat16 (torch.autocast; ~1.7x faster on CPUs with "
        "AVX512 or AMX, hidden states within about 1 percent); auto: bfloat16 where the device has fast "
        "bfloat16, else float32."
    ),
    "freeze_encoder": "Freeze the whole pretrained encoder.",
    "freeze_feature_encoder": "Freeze the convolutional feature encoder (wav2vec2-style encoders).",
    "whisper_input": (
        "Whisper encoders: padded (zero-pad shorter clips to whisper_pad_seconds; 30 = as trained) or "
        "real_length (fastest: the clip's own length, positional embeddings sliced)."
    ),
    "whisper_pad_seconds": "Whisper, whisper_input=padded: pad clips shorter than this (seconds).",
    "functionals_pitch_threshold": "functionals: voiced when the normalised autocorrelation peak exceeds this.",
    "functionals_energy_threshold": "functionals: ...and the frame RMS exceeds this fraction of the clip maximum.",
    "functionals_floor_db": (
        "functionals: every power bin gets a floor this many dB below the clip's loudest frame (the recording's "
        "noise below it is not a feature)."
    ),
    "functionals_f0_min": "functionals: lowest F0 in Hz.",
    "functionals_f0_max": "functionals: highest F0 in Hz.",
    "feature_standardization": (
        "Standardise front-end features with mean/std fitted on the training split and saved with the model "
        "(default: on for functionals, off otherwise)."
    ),
    "level_normalization": (
        "speech_rms: remove DC and set each clip's speech-frame RMS to -20 dBFS inside the model, so the recording "
        "gain does not change predictions; none (default: speech_rms for functionals and Whisper, none for front "
        "ends whose feature extractor z-normalises the waveform)."
    ),
    "head": "Classifier head: mlp, cnn, lstm, cnn_lstm or parallel.",
    "head_hidden_size": "Hidden size of the head.",
    "head_num_layers": "Number of head layers (mlp / lstm).",
    "head_ensemble_size": (
        "Train this many copies of the head side by side (own initialisation and dropout, the same batches) and "
        "predict with their mean log-probability; with layer_combination ensemble, this many per layer. 1 = one head."
    ),
    "head_channels": "Channels of each convolution block (cnn heads), e.g. 64 128.",
    "head_kernel_sizes": "Kernel size of each convolution block (cnn heads), e.g. 5 3.",
    "head_pool_size": "Max-pooling over time after each convolution block (1 = none).",
    "bidirectional": "Bidirectional LSTM (lstm heads).",
    "head_dropout": "Dropout inside the head.",
    "pooling": "Masked pooling over time: mean, attention or stats (mean + std).",
    "head_input_dropout": "Dropout on the head's input features (every head).",
    "head_norm": "mlp head: normalisation in each hidden layer: none, batch or layer.",
    "head_activation": "mlp head: relu or gelu.",
    "head_classifier_dropout": "Dropout before the final linear layer (None: head_dropout).",
    "class_weights": "Cross-entropy weight of each class (set by training from the training split; recorded).",
    "label_smoothing": "Label smoothing of the cross-entropy (set by training from label_smoothing_factor).",
}


def _int_list(value: Any, field: str) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError(f"{field} must be an int or a list of ints, got {value!r}")
    return [int(v) for v in value]


class SERConfig(PretrainedConfig):
    r"""Configuration of [`SERForAudioClassification`].

    Front end (`frontend`):
        - `"mfcc"` / `"logmel"`: computed inside the model with torchaudio from the raw waveform:
          `n_mfcc`, `n_mels`, `n_fft` (None: next power of two >= the window), `win_length_ms`,
          `hop_length_ms`, `f_min`, `f_max`, `deltas` (0, 1 or 2: append deltas / delta-deltas),
          `feature_normalization` ("utterance": per-utterance mean/variance over real frames, or "none").
        - `"encoder"`: a pretrained speech encoder (wav2vec2, HuBERT, WavLM, data2vec-audio, Whisper) by
          `encoder_name_or_path`; `encoder_config` (dict) is filled when the encoder is first loaded so a saved
          model rebuilds it offline. `encoder_layers` (hidden-state indices to use: 0 = embeddings, i = after
          layer i; None = all when layers are combined, else the last) and `layer_combination` ("none": one
          hidden state; "weighted_sum": learned softmax-weighted sum; "concat": concatenated along features;
          "ensemble": one head per layer, trained together, predictions averaged as log-probabilities).
          `encoder_pooling` ("none": frame sequences to the head; "mean": each hidden state averaged over the
          clip's real frames inside the front end, so the head sees one frame and a cache holds one vector per
          layer and clip). `freeze_encoder`, `freeze_feature_encoder`, `whisper_input` ("real_length": run
          Whisper on the clip's own length with sliced positional embeddings; "padded": zero-pad shorter clips
          to `whisper_pad_seconds` (30 = the HF way; longer clips run on their own length) and cut the output
          back to the real frames). `encoder_precision` ("float32"; "bfloat16": the encoder under
          `torch.autocast`; "auto": bfloat16 only on devices with fast bfloat16). The deep Whisper layers were
          trained on 30 s windows and lose accuracy on short inputs: on EMO-DB 10 s padding keeps their accuracy
          at a quarter of the 30 s cost.
        - `"functionals"`: one vector of 2714 utterance-level functionals per clip (12 statistics of 40 MFCC,
          64 log-mel and 10 prosodic / spectral LLDs and their deltas, voiced log-F0, voiced fraction, log
          duration), computed in torch from the raw waveform (`n_fft`, `win_length_ms`, `hop_length_ms` set the
          framing; mel sets are fixed at 20 Hz - 8 kHz). Pitch tracker: `functionals_pitch_threshold` (voiced
          when the normalised autocorrelation peak exceeds it), `functionals_energy_threshold` (and the frame
          RMS exceeds this fraction of the clip maximum), `functionals_f0_min` / `functionals_f0_max` (Hz);
          `functionals_floor_db`: the power floor under every bin, in dB below the clip's loudest frame.
          `compute_frontend` gives [B, 1, 2714] with an all-True mask; `feature_normalization` does not apply
          (use `feature_standardization`); use it with `head="mlp"`. The extractor leaves its waveforms
          unnormalised (`do_normalize=False`): level contours within a clip are features, and
          `level_normalization` makes them independent of the recording gain.
        - `level_normalization` ("speech_rms": inside the model, before the front end, each clip's DC offset is
          removed and its level set so the RMS over its speech frames is -20 dBFS; "none"; None = chosen when
          the model is built: "speech_rms" for the front ends that see raw levels, functionals and Whisper,
          "none" for the others, whose feature extractor z-normalises the waveform). Either way a clip's
          prediction does not depend on its recording gain or DC offset.
        - `feature_standardization` (None: on for "functionals", off otherwise): subtract `feature_mean` and
          divide by `feature_std`, buffers saved with the weights, at the start of `classify_frontend`. The
          trainer sets them from the training set with `model.set_feature_statistics(mean, std)` or
          `model.fit_feature_statistics(batches)` before training.
        - `spec_augment` (training only, on the features): `num_freq_masks` masks of up to `freq_mask_param`
          bins and `num_time_masks` masks of up to `time_mask_param` frames.

    Head (`head`): "mlp" (frame-wise MLP), "cnn" (masked Conv1d stack), "lstm" (uni/bi, stacked), "cnn_lstm",
    "parallel" (CNN branch || BiLSTM + attention branch, concatenated). `head_hidden_size` (LSTM / MLP width),
    `head_num_layers` (LSTM / MLP layers), `head_channels` and `head_kernel_sizes` (conv stack, odd kernels),
    `head_pool_size` (time max-pooling after each conv block, 1 = none), `bidirectional`, `head_dropout`,
    `pooling` ("mean", "attention", "stats" = mean || std), all over the real frames only.
    `head_input_dropout` (dropout on the head's input features, every head), and for the "mlp" head
    `head_norm` ("none", "batch" = batch norm over real frames, "layer") and `head_activation` ("relu", "gelu")
    in each hidden layer (Linear -> norm -> activation -> dropout); `head_classifier_dropout` (dropout before
    the final linear layer; None = `head_dropout`). E.g. Dropout(0.2) -> Linear(D, 256) -> BatchNorm -> GELU
    -> Dropout(0.5) -> Linear(256, C) is `head="mlp", head_num_layers=1, head_hidden_size=256,
    head_input_dropout=0.2, head_norm="batch", head_activation="gelu", head_dropout=0.5,
    head_classifier_dropout=0.0`.

    Loss (the only one: training uses the model's own): cross-entropy, weighted by `class_weights` (one float
    per label) when given, with `label_smoothing`; training sets both, so a saved config records them.
    """

    model_type = "hf-ser"

    def __init__(
        self,
        frontend: str = "mfcc",
        sampling_rate: int = 16000,
        n_mfcc: int = 40,
        n_mels: int = 64,
        n_fft: int | None = None,
        win_length_ms: float = 25.0,
        hop_length_ms: float = 10.0,
        f_min: float = 0.0,
        f_max: float | None = None,
        deltas: int = 0,
        feature_normalization: str = "utterance",
        spec_augment: bool = False,
        freq_mask_param: int = 8,
        time_mask_param: int = 20,
        num_freq_masks: int = 2,
        num_time_masks: int = 2,
        encoder_name_or_path: str | None = None,
        encoder_config: dict | None = None,
        layer_combination: str = "none",
        encoder_layers: int | list[int] | None = None,
        encoder_pooling: str = "none",
        freeze_encoder: bool = False,
        freeze_feature_encoder: bool = True,
        whisper_input: str = "padded",
        whisper_pad_seconds: float = 10.0,
        encoder_precision: str = "float32",
        functionals_pitch_threshold: float = 0.45,
        functionals_energy_threshold: float = 0.02,
        functionals_floor_db: float = 50.0,
        functionals_f0_min: float = 60.0,
        functionals_f0_max: float = 500.0,
        feature_standardization: bool | None = None,
        level_normalization: str | None = None,
        head: str = "mlp",
        head_hidden_size: int = 128,
        head_num_layers: int = 1,
        head_ensemble_size: int = 1,
        head_channels: list[int] | None = None,
        head_kernel_sizes: list[int] | None = None,
        head_pool_size: int = 1,
        bidirectional: bool = True,
        head_dropout: float = 0.1,
        pooling: str = "mean",
        head_input_dropout: float = 0.0,
        head_norm: str = "none",
        head_activation: str = "relu",
        head_classifier_dropout: float | None = None,
        class_weights: list[float] | None = None,
        label_smoothing: float = 0.0,
        **kwargs: Any,
    ) -> None:
        self.frontend = frontend
        self.sampling_rate = sampling_rate
        self.n_mfcc = n_mfcc
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.win_length_ms = win_length_ms
        self.hop_length_ms = hop_length_ms
        self.f_min = f_min
        self.f_max = f_max
        self.deltas = deltas
        self.feature_normalization = feature_normalization
        self.spec_augment = spec_augment
        self.freq_mask_param = freq_mask_param
        self.time_mask_param = time_mask_param
        self.num_freq_masks = num_freq_masks
        self.num_time_masks = num_time_masks
        self.encoder_name_or_path = encoder_name_or_path
        self.encoder_config = dict(encoder_config) if encoder_config is not None else None
        self.layer_combination = layer_combination
        self.encoder_layers = encoder_layers if encoder_layers is None else _int_list(encoder_layers, "encoder_layers")
        self.encoder_pooling = encoder_pooling
        self.freeze_encoder = freeze_encoder
        self.freeze_feature_encoder = freeze_feature_encoder
        self.whisper_input = whisper_input
        self.whisper_pad_seconds = whisper_pad_seconds
        self.encoder_precision = encoder_precision
        self.functionals_pitch_threshold = functionals_pitch_threshold
        self.functionals_energy_threshold = functionals_energy_threshold
        self.functionals_floor_db = functionals_floor_db
        self.functionals_f0_min = functionals_f0_min
        self.functionals_f0_max = functionals_f0_max
        if feature_standardization is None:
            feature_standardization = frontend == "functionals"
        self.feature_standardization = bool(feature_standardization)
        self.level_normalization = level_normalization
        self.head = head
        self.head_hidden_size = head_hidden_size
        self.head_num_layers = head_num_layers
        self.head_ensemble_size = head_ensemble_size
        self.head_channels = _int_list(head_channels if head_channels is not None else [64, 64], "head_channels")
        self.head_kernel_sizes = _int_list(
            head_kernel_sizes if head_kernel_sizes is not None else [5], "head_kernel_sizes"
        )
        self.head_pool_size = head_pool_size
        self.bidirectional = bidirectional
        self.head_dropout = head_dropout
        self.pooling = pooling
        self.head_input_dropout = head_input_dropout
        self.head_norm = head_norm
        self.head_activation = head_activation
        self.head_classifier_dropout = head_classifier_dropout
        self.class_weights = [float(w) for w in class_weights] if class_weights is not None else None
        self.label_smoothing = float(label_smoothing)
        super().__init__(**kwargs)
        self.validate_ser()

    def validate_ser(self) -> None:
        """Cross-field checks; every error names the offending field."""

        def choice(field: str, options: tuple[str, ...]) -> None:
            value = getattr(self, field)
            if value not in options:
                raise ValueError(f"{field} must be one of {list(options)}, got {value!r}")

        def positive(field: str, allow_zero: bool = False) -> None:
            value = getattr(self, field)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            ok = ok and (value >= 0 if allow_zero else value > 0)
            if not ok:
                raise ValueError(f"{field} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")

        choice("frontend", FRONTENDS)
        choice("head", HEADS)
        choice("pooling", POOLINGS)
        choice("feature_normalization", FEATURE_NORMALIZATIONS)
        choice("whisper_input", WHISPER_INPUTS)
        choice("layer_combination", LAYER_COMBINATIONS)
        choice("encoder_pooling", ENCODER_POOLINGS)
        choice("encoder_precision", ENCODER_PRECISIONS)
        if self.level_normalization is not None:
            choice("level_normalization", LEVEL_NORMALIZATIONS)
        if not isinstance(self.whisper_pad_seconds, (int, float)) or not 0 < self.whisper_pad_seconds <= 30:
            raise ValueError(f"whisper_pad_seconds must be in (0, 30], got {self.whisper_pad_seconds!r}")
        choice("head_norm", HEAD_NORMS)
        choice("head_activation", HEAD_ACTIVATIONS)
        for field in (
            "sampling_rate",
            "n_mfcc",
            "n_mels",
            "win_length_ms",
            "hop_length_ms",
            "head_hidden_size",
            "head_ensemble_size",
        ):
            positive(field)
        for field in ("freq_mask_param", "time_mask_param", "num_freq_masks", "num_time_masks", "head_num_layers"):
            positive(field, allow_zero=True)
        if self.deltas not in (0, 1, 2):
            raise ValueError(f"deltas must be 0, 1 or 2, got {self.deltas!r}")
        if self.frontend == "mfcc" and self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc ({self.n_mfcc}) must be <= n_mels ({self.n_mels})")
        win = round(self.sampling_rate * self.win_length_ms / 1000)
        if self.n_fft is not None and (not isinstance(self.n_fft, int) or self.n_fft < win):
            raise ValueError(f"n_fft must be an int >= the window ({win} samples), got {self.n_fft!r}")
        if self.f_max is not None and not (self.f_min < self.f_max <= self.sampling_rate / 2):
            raise ValueError(f"f_max must be in (f_min, sampling_rate / 2], got {self.f_max!r}")
        for field in ("head_dropout", "head_input_dropout", "head_classifier_dropout"):
            value = getattr(self, field)
            if value is None and field == "head_classifier_dropout":
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= float(value) < 1.0:
                raise ValueError(f"{field} must be in [0, 1), got {value!r}")
        if self.frontend == "functionals":
            for field in ("functionals_f0_min", "functionals_f0_max"):
                positive(field)
            if not self.functionals_f0_min < self.functionals_f0_max <= self.sampling_rate / 2:
                raise ValueError(
                    "functionals_f0_min < functionals_f0_max <= sampling_rate / 2 is required, got "
                    f"{self.functionals_f0_min!r}, {self.functionals_f0_max!r}"
                )
            if self.sampling_rate / self.functionals_f0_min >= round(self.sampling_rate * 0.04):
                raise ValueError(
                    f"functionals_f0_min must be > 25 Hz (one period within the 40 ms pitch frame), "
                    f"got {self.functionals_f0_min!r}"
                )
            for field in ("functionals_pitch_threshold", "functionals_energy_threshold"):
                value = getattr(self, field)
                if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value < 1.0:
                    raise ValueError(f"{field} must be in [0, 1), got {value!r}")
            floor = self.functionals_floor_db
            if not isinstance(floor, (int, float)) or isinstance(floor, bool) or not 0 < floor <= 120:
                raise ValueError(f"functionals_floor_db must be in (0, 120] dB, got {floor!r}")
            if self.spec_augment:
                raise ValueError("spec_augment masks frames of frame features; frontend='functionals' has none")
        if not self.head_channels or any(c <= 0 for c in self.head_channels):
            raise ValueError(f"head_channels must be a non-empty list of positive ints, got {self.head_channels!r}")
        if not self.head_kernel_sizes or any(k <= 0 or k % 2 == 0 for k in self.head_kernel_sizes):
            raise ValueError(f"head_kernel_sizes must be odd positive ints, got {self.head_kernel_sizes!r}")
        if len(self.head_kernel_sizes) not in (1, len(self.head_channels)):
            raise ValueError(
                f"head_kernel_sizes must have 1 or len(head_channels)={len(self.head_channels)} entries, "
                f"got {self.head_kernel_sizes!r}"
            )
        if not isinstance(self.head_pool_size, int) or self.head_pool_size < 1:
            raise ValueError(f"head_pool_size must be an int >= 1, got {self.head_pool_size!r}")
        if self.head in ("lstm", "cnn_lstm", "parallel") and self.head_num_layers < 1:
            raise ValueError(f"head_num_layers must be >= 1 for head={self.head!r}, got {self.head_num_layers}")
        if self.frontend == "encoder" and not self.encoder_name_or_path and not self.encoder_config:
            raise ValueError("frontend=encoder needs encoder_name_or_path (a Hub id or folder) or encoder_config")
        if self.frontend != "encoder" and (self.encoder_name_or_path or self.encoder_config):
            raise ValueError(
                f"encoder_name_or_path/encoder_config need frontend='encoder' (frontend={self.frontend!r} uses none)"
            )
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if self.encoder_config is not None and "model_type" not in self.encoder_config:
            raise ValueError("encoder_config must be a config dict with a 'model_type'")
        if self.frontend != "encoder":
            for field, default in (("layer_combination", "none"), ("encoder_pooling", "none")):
                if getattr(self, field) != default:
                    raise ValueError(f"{field}={getattr(self, field)!r} needs frontend='encoder'")
        if self.spec_augment and self.layer_combination == "ensemble":
            raise ValueError("spec_augment masks one frame sequence; layer_combination='ensemble' has one per layer")
        if self.encoder_layers is not None:
            if any(i < 0 for i in self.encoder_layers) or not self.encoder_layers:
                raise ValueError(f"encoder_layers must be non-negative hidden-state indices, got {self.encoder_layers}")
            if len(self.encoder_layers) > 1 and self.layer_combination == "none":
                raise ValueError(
                    f"encoder_layers lists {len(self.encoder_layers)} layers; set layer_combination "
                    "(weighted_sum, concat or ensemble) or name a single layer"
                )
        if (
            self.class_weights is not None
            and self.id2label is not None
            and len(self.class_weights) != len(self.id2label)
        ):
            raise ValueError(
                f"class_weights has {len(self.class_weights)} entries but there are {len(self.id2label)} labels"
            )

    @property
    def feature_dim(self) -> int | None:
        """Per-frame feature size of the spectral and functionals front ends (None for encoders)."""
        if self.frontend == "mfcc":
            return self.n_mfcc * (1 + self.deltas)
        if self.frontend == "logmel":
            return self.n_mels * (1 + self.deltas)
        if self.frontend == "functionals":
            return FUNCTIONALS_DIM
        return None
