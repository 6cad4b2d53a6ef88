"""``hf-ser cache info|verify|prune``: look into, check and clean the on-disk feature cache.

The cache (:mod:`hf_ser.training.cache`) holds one folder per front-end fingerprint. ``info`` lists them (front
end, entries, size, last use); ``verify`` reads every entry and lists the truncated or unreadable ones and the
temporary files of killed runs (``--delete`` removes them; a later run recomputes what is missing); ``prune``
removes whole fingerprints, chosen by name, by age or all. Folders another process is filling (it holds their
lock) are never touched. No torch import, so the command answers at once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field

from .training.cache_store import (
    FINGERPRINT_FILE,
    TEMP_MARKER,
    default_cache_dir,
    directory_lock,
    entry_is_complete,
)


@dataclass
class FingerprintFolder:
    """One ``<cache_dir>/<fingerprint>`` folder: its description, entries and size."""

    path: str
    description: dict = field(default_factory=dict)
    entries: list[str] = field(default_factory=list)
    temporary: list[str] = field(default_factory=list)
    size_bytes: int = 0
    last_used: float = 0.0

    @property
    def fingerprint(self) -> str:
        return os.path.basename(self.path)

    def summary(self) -> str:
        d = self.description
        if not d:
            return "(no fingerprint.json: not written by hf-ser, or damaged)"
        front = d.get("frontend") or "?"
        if front == "encoder":
            front = f"encoder {d.get('encoder_name_or_path') or d.get('encoder_model_type') or '?'}"
            if d.get("layers") is not None:
                front += f" layers {d['layers'][0]}-{d['layers'][-1]}" if d["layers"] else ""
        return f"{front}, {d.get('dtype', '?')}"


def scan(cache_dir: str) -> list[FingerprintFolder]:
    """Every fingerprint folder under ``cache_dir`` (none when it does not exist)."""
    if not os.path.isdir(cache_dir):
        return []
    folders = []
    for entry in sorted(os.scandir(cache_dir), key=lambda e: e.name):
        if not entry.is_dir(follow_symlinks=False):
            continue
        folder = FingerprintFolder(entry.path)
        description_path = os.path.join(entry.path, FINGERPRINT_FILE)
        try:
            with open(description_path, encoding="utf-8") as f:
                folder.description = json.load(f)
            folder.last_used = os.path.getmtime(description_path)
        except (OSError, ValueError):
            pass
        for root, _, files in os.walk(entry.path):
            for name in files:
                path = os.path.join(root, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                folder.size_bytes += stat.st_size
                folder.last_used = max(folder.last_used, stat.st_mtime)
                if TEMP_MARKER in name:
                    folder.temporary.append(path)
                elif name.endswith(".npy"):
                    folder.entries.append(path)
        folders.append(folder)
    return folders


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"  # pragma: no cover


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def _temporary_is_orphan(path: str) -> bool:
    """A temporary file is a killed run's leftover unless the process in its name is still running."""
    name = os.path.basename(path)
    pid = name.split(TEMP_MARKER)[0].rsplit(".", 1)[-1]
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def cmd_info(args: argparse.Namespace) -> int:
    folders = scan(args.cache_dir)
    if not folders:
        print(f"feature cache {args.cache_dir}: empty")
        return 0
    now = time.time()
    rows = [
        [f.fingerprint, f.summary(), str(len(f.entries)), _size(f.size_bytes), _age(now - f.last_used)] for f in folders
    ]
    head = ["fingerprint", "front end", "entries", "size", "last used"]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    total = sum(f.size_bytes for f in folders)
    print(f"feature cache {args.cache_dir}: {len(folders)} fingerprint(s), {_size(total)}")
    return 0


def _bad_entries(folder: FingerprintFolder) -> list[tuple[str, str]]:
    import numpy as np

    bad = []
    for path in folder.entries:
        if not entry_is_complete(path):
            bad.append((path, "truncated (smaller than its header declares)"))
            continue
        try:
            array = np.load(path)
        except (OSError, ValueError, EOFError) as e:
            bad.append((path, f"unreadable ({e})"))
            continue
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            bad.append((path, "non-finite values"))
    return bad


