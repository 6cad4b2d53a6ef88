"""``hf-ser results``: the results tables of README.md and recipes/<corpus>/README.md, generated, not typed.

A run's ``cv_results.json`` is recorded once (``hf-ser results add``) as a small JSON file in
``recipes/<corpus>/results/``; ``hf-ser results tables`` rewrites every table between
``<!-- results:<corpus> -->`` and ``<!-- /results -->`` from those records (``<!-- results:summary -->``
holds each corpus's shipped recipes), and ``--check`` fails when a README differs from them, so no
number in a table can drift from the run that produced it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

RESULTS_FOLDER = "results"
SUMMARY = "summary"
_BLOCK = re.compile(r"(<!-- results:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /results -->)", re.DOTALL)
_HEADER = (
    "| run | protocol | setting | pooled UAR | WA | macro-F1 | fold UAR mean ± std | lowest fold UAR "
    "| wall time | date |\n|---|---|---|---|---|---|---|---|---|---|\n"
)


def portable_command(command: str, root: Path) -> str:
    """The run's command as a reader re-runs it from the repository: absolute paths made relative to ``root``,
    the output folder (where this run happened to write) left out."""
    words = shlex.split(command)
    kept: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word == "--output_dir":
            skip = True
        else:
            kept.append(os.path.relpath(word, root.resolve()) if os.path.isabs(word) else word)
    return shlex.join(kept)


def record_from_cv_results(cv_results: dict[str, Any], name: str, note: str, date: str) -> dict[str, Any]:
    """The part of a ``cv_results.json`` that a results table shows, plus what says how it was made."""
    record = {
        "name": name,
        "note": note,
        "date": date,
        "corpus": cv_results["corpus"],
        "protocol": cv_results["protocol"],
        "num_folds": cv_results["num_folds"],
        "num_classes": len(cv_results["labels"]),
        "speaker_normalization": cv_results["speaker_normalization"],
        "pooled": {k: cv_results["pooled"][k] for k in ("uar", "wa", "macro_f1")},
        "fold_uar_mean": cv_results["mean"]["uar"],
        "fold_uar_std": cv_results["std"]["uar"],
        "fold_uar": [fold["uar"] for fold in cv_results["folds"]],
        "wall_time_seconds": cv_results["wall_time_seconds"],
        "hardware": cv_results.get("hardware"),
        "seed": cv_results.get("seed"),
        "command": cv_results["command"],
    }
    check = cv_results.get("gain_check")
    if check:
        record["gain_check"] = {
            "gain_db": check["gain_db"],
            "pooled_uar": check["pooled"]["uar"],
            "lowest_speaker_uar": check["lowest_speaker_uar_at_gain"],
            "labels_unchanged": check["labels_unchanged"],
        }
    if cv_results.get("inner_cv"):
        from .training.cv import chosen_counts

        record["inner_cv"] = {**cv_results["inner_cv"], "chosen": chosen_counts(cv_results)}
    return record


def load_records(recipes_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """{corpus folder: its records sorted by name} for every ``recipes/<corpus>/results/*.json``."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(recipes_dir.glob(f"*/{RESULTS_FOLDER}/*.json")):
        try:
            record = json.loads(path.read_text())
            record["pooled"]["uar"]  # noqa: B018 (a record without it is not one)
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"{path}: not a results record ({e})") from e
        out.setdefault(path.parent.parent.name, []).append(record)
    return out


def _row(record: dict[str, Any]) -> str:
    p = record["pooled"]
    setting = "per-speaker z (transductive)" if record["speaker_normalization"] != "none" else "strict"
    if record.get("inner_cv"):
        setting += f"; {record['inner_cv']['num_folds']}-fold inner CV chose {record['inner_cv']['chosen']}"
    check = record.get("gain_check")
    if check:
        setting += (
            f"; test clips also {check['gain_db']:+g} dB (16-bit): pooled UAR {check['pooled_uar']:.3f}, lowest "
            f"speaker {check['lowest_speaker_uar']:.3f}, labels unchanged {check['labels_unchanged']:.0%}"
        )
    run = f"`{record['command']}`" + (f" ({record['note']})" if record["note"] else "")
    cells = [
        run,
        record["protocol"],
        setting,
        f"**{p['uar']:.3f}**",
        f"{p['wa']:.3f}",
        f"{p['macro_f1']:.3f}",
        f"{record['fold_uar_mean']:.3f} ± {record['fold_uar_std']:.3f}",
        f"{min(record['fold_uar']):.3f} (chance {1 / record['num_classes']:.3f})",
        f"{record['wall_time_seconds']:.0f} s",
        record["date"],
    ]
    return "| " + " | ".join(cells) + " |\n"


def render(block: str, records: dict[str, list[dict[str, Any]]], recipes_dir: Path) -> str:
    """The table for ``<!-- results:<block> -->``: one corpus's records, or (summary) every corpus's runs
    named after a shipped recipe."""
    if block == SUMMARY:
        rows = [
            r
            for corpus in sorted(records)
            for r in records[corpus]
            if (recipes_dir / corpus / f"{r['name']}.yaml").is_file()
        ]
    elif block in records:
        rows = records[block]
    else:
        raise ValueError(f"<!-- results:{block} -->: no records in recipes/{block}/{RESULTS_FOLDER}/")
    return _HEADER + "".join(_row(r) for r in rows)


def update_tables(readmes: list[Path], recipes_dir: Path, check: bool) -> list[Path]:
    """Rewrite (or, with ``check``, only compare) every results block; returns the READMEs that differ."""
    records = load_records(recipes_dir)
    stale = []
    for readme in readmes:
        text = readme.read_text()
        new = _BLOCK.sub(lambda m: m.group(1) + render(m.group("name"), records, recipes_dir) + m.group(4), text)
        if new != text:
            stale.append(readme)
            if not check:
                tmp = readme.with_name(readme.name + ".partial")
                tmp.write_text(new)
                os.replace(tmp, readme)
    return stale


def readmes_with_tables(root: Path) -> list[Path]:
    candidates = [root / "README.md", *sorted((root / "recipes").glob("*/README.md"))]
    return [p for p in candidates if p.is_file() and _BLOCK.search(p.read_text())]


