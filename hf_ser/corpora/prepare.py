"""``hf-ser prepare CORPUS --data_dir DIR --output_dir OUT``: a corpus folder → DatasetDict on disk.

Decodes every file (progress bar), splits by speaker, ``save_to_disk`` into a staging folder next to
``OUT`` that is then renamed into place (so ``datasets.load_from_disk(OUT)`` gives the DatasetDict, and a
killed run never leaves a half-saved dataset in ``OUT``), writes ``OUT/prepare_report.json`` (atomically)
(counts per split and emotion, speakers, hours, every rejected file with its reason, the leak
check) and prints a summary table. When the split cannot be made (e.g. a folder corpus with one
speaker), the report is still written, with the ``error``, so the rejected files stay in view.
An ``OUT`` that holds anything but a previous ``hf-ser prepare`` output is never written into
unless ``--overwrite`` is given, and even then only the entries this command writes are replaced.

Besides the unified schema each split carries ``label``, a copy of ``emotion`` (same ``ClassLabel``):
the column name transformers' audio-classification example and other HF scripts read by default.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from .. import __version__
from ..files import write_json_atomic
from .base import dataset_stats, datasets_bars_hidden
from .registry import build_corpus, list_corpora
from .splits import check_speaker_leak, split_dataset

logger = logging.getLogger(__name__)

REPORT_NAME = "prepare_report.json"
STAGING_INFIX = ".prepare-staging-"
TOOL_MARKER = "hf-ser prepare"
LABEL_ALIAS = "label"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hf-ser prepare",
        description="Turn a corpus folder into a speaker-independent DatasetDict saved with save_to_disk.",
    )
    p.add_argument("corpus", help=f"corpus name: {', '.join(list_corpora())}")
    p.add_argument("--data_dir", default=None, help="the corpus as downloaded (folder, .zip, or CSV for 'folder')")
    p.add_argument("--output_dir", required=True, help="where to save the DatasetDict and prepare_report.json")
    p.add_argument("--sampling_rate", type=int, default=16000, help="target sampling rate in Hz (default 16000)")
    p.add_argument(
        "--classes",
        nargs="+",
        default=None,
        help="emotions to keep: a subset name (4class, 6class, all, <corpus>) or names; default: the corpus's own",
    )
    p.add_argument("--split", default="speaker", choices=["speaker", "none", "random"], help="split protocol")
    p.add_argument("--seed", type=int, default=42, help="seed of the speaker split")
    p.add_argument("--test_size", type=float, default=0.2, help="fraction (or count, if >= 1) of test speakers")
    p.add_argument("--validation_size", type=float, default=0.1, help="fraction (or count) of validation speakers")
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="builder option, repeatable (e.g. vocal_channel=both for ravdess, num_speakers=4 for synthetic)",
    )
    p.add_argument("--cache_dir", default=None, help="datasets cache folder (default: HF_DATASETS_CACHE)")
    p.add_argument("--overwrite", action="store_true", help="write into a non-empty output_dir that is not ours")
    p.add_argument("--no_progress", action="store_true", help="hide the progress bar")
    return p


def _parse_options(items: list[str]) -> dict[str, Any]:
    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--option expects KEY=VALUE, got {item!r}")
        options[key.strip()] = yaml.safe_load(value) if value.strip() else ""
    return options


def _size(x: float) -> float | int:
    return int(x) if x >= 1 else x


def _previous_output(out: Path) -> dict | None:
    try:
        with open(out / REPORT_NAME) as fh:
            report = json.load(fh)
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) and report.get("tool") == TOOL_MARKER else None


def _clear_outputs(out: Path, names: set[str]) -> None:
    for name in sorted(names):
        target = out / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


def _check_writable(out: Path) -> None:
    """Fail before any decoding when the dataset could not be staged beside ``out`` and renamed into it."""
    resolved = out.resolve()
    parent = resolved.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(
            f"--output_dir {os.fspath(out)!r}: {os.fspath(parent)!r} is not writable (the dataset is staged "
            "beside the output folder and renamed into place)"
        )
    if resolved.is_dir() and not os.access(resolved, os.W_OK | os.X_OK):
        raise PermissionError(f"--output_dir {os.fspath(out)!r} is not writable")


def _staging_dir(out: Path) -> Path:
    """A fresh staging folder beside ``out`` (same file system, so the final move is a rename); staging folders
    left by killed runs (their process is gone) are removed first."""
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.glob(f".{out.name}{STAGING_INFIX}*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    staging = parent / f".{out.name}{STAGING_INFIX}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    return staging


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _move_into_place(staging: Path, out: Path) -> None:
    """Rename the staged dataset and report onto ``out`` (one rename when ``out`` is new or empty; otherwise entry by
    entry, ``dataset_dict.json`` and then the report last, so ``load_from_disk(out)`` never finds a listing whose
    splits are missing)."""
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        os.rename(staging, out)
        return
    entries = sorted(staging.iterdir(), key=lambda p: (p.name == REPORT_NAME, p.name == "dataset_dict.json"))
    for entry in entries:
        os.replace(entry, out / entry.name)


def check_output_dir(out: Path, overwrite: bool, data_dir: str | None) -> set[str]:
    """Refuse unsafe targets; returns the entries of a previous hf-ser output to replace."""
    if data_dir is not None and Path(data_dir).resolve() == out.resolve():
        raise ValueError(f"--output_dir {os.fspath(out)!r} is the data_dir: choose another folder")
    _check_writable(out)
    if not out.exists():
        return set()
    if not out.is_dir():
        raise ValueError(f"--output_dir {os.fspath(out)!r} exists and is not a folder")
    entries = {p.name for p in out.iterdir()}
    if not entries:
        return set()
    previous = _previous_output(out)
    if previous is not None:
        return ({REPORT_NAME, "dataset_dict.json"} | set(previous.get("splits", {}))) & entries
    if not overwrite:
        raise ValueError(
            f"--output_dir {os.fspath(out)!r} is not empty and is not a previous `hf-ser prepare` output "
            f"(it holds {sorted(entries)[:5]}{'...' if len(entries) > 5 else ''}); choose an empty folder or pass "
            "--overwrite (only the entries prepare writes are replaced)"
        )
    return set()


def summary_table(report: dict[str, Any]) -> str:
    """Plain-text table: one row per split plus the total; files, hours, speakers, per emotion."""
    emotions = list(report["per_emotion"])
    head = ["split", "files", "hours", "speakers", *emotions]
    rows = [
        [name, s["utterances"], f"{s['hours']:.2f}", s["num_speakers"], *[s["per_emotion"].get(e, 0) for e in emotions]]
        for name, s in report["splits"].items()
    ]
    rows.append(
        [
            "total",
            report["utterances"],
            f"{report['hours']:.2f}",
            report["num_speakers"],
            *[report["per_emotion"][e] for e in emotions],
        ]
    )
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]

    def fmt(r: list) -> str:
        cells = [str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))]
        return "  ".join(cells)

    lines = [fmt(head), "  ".join("-" * w for w in widths), *[fmt(r) for r in rows]]
    rejected = f"{report['rejected_count']} rejected"
    if report["rejected_by_reason"]:
        rejected += f" {report['rejected_by_reason']}"
    excluded = f"{report['excluded_count']} left out"
    if report["excluded"]:
        excluded += f" {report['excluded']}"
    lines.append(
        f"{report['corpus']}: {report['files_found']} files found, {report['utterances']} kept, {rejected}, {excluded}"
    )
    if report.get("dropped_classes"):
        lines.append(f"classes with no usable file, left out of the label set: {', '.join(report['dropped_classes'])}")
    return "\n".join(lines)


def with_label_alias(dd):
    """Each split plus ``label``, a copy of ``emotion``: what HF audio-classification scripts read by default."""
    return type(dd)(
        {
            name: part.add_column(LABEL_ALIAS, part["emotion"], feature=part.features["emotion"])
            for name, part in dd.items()
        }
    )


def _write_report(out: Path, report: dict[str, Any]) -> None:
    """Written atomically; on success it reaches ``OUT`` with the staged dataset, on failure it is written there."""
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / REPORT_NAME, report, default=lambda o: o.__dict__)


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    start = time.perf_counter()
    out = Path(args.output_dir).expanduser()
    stale = check_output_dir(out, args.overwrite, args.data_dir)
    classes = None
    if args.classes:
        classes = args.classes[0] if len(args.classes) == 1 else list(args.classes)
    ds, corpus_report = build_corpus(
        args.corpus,
        args.data_dir,
        sampling_rate=args.sampling_rate,
        classes=classes,
        cache_dir=args.cache_dir,
        progress=not args.no_progress,
        **_parse_options(args.option),
    )
    report = {"tool": TOOL_MARKER, "hf_ser_version": __version__, **corpus_report.to_dict()}
    report.update(
        output_dir=os.fspath(out),
        split=args.split,
        seed=args.seed,
        test_size=args.test_size,
        validation_size=args.validation_size,
        splits={},
    )
    try:
        dd = split_dataset(
            ds, args.split, seed=args.seed, test_size=_size(args.test_size), validation_size=_size(args.validation_size)
        )
    except ValueError as e:  # the report still lists every file found and rejected
        report["error"] = str(e)
        report["elapsed_seconds"] = round(time.perf_counter() - start, 2)
        _clear_outputs(out, stale)
        _write_report(out, report)
        raise ValueError(f"{e}\n(files found and rejected: {out / REPORT_NAME})") from e
    # an empty split cannot be read back by load_from_disk
    dd = type(dd)({name: part for name, part in dd.items() if len(part)})
    for name, part in dd.items():
        stats = dataset_stats(part)
        report["splits"][name] = {**stats, "num_speakers": len(stats["speakers"])}
    report["leak_check"] = check_speaker_leak(dd)
    if args.overwrite and out.exists():
        stale |= ({REPORT_NAME, "dataset_dict.json"} | set(dd)) & {p.name for p in out.iterdir()}
        if stale:
            logger.warning("--overwrite: replacing %s in %s", sorted(stale), out)
    staging = _staging_dir(out)
    try:
        with datasets_bars_hidden():  # saving is quick; datasets' flatten/save bars (6 for 3 splits) add nothing
            with_label_alias(dd).save_to_disk(os.fspath(staging))
        report["elapsed_seconds"] = round(time.perf_counter() - start, 2)
        _write_report(staging, report)  # moved into OUT with the dataset, last
        # A previous output's report stays until the new one replaces it: a rerun after a kill mid-move still
        # recognises OUT as ours.
        _clear_outputs(out, stale - {REPORT_NAME})
        _move_into_place(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        report = prepare(args)
    except (ValueError, OSError, TypeError) as e:  # OSError: unreadable data_dir, unwritable or full output_dir
        print(f"hf-ser prepare: error: {e}", file=sys.stderr)
        return 2
    print(summary_table(report))
    print(f"saved to {report['output_dir']} in {report['elapsed_seconds']:.1f} s (report: {REPORT_NAME})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
