"""Model cards: the data of a training run rendered through one Jinja template.

The template is ``hf_ser/templates/model_card.md`` (shipped inside the package;
``model_cards/template.md`` at the repository root is a link to it). :class:`SERModelCardData`
holds what a card says — corpus, protocol and split, metrics, confusion matrix, hyperparameters,
versions — and renders the Hub metadata (``model-index`` included) as the card's YAML header, so
the Hub shows the test UAR/WA/F1 as evaluation results.

The card travels with the model, as setfit's does: training attaches a :class:`SERModelCardData` to the
model (``model.card_data``) and :class:`ModelCardCallback` fills it as training goes (hyperparameters,
validation UAR, test metrics); ``SERForAudioClassification.save_pretrained`` writes it as ``README.md``, so
``trainer.save_model``, a user's own ``save_pretrained`` and ``push_to_hub`` all carry it.
"""

from __future__ import annotations

import importlib.resources
import os
import platform
import re
from dataclasses import dataclass, field
from typing import Any

import jinja2
import yaml
from huggingface_hub import CardData, ModelCard
from transformers import TrainerCallback

from .audio import DEFAULT_SAMPLING_RATE

TEMPLATE_NAME = "model_card.md"

# Licences of the released weights of each encoder family hf-ser's recipes use (checked on the model
# pages): every OpenAI Whisper checkpoint is MIT; Meta's wav2vec 2.0 and HuBERT checkpoints Apache-2.0.
ENCODER_LICENSES = {"whisper": "MIT", "wav2vec2": "Apache-2.0", "hubert": "Apache-2.0"}


def is_hub_id(name: str) -> bool:
    """``owner/name`` that is not a local folder: a Hub repository id."""
    return bool(re.fullmatch(r"[\w.-]+/[\w.-]+", name)) and not os.path.exists(name)


def corpus_info(name: str) -> dict[str, Any]:
    """What the card says about a corpus, from its builder's own metadata (display title, languages, Hub
    licence id, homepage, citation); a name no builder knows is shown as given."""
    from .corpora import builder_class

    try:
        builder = builder_class(name)
    except (KeyError, ValueError):
        return {"name": name, "languages": [], "license": "other", "url": None, "citation": ""}
    homepage = builder.homepage if builder.homepage.startswith("http") else None
    languages = [builder.language] if builder.language else []
    title = builder.title or name
    return {
        "name": title,
        "languages": languages,
        "license": builder.hub_license,
        "url": homepage,
        "citation": builder.citation,
    }


