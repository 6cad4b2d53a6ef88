"""The three argument dataclasses behind every recipe: data, model and training.

Recipes (``recipes/<corpus>/<method>.yaml``) are flat key/value files whose keys are exactly the
fields below, so a recipe is data and ``--key value`` on the command line overrides any of them.
Model fields mirror :class:`hf_ser.modeling.SERConfig` 1:1; a field left at ``None`` keeps the
config's own default, so the defaults live in one place (the model config).

Cross-field checks run in ``__post_init__`` and raise ``ValueError`` naming the field, so a bad
recipe fails before any data is loaded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from typing import Any

from transformers import TrainingArguments

from ..modeling.configuration import (
    ENCODER_POOLINGS,
    FEATURE_NORMALIZATIONS,
    FRONTENDS,
    HEAD_ACTIVATIONS,
    HEAD_NORMS,
    HEADS,
    LAYER_COMBINATIONS,
    POOLINGS,
    WHISPER_INPUTS,
)

_CLASS_WEIGHTING = ("balanced", "none")


def _check_choice(obj: Any, name: str, choices: tuple[str, ...]) -> None:
    value = getattr(obj, name)
    if value is not None and value not in choices:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(choices)}")


def _check_range(obj: Any, name: str, low: float, high: float) -> None:
    value = getattr(obj, name)
    if value is None:
        return
    if len(value) != 2 or value[0] > value[1] or value[0] < low or value[1] > high:
        raise ValueError(f"{name}={value!r} must be [min, max] with {low} <= min <= max <= {high}")


def _maybe_json(value: Any, name: str) -> Any:
    """Dict-valued fields come from YAML as dicts and from the command line as JSON strings."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise ValueError(f"{name} must be a mapping (YAML) or a JSON object string, got {value!r}: {e}") from e
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"{name} must be a mapping, got {type(value).__name__}")
    return value


