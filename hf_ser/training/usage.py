"""Short, grouped help of ``hf-ser train`` and ``hf-ser cv``: the keys a newcomer needs, on one screen.

Recipes accept several hundred keys (every ``TrainingArguments`` field among them); ``--help`` lists the few
that matter first, and ``--help-all`` every key with its full help. This module imports nothing heavy, so
``--help`` answers without loading torch or transformers; ``tests/training/test_usage.py`` checks that every
key named here is a real recipe key.
"""

from __future__ import annotations

import sys

# (group title, [(key, value placeholder, one-line description)])
Group = tuple[str, list[tuple[str, str, str]]]

TRAIN_GROUPS: list[Group] = [
    (
        "data",
        [
            ("corpus", "NAME", "emodb, ravdess, tess, crema_d, savee, folder (own data), synthetic"),
            ("data_dir", "DIR", "the corpus folder as downloaded (synthetic needs none)"),
            ("classes", "NAMES", "4class, 6class, all, ... or emotion names (default: all it has)"),
            ("max_duration_seconds", "S", "train on random crops of at most S seconds"),
            ("augment", "true|false", "on-the-fly speed / noise / gain changes of training clips"),
        ],
    ),
    (
        "model",
        [
            ("frontend", "NAME", "mfcc, logmel, functionals, or encoder (pretrained)"),
            ("encoder_name_or_path", "ID|DIR", "a Hub id (openai/whisper-base, ...) or a local folder"),
            ("head", "NAME", "mlp, cnn, lstm, cnn_lstm or parallel"),
            ("model_name_or_path", "DIR|ID", "fine-tune a saved hf-ser model"),
            ("use_lora", "true|false", "LoRA adapters on the encoder's attention projections"),
        ],
    ),
    (
        "training",
        [
            ("output_dir", "DIR", "the saved model, its card, test results and train.log"),
            ("seed", "N", "training seed (the speaker split has its own, --split_seed)"),
            ("learning_rate", "LR", "peak learning rate"),
            ("num_train_epochs", "N", "epochs (or --max_steps N optimizer steps)"),
            ("per_device_train_batch_size", "N", "clips per batch and device"),
            ("early_stopping_patience", "N", "stop after N evaluations with no better validation UAR"),
            ("resume_from_checkpoint", "PATH|true", "continue an interrupted run from DIR/checkpoint-N"),
            ("keep_checkpoints", "true|false", "keep DIR/checkpoint-N (optimizer states) after the run"),
            ("push_to_hub", "true|false", "upload the model folder (with --hub_model_id USER/NAME)"),
            ("verbose", "true|false", "show config, library logs, every evaluation (all in train.log)"),
        ],
    ),
]

CV_GROUP: Group = (
    "cross-validation",
    [
        ("num_folds", "K", "K speaker folds; null (default) = leave-one-speaker-out"),
        ("num_validation_speakers", "N", "speakers per fold held out for checkpoint selection"),
        ("cache_features", "auto|true|false", "compute front-end features once for all epochs and folds"),
        ("speaker_normalization", "none|speaker_z", "per-speaker feature z-scores (transductive)"),
        ("inner_folds", "K", "inner CV: pick inner_grid values on K folds of the training speakers"),
        ("inner_grid", "JSON", "what inner_folds searches, e.g. '{\"weight_decay\": [0.01, 1.0]}'"),
        ("test_corpus", "NAME", "cross-corpus: train on --corpus, test on all of this corpus"),
        ("overwrite_output_dir", "true|false", "start over in an output_dir that holds another CV run"),
    ],
)


def recipe_list(width: int = 100) -> str:
    """The shipped recipes, corpora with the same methods on one entry, wrapped to ``width`` columns."""
    import textwrap

    from .config import recipes_dir

    methods: dict[str, tuple[str, ...]] = {}
    for corpus in sorted(p for p in recipes_dir().iterdir() if p.is_dir() and p.name != "accelerate_configs"):
        names = tuple(sorted(p.name[: -len(".yaml")] for p in corpus.iterdir() if p.name.endswith(".yaml")))
        if names:
            methods[corpus.name] = names
    lines = []
    for names in dict.fromkeys(methods.values()):
        corpora = ", ".join(c for c, m in methods.items() if m == names)
        lines += textwrap.wrap(f"{corpora}: {' '.join(names)}", width, initial_indent="  ", subsequent_indent="      ")
    return "\n".join(lines)


def format_help(prog: str, summary: str, groups: list[Group]) -> str:
    lines = [f"usage: {prog} RECIPE.yaml [--key value ...]", "", summary, ""]
    width = max(len(f"--{key} {placeholder}") for _, keys in groups for key, placeholder, _ in keys)
    for title, keys in groups:
        lines.append(f"{title}:")
        for key, placeholder, text in keys:
            lines.append(f"  {'--' + key + ' ' + placeholder:<{width}}  {text}")
        lines.append("")
    lines += [
        "recipes shipped with hf-ser (recipes/<corpus>/<method>.yaml; the path works from any folder):",
        recipe_list(),
        "",
        f"`{prog} --help-all` lists every key (data, model and all of transformers' TrainingArguments).",
    ]
    return "\n".join(lines)


def print_train_help(file=None) -> None:
    summary = (
        "Train one model from a YAML recipe: speaker-independent split, best checkpoint on the validation\n"
        "speakers, one test evaluation, model card. Any recipe key can be overridden: --key value."
    )
    print(format_help("hf-ser train", summary, TRAIN_GROUPS), file=file or sys.stdout)


def print_cv_help(file=None) -> None:
    summary = (
        "Speaker-independent cross-validation of a recipe: every speaker is tested once by a model that never\n"
        "heard them; writes cv_results.json (pooled, per fold, mean and std). Any key: --key value."
    )
    groups = [*TRAIN_GROUPS, CV_GROUP]
    print(format_help("hf-ser cv", summary, groups), file=file or sys.stdout)


def usage_line(prog: str) -> str:
    """What a call without arguments prints (to stderr, exit status 2)."""
    return f"usage: {prog} RECIPE.yaml [--key value ...]\n{prog}: error: a recipe is required (see `{prog} --help`)"