@dataclass
class SERModelCardData(CardData):
    """Everything a hf-ser model card shows (a ``huggingface_hub`` ``CardData``: :meth:`to_dict` is the Hub
    metadata); filled during training by :class:`ModelCardCallback` and :meth:`set_results`."""

    model_name: str
    corpus: str
    labels: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)
    repo_id: str | None = None
    protocol: str = "speaker-independent train/validation/test split"
    protocol_details: str = (
        "Speakers are disjoint between training, validation and test; the best checkpoint is chosen "
        "on validation UAR and evaluated once on the test speakers."
    )
    split_table: list[dict[str, Any]] = field(default_factory=list)
    test_speakers: list[str] = field(default_factory=list)
    validation_uar: float | None = None
    model_summary: str = ""
    base_model: str | None = None
    base_model_type: str | None = None
    num_parameters: int | str = ""
    num_trainable_parameters: int | str | None = None
    sampling_rate: int = DEFAULT_SAMPLING_RATE
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    command: str = "hf-ser train CONFIG.yaml"
    train_runtime: float | None = None
    hardware: str | None = None
    versions: dict[str, str] = field(default_factory=lambda: framework_versions())
    license: str | None = None
    tags: list[str] = field(default_factory=lambda: ["audio-classification", "speech-emotion-recognition", "hf-ser"])
    # Data keys of the recipe that shape training beside the TrainingArguments (shown with the hyperparameters).
    recipe: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.metadata()

    def set_results(self, results: dict[str, Any]) -> None:
        """The test results of the run (``test_results.json``'s keys)."""
        self.metrics = dict(results)
        self.validation_uar = results.get("validation_uar")
        self.train_runtime = results.get("train_runtime")

    def to_model_card(self) -> ModelCard | None:
        """The card, once the model has been tested (a checkpoint saved mid-training gets none: a card states
        test results)."""
        return ModelCard(render_model_card(self)) if "test_uar" in self.metrics else None

    @property
    def corpus_info(self) -> dict[str, Any]:
        """Display name, languages, licence, link and citation of the (test) corpus; ``a+b`` joins several."""
        parts = [corpus_info(n) for n in self.corpus.split("+")]
        if len(parts) == 1:
            return parts[0]
        licenses = {p["license"] for p in parts}
        return {
            "name": " + ".join(p["name"] for p in parts),
            "languages": sorted({lang for p in parts for lang in p["languages"]}),
            "license": licenses.pop() if len(licenses) == 1 else "other",
            "url": None,
            "citation": "\n\n".join(p["citation"] for p in parts if p["citation"]),
        }

    def metadata(self) -> dict[str, Any]:
        """Hub YAML metadata with a ``model-index`` entry holding the test metrics."""
        info = self.corpus_info
        meta: dict[str, Any] = {}
        if info["languages"]:
            meta["language"] = list(info["languages"])
        meta["license"] = self.license or info["license"]
        meta["library_name"] = "transformers"
        meta["pipeline_tag"] = "audio-classification"
        meta["tags"] = list(self.tags)
        if self.base_model and is_hub_id(self.base_model):
            meta["base_model"] = self.base_model
        # No `datasets:` entry: no corpus here is a Hub dataset, and the Hub links each entry to its dataset page.
        meta["metrics"] = ["recall", "accuracy", "f1"]
        results_metrics = [
            {
                "type": "recall",
                "value": round(float(self.metrics["test_uar"]), 4),
                "name": "Test UAR",
                "args": {"average": "macro"},
            },
            {"type": "accuracy", "value": round(float(self.metrics["test_accuracy"]), 4), "name": "Test WA"},
            {
                "type": "f1",
                "value": round(float(self.metrics["test_macro_f1"]), 4),
                "name": "Test macro-F1",
                "args": {"average": "macro"},
            },
        ]
        meta["model-index"] = [
            {
                "name": self.model_name,
                "results": [
                    {
                        "task": {"type": "audio-classification", "name": "Speech Emotion Recognition"},
                        "dataset": {"name": info["name"], "type": self.corpus, "split": "test"},
                        "metrics": results_metrics,
                    }
                ],
            }
        ]
        return meta

    def template_context(self) -> dict[str, Any]:
        info = self.corpus_info
        return {
            "card_data": yaml.safe_dump(self.metadata(), sort_keys=False, allow_unicode=True).strip(),
            "model_name": self.model_name,
            "corpus_name": info["name"],
            "corpus_url": info["url"],
            "corpus_citation": info["citation"],
            "languages": info["languages"],
            "synthetic": self.corpus == "synthetic",
            "labels": list(self.labels),
            "model_summary": self.model_summary,
            "base_model": self.base_model,
            "base_model_url": f"https://huggingface.co/{self.base_model}"
            if self.base_model and is_hub_id(self.base_model)
            else None,
            "base_model_type": self.base_model_type,
            "base_model_license": ENCODER_LICENSES.get(self.base_model_type or ""),
            "num_parameters": _fmt_count(self.num_parameters),
            "num_trainable_parameters": None
            if self.num_trainable_parameters is None
            else _fmt_count(self.num_trainable_parameters),
            "sampling_rate": self.sampling_rate,
            "protocol": self.protocol,
            "protocol_details": self.protocol_details,
            "split_table": self.split_table,
            "test_speakers": self.test_speakers,
            "metrics": self.metrics,
            "validation_uar": self.validation_uar,
            "num_test_samples": self.metrics.get("test_num_samples", ""),
            "per_class_recall": self.metrics.get("test_per_class_recall", {}),
            "support": self.metrics.get("test_support", {}),
            "confusion_matrix": self.metrics.get("test_confusion_matrix", []),
            "repo_id": self.repo_id or self.model_name,
            "hyperparameters": {k: _fmt_value(v) for k, v in self.hyperparameters.items()},
            "command": self.command,
            "train_runtime": self.train_runtime,
            "hardware": self.hardware,
            "versions": self.versions,
        }