@dataclass
class DataArguments:
    """Which corpus, which classes, how it is split and how waveforms are prepared for training."""

    corpus: str | None = field(
        default=None,
        metadata={"help": "Corpus to train on: ravdess, tess, crema_d, savee, emodb, folder or synthetic."},
    )
    data_dir: str | None = field(
        default=None,
        metadata={
            "help": "Folder holding the corpus as distributed (or a path,label[,speaker] CSV for folder). Not needed "
            "for synthetic."
        },
    )
    classes: str | None = field(
        default=None,
        metadata={
            "help": "Class subset: a name from hf_ser.labels.CLASS_SUBSETS (all, 4class, 6class, emodb, ...) or a "
            "comma-separated list of unified emotion names. Default: the corpus's own classes."
        },
    )
    sampling_rate: int = field(default=16000, metadata={"help": "Sampling rate (Hz) audio is resampled to."})
    split_seed: int = field(
        default=42,
        metadata={
            "help": "Seed of the speaker-independent train/validation/test split. Kept apart from `seed` so runs "
            "with different training seeds are evaluated on the same speakers."
        },
    )
    test_size: float = field(default=0.2, metadata={"help": "Fraction of speakers held out for the test split."})
    validation_size: float = field(
        default=0.1,
        metadata={"help": "Fraction of speakers held out for validation (best checkpoint, early stopping)."},
    )
    corpus_options: dict | str | None = field(
        default=None,
        metadata={
            "help": "Extra options for the corpus builder, e.g. {num_speakers: 6, utterances_per_emotion: 4} for "
            "synthetic. A YAML mapping, or a JSON object on the command line."
        },
    )
    max_duration_seconds: float | None = field(
        default=None,
        metadata={
            "help": "Longest training clip: longer clips get a random crop of this length each time they are seen "
            "(a cheap augmentation that also bounds memory). None keeps whole clips."
        },
    )
    eval_max_duration_seconds: float | None = field(
        default=None,
        metadata={
            "help": "Validation/test clips longer than this are cut to their first N seconds (deterministic). "
            "None evaluates whole clips (recommended: that is how the model is used)."
        },
    )
    max_train_samples: int | None = field(
        default=None, metadata={"help": "Debugging: keep only the first N training clips."}
    )
    max_eval_samples: int | None = field(
        default=None, metadata={"help": "Debugging: keep only the first N validation clips (test is never cut)."}
    )
    speed_perturbation: list[float] | None = field(
        default=None,
        metadata={
            "help": "Kaldi-style speed perturbation: each training clip is added once more per factor (e.g. 0.9 "
            "1.1), played that much faster (tempo and pitch together); validation/test clips never are. Fixed "
            "copies, so frozen front ends still use the feature cache (each copy is cached once)."
        },
    )
    augment: bool = field(
        default=False,
        metadata={
            "help": "On-the-fly waveform augmentation of training clips (never of validation/test): speed, pitch "
            "shift, additive noise and gain, each applied with its own probability below."
        },
    )
    speed_prob: float = field(default=0.5, metadata={"help": "Probability of a speed change (tempo and pitch)."})
    speed_range: list[float] = field(
        default_factory=lambda: [0.9, 1.1], metadata={"help": "Speed factor range [min, max], e.g. 0.9 1.1."}
    )
    pitch_shift_prob: float = field(
        default=0.0, metadata={"help": "Probability of a pitch shift at constant duration (slower than the others)."}
    )
    pitch_shift_semitones: float = field(
        default=2.0, metadata={"help": "Largest pitch shift in semitones, drawn uniformly in [-N, N]."}
    )
    noise_prob: float = field(default=0.5, metadata={"help": "Probability of adding white noise."})
    noise_snr_db: list[float] = field(
        default_factory=lambda: [15.0, 40.0], metadata={"help": "Signal-to-noise ratio range [min, max] in dB."}
    )
    gain_prob: float = field(default=0.5, metadata={"help": "Probability of a gain change."})
    gain_db: list[float] = field(default_factory=lambda: [-6.0, 6.0], metadata={"help": "Gain range [min, max] in dB."})

    def __post_init__(self) -> None:
        if not self.corpus:
            raise ValueError("corpus is required (e.g. corpus: emodb in the recipe, or --corpus emodb)")
        self.corpus_options = _maybe_json(self.corpus_options, "corpus_options") or {}
        if isinstance(self.classes, (list, tuple)):
            self.classes = ",".join(self.classes)
        if self.data_dir is not None:
            self.data_dir = os.path.expanduser(self.data_dir)
        if self.sampling_rate <= 0:
            raise ValueError(f"sampling_rate={self.sampling_rate} must be positive")
        for name in ("test_size", "validation_size"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name}={value} must be a fraction in [0, 1)")
        if self.test_size + self.validation_size >= 1.0:
            raise ValueError(
                f"test_size + validation_size = {self.test_size + self.validation_size} leaves no training speakers"
            )
        for name in ("max_duration_seconds", "eval_max_duration_seconds"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name}={value} must be positive (or null for whole clips)")
        for name in ("max_train_samples", "max_eval_samples"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name}={value} must be >= 1")
        for name in ("speed_prob", "pitch_shift_prob", "noise_prob", "gain_prob"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}={value} must be a probability in [0, 1]")
        _check_range(self, "speed_range", 0.5, 2.0)
        if self.speed_perturbation is not None:
            factors = [float(f) for f in self.speed_perturbation]
            if any(not 0.5 <= f <= 2.0 or f == 1.0 for f in factors) or len(set(factors)) != len(factors):
                raise ValueError(
                    f"speed_perturbation={self.speed_perturbation} must list distinct factors in [0.5, 2] other "
                    "than 1 (the original clips are always kept)"
                )
            self.speed_perturbation = factors or None
        _check_range(self, "noise_snr_db", -20.0, 100.0)
        _check_range(self, "gain_db", -40.0, 40.0)
        if not 0.0 <= self.pitch_shift_semitones <= 12.0:
            raise ValueError(f"pitch_shift_semitones={self.pitch_shift_semitones} must be in [0, 12]")


