"""Evaluate a saved model on a corpus split: JSON + Markdown report and a confusion-matrix PNG.

``hf-ser evaluate MODEL --corpus emodb --data_dir DIR --split test --output_dir OUT`` loads the
model through the Auto classes (a local folder or a Hub id; a mistyped folder fails at once, naming
it), the corpus through :func:`hf_ser.load_corpus` with the model's own classes, predicts every clip
once (batched, with a progress bar) and writes ``OUT/eval_results.json``, ``OUT/eval_report.md``,
``OUT/confusion_matrix.png`` and ``OUT/evaluate.log`` (default ``OUT``: ``MODEL_eval/CORPUS_SPLIT``,
beside the model folder, never inside it: that folder is what gets pushed). Clips whose emotion the
model does not know are left out of the corpus (and counted in the log), so a 7-class EMO-DB model
can be evaluated on RAVDESS's shared classes. Too few clips per class for the metrics to mean much
is said on the console and in the report's ``warnings``.

Python: :func:`evaluate_model` returns the same report for a model object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from .files import write_json_atomic, write_text_atomic

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

REPORT_JSON = "eval_results.json"
REPORT_MD = "eval_report.md"
CONFUSION_PNG = "confusion_matrix.png"
LOG_NAME = "evaluate.log"
# Fewer test clips than this in a class, and its recall (and so UAR) moves in steps too coarse to compare.
MIN_CLIPS_PER_CLASS = 5


def plot_confusion_matrix(
    matrix: list[list[int]] | np.ndarray, labels: list[str], path: str, title: str = "Confusion matrix"
) -> str:
    """Row-normalised confusion matrix (recall per true class) with the raw counts, readable labels."""
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(matrix, dtype=np.float64)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    k = len(labels)
    size = max(4.5, 0.75 * k + 2.5)
    fig, ax = plt.subplots(figsize=(size, size * 0.9), dpi=120)
    im = ax.imshow(norm, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(k), labels=labels, rotation=40, ha="right", fontsize=10)
    ax.set_yticks(range(k), labels=labels, fontsize=10)
    ax.set_xlabel("predicted emotion")
    ax.set_ylabel("true emotion")
    ax.set_title(title)
    for i in range(k):
        for j in range(k):
            color = "white" if norm[i, j] > 0.55 else "black"
            ax.text(j, i, f"{norm[i, j]:.2f}\n({int(cm[i, j])})", ha="center", va="center", color=color, fontsize=8)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="recall (row-normalised)")
    fig.tight_layout()
    from .files import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=os.path.splitext(path)[1].lstrip(".") or "png")
    plt.close(fig)
    return path


def build_report(
    y_true: np.ndarray | list[int],
    y_pred: np.ndarray | list[int],
    labels: list[str],
    speakers: list[str] | None = None,
) -> dict[str, Any]:
    """Overall metrics (UAR, WA, macro-F1, per-class recall, confusion matrix) and a per-speaker table."""
    import numpy as np

    from .metrics import classification_metrics

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    report = classification_metrics(y_true, y_pred, labels)
    if speakers is not None:
        per_speaker: dict[str, Any] = {}
        index: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(speakers):
            index[str(s)].append(i)
        for s in sorted(index):
            rows = np.asarray(index[s])
            m = classification_metrics(y_true[rows], y_pred[rows], labels)
            per_speaker[s] = {"uar": m["uar"], "accuracy": m["accuracy"], "num_samples": m["num_samples"]}
        report["per_speaker"] = per_speaker
    return report


def evaluate_model(
    model: Any,
    feature_extractor: Any,
    dataset: Any,
    *,
    batch_size: int = 16,
    max_duration_seconds: float | None = None,
    progress: bool = True,
    device: str | None = None,
) -> dict[str, Any]:
    """Predict every clip of a unified-schema ``datasets.Dataset`` once and return the report.

    ``dataset["emotion"]`` ids must follow ``model.config.id2label`` (load the corpus with
    ``classes=`` the model's labels). Returns :func:`build_report`'s dict plus ``predictions``,
    ``label_ids`` and ``scores`` (per-clip softmax probabilities).
    """
    import numpy as np
    import torch
    from tqdm.auto import tqdm

    from .audio import decode_audio_field

    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    ds_labels = dataset.features["emotion"].names
    if list(ds_labels) != labels:
        raise ValueError(
            f"dataset classes {list(ds_labels)} differ from the model's {labels}: load the corpus with "
            f"classes={','.join(labels)!r}"
        )
    sr = feature_extractor.sampling_rate
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = model.to(device).eval()
    # Sorting by duration keeps padding small; predictions are put back in dataset order.
    durations = np.asarray(dataset["duration"]) if "duration" in dataset.column_names else np.zeros(len(dataset))
    order = np.argsort(durations, kind="stable")
    preds = np.zeros(len(dataset), dtype=np.int64)
    scores = np.zeros((len(dataset), len(labels)), dtype=np.float32)
    max_len = int(round(max_duration_seconds * sr)) if max_duration_seconds else None
    with torch.no_grad():
        for start in tqdm(range(0, len(order), batch_size), desc="evaluating", unit="batch", disable=not progress):
            idx = order[start : start + batch_size].tolist()
            rows = dataset.select(idx)
            waves = [decode_audio_field(cell, sr) for cell in rows["audio"]]
            if max_len is not None:
                waves = [w[:max_len] for w in waves]
            batch = feature_extractor(waves, sampling_rate=sr, padding=True, return_tensors="pt")
            batch = {k: v.to(device) for k, v in batch.items()}
            logits = model(**batch).logits.float()
            scores[idx] = torch.softmax(logits, dim=-1).cpu().numpy()
            preds[idx] = logits.argmax(-1).cpu().numpy()
    y_true = np.asarray(dataset["emotion"], dtype=np.int64)
    speakers = list(dataset["speaker_id"]) if "speaker_id" in dataset.column_names else None
    report = build_report(y_true, preds, labels, speakers)
    report["predictions"] = preds.tolist()
    report["label_ids"] = y_true.tolist()
    report["scores"] = scores.round(5).tolist()
    return report


def report_markdown(report: dict[str, Any], title: str = "Evaluation report") -> str:
    """The report as Markdown: metrics table, per-class recall, confusion matrix, per-speaker table."""
    labels = report["labels"]
    lines = [f"# {title}", ""]
    for key in ("model", "corpus", "split"):
        if key in report:
            lines.append(f"- **{key}:** {report[key]}")
    lines.append(f"- **clips:** {report['num_samples']}")
    lines += [f"- **warning:** {w}" for w in report.get("warnings", [])]
    lines += [
        "",
        "| metric | value |",
        "|---|---|",
        f"| UAR (unweighted average recall) | **{report['uar']:.3f}** |",
        f"| WA (accuracy) | {report['accuracy']:.3f} |",
        f"| macro-F1 | {report['macro_f1']:.3f} |",
        f"| chance UAR | {1.0 / len(labels):.3f} |",
        "",
        "## Per-class recall",
        "",
        "| emotion | recall | clips |",
        "|---|---|---|",
    ]
    for name, recall in report["per_class_recall"].items():
        lines.append(f"| {name} | {recall:.3f} | {report['support'].get(name, '')} |")
    lines += [
        "",
        "## Confusion matrix (rows: true, columns: predicted)",
        "",
        f"![confusion matrix]({CONFUSION_PNG})",
        "",
    ]
    lines.append("| true \\ predicted | " + " | ".join(labels) + " |")
    lines.append("|---|" + "---|" * len(labels))
    for name, row in zip(labels, report["confusion_matrix"], strict=True):
        lines.append(f"| **{name}** | " + " | ".join(str(v) for v in row) + " |")
    if report.get("per_speaker"):
        lines += ["", "## Per speaker", "", "| speaker | UAR | WA | clips |", "|---|---|---|---|"]
        for s, m in report["per_speaker"].items():
            lines.append(f"| {s} | {m['uar']:.3f} | {m['accuracy']:.3f} | {m['num_samples']} |")
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], output_dir: str, title: str = "Evaluation report") -> dict[str, str]:
    """``eval_results.json`` (without the per-clip scores), ``eval_report.md`` and ``confusion_matrix.png``."""
    os.makedirs(output_dir, exist_ok=True)
    paths = {
        "json": os.path.join(output_dir, REPORT_JSON),
        "markdown": os.path.join(output_dir, REPORT_MD),
        "png": os.path.join(output_dir, CONFUSION_PNG),
    }
    write_json_atomic(paths["json"], {k: v for k, v in report.items() if k != "scores"})
    write_text_atomic(paths["markdown"], report_markdown(report, title))
    plot_confusion_matrix(report["confusion_matrix"], report["labels"], paths["png"], title=title)
    return paths


def _training_config(model_dir: str) -> dict[str, Any]:
    path = os.path.join(model_dir, "train_config.yaml")
    if not os.path.isfile(path):
        return {}
    import yaml

    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hf-ser evaluate",
        description="Evaluate a saved hf-ser model (folder or Hub id) on a corpus split.",
    )
    p.add_argument("model", help="model folder (output_dir of hf-ser train) or Hub id")
    p.add_argument("--corpus", required=True, help="ravdess, tess, crema_d, savee, emodb, folder or synthetic")
    p.add_argument("--data_dir", default=None, help="corpus folder (not needed for synthetic)")
    p.add_argument(
        "--split",
        default="test",
        choices=["train", "validation", "test", "all"],
        help="speaker-independent split to evaluate (as in training with the same --split_seed); all = every clip",
    )
    p.add_argument(
        "--split_seed",
        type=int,
        default=None,
        help="seed of the speaker split; default: from the model's train_config.yaml (same corpus), else 42",
    )
    p.add_argument("--test_size", type=float, default=None, help="fraction of test speakers (default: as in training)")
    p.add_argument("--validation_size", type=float, default=None, help="fraction of validation speakers (ditto)")
    p.add_argument(
        "--corpus_options", default=None, help="JSON object of corpus builder options (default: as in training)"
    )
    p.add_argument(
        "--output_dir", default=None, help="where the report goes (default: MODEL_eval/<corpus>_<split>, beside MODEL)"
    )
    p.add_argument("--batch_size", type=int, default=16, help="clips per forward pass")
    p.add_argument("--max_duration_seconds", type=float, default=None, help="cut clips to their first N seconds")
    p.add_argument("--trust_remote_code", action="store_true", help="load models saved with remote code only")
    p.add_argument("--verbose", action="store_true", help="library logs on the console too (always in evaluate.log)")
    return p


def default_output_dir(model: str, corpus: str, split: str) -> str:
    """``MODEL_eval/<corpus>_<split>`` beside a model folder (or in the working folder for a Hub id): the
    model folder itself stays exactly what is pushed to the Hub."""
    name = os.path.normpath(model) if os.path.isdir(model) else os.path.basename(model.rstrip("/"))
    return os.path.join(f"{name}_eval", f"{corpus}_{split}")


def sample_size_warnings(report: dict[str, Any]) -> list[str]:
    """What makes the metrics say little: classes with few (or no) clips in the evaluated split."""
    support = report["support"]
    warnings = []
    absent = [name for name, n in support.items() if n == 0]
    few = {name: n for name, n in support.items() if 0 < n < MIN_CLIPS_PER_CLASS}
    if absent:
        warnings.append(
            f"no clips of {', '.join(absent)}: UAR averages the {len(support) - len(absent)} classes present"
        )
    if few:
        counts = ", ".join(f"{name} {n}" for name, n in few.items())
        warnings.append(
            f"only {report['num_samples']} clips ({counts}): with fewer than {MIN_CLIPS_PER_CLASS} per class "
            "the metrics are too coarse to compare"
        )
    return warnings


def main(argv: list[str] | None = None) -> int:
    """``hf-ser evaluate``: returns 0 and prints the report's headline as one line (2: no such model)."""
    from .hub import ModelNotFoundError, resolve_model_source

    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        args.model = resolve_model_source(args.model)
    except ModelNotFoundError as e:
        print(f"hf-ser evaluate: error: {e}", file=sys.stderr)
        return 2
    output_dir = args.output_dir or default_output_dir(args.model, args.corpus, args.split)
    from .console import run_console

    with run_console(os.path.join(output_dir, LOG_NAME), verbose=args.verbose):
        return _evaluate(args, output_dir)


def _evaluate(args: argparse.Namespace, output_dir: str) -> int:
    from .corpora import load_corpus
    from .corpora.splits import SPLIT_SEED, TEST_SIZE, VALIDATION_SIZE
    from .hub import load_model

    try:
        model, feature_extractor = load_model(args.model, trust_remote_code=args.trust_remote_code)
    except (OSError, ValueError) as e:
        print(f"hf-ser evaluate: error: cannot load model {args.model!r}: {e}", file=sys.stderr)
        return 2
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    # The split the model was trained with (train_config.yaml next to it), so "test" means its test speakers.
    trained = _training_config(args.model) if os.path.isdir(args.model) else {}
    same_corpus = trained.get("corpus") == args.corpus
    split_defaults = {"split_seed": SPLIT_SEED, "test_size": TEST_SIZE, "validation_size": VALIDATION_SIZE}
    for key, default in split_defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, trained.get(key, default) if same_corpus else default)
    if args.corpus_options:
        options = json.loads(args.corpus_options)
    else:
        options = dict(trained.get("corpus_options") or {}) if same_corpus else {}
    dd = load_corpus(
        args.corpus,
        args.data_dir,
        sampling_rate=feature_extractor.sampling_rate,
        classes=labels,
        split="none" if args.split == "all" else "speaker",
        seed=args.split_seed,
        test_size=args.test_size,
        validation_size=args.validation_size,
        **options,
    )
    dataset = dd[args.split]
    if len(dataset) == 0:
        print(f"hf-ser evaluate: split {args.split!r} of {args.corpus} is empty", file=sys.stderr)
        return 1
    ds_labels = dataset.features["emotion"].names
    if list(ds_labels) != labels:  # corpus lacks some of the model's classes: remap ids by name
        mapping = {i: labels.index(n) for i, n in enumerate(ds_labels)}
        from datasets import ClassLabel

        dataset = dataset.map(lambda r: {"emotion": mapping[r["emotion"]]}).cast_column(
            "emotion", ClassLabel(names=labels)
        )
    report = evaluate_model(
        model, feature_extractor, dataset, batch_size=args.batch_size, max_duration_seconds=args.max_duration_seconds
    )
    report.update(model=args.model, corpus=args.corpus, split=args.split, warnings=sample_size_warnings(report))
    for warning in report["warnings"]:
        logger.warning("%s %s: %s", args.corpus, args.split, warning)
    paths = write_report(
        report, output_dir, title=f"{os.path.basename(os.path.normpath(args.model))} on {args.corpus} {args.split}"
    )
    print(
        f"{args.corpus} {args.split}: UAR {report['uar']:.3f} WA {report['accuracy']:.3f} "
        f"macro-F1 {report['macro_f1']:.3f} over {report['num_samples']} clips -> {paths['json']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
