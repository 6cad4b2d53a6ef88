"""Speaker-independent cross-validation: ``hf-ser cv CONFIG.yaml [--key value ...]``.

The recipe is the same YAML as for ``hf-ser train`` (``recipes/train.py``) plus the keys of
:class:`CVArguments`. Protocols:

* leave-one-speaker-out (default, ``num_folds: null``) or ``num_folds: K`` gender-balanced speaker
  folds: every speaker is tested exactly once, by a model that never heard them; each fold's
  validation speakers (checkpoint selection, early stopping) come from its non-test speakers;
* cross-corpus (``test_corpus: emodb``): train on ``corpus`` (``ravdess+crema_d`` for several; their
  folders in ``data_dirs``), validate on held-out training speakers, test on all of the test
  corpus, on the shared ``classes`` (e.g. ``4class``).

The folds come from :mod:`hf_ser.training.protocol`; each is one :class:`~hf_ser.training.experiment.Experiment`
(the code behind ``hf-ser train``) in ``output_dir/fold_XX``. Outputs in ``output_dir``:

* ``cv_results.json`` (the contract in DESIGN.md): ``folds`` (test speakers, UAR, WA, macro-F1 per
  fold), ``pooled`` (metrics over all folds' test predictions together), ``mean`` and ``std`` (over
  folds, population std), all fractions; plus the protocol, labels and pooled confusion matrix;
* ``cv_results.md`` (summary table) and ``confusion_matrix.png`` (pooled);
* ``fold_XX/predictions.json``: a finished fold's test predictions. A killed run started again with
  the same ``output_dir`` skips finished folds and resumes the unfinished one from its last
  checkpoint; a *different* resolved config is refused (``cv_state.json`` keeps its hash) unless
  ``overwrite_output_dir: true``.

``test_gain_db: -25`` also predicts every fold's test clips 25 dB quieter (16-bit), with the fold's saved model
(:mod:`hf_ser.training.gain_check`): ``cv_results.json`` ``gain_check`` holds per-speaker UAR as recorded and at
that gain.

Front-end features are cached (:mod:`hf_ser.training.cache`) when that is exact — a frozen encoder,
or MFCC / log-mel without waveform augmentation or random crops — so each clip goes through the
front end once for all epochs and folds, and not at all on a second run.
``speaker_normalization: speaker_z`` standardises each speaker's features with its own statistics
(transductive: it uses the test speaker's unlabelled audio) and is reported as such.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import time
from typing import TYPE_CHECKING, Any

from ..evaluation import CONFUSION_PNG
from ..files import write_json_atomic, write_text_atomic
from . import gain_check
from .config import config_hash, hashed_config
from .protocol import CV, ROW_COLUMN, ProtocolError

if TYPE_CHECKING:
    from .config import RunArguments

logger = logging.getLogger(__name__)

CV_RESULTS = "cv_results.json"
CV_SUMMARY = "cv_results.md"
CV_STATE = "cv_state.json"
CV_CONFIG = "cv_config.yaml"
CV_LOG = "cv.log"
PREDICTIONS = "predictions.json"
SPEAKER_Z_NAME = "per-speaker z (transductive)"


def _check_state(output_dir: str, state: dict[str, Any], overwrite: bool) -> None:
    """Refuse to mix folds of two different configs in one output_dir (or wipe them with overwrite)."""
    path = os.path.join(output_dir, CV_STATE)
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        old = json.load(f)
    if old.get("config_hash") == state["config_hash"] and old.get("folds") == state["folds"]:
        return
    if overwrite:
        logger.warning("overwrite_output_dir: deleting the folds of the previous CV run in %s", output_dir)
        for name in os.listdir(output_dir):
            if name.startswith("fold_") or name in (CV_RESULTS, CV_SUMMARY, CONFUSION_PNG, CV_STATE):
                target = os.path.join(output_dir, name)
                shutil.rmtree(target) if os.path.isdir(target) else os.remove(target)
        return
    old_cfg, new_cfg = old.get("config", {}), state["config"]
    changed = [
        f"{k}: {old_cfg.get(k)!r} -> {new_cfg.get(k)!r}"
        for k in sorted(set(old_cfg) | set(new_cfg))
        if old_cfg.get(k) != new_cfg.get(k)
    ]
    if not changed and old.get("folds") != state["folds"]:
        changed = ["the folds' speakers differ (the corpus changed?)"]
    raise ProtocolError(
        f"{output_dir} holds a CV run with another config ({'; '.join(changed[:8])}"
        f"{'; ...' if len(changed) > 8 else ''}): use another --output_dir, or --overwrite_output_dir true"
    )


# ------------------------------------------------------------------------------------------- metrics
def _metrics(y_true, y_pred, labels) -> dict[str, Any]:
    from ..metrics import classification_metrics

    m = classification_metrics(y_true, y_pred, labels)
    return {"uar": m["uar"], "wa": m["accuracy"], "macro_f1": m["macro_f1"], "num_samples": m["num_samples"]}


def aggregate(fold_records: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    """``folds`` / ``pooled`` / ``mean`` / ``std`` from the per-fold prediction records."""
    import numpy as np

    from ..metrics import classification_metrics

    folds = []
    for rec in fold_records:
        m = _metrics(rec["y_true"], rec["y_pred"], labels)
        folds.append(
            {
                "fold": rec["fold"],
                "test_speakers": rec["test_speakers"],
                "validation_speakers": rec.get("validation_speakers", []),
                **m,
                "validation_uar": rec.get("validation_uar"),
                "train_runtime": rec.get("train_runtime"),
                **({"inner_cv": rec["inner_cv"]} if "inner_cv" in rec else {}),
                **({"model_summary": rec["model_summary"]} if "model_summary" in rec else {}),
            }
        )
    y_true = np.concatenate([np.asarray(r["y_true"], dtype=np.int64) for r in fold_records])
    y_pred = np.concatenate([np.asarray(r["y_pred"], dtype=np.int64) for r in fold_records])
    pooled_full = classification_metrics(y_true, y_pred, labels)
    pooled = {
        "uar": pooled_full["uar"],
        "wa": pooled_full["accuracy"],
        "macro_f1": pooled_full["macro_f1"],
        "num_samples": pooled_full["num_samples"],
    }
    keys = ("uar", "wa", "macro_f1")
    mean = {k: float(np.mean([f[k] for f in folds])) for k in keys}
    std = {k: float(np.std([f[k] for f in folds])) for k in keys}
    return {
        "folds": folds,
        "pooled": pooled,
        "mean": mean,
        "std": std,
        "per_class_recall": pooled_full["per_class_recall"],
        "support": pooled_full["support"],
        "confusion_matrix": pooled_full["confusion_matrix"],
    }


def summary_markdown(results: dict[str, Any]) -> str:
    """The Markdown summary written next to cv_results.json."""
    p, m, s = results["pooled"], results["mean"], results["std"]
    norm = results.get("speaker_normalization", "none")
    lines = [
        f"# Cross-validation: {results.get('corpus', '')}",
        "",
        f"- Protocol: {results['protocol']}; every test clip predicted once by a model that never heard its "
        "speaker; validation speakers (checkpoint selection) drawn from the training side of each fold.",
        f"- Speaker normalisation: {norm}"
        + (
            " — uses each test speaker's unlabelled audio, not comparable with strict results" if norm != "none" else ""
        ),
        f"- Classes ({len(results['labels'])}): {', '.join(results['labels'])}",
        f"- Model: {results.get('model_summary', '')}",
        f"- Wall time: {results.get('wall_time_seconds', 0):.0f} s this run; training "
        f"{results.get('fold_train_seconds', 0):.0f} s over {len(results['folds'])} folds; "
        f"{results.get('hardware', '')}",
        f"- Command: `{results.get('command', '')}`",
        "",
        "| | UAR | WA | macro-F1 |",
        "|---|---|---|---|",
        f"| pooled | {p['uar']:.4f} | {p['wa']:.4f} | {p['macro_f1']:.4f} |",
        f"| mean ± std over folds | {m['uar']:.4f} ± {s['uar']:.4f} | {m['wa']:.4f} ± {s['wa']:.4f} "
        f"| {m['macro_f1']:.4f} ± {s['macro_f1']:.4f} |",
        "",
        "## Folds",
        "",
        "| fold | test speakers | clips | UAR | WA | macro-F1 | validation UAR |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in results["folds"]:
        spk = ", ".join(f["test_speakers"])
        if len(spk) > 60:
            spk = f"{len(f['test_speakers'])} speakers"
        val = f.get("validation_uar")
        lines.append(
            f"| {f['fold']} | {spk} | {f['num_samples']} | {f['uar']:.4f} | {f['wa']:.4f} | {f['macro_f1']:.4f} "
            f"| {'' if val is None else f'{val:.4f}'} |"
        )
    inner = results.get("inner_cv")
    if inner:
        from .config import point_name

        lines += [
            "",
            "## Hyper-parameters chosen by the inner CV",
            "",
            f"Each fold's training speakers split into {inner['num_folds']} speaker folds; the grid "
            f"`{json.dumps(inner['grid'])}` scored by pooled inner UAR; the test speakers never seen by the choice.",
            "",
            "| fold | chosen | inner UAR |",
            "|---|---|---|",
        ]
        for f in results["folds"]:
            record = f.get("inner_cv") or {}
            best = max((sc["uar"] for sc in record.get("scores", [])), default=float("nan"))
            lines.append(f"| {f['fold']} | {point_name(record.get('chosen', {}))} | {best:.4f} |")
    if results.get("gain_check"):
        lines += gain_check.markdown(results["gain_check"])
    lines += ["", "## Pooled recall per class", "", "| class | recall | clips |", "|---|---|---|"]
    for name, r in results["per_class_recall"].items():
        lines.append(f"| {name} | {r:.4f} | {results['support'].get(name, 0)} |")
    return "\n".join(lines) + "\n"


def chosen_counts(results: dict[str, Any]) -> str:
    """``'learning_rate=0.001 (7 folds); learning_rate=0.0003 (3 folds)'``: the inner CV's choices."""
    from collections import Counter

    from .config import point_name

    counts = Counter(point_name(f["inner_cv"]["chosen"]) for f in results["folds"] if f.get("inner_cv"))
    return "; ".join(f"{name} ({n} fold{'s' if n > 1 else ''})" for name, n in counts.most_common())