@dataclass
class ModelArguments:
    """The model: front end, encoder, head, pooling (mirroring SERConfig) and LoRA.

    Every SERConfig-mirroring field defaults to ``None`` = "the SERConfig default".
    """

    model_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Start from a saved hf-ser model (local dir or Hub id) instead of building one from the fields "
            "below; its head is re-initialised when the class set differs."
        },
    )
    frontend: str | None = field(
        default=None,
        metadata={
            "help": "Front end: mfcc, logmel, functionals (utterance-level statistics of log-mel, MFCC and "
            "prosodic descriptors; computed inside the model) or encoder."
        },
    )
    n_mfcc: int | None = field(default=None, metadata={"help": "Number of MFCC coefficients (frontend=mfcc)."})
    n_mels: int | None = field(default=None, metadata={"help": "Number of mel bands (mfcc / logmel)."})
    n_fft: int | None = field(default=None, metadata={"help": "FFT size of the spectrogram front ends."})
    win_length_ms: float | None = field(default=None, metadata={"help": "Analysis window length in ms."})
    hop_length_ms: float | None = field(default=None, metadata={"help": "Frame hop in ms."})
    f_min: float | None = field(default=None, metadata={"help": "Lowest mel filter frequency in Hz."})
    f_max: float | None = field(default=None, metadata={"help": "Highest mel filter frequency in Hz (None: Nyquist)."})
    deltas: int | None = field(default=None, metadata={"help": "Append delta (1) or delta + delta-delta (2) features."})
    functionals_pitch_threshold: float | None = field(
        default=None, metadata={"help": "functionals: voiced when the normalised autocorrelation peak exceeds this."}
    )
    functionals_energy_threshold: float | None = field(
        default=None, metadata={"help": "functionals: ...and the frame RMS exceeds this fraction of the clip maximum."}
    )
    functionals_f0_min: float | None = field(default=None, metadata={"help": "functionals: lowest F0 in Hz."})
    functionals_f0_max: float | None = field(default=None, metadata={"help": "functionals: highest F0 in Hz."})
    feature_standardization: bool | None = field(
        default=None,
        metadata={
            "help": "Standardise front-end features with mean/std fitted on the training split and saved with "
            "the model (default: on for functionals, off otherwise)."
        },
    )
    level_normalization: str | None = field(
        default=None,
        metadata={
            "help": "speech_rms: remove DC and set each clip's speech-frame RMS to -20 dBFS inside the model, so "
            "the recording gain does not change predictions; none (default: speech_rms for functionals and "
            "Whisper, none for front ends whose feature extractor z-normalises the waveform)."
        },
    )
    feature_normalization: str | None = field(
        default=None, metadata={"help": "Per-utterance feature normalisation: utterance or none."}
    )
    spec_augment: bool | None = field(
        default=None, metadata={"help": "SpecAugment-style time/feature masking of the front-end output in training."}
    )
    freq_mask_param: int | None = field(
        default=None, metadata={"help": "SpecAugment: widest feature (frequency) mask in bins."}
    )
    time_mask_param: int | None = field(default=None, metadata={"help": "SpecAugment: longest time mask in frames."})
    num_freq_masks: int | None = field(default=None, metadata={"help": "SpecAugment: feature masks per clip."})
    num_time_masks: int | None = field(default=None, metadata={"help": "SpecAugment: time masks per clip."})
    encoder_name_or_path: str | None = field(
        default=None,
        metadata={
            "help": "Pretrained speech encoder (frontend=encoder): a Hub id such as facebook/wav2vec2-base, "
            "microsoft/wavlm-base-plus, facebook/hubert-base-ls960, openai/whisper-base, or a local folder."
        },
    )
    encoder_config: dict | str | None = field(
        default=None,
        metadata={
            "help": "Encoder config as a mapping (must include model_type), used to build a randomly initialised "
            "encoder with no download, e.g. a tiny wav2vec2 for tests and offline demos."
        },
    )
    layer_combination: str | None = field(
        default=None,
        metadata={
            "help": "Several encoder layers: weighted_sum (learned softmax weights), concat (along features) or "
            "ensemble (one head per layer, log-probabilities averaged); none = one layer (the default)."
        },
    )
    encoder_layers: list[int] | None = field(
        default=None,
        metadata={
            "help": "Encoder hidden states to use (0 = embeddings, i = after layer i), e.g. 0 1 2 3 4 with a "
            "layer_combination; default: all when layers are combined, else the last."
        },
    )
    encoder_pooling: str | None = field(
        default=None,
        metadata={
            "help": "mean: average each encoder layer over the clip's frames in the front end (the head sees one "
            "vector per layer; cached features shrink ~100x); none: frame sequences to the head."
        },
    )
    freeze_encoder: bool | None = field(default=None, metadata={"help": "Freeze the whole pretrained encoder."})
    freeze_feature_encoder: bool | None = field(
        default=None, metadata={"help": "Freeze the convolutional feature encoder (wav2vec2-style encoders)."}
    )
    whisper_input: str | None = field(
        default=None,
        metadata={
            "help": "Whisper encoders: padded (zero-pad shorter clips to whisper_pad_seconds; 30 = as trained) or "
            "real_length (fastest: the clip's own length, positional embeddings sliced)."
        },
    )
    whisper_pad_seconds: float | None = field(
        default=None, metadata={"help": "Whisper, whisper_input=padded: pad clips shorter than this (seconds)."}
    )
    head: str | None = field(default=None, metadata={"help": "Classifier head: mlp, cnn, lstm, cnn_lstm or parallel."})
    head_hidden_size: int | None = field(default=None, metadata={"help": "Hidden size of the head."})
    head_num_layers: int | None = field(default=None, metadata={"help": "Number of head layers (mlp / lstm)."})
    head_channels: list[int] | None = field(
        default=None, metadata={"help": "Channels of each convolution block (cnn heads), e.g. 64 128."}
    )
    head_kernel_sizes: list[int] | None = field(
        default=None, metadata={"help": "Kernel size of each convolution block (cnn heads), e.g. 5 3."}
    )
    head_pool_size: int | None = field(
        default=None, metadata={"help": "Max-pooling over time after each convolution block (1 = none)."}
    )
    bidirectional: bool | None = field(default=None, metadata={"help": "Bidirectional LSTM (lstm heads)."})
    head_dropout: float | None = field(default=None, metadata={"help": "Dropout inside the head."})
    head_input_dropout: float | None = field(
        default=None, metadata={"help": "Dropout on the head's input features (every head)."}
    )
    head_norm: str | None = field(
        default=None, metadata={"help": "mlp head: normalisation in each hidden layer: none, batch or layer."}
    )
    head_activation: str | None = field(default=None, metadata={"help": "mlp head: relu or gelu."})
    head_classifier_dropout: float | None = field(
        default=None, metadata={"help": "Dropout before the final linear layer (None: head_dropout)."}
    )
    pooling: str | None = field(
        default=None, metadata={"help": "Masked pooling over time: mean, attention or stats (mean + std)."}
    )
    do_normalize: bool | None = field(
        default=None,
        metadata={
            "help": "Feature extractor: zero-mean/unit-variance normalise each waveform before the model. "
            "Default: on, except for Whisper encoders (SERFeatureExtractor.from_model_config)."
        },
    )
    use_lora: bool = field(
        default=False, metadata={"help": "Fine-tune the encoder with LoRA adapters (frontend=encoder, not frozen)."}
    )
    lora_r: int = field(default=8, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA scaling alpha."})
    lora_dropout: float = field(default=0.0, metadata={"help": "Dropout on the LoRA branch."})
    lora_target_modules: list[str] | None = field(
        default=None,
        metadata={"help": "Encoder modules that get adapters; default: the attention projections of the encoder."},
    )

    def __post_init__(self) -> None:
        self.encoder_config = _maybe_json(self.encoder_config, "encoder_config")
        _check_choice(self, "frontend", FRONTENDS)
        _check_choice(self, "head", HEADS)
        _check_choice(self, "pooling", POOLINGS)
        _check_choice(self, "feature_normalization", FEATURE_NORMALIZATIONS)
        _check_choice(self, "whisper_input", WHISPER_INPUTS)
        _check_choice(self, "layer_combination", LAYER_COMBINATIONS)
        _check_choice(self, "encoder_pooling", ENCODER_POOLINGS)
        _check_choice(self, "head_norm", HEAD_NORMS)
        _check_choice(self, "head_activation", HEAD_ACTIVATIONS)
        if self.deltas is not None and self.deltas not in (0, 1, 2):
            raise ValueError(f"deltas={self.deltas} must be 0, 1 or 2")
        if self.head_dropout is not None and not 0.0 <= self.head_dropout < 1.0:
            raise ValueError(f"head_dropout={self.head_dropout} must be in [0, 1)")
        if self.encoder_config is not None and "model_type" not in self.encoder_config:
            raise ValueError("encoder_config must name its model_type (e.g. wav2vec2)")
        uses_encoder = self.encoder_name_or_path is not None or self.encoder_config is not None
        if self.frontend == "encoder" and not uses_encoder and self.model_name_or_path is None:
            raise ValueError("frontend=encoder needs encoder_name_or_path (a Hub id or folder) or encoder_config")
        if self.frontend in ("mfcc", "logmel") and uses_encoder:
            raise ValueError(
                f"frontend={self.frontend!r} does not use an encoder: drop encoder_name_or_path/encoder_config "
                "or set frontend: encoder"
            )
        if self.use_lora:
            if self.frontend != "encoder":
                raise ValueError("use_lora=true needs frontend=encoder (LoRA adapts a pretrained encoder)")
            if self.freeze_encoder:
                raise ValueError("use_lora=true with freeze_encoder=true: LoRA already freezes the base weights")
            if self.lora_r < 1:
                raise ValueError(f"lora_r={self.lora_r} must be >= 1")
        if self.head_channels is not None and self.head_kernel_sizes is not None:
            if len(self.head_kernel_sizes) not in (1, len(self.head_channels)):
                raise ValueError(
                    f"head_kernel_sizes has {len(self.head_kernel_sizes)} entries but head_channels has "
                    f"{len(self.head_channels)}: give one kernel size, or one per convolution block"
                )

    def config_kwargs(self) -> dict[str, Any]:
        """The SERConfig keyword arguments this recipe sets (``None`` fields keep SERConfig's defaults)."""
        skip = {"model_name_or_path", "do_normalize", "use_lora"}
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in skip and not f.name.startswith("lora_") and getattr(self, f.name) is not None
        }


