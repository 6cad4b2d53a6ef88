"""Resampling speed for awkward rate pairs: hf_ser.audio.resample vs torchaudio's sinc, same run.

TESS is recorded at 24414 Hz; 24414 -> 16000 Hz reduces to 12207:8000, so torchaudio's windowed
sinc builds a kernel with 8000 phases. hf_ser.audio switches to a cached polyphase FIR there.
Prints `ratio:` = torchaudio time / hf-ser time (higher is better) and the max deviation.

    python benchmarks/bench_resample.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torchaudio.functional as F

from hf_ser.audio import resample


def _best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one 1 s clip, one repeat")
    args = parser.parse_args()
    orig_sr, target_sr = 24414, 16000
    seconds, repeats = (1.0, 1) if args.quick else (3.0, 3)
    rng = np.random.default_rng(0)
    wave = (0.1 * rng.standard_normal(int(seconds * orig_sr))).astype(np.float32)

    resample(wave, orig_sr, target_sr)  # warm the cached filter, as in a corpus of many clips
    ours = _best_of(lambda: resample(wave, orig_sr, target_sr), repeats)
    reference = _best_of(lambda: F.resample(torch.from_numpy(wave), orig_sr, target_sr), repeats)
    a = resample(wave, orig_sr, target_sr)
    b = F.resample(torch.from_numpy(wave), orig_sr, target_sr).numpy()
    n = min(len(a), len(b))
    print(f"{seconds:.0f} s clip, {orig_sr} -> {target_sr} Hz")
    print(f"torchaudio sinc: {reference * 1000:.1f} ms   hf_ser.audio.resample: {ours * 1000:.1f} ms")
    print(f"max abs difference: {np.abs(a[:n] - b[:n]).max():.2e}")
    print(f"ratio: {reference / ours:.1f}")


if __name__ == "__main__":
    main()