# ---------------------------------------------------------------------------------------------- run
def _fold_done(path: str, fold: Any, chash: str) -> dict[str, Any] | None:
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            rec = json.load(f)
    except (OSError, ValueError):
        return None
    if rec.get("config_hash") != chash or rec.get("test_speakers") != list(fold.test_speakers):
        return None
    return rec


def run_cv(args: RunArguments, callbacks: list | None = None) -> dict[str, Any]:
    """Run (or resume) the cross-validation; returns what is written to ``cv_results.json``."""
    from tqdm.auto import tqdm

    from ..model_card import hardware
    from .config import resolved_config, save_config
    from .experiment import Experiment, checkpoint_is_complete, checkpoints, prepare_cache
    from .inner_cv import forget_inner_runs, select_hyperparameters
    from .protocol import build_protocol

    start = time.time()
    training_args = args.training
    output_dir = training_args.output_dir
    if not output_dir:
        raise ValueError("output_dir is required")
    for note in args.notes:
        logger.warning(note)
    resolved = resolved_config(args)
    chash = config_hash(resolved)

    protocol = build_protocol(args.data, args.protocol, CV)
    logger.info("%s on %d clips, classes %s", protocol.description, protocol.num_test_rows(), protocol.labels)
    os.makedirs(output_dir, exist_ok=True)
    state = {"config_hash": chash, "config": hashed_config(resolved), "folds": [f.to_dict() for f in protocol.folds]}
    state = json.loads(json.dumps(state, default=str))
    _check_state(output_dir, state, args.protocol.overwrite_output_dir)
    factory, cache_info = prepare_cache(protocol, args)
    write_json_atomic(os.path.join(output_dir, CV_STATE), state)
    save_config(resolved, output_dir, CV_CONFIG)
    if cache_info.get("enabled"):
        logger.info("feature cache: %s", cache_info)

    records: list[dict[str, Any]] = []
    bar = tqdm(total=len(protocol.folds), desc="CV folds", unit="fold", disable=training_args.disable_tqdm)
    for i, fold in enumerate(protocol.folds):
        fold_dir = os.path.join(output_dir, f"fold_{i:02d}")
        pred_path = os.path.join(fold_dir, PREDICTIONS)
        rec = _fold_done(pred_path, fold, chash)
        if rec is not None:
            logger.info("fold %d (%s) already done: UAR %.4f", i, ", ".join(fold.test_speakers), rec["metrics"]["uar"])
            _add_gain_check(rec, args, protocol, fold_dir, pred_path)
            records.append(rec)
            bar.update(1)
            continue
        bar.set_postfix_str(f"test {', '.join(fold.test_speakers)[:40]}")
        dd = protocol.fold_dataset(i)
        fold_run_args, inner_record = args, None
        if args.protocol.inner_folds:
            fold_run_args, inner_record = select_hyperparameters(
                args,
                dd,
                protocol=protocol,
                fold_dir=fold_dir,
                collator_factory=factory,
                config_hash=chash,
                description=f"fold {i + 1}/{len(protocol.folds)}",
            )
        fold_args = copy.deepcopy(fold_run_args.training)
        fold_args.output_dir = fold_dir
        fold_args.push_to_hub = False
        resume = any(checkpoint_is_complete(c) for c in checkpoints(fold_dir))
        fold_args.resume_from_checkpoint = "true" if resume else None
        if resume:
            logger.info("fold %d: resuming from its last checkpoint", i)
        result = Experiment(
            fold_run_args,
            dd,
            protocol=protocol,
            training_args=fold_args,
            collator_factory=factory,
            callbacks=callbacks,
            card=args.protocol.write_fold_cards,
            progress_description=f"fold {i + 1}/{len(protocol.folds)}",
            keep_progress_bar=False,
        ).run()
        rows = list(dd["test"][ROW_COLUMN])
        rec = {
            "fold": i,
            "config_hash": chash,
            **fold.to_dict(),
            "rows": rows,
            "speaker_ids": list(dd["test"]["speaker_id"]),
            "y_true": [int(v) for v in result["test_label_ids"]],
            "y_pred": [int(v) for v in result["test_predictions"]],
            "metrics": _metrics(result["test_label_ids"], result["test_predictions"], protocol.labels),
            "validation_uar": result.get("validation_uar"),
            "train_runtime": result.get("train_runtime"),
            "global_step": result.get("global_step"),
            "model_summary": result["model_summary"],
        }
        if inner_record is not None:
            rec["inner_cv"] = inner_record
        if len(rec["rows"]) != len(rec["y_pred"]):
            raise RuntimeError(f"fold {i}: {len(rec['y_pred'])} predictions for {len(rec['rows'])} test clips")
        write_json_atomic(pred_path, rec)
        if inner_record is not None:
            forget_inner_runs(fold_dir)
        _add_gain_check(rec, args, protocol, fold_dir, pred_path)
        logger.info(
            "fold %d (%s): UAR %.4f, WA %.4f",
            i,
            ", ".join(fold.test_speakers),
            rec["metrics"]["uar"],
            rec["metrics"]["wa"],
        )
        records.append(rec)
        bar.update(1)
    bar.close()

    rows = sorted(r for rec in records for r in rec["rows"])
    if rows != list(range(protocol.num_test_rows())):
        raise RuntimeError(
            f"the folds predicted {len(rows)} clips ({len(set(rows))} distinct) of {protocol.num_test_rows()}"
        )
    results = aggregate(records, protocol.labels)
    gain_db = args.protocol.test_gain_db
    results["gain_check"] = None if gain_db is None else gain_check.summarize(records, protocol.labels, gain_db)
    summary = models_summary(records, output_dir)
    test_corpus = args.protocol.test_corpus
    results.update(
        {
            "protocol": protocol.description,
            "corpus": args.data.corpus if not test_corpus else f"{args.data.corpus} -> {test_corpus}",
            "labels": protocol.labels,
            "num_folds": len(protocol.folds),
            "speaker_normalization": SPEAKER_Z_NAME if args.protocol.speaker_normalization == "speaker_z" else "none",
            "inner_cv": (
                {"num_folds": args.protocol.inner_folds, "grid": args.protocol.inner_grid}
                if args.protocol.inner_folds
                else None
            ),
            "feature_cache": cache_info,
            "model_summary": summary,
            "seed": training_args.seed,
            "split_seed": args.data.split_seed,
            "config_hash": chash,
            "wall_time_seconds": round(time.time() - start, 1),
            "fold_train_seconds": round(sum(float(r.get("train_runtime") or 0.0) for r in records), 1),
            "hardware": hardware(training_args),
            "command": args.command,
        }
    )
    write_results(results, output_dir)
    p, m, s = results["pooled"], results["mean"], results["std"]
    logger.info(
        "%s: pooled UAR %.4f, WA %.4f, macro-F1 %.4f; fold UAR %.4f ± %.4f (%s)",
        protocol.description,
        p["uar"],
        p["wa"],
        p["macro_f1"],
        m["uar"],
        s["uar"],
        results["speaker_normalization"],
    )
    return results


