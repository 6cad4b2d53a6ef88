"""What every benchmark here shares: timing, the result table, the machine line, peak memory, test clips.

Each benchmark measures hf-ser and its reference in the same process, one after the other, on the
same inputs, and prints a table, an agreement check (outputs equal within a tolerance) and a last
line ``ratio: <reference time / hf-ser time>``. Absolute times on a shared machine are noise; the
ratio of two times taken minutes apart in one run is what the numbers claim.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EMODB = SHARED / "corpora" / "emodb"
WHISPER_BASE = SHARED / "models" / "whisper-base"
SR = 16000


def quiet_libraries() -> None:
    """Keep transformers / datasets progress bars and warnings out of the benchmark's table."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import datasets
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.utils.logging.set_verbosity_error()
    datasets.disable_progress_bars()


def machine() -> str:
    """One line naming the machine, its load and torch's threads (absolute times depend on all three)."""
    import torch

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cpu = platform.processor() or platform.machine()
    return (
        f"{os.cpu_count()} CPU cores ({cpu}), load {load:.1f}, torch {torch.__version__} "
        f"with {torch.get_num_threads()} threads, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def best_of(fn: Callable[[], object], repeats: int) -> float:
    """Fastest of ``repeats`` calls: the least disturbed by other work on a shared machine."""
    return min(timed(fn)[0] for _ in range(max(1, repeats)))


def best_of_interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Fastest of ``repeats`` calls of each function, the calls taken in turns (a, b, a, b, ...): a burst of
    other work on a shared machine then slows both sides rather than whichever happened to run during it."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(max(1, repeats)):
        for name, fn in fns.items():
            best[name] = min(best[name], timed(fn)[0])
    return best


def set_threads(threads: int) -> None:
    """``threads`` compute threads for torch and for numpy's BLAS (OpenBLAS / MKL), for both sides of a benchmark."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A Markdown table (pasteable into benchmarks/README.md)."""
    cells = [[str(c) for c in header], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    fmt = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    print(fmt(cells[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells[1:]:
        print(fmt(r))


def print_ratio(ratio: float, what: str) -> None:
    """The last line every benchmark prints (the acceptance check reads its number)."""
    print(f"ratio: {ratio:.2f} ({what})" if ratio < 10 else f"ratio: {ratio:.1f} ({what})")


def profile_rows(fn: Callable[[], object], top: int = 6) -> list[list[str]]:
    """The ``top`` functions by own time in one call of ``fn`` (cProfile): where a cost goes, for the README."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(fn)
    stats = pstats.Stats(profiler)
    total = sum(v[2] for v in stats.stats.values())
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    return [
        [f"{Path(file).name}:{line}({name})" if line else name, f"{own:.3f}", f"{own / total:.0%}", str(calls)]
        for (file, line, name), (calls, _, own, _, _) in rows
    ]


# ------------------------------------------------------------------------------------------- memory
@dataclass
class ProcessRun:
    """A finished command: exit status, wall seconds, peak RSS and peak anonymous RSS of its process tree (MiB),
    its output, and the range of the machine's 1-minute load average while it ran."""

    returncode: int
    seconds: float
    peak_rss_mib: float
    peak_anonymous_mib: float
    output: str
    load_range: tuple[float, float]


class RssSampler:
    """Peak memory of a process and its children, sampled every ``interval`` s on a thread while in use.

    ``peak``: resident set (RSS) summed over the tree. ``peak_anonymous``: RSS less its file-backed pages
    (``shared``), i.e. the memory the work itself allocated: pages of memory-mapped Arrow files that a process
    reads count in its RSS but are page cache the kernel reclaims at will. ``loads``: the 1-minute load average
    at each sample (how busy the machine was meanwhile).
    """

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        import psutil

        self.process, self.interval, self.peak, self.peak_anonymous = psutil.Process(pid), interval, 0, 0
        self.loads: list[float] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        while not self._done.is_set():
            try:
                infos = [p.memory_info() for p in [self.process, *self.process.children(recursive=True)]]
                self.peak = max(self.peak, sum(m.rss for m in infos))
                self.peak_anonymous = max(self.peak_anonymous, sum(m.rss - m.shared for m in infos))
                self.loads.append(os.getloadavg()[0])
            except psutil.Error:
                pass
            self._done.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def run_measured(cmd: Sequence[str], env: dict[str, str] | None = None) -> ProcessRun:
    """Run ``cmd``, sampling the summed RSS of it and its children (workers count too)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})}
    )
    with RssSampler(proc.pid) as sampler:
        output, _ = proc.communicate()
    seconds = time.perf_counter() - start
    loads = sampler.loads or [os.getloadavg()[0]]
    return ProcessRun(
        proc.returncode, seconds, sampler.peak / 2**20, sampler.peak_anonymous / 2**20, output, (min(loads), max(loads))
    )


def measured(fn: Callable[[], object]) -> tuple[float, float, object]:
    """(seconds, peak RSS of this process while ``fn`` ran in MiB, result)."""
    with RssSampler(os.getpid()) as sampler:
        seconds, result = timed(fn)
    return seconds, sampler.peak / 2**20, result


# -------------------------------------------------------------------------------------------- clips
@dataclass
class Clips:
    """Test clips as the corpora store them (16-bit WAV bytes at 16 kHz) and decoded from those bytes."""

    source: str
    wav_bytes: list[bytes]
    waves: list[np.ndarray]
    labels: list[int]
    label_names: list[str]

    @property
    def seconds(self) -> float:
        return sum(len(w) for w in self.waves) / SR


def load_clips(count: int, corpus: Path = EMODB, seed: int = 0) -> Clips:
    """``count`` EMO-DB clips spread over the corpus (every k-th file), or synthetic ones without EMO-DB."""
    from hf_ser.audio import decode_audio_bytes, encode_wav, load_audio
    from hf_ser.labels import CORPUS_LABEL_MAPS

    files = sorted(Path(corpus).glob("wav/*.wav"))
    if files:
        files = files[:: max(1, len(files) // count)][:count]
        names = [CORPUS_LABEL_MAPS["emodb"][f.stem[5]] for f in files]
        raw = [encode_wav(load_audio(str(f), SR), SR) for f in files]
        source = f"{len(files)} EMO-DB clips ({corpus})"
    else:
        from hf_ser.corpora.synthetic import iter_synthetic_utterances

        utts = list(iter_synthetic_utterances(num_speakers=4, utterances_per_emotion=count // 16 + 1, seed=seed))
        utts = utts[:: max(1, len(utts) // count)][:count]
        names = [u["emotion"] for u in utts]
        raw = [encode_wav(u["array"], SR) for u in utts]
        source = f"{len(utts)} synthetic clips (no EMO-DB at {corpus})"
    label_names = sorted(set(names))
    waves = [decode_audio_bytes(b, SR, name=f"clip {i}") for i, b in enumerate(raw)]
    return Clips(source, raw, waves, [label_names.index(n) for n in names], label_names)


def die(message: str) -> None:
    """A benchmark that cannot run says why and exits non-zero (never a made-up ratio)."""
    print(message, file=sys.stderr)
    raise SystemExit(1)