@dataclass
class SERTrainingArguments(TrainingArguments):
    """``transformers.TrainingArguments`` plus what SER training adds, with SER-friendly defaults.

    Defaults changed from TrainingArguments: the best checkpoint is picked by validation UAR
    (``metric_for_best_model="uar"``, ``load_best_model_at_end``), evaluation and saving happen every
    ``save_steps`` steps (``eval_steps`` follows ``save_steps`` unless set), raw audio columns are
    kept for the collator (``remove_unused_columns=False``).
    """

    class_weighting: str = field(
        default="balanced",
        metadata={
            "help": "Loss weighting: balanced (weights inversely proportional to training class counts, as "
            "sklearn's compute_class_weight) or none."
        },
    )
    balanced_sampling: bool = field(
        default=False,
        metadata={
            "help": "Draw training clips with probability inversely proportional to their class frequency "
            "(alternative to class_weighting; use one of the two)."
        },
    )
    early_stopping_patience: int | None = field(
        default=10,
        metadata={"help": "Stop after this many evaluations without a better validation UAR; null disables."},
    )
    early_stopping_threshold: float = field(
        default=0.0, metadata={"help": "Smallest UAR improvement that counts as better."}
    )
    keep_checkpoints: bool = field(
        default=False,
        metadata={
            "help": "Keep output_dir/checkpoint-N (Trainer checkpoints with optimizer states) once the model is "
            "saved; by default they are deleted then (an interrupted run keeps them, for resume_from_checkpoint)."
        },
    )
    verbose: bool = field(
        default=False,
        metadata={
            "help": "Show the resolved config, Trainer and library logs and every evaluation on the console "
            "(they always go to output_dir/train.log); by default: progress bars and a summary table."
        },
    )
    # --- TrainingArguments fields with SER defaults (same names and meaning as upstream) ---
    output_dir: str | None = field(
        default=None,
        metadata={
            "help": "The saved model folder (weights, config, model card, test results, train.log), exactly what "
            "push_to_hub uploads; Trainer checkpoints go to output_dir/checkpoint-N."
        },
    )
    eval_strategy: str = field(
        default="steps", metadata={"help": "When to evaluate on the validation split: steps, epoch or no."}
    )
    save_strategy: str = field(
        default="steps", metadata={"help": "When to save a checkpoint: steps, epoch, best or no."}
    )
    save_steps: float = field(default=50, metadata={"help": "Save (and evaluate) every N optimizer steps."})
    eval_steps: float | None = field(
        default=None, metadata={"help": "Evaluate every N steps; default: every save_steps."}
    )
    save_total_limit: int | None = field(
        default=2, metadata={"help": "Keep at most N checkpoints (the best one is always kept)."}
    )
    logging_steps: float = field(default=10, metadata={"help": "Log the training loss every N steps."})
    load_best_model_at_end: bool = field(
        default=True, metadata={"help": "Reload the checkpoint with the best validation metric after training."}
    )
    metric_for_best_model: str | None = field(
        default="uar", metadata={"help": "Validation metric that picks the best checkpoint (uar, accuracy, macro_f1)."}
    )
    greater_is_better: bool | None = field(default=True, metadata={"help": "Whether a larger metric is better."})
    remove_unused_columns: bool = field(
        default=False, metadata={"help": "Must stay false: the audio column is decoded by the collator."}
    )

    def __post_init__(self) -> None:
        _check_choice(self, "class_weighting", _CLASS_WEIGHTING)
        if self.balanced_sampling and self.class_weighting != "none":
            raise ValueError(
                "balanced_sampling=true together with class_weighting='balanced' corrects the imbalance twice; "
                "set class_weighting: none"
            )
        if self.early_stopping_patience is not None and self.early_stopping_patience < 1:
            raise ValueError(f"early_stopping_patience={self.early_stopping_patience} must be >= 1 (or null)")
        if self.remove_unused_columns:
            raise ValueError("remove_unused_columns must be false: the collator needs the raw audio column")
        strategy = str(getattr(self.eval_strategy, "value", self.eval_strategy))
        if self.eval_steps is None and strategy == "steps":
            self.eval_steps = self.save_steps
        if self.early_stopping_patience is not None and strategy == "no":
            raise ValueError("early_stopping_patience needs evaluation: set eval_strategy to steps or epoch")
        import torch

        if not torch.cuda.is_available():
            self.dataloader_pin_memory = False  # pinning needs an accelerator; avoids a warning per loader
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            env_cpu = os.environ.get("ACCELERATE_USE_CPU", "false").lower() in ("1", "true", "yes")
            if env_cpu or not torch.cuda.is_available():
                # Several processes without GPUs: accelerate only sets up CPU DDP (MULTI_CPU) when told
                # use_cpu; otherwise each process would silently train its own model.
                self.use_cpu = True
            if self.use_cpu and self.ddp_backend is None:
                self.ddp_backend = "gloo"
        super().__post_init__()
        if self.load_best_model_at_end and str(getattr(self.eval_strategy, "value", self.eval_strategy)) == "no":
            raise ValueError("load_best_model_at_end=true needs eval_strategy steps or epoch")
