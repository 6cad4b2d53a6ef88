"""Model cards: the data of a training run rendered through one Jinja template.

The template is ``hf_ser/templates/model_card.md`` (shipped inside the package;
``model_cards/template.md`` at the repository root is a link to it). :class:`SERModelCardData`
holds what a card says — corpus, protocol and split, metrics, confusion matrix, hyperparameters,
versions — and renders the Hub metadata (``model-index`` included) as the card's YAML header, so
the Hub shows the test UAR/WA/F1 as evaluation results.
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

from .files import write_text_atomic

TEMPLATE_NAME = "model_card.md"

# Licences of the released weights of each encoder family hf-ser's recipes use (checked on the model
# pages): every OpenAI Whisper checkpoint is MIT; Meta's wav2vec 2.0 and HuBERT checkpoints Apache-2.0.
ENCODER_LICENSES = {"whisper": "MIT", "wav2vec2": "Apache-2.0", "hubert": "Apache-2.0"}


def is_hub_id(name: str) -> bool:
    """``owner/name`` that is not a local folder: a Hub repository id."""
    return bool(re.fullmatch(r"[\w.-]+/[\w.-]+", name)) and not os.path.exists(name)


# What the card says about each corpus: display name, language(s), licence (Hub metadata), link.
CORPUS_INFO: dict[str, dict[str, Any]] = {
    "emodb": {
        "name": "EMO-DB (Berlin Database of Emotional Speech)",
        "languages": ["de"],
        "license": "other",
        "url": "http://emodb.bilderbar.info/",
    },
    "ravdess": {
        "name": "RAVDESS (speech)",
        "languages": ["en"],
        "license": "cc-by-nc-sa-4.0",
        "url": "https://zenodo.org/records/1188976",
    },
    "tess": {
        "name": "TESS (Toronto Emotional Speech Set)",
        "languages": ["en"],
        "license": "cc-by-nc-nd-4.0",
        "url": "https://borealisdata.ca/dataverse/toronto",
    },
    "crema_d": {
        "name": "CREMA-D",
        "languages": ["en"],
        "license": "odbl",
        "url": "https://github.com/CheyneyComputerScience/CREMA-D",
    },
    "savee": {
        "name": "SAVEE (Surrey Audio-Visual Expressed Emotion)",
        "languages": ["en"],
        "license": "other",
        "url": "http://kahlan.eps.surrey.ac.uk/savee/",
    },
    "synthetic": {
        "name": "the hf-ser synthetic corpus (generated, no real speech)",
        "languages": [],
        "license": "apache-2.0",
        "url": None,
    },
}


@dataclass
class SERModelCardData:
    """Everything a hf-ser model card shows; filled from a training run by ``hf_ser.training.run``."""

    model_name: str
    corpus: str
    labels: list[str]
    metrics: dict[str, Any]
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
    sampling_rate: int = 16000
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    command: str = "hf-ser train CONFIG.yaml"
    train_runtime: float | None = None
    hardware: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    license: str | None = None
    tags: list[str] = field(default_factory=lambda: ["audio-classification", "speech-emotion-recognition", "hf-ser"])

    @property
    def corpus_info(self) -> dict[str, Any]:
        return CORPUS_INFO.get(self.corpus, {"name": self.corpus, "languages": [], "license": "other", "url": None})

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


def write_model_card(data: SERModelCardData, output_dir: str) -> str:
    """Render the card to ``output_dir/README.md`` and return its path."""
    path = os.path.join(output_dir, "README.md")
    return write_text_atomic(path, render_model_card(data))


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