def _fmt_count(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={x}" for k, x in v.items())
    return str(v).replace("|", "\\|")


def load_template() -> str:
    """The packaged Jinja template text."""
    return importlib.resources.files("hf_ser").joinpath("templates", TEMPLATE_NAME).read_text(encoding="utf-8")


def render_model_card(data: SERModelCardData, template: str | None = None) -> str:
    """The card as Markdown with its YAML metadata header."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    return env.from_string(template if template is not None else load_template()).render(**data.template_context())


# TrainingArguments shown in the card's hyperparameter table.
HYPERPARAMETER_KEYS = (
    "learning_rate",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "num_train_epochs",
    "max_steps",
    "weight_decay",
    "warmup_steps",
    "lr_scheduler_type",
    "label_smoothing_factor",
    "seed",
    "class_weighting",
    "balanced_sampling",
    "early_stopping_patience",
)


def hyperparameters(args: Any, recipe: dict[str, Any] | None = None) -> dict[str, Any]:
    """The card's hyperparameter table from the TrainingArguments (and the recipe's data keys)."""
    hyper = {}
    for key in HYPERPARAMETER_KEYS:
        value = getattr(getattr(args, key, None), "value", getattr(args, key, None))
        if key == "warmup_steps":  # transformers reads a value below 1 as a fraction of the training steps
            key, value = "warmup", f"{value:g} of the training steps" if 0 < value < 1 else f"{int(value)} steps"
        hyper[key] = value
    hyper["train_batch_size (total)"] = args.per_device_train_batch_size * args.world_size
    hyper["num_processes"] = args.world_size
    hyper.update(recipe or {})
    return hyper


class ModelCardCallback(TrainerCallback):
    """Hands the card to the model being trained and fills it: hyperparameters when training starts, the best
    validation UAR after each evaluation. The test metrics come with :meth:`SERModelCardData.set_results`."""

    def __init__(self, card_data: SERModelCardData) -> None:
        self.card_data = card_data

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.card_data.hyperparameters = hyperparameters(args, self.card_data.recipe)
        if model is not None:
            model.card_data = self.card_data

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        seen = [v for v in (state.best_metric, (metrics or {}).get("eval_uar"), self.card_data.validation_uar) if v]
        self.card_data.validation_uar = max(seen) if seen else None


def hardware(training_args: Any) -> str:
    """Where a run trained, for cards and results: processes and CPU cores or GPU model."""
    import socket

    import torch

    n = training_args.world_size
    if training_args.use_cpu or not torch.cuda.is_available():
        return f"{n} CPU process{'es' if n > 1 else ''} ({os.cpu_count()} cores, {socket.gethostname()})"
    return f"{n} × {torch.cuda.get_device_name(0)}"


def model_summary(config: Any) -> str:
    """One line describing the architecture, for logs, results and the model card."""
    if config.frontend == "encoder":
        name = config.encoder_name_or_path or f"random {config.encoder_config.get('model_type')} encoder"
        front = f"{name} ({'frozen' if config.freeze_encoder else 'fine-tuned'})"
        if config.whisper_input == "padded" and (config.encoder_config or {}).get("model_type") == "whisper":
            front += f", input padded to {config.whisper_pad_seconds:g} s"
        if config.encoder_pooling == "mean":
            front += " → time-mean of each layer"
        if config.layer_combination != "none":
            front += {
                "weighted_sum": " → weighted sum of layers",
                "concat": " → layers concatenated",
                "ensemble": " → one head per layer (ensemble)",
            }[config.layer_combination]
    elif config.frontend == "mfcc":
        front = f"{config.n_mfcc} MFCC" + (f" + {'Δ' * 1 if config.deltas == 1 else 'Δ, ΔΔ'}" if config.deltas else "")
    elif config.frontend == "functionals":
        front = "utterance functionals of log-mel, MFCC and prosodic descriptors (standardised)"
    else:
        front = f"{config.n_mels}-band log-mel" + (f" + {config.deltas} delta order(s)" if config.deltas else "")
    head = config.head
    if head in ("cnn", "cnn_lstm", "parallel"):
        head += f" (channels {list(config.head_channels)}, kernels {list(config.head_kernel_sizes)})"
    if head == "mlp" and config.head_num_layers == 0:
        head = "linear"
    elif head in ("lstm", "cnn_lstm", "parallel", "mlp"):
        head += f", hidden {config.head_hidden_size} × {config.head_num_layers}"
    members = getattr(config, "head_ensemble_size", 1)
    copies = f" × {members} copies (mean log-probability)" if members > 1 else ""
    pooled = config.frontend == "functionals" or config.encoder_pooling == "mean"
    pooling = "" if pooled else f" → {config.pooling} pooling"
    return f"{front} → {head} head{copies}{pooling} → {config.num_labels} classes"


def framework_versions() -> dict[str, str]:
    """Versions of the libraries a user needs to reproduce or load the model."""
    import importlib.metadata as md

    versions = {"Python": platform.python_version()}
    for dist in ("hf-ser", "transformers", "torch", "torchaudio", "datasets", "accelerate", "peft"):
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            continue
    return versions
