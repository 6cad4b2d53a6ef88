"""The argument dataclasses behind every recipe: data, model, training and protocol.

Recipes (``recipes/<corpus>/<method>.yaml``) are flat key/value files whose keys are exactly the
fields below, so a recipe is data and ``--key value`` on the command line overrides any of them.
The model keys are generated from :class:`hf_ser.modeling.SERConfig`'s signature (help from its
``FIELD_HELP``): a key left at ``None`` keeps the config's own default, and the values are checked
once, by ``SERConfig`` itself (:func:`model_config`).

Cross-field checks run in ``__post_init__`` and raise ``ValueError`` naming the field, so a bad
recipe fails before any data is loaded.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import typing
from dataclasses import dataclass, field
from typing import Any

from transformers import TrainingArguments

from ..audio import DEFAULT_SAMPLING_RATE
from ..corpora.splits import SPLIT_SEED, TEST_SIZE, VALIDATION_SIZE
from ..modeling.configuration import FIELD_HELP, SERConfig

_CLASS_WEIGHTING = ("balanced", "none")
# SERConfig arguments that training sets itself (from the data and the training arguments), not recipe keys.
_NOT_RECIPE_KEYS = ("sampling_rate", "class_weights", "label_smoothing")
# Recipe types where SERConfig's own annotation is wider than a command line can say.
_RECIPE_TYPES = {"encoder_layers": list[int] | None, "encoder_config": dict | str | None}


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


def maybe_json(value: Any, name: str) -> Any:
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
    sampling_rate: int | None = field(
        default=None,
        metadata={
            "help": f"Sampling rate (Hz) audio is resampled to; default: the model's ({DEFAULT_SAMPLING_RATE} for "
            "a new one, a saved model's own with model_name_or_path)."
        },
    )
    split_seed: int = field(
        default=SPLIT_SEED,
        metadata={
            "help": "Seed of the speaker-independent train/validation/test split. Kept apart from `seed` so runs "
            "with different training seeds are evaluated on the same speakers."
        },
    )
    test_size: float = field(default=TEST_SIZE, metadata={"help": "Fraction of speakers held out for the test split."})
    validation_size: float = field(
        default=VALIDATION_SIZE,
        metadata={"help": "Fraction of speakers held out for validation (best checkpoint, early stopping)."},
    )
    corpus_options: dict | str | None = field(
        default=None,
        metadata={
            "help": "Extra options for the corpus builder, e.g. {num_speakers: 6, utterances_per_emotion: 4} for "
            "synthetic. A YAML mapping, or a JSON object on the command line; with several corpora (a+b), a "
            "mapping by corpus name gives each its own ({synthetic: {num_speakers: 6}, folder: {...}})."
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
        self.corpus_options = maybe_json(self.corpus_options, "corpus_options") or {}
        if isinstance(self.classes, (list, tuple)):
            self.classes = ",".join(self.classes)
        if self.data_dir is not None:
            self.data_dir = os.path.expanduser(self.data_dir)
        if self.sampling_rate is not None and self.sampling_rate <= 0:
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


class _ModelArgumentsChecks:
    """What a recipe's model section adds to SERConfig's fields: start from a saved model, waveform
    normalisation, LoRA. The SERConfig fields themselves are checked by SERConfig (:func:`model_config`)."""

    def __post_init__(self) -> None:
        from ..safe_loading import refuse_pickle_weights

        self.encoder_config = maybe_json(self.encoder_config, "encoder_config")
        if getattr(self, "encoder_name_or_path", None):
            refuse_pickle_weights(self.encoder_name_or_path, what="encoder_name_or_path")
        if self.model_name_or_path:
            from ..hub import resolve_model_source

            self.model_name_or_path = resolve_model_source(self.model_name_or_path)  # a typo fails first, named
            refuse_pickle_weights(self.model_name_or_path, what="model_name_or_path")
            ignored = [name for name in ("do_normalize", *config_keys()) if getattr(self, name) is not None]
            if ignored:
                raise ValueError(
                    f"model_name_or_path={self.model_name_or_path!r} brings its own config and feature extractor, "
                    f"so {', '.join(ignored)} cannot apply: drop {'them' if len(ignored) > 1 else 'it'}"
                )
        if self.use_lora and self.lora_r < 1:
            raise ValueError(f"lora_r={self.lora_r} must be >= 1")

    def config_kwargs(self) -> dict[str, Any]:
        """The SERConfig keyword arguments this recipe sets (``None`` fields keep SERConfig's defaults)."""
        return {name: getattr(self, name) for name in config_keys() if getattr(self, name) is not None}


def config_keys() -> list[str]:
    """The SERConfig arguments a recipe may set (all but what training fills in itself)."""
    params = inspect.signature(SERConfig.__init__).parameters
    return [n for n, p in params.items() if n not in ("self", *_NOT_RECIPE_KEYS) and p.kind is p.POSITIONAL_OR_KEYWORD]


def _model_fields() -> list[tuple[str, Any, Any]]:
    hints = typing.get_type_hints(SERConfig.__init__)
    generated = [
        (name, _RECIPE_TYPES.get(name, hints[name] | None), field(default=None, metadata={"help": FIELD_HELP[name]}))
        for name in config_keys()
    ]
    own = [
        (
            "model_name_or_path",
            str | None,
            field(
                default=None,
                metadata={
                    "help": "Start from a saved hf-ser model (local dir or Hub id) instead of building one from the "
                    "model keys, which must then be left out; its head is re-initialised when the class set differs."
                },
            ),
        ),
        (
            "do_normalize",
            bool | None,
            field(
                default=None,
                metadata={
                    "help": "Feature extractor: zero-mean/unit-variance normalise each waveform before the model. "
                    "Default: on, except for Whisper encoders and functionals (SERFeatureExtractor.from_model_config)."
                },
            ),
        ),
        (
            "use_lora",
            bool,
            field(default=False, metadata={"help": "Fine-tune the encoder with LoRA adapters (frontend=encoder)."}),
        ),
        ("lora_r", int, field(default=8, metadata={"help": "LoRA rank."})),
        ("lora_alpha", int, field(default=16, metadata={"help": "LoRA scaling alpha."})),
        ("lora_dropout", float, field(default=0.0, metadata={"help": "Dropout on the LoRA branch."})),
        (
            "lora_target_modules",
            list[str] | None,
            field(
                default=None,
                metadata={"help": "Encoder modules that get adapters; default: the encoder's attention projections."},
            ),
        ),
    ]
    return own[:1] + generated + own[1:]


ModelArguments = dataclasses.make_dataclass(
    "ModelArguments",
    _model_fields(),
    bases=(_ModelArgumentsChecks,),
    namespace={
        "__doc__": "The model: SERConfig's fields (front end, encoder, head, pooling), a saved model, LoRA.",
        "__module__": __name__,
    },
)


_SPECTRAL = ("mfcc", "logmel", "functionals")
# Model keys that only one front end or head reads: set for another one, they change nothing.
_USED_BY = {
    **{key: ("frontend", ("mfcc",)) for key in ("n_mfcc",)},
    **{key: ("frontend", ("mfcc", "logmel")) for key in ("n_mels", "f_min", "f_max", "deltas")},
    **{key: ("frontend", _SPECTRAL) for key in ("n_fft", "win_length_ms", "hop_length_ms")},
    **{key: ("frontend", ("functionals",)) for key in FIELD_HELP if key.startswith("functionals_")},
    **{
        key: ("frontend", ("encoder",))
        for key in ("layer_combination", "encoder_layers", "encoder_pooling", "freeze_encoder")
        + ("freeze_feature_encoder", "whisper_input", "whisper_pad_seconds", "encoder_precision")
    },
    **{
        key: ("head", ("cnn", "cnn_lstm", "parallel"))
        for key in ("head_channels", "head_kernel_sizes", "head_pool_size")
    },
    "bidirectional": ("head", ("lstm", "cnn_lstm")),
    **{key: ("head", ("mlp",)) for key in ("head_norm", "head_activation")},
}


def unused_model_keys(config: SERConfig, model_args: Any) -> list[str]:
    """A warning, naming the key, for each model key the recipe sets that this front end or head never reads."""
    notes = []
    for key, (part, users) in _USED_BY.items():
        chosen = getattr(config, part)
        if getattr(model_args, key, None) is not None and chosen not in users:
            notes.append(f"{key}={getattr(model_args, key)!r} does not apply to {part}={chosen!r} and is not used")
    return notes


def model_config(data_args: Any, model_args: Any, **labels: Any) -> SERConfig:
    """The SERConfig of a new model for this recipe (this is where model keys are validated, once)."""
    config = SERConfig(
        sampling_rate=data_args.sampling_rate or DEFAULT_SAMPLING_RATE, **labels, **model_args.config_kwargs()
    )
    if model_args.use_lora:
        if config.frontend != "encoder":
            raise ValueError("use_lora=true needs frontend=encoder (LoRA adapts a pretrained encoder)")
        if config.freeze_encoder:
            raise ValueError("use_lora=true with freeze_encoder=true: LoRA already freezes the base weights")
    return config


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


@dataclass
class CVArguments:
    """Protocol keys: how the speakers are split into folds, cross-corpus tests, the feature cache. Both
    ``hf-ser train`` (one fold) and ``hf-ser cv`` (every fold) accept them; a key one command cannot honour
    is an error or a logged warning naming it (:func:`hf_ser.training.protocol.check_protocol_keys`)."""

    num_folds: int | None = field(
        default=None,
        metadata={"help": "Number of speaker folds; null (default) = leave-one-speaker-out (one fold per speaker)."},
    )
    num_validation_speakers: int = field(
        default=1,
        metadata={
            "help": "Speakers per fold held out from training for checkpoint selection and early stopping "
            "(drawn from the non-test speakers, gender-balanced)."
        },
    )
    cache_features: str = field(
        default="auto",
        metadata={
            "help": "Cache front-end features on disk and train heads on them: auto (whenever it is exact: frozen "
            "encoder or MFCC/log-mel without waveform augmentation or random crops), true (fail if not exact) "
            "or false."
        },
    )
    cache_dir: str | None = field(
        default=None, metadata={"help": "Feature cache folder; default $HF_SER_CACHE or ~/.cache/hf_ser/features."}
    )
    cache_dtype: str = field(
        default="auto",
        metadata={
            "help": "Storage dtype of cached features: auto (float16 for encoders, float32 for MFCC/log-mel), "
            "float16 or float32."
        },
    )
    speaker_normalization: str = field(
        default="none",
        metadata={
            "help": "none, or speaker_z: standardise each speaker's front-end features with that speaker's own "
            "mean/std (its unlabelled audio; transductive for the test speaker, reported as such). Needs the cache."
        },
    )
    test_corpus: str | None = field(
        default=None,
        metadata={
            "help": "Cross-corpus protocol: train on `corpus` (several joined with +), test on all of this corpus, "
            "on the shared `classes` (e.g. 4class)."
        },
    )
    test_data_dir: str | None = field(default=None, metadata={"help": "Folder of the test corpus (cross-corpus)."})
    test_corpus_options: dict | str | None = field(
        default=None, metadata={"help": "Builder options of the test corpus (a mapping, or a JSON object)."}
    )
    data_dirs: dict | str | None = field(
        default=None,
        metadata={"help": "Folders of several training corpora, {name: dir} (corpus: a+b); data_dir serves one."},
    )
    inner_folds: int | None = field(
        default=None,
        metadata={
            "help": "Choose the inner_grid values by an inner CV on K speaker folds of each outer fold's training "
            "speakers (never the test speakers); the choice per fold is recorded in cv_results.json. null = off."
        },
    )
    inner_grid: dict | str | None = field(
        default=None,
        metadata={
            "help": "What inner_folds searches: {key: [values, ...]} over training and head keys, e.g. "
            '{"learning_rate": [3e-4, 1e-3], "num_train_epochs": [30, 100]} (a mapping, or a JSON object).'
        },
    )
    test_gain_db: float | None = field(
        default=None,
        metadata={
            "help": "Recording-level check: each fold's saved model also predicts its test clips recorded this many "
            "dB louder (negative: quieter, e.g. -25) and stored as 16-bit PCM; per-speaker UAR and labels unchanged "
            "go to cv_results.json (gain_check). Training is unchanged, so a finished run can add it. null = off."
        },
    )
    write_fold_cards: bool = field(default=False, metadata={"help": "Write a model card (README.md) for every fold."})
    overwrite_output_dir: bool = field(
        default=False,
        metadata={"help": "Start over in an output_dir that holds a CV run with another config (deletes its folds)."},
    )

    def __post_init__(self) -> None:
        from .cache import CACHE_DTYPES, SPEAKER_NORMALIZATIONS

        if isinstance(self.cache_features, bool):
            self.cache_features = "true" if self.cache_features else "false"
        self.cache_features = str(self.cache_features).lower()
        if self.cache_features not in ("auto", "true", "false"):
            raise ValueError(f"cache_features={self.cache_features!r} is not one of auto, true, false")
        if self.cache_dtype not in CACHE_DTYPES:
            raise ValueError(f"cache_dtype={self.cache_dtype!r} is not one of {', '.join(CACHE_DTYPES)}")
        if self.speaker_normalization not in SPEAKER_NORMALIZATIONS:
            raise ValueError(
                f"speaker_normalization={self.speaker_normalization!r} is not one of "
                f"{', '.join(SPEAKER_NORMALIZATIONS)}"
            )
        if self.speaker_normalization != "none" and self.cache_features == "false":
            raise ValueError("speaker_normalization works on cached features: set cache_features auto or true")
        if self.test_gain_db is not None and not -60.0 <= self.test_gain_db <= 40.0:
            raise ValueError(f"test_gain_db={self.test_gain_db} is outside [-60, 40] dB")
        if self.test_gain_db is not None and self.speaker_normalization != "none":
            raise ValueError(
                "test_gain_db re-runs each fold's saved model on raw audio, which has no per-speaker statistics: "
                "use it with speaker_normalization none"
            )
        if self.num_folds is not None and self.num_folds < 2:
            raise ValueError(f"num_folds={self.num_folds} must be >= 2 (or null for leave-one-speaker-out)")
        if self.num_validation_speakers < 0:
            raise ValueError(f"num_validation_speakers={self.num_validation_speakers} must be >= 0")
        self.test_corpus_options = maybe_json(self.test_corpus_options, "test_corpus_options") or {}
        self.inner_grid = maybe_json(self.inner_grid, "inner_grid") or None
        if self.inner_folds is not None and self.inner_folds < 2:
            raise ValueError(f"inner_folds={self.inner_folds} must be >= 2 (or null: no inner CV)")
        if (self.inner_folds is None) != (self.inner_grid is None):
            raise ValueError(
                "inner_folds and inner_grid go together: inner_folds K says how many inner speaker folds, "
                "inner_grid {key: [values]} what they choose"
            )
        self.data_dirs = {
            k: os.path.expanduser(str(v)) for k, v in (maybe_json(self.data_dirs, "data_dirs") or {}).items()
        }
        if self.test_data_dir is not None:
            self.test_data_dir = os.path.expanduser(self.test_data_dir)
        if self.test_corpus is None and (self.test_data_dir or self.test_corpus_options):
            raise ValueError("test_data_dir / test_corpus_options need test_corpus")
