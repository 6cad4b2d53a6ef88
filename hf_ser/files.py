"""Result files that are either complete or absent: write to a temporary name next to the target, then rename.

``os.replace`` within one folder is atomic on POSIX, so a run killed mid-write (SIGKILL, power loss, a full
disk) leaves the previous file or none, never half a JSON that a resumed run or a reader would take as done.
Temporary names end in ``.partial`` (the Hub upload ignores ``*.partial``) and carry the process id, so two
processes writing the same target never share a temporary file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import IO, Any

PARTIAL_SUFFIX = ".partial"


def partial_path(path: str | os.PathLike) -> str:
    """The temporary name ``path`` is written under before it is renamed into place."""
    return f"{os.fspath(path)}.{os.getpid()}{PARTIAL_SUFFIX}"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path to write (e.g. ``fig.savefig(tmp)``); renamed onto ``path`` when the block ends
    without an exception, removed otherwise. The folder of ``path`` is created."""
    target = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    tmp = partial_path(target)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8", **kwargs: Any
) -> Iterator[IO]:
    """``open`` for writing whose result appears under ``path`` only once the block has finished (flushed and
    fsynced first, so a crash right after the rename cannot leave an empty file either)."""
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=None if "b" in mode else encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


def write_text_atomic(path: str | os.PathLike, text: str) -> str:
    """Write ``text`` to ``path`` atomically; returns the path."""
    with atomic_open(path) as f:
        f.write(text)
    return os.fspath(path)


def write_json_atomic(path: str | os.PathLike, data: Any, **dump_kwargs: Any) -> str:
    """``json.dump(data)`` to ``path`` atomically (``indent=2`` unless given, trailing newline); returns the path."""
    dump_kwargs.setdefault("indent", 2)
    with atomic_open(path) as f:
        json.dump(data, f, **dump_kwargs)
        f.write("\n")
    return os.fspath(path)