def add(cv_results_path: Path, name: str, note: str, recipes_dir: Path, overwrite: bool) -> Path:
    cv_results = json.loads(cv_results_path.read_text())
    corpus = cv_results["corpus"].split(" -> ")[0].split("+")[0]
    if not (recipes_dir / corpus).is_dir():
        raise ValueError(f"{cv_results_path}: corpus {corpus!r} has no recipes/{corpus}/ folder")
    date = dt.date.fromtimestamp(cv_results_path.stat().st_mtime).isoformat()
    target = recipes_dir / corpus / RESULTS_FOLDER / f"{name}.json"
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists: pass --overwrite to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    record = record_from_cv_results(cv_results, name, note, date)
    record["command"] = portable_command(record["command"], recipes_dir.parent)
    target.write_text(json.dumps(record, indent=1) + "\n")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hf-ser results",
        description="Record cv runs under recipes/<corpus>/results/ and generate the README results tables from them.",
    )
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository (holds README.md, recipes/)")
    sub = parser.add_subparsers(dest="action", required=True)
    a = sub.add_parser("add", help="record a run's cv_results.json under recipes/<corpus>/results/NAME.json")
    a.add_argument("cv_results", type=Path)
    a.add_argument("--name", required=True, help="record name; a shipped recipe's stem puts it in the summary")
    a.add_argument("--note", default="", help="what differs from the recipe as shipped, in a few words")
    a.add_argument("--overwrite", action="store_true", help="replace an existing record of that name")
    t = sub.add_parser("tables", help="rewrite the README results tables from the records")
    t.add_argument("--check", action="store_true", help="only report READMEs whose tables differ (exit 1)")
    args = parser.parse_args(argv)
    recipes_dir = args.root / "recipes"
    try:
        if args.action == "add":
            print(f"recorded {add(args.cv_results, args.name, args.note, recipes_dir, args.overwrite)}")
            return 0
        stale = update_tables(readmes_with_tables(args.root), recipes_dir, args.check)
    except (OSError, ValueError, KeyError) as e:
        print(f"hf-ser results: {e}", file=sys.stderr)
        return 2
    for path in stale:
        print(f"{'differs from its records' if args.check else 'rewritten'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