def _add_gain_check(rec: dict[str, Any], args: RunArguments, protocol: Any, fold_dir: str, pred_path: str) -> None:
    """``--test_gain_db``: the fold's saved model predicts its test clips at that gain (once; kept in
    predictions.json, so a resumed or repeated run does not predict them again)."""
    gain_db = args.protocol.test_gain_db
    if gain_db is None or (rec.get("gain_check") or {}).get("gain_db") == gain_db:
        return
    test_split = protocol.fold_dataset(rec["fold"])["test"]
    if list(test_split[ROW_COLUMN]) != rec["rows"]:
        raise RuntimeError(f"{pred_path}: its test clips are not the fold's test clips")
    rec["gain_check"] = gain_check.predict_at_gain(
        fold_dir,
        test_split,
        protocol.labels,
        gain_db,
        batch_size=args.training.per_device_eval_batch_size,
        progress=not args.training.disable_tqdm,
        description=f"fold {rec['fold'] + 1}/{len(protocol.folds)}",
    )
    write_json_atomic(pred_path, rec)


def models_summary(records: list[dict[str, Any]], output_dir: str) -> str:
    """The folds' model in one line; with an inner CV the folds may differ, so each distinct model gets its
    fold count."""
    from collections import Counter

    from ..model_card import model_summary
    from ..modeling import SERConfig

    counts = Counter(
        rec.get("model_summary")
        or model_summary(SERConfig.from_pretrained(os.path.join(output_dir, f"fold_{rec['fold']:02d}")))
        for rec in records
    )
    if len(counts) == 1:
        return next(iter(counts))
    # the parts every fold shares once, the differing middle with its fold counts: "A → [B: 9 folds | C: 1 fold] → D"
    ranked = counts.most_common()
    parts = [s.split(" → ") for s, _ in ranked]
    head = 0
    while all(len(p) > head + 1 and p[head] == parts[0][head] for p in parts):
        head += 1
    tail = 0
    while all(len(p) > head + tail + 1 and p[-1 - tail] == parts[0][-1 - tail] for p in parts):
        tail += 1
    middle = " | ".join(
        f"{' → '.join(p[head : len(p) - tail])}: {n} fold{'s' if n > 1 else ''}"
        for p, (_, n) in zip(parts, ranked, strict=True)
    )
    return " → ".join([*parts[0][:head], f"[{middle}]", *parts[0][len(parts[0]) - tail :]])