def cmd_verify(args: argparse.Namespace) -> int:
    folders = scan(args.cache_dir)
    problems = removed = checked = 0
    for folder in folders:
        checked += len(folder.entries)
        found = _bad_entries(folder)
        found += [(p, "temporary file of a killed run") for p in folder.temporary if _temporary_is_orphan(p)]
        if not folder.description:
            found.append((folder.path, f"no readable {FINGERPRINT_FILE}"))
        for path, why in found:
            print(f"{path}: {why}")
        problems += len(found)
        if args.delete and found:
            with directory_lock(folder.path, blocking=False) as held:
                if not held:
                    print(f"{folder.path}: in use by a running fill, left as it is")
                    continue
                for path, _ in found:
                    if path != folder.path:
                        os.remove(path)
                        removed += 1
    print(f"feature cache {args.cache_dir}: {checked} entries checked, {problems} problem(s), {removed} removed")
    return 1 if problems > removed else 0


def cmd_prune(args: argparse.Namespace) -> int:
    if not (args.fingerprint or args.older_than_days is not None or args.all):
        print(
            "hf-ser cache prune: error: choose what to remove: --fingerprint FP, --older_than_days N or --all",
            file=sys.stderr,
        )
        return 2
    folders = scan(args.cache_dir)
    known = {f.fingerprint for f in folders}
    unknown = sorted(set(args.fingerprint or []) - known)
    if unknown:
        print(f"hf-ser cache prune: error: no fingerprint {', '.join(unknown)} in {args.cache_dir}", file=sys.stderr)
        return 2
    now = time.time()
    chosen = [
        f
        for f in folders
        if args.all
        or f.fingerprint in (args.fingerprint or [])
        or (args.older_than_days is not None and now - f.last_used > args.older_than_days * 86400)
    ]
    freed = 0
    for folder in chosen:
        if args.dry_run:
            print(f"would remove {folder.path} ({folder.summary()}, {_size(folder.size_bytes)})")
            freed += folder.size_bytes
            continue
        with directory_lock(folder.path, blocking=False) as held:
            if not held:
                print(f"{folder.path}: in use by a running fill, kept")
                continue
            shutil.rmtree(folder.path)
        print(f"removed {folder.path} ({folder.summary()}, {_size(folder.size_bytes)})")
        freed += folder.size_bytes
    verb = "would free" if args.dry_run else "freed"
    print(f"feature cache {args.cache_dir}: {len(chosen)} of {len(folders)} fingerprint(s), {verb} {_size(freed)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hf-ser cache", description="Inspect, verify and prune the feature cache.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--cache_dir", default=None, help="the cache folder (default: $HF_SER_CACHE or ~/.cache/hf_ser/features)"
    )
    sub = p.add_subparsers(dest="action", required=True)
    sub.add_parser("info", parents=[common], help="list fingerprints: front end, entries, size, last use")
    v = sub.add_parser("verify", parents=[common], help="read every entry; list truncated/unreadable ones")
    v.add_argument("--delete", action="store_true", help="remove bad entries and leftovers (recomputed on next use)")
    r = sub.add_parser("prune", parents=[common], help="remove whole fingerprints")
    r.add_argument("--fingerprint", nargs="+", default=None, help="fingerprints to remove (as `info` lists them)")
    r.add_argument("--older_than_days", type=float, default=None, help="remove fingerprints unused for N days")
    r.add_argument("--all", action="store_true", help="remove every fingerprint")
    r.add_argument("--dry_run", action="store_true", help="only say what would be removed")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.cache_dir = os.path.expanduser(args.cache_dir or default_cache_dir())
    return {"info": cmd_info, "verify": cmd_verify, "prune": cmd_prune}[args.action](args)


if __name__ == "__main__":
    raise SystemExit(main())
