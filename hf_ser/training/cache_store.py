"""The feature cache's files on disk: names, the entry check, the fillers' lock and the write errors.

numpy and the standard library only, so ``hf-ser cache`` (:mod:`hf_ser.cache_cli`) answers without importing
torch; :mod:`hf_ser.training.cache` builds on it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator

import numpy as np

FINGERPRINT_FILE = "fingerprint.json"
LOCK_FILE = ".lock"
# In the name of a file being written (``<key>.<pid>.tmp.npy``): renamed away when complete.
TEMP_MARKER = ".tmp"


class FeatureCacheError(OSError):
    """The feature cache cannot be used: its folder cannot be written (disk full, read-only) or an entry is bad."""


def write_error(directory: str, e: OSError) -> FeatureCacheError:
    why = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is exhausted",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
    }.get(e.errno, e.strerror or str(e))
    return FeatureCacheError(
        f"cannot write the feature cache {directory}: {why}. Free space there, point --cache_dir (or $HF_SER_CACHE) "
        "at a writable folder, or run without the cache (--cache_features false)"
    )


def entry_is_complete(path: str) -> bool:
    """Whether an ``.npy`` entry holds all the bytes its header declares (reads the header only)."""
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            fmt = np.lib.format
            read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _, dtype = read_header(f)
            data_start = f.tell()
        expected = data_start + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        return os.path.getsize(path) == expected
    except (OSError, ValueError, EOFError):
        return False


@contextlib.contextmanager
def directory_lock(directory: str, blocking: bool = True) -> Iterator[bool]:
    """Exclusive ``flock`` on ``directory/.lock`` (released when the process dies, so a kill never leaves it held).
    With ``blocking=False`` yields False at once when another process holds it."""
    try:
        fd = os.open(os.path.join(directory, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise write_error(directory, e) from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def default_cache_dir() -> str:
    """``$HF_SER_CACHE``, else ``~/.cache/hf_ser/features``."""
    return os.environ.get("HF_SER_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "hf_ser", "features")