def write_results(results: dict[str, Any], output_dir: str) -> None:
    """cv_results.json, cv_results.md and the pooled confusion-matrix PNG."""
    from ..evaluation import plot_confusion_matrix

    write_json_atomic(os.path.join(output_dir, CV_RESULTS), results)
    write_text_atomic(os.path.join(output_dir, CV_SUMMARY), summary_markdown(results))
    title = (
        f"{results.get('corpus', '')} {results['protocol'].split(' (')[0]}, pooled UAR {results['pooled']['uar']:.3f}"
    )
    plot_confusion_matrix(
        results["confusion_matrix"], results["labels"], os.path.join(output_dir, CONFUSION_PNG), title
    )


def summary_table(results: dict[str, Any], output_dir: str) -> str:
    """The closing table of ``hf-ser cv``."""
    from ..console import table

    p, m, sd = results["pooled"], results["mean"], results["std"]
    rows = [
        ("protocol", f"{results['protocol']} on {results['corpus']}"),
        ("model", results.get("model_summary", "")),
        ("pooled", f"UAR {p['uar']:.3f}  WA {p['wa']:.3f}  macro-F1 {p['macro_f1']:.3f}  ({p['num_samples']} clips)"),
        ("fold UAR", f"{m['uar']:.3f} ± {sd['uar']:.3f} (mean ± std over folds)"),
        ("normalisation", results["speaker_normalization"]),
        *([("inner CV chose", chosen_counts(results))] if results.get("inner_cv") else []),
        *(
            [(f"test at {results['gain_check']['gain_db']:+g} dB", gain_check.one_line(results["gain_check"]))]
            if results.get("gain_check")
            else []
        ),
        ("wall time", f"{results['wall_time_seconds']:.0f} s"),
        ("saved", f"{output_dir}  ({CV_RESULTS}, {CV_SUMMARY}, {CONFUSION_PNG}, log {CV_LOG})"),
    ]
    return table(rows)


def main(argv: list[str] | None = None) -> int:
    """``hf-ser cv CONFIG.yaml [--key value ...]``; exit status 2 for a bad recipe, command line or output_dir."""
    from .run import run_command

    return run_command(argv, CV, CV_LOG, lambda args: run_cv(args), summary_table)


if __name__ == "__main__":
    raise SystemExit(main())
