"""Functionals front end (2714 utterance statistics in torch, inside the model) vs the research code per clip.

The research code computed each clip's functionals on its own, in numpy (pitch tracker, spectral
LLDs, statistics) with torchaudio's MFCC / log-mel; its port is the reference that
``tests/modeling/test_ser_functionals.py`` checks hf-ser against, and it is imported from there (one
copy of it). hf-ser computes the same features inside ``SERForAudioClassification``
(``compute_frontend``, float64) on padded batches of clips sorted by length, as the feature cache does,
and also one clip at a time (batch 1, as ``hf-ser predict`` on a single file). Both get the same decoded
EMO-DB waveforms (synthetic clips without EMO-DB) and the same number of threads (``--threads``,
default 1); calls are timed in turns, best of the repeats for each. Agreement: every feature within
the test's tolerance (``|hf-ser - reference| < 1e-3 + 1e-3 |reference|``).
``ratio:`` = reference time / hf-ser time, both one clip at a time (like for like, and what the
timed unit test this replaces measured: one 3 s clip); the batched time and its ratio are printed
above it (higher is better).

    python benchmarks/functionals.py [--quick] [--clips N] [--batch_size B] [--threads N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from common import (
    EMODB,
    ROOT,
    SR,
    best_of_interleaved,
    load_clips,
    machine,
    print_ratio,
    print_table,
    quiet_libraries,
    set_threads,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 clips, 2 repeats")
    parser.add_argument("--clips", type=int, default=None, help="default 64 EMO-DB clips (--quick 8)")
    parser.add_argument(
        "--batch_size", type=int, default=8, help="clips per batch (default: %(default)s, as the feature cache)"
    )
    parser.add_argument("--threads", type=int, default=1, help="compute threads of each side (default: %(default)s)")
    parser.add_argument("--corpus", default=str(EMODB), help="EMO-DB folder (synthetic clips when it is missing)")
    args = parser.parse_args()
    quiet_libraries()
    set_threads(args.threads)
    import torch

    sys.path.insert(0, str(ROOT / "tests" / "modeling"))
    from test_ser_functionals import reference_functionals  # the research code's port, checked by the tests

    from hf_ser.modeling import SERConfig, SERForAudioClassification, feature_extractor_for
    from hf_ser.modeling.frontends import functionals_feature_names

    clips = load_clips(args.clips or (8 if args.quick else 64), args.corpus)
    repeats = 2 if args.quick else 3
    model = SERForAudioClassification(SERConfig(frontend="functionals")).eval()
    fe = feature_extractor_for(model.config)  # no waveform normalisation: levels are features
    order = sorted(range(len(clips.waves)), key=lambda i: len(clips.waves[i]))

    def ours(batch_size: int) -> dict[int, np.ndarray]:
        out = {}
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                batch = fe([clips.waves[i] for i in idx], sampling_rate=SR, padding=True, return_tensors="pt")
                feats = model.compute_frontend(batch["input_values"], batch["attention_mask"])[0]
                for j, i in enumerate(idx):
                    out[i] = feats[j, 0].double().numpy()
        return out

    def reference() -> list[np.ndarray]:
        return [reference_functionals(w) for w in clips.waves]

    batched, single, ref = ours(args.batch_size), ours(1), reference()  # warm-up, and the outputs compared
    best = best_of_interleaved(
        {"batched": lambda: ours(args.batch_size), "single": lambda: ours(1), "reference": reference}, repeats
    )

    names = functionals_feature_names()
    worst, worst_name, outside = 0.0, "", 0
    for i, r in enumerate(ref):
        for got in (batched[i], single[i]):
            err = np.abs(got - r) / (1e-3 + 1e-3 * np.abs(r))
            outside += int((err >= 1).sum())
            if err.max() > worst:
                worst, worst_name = float(err.max()), names[int(err.argmax())]
    n = len(clips.waves)
    print(f"{clips.source}, {clips.seconds:.0f} s of audio ({clips.seconds / n:.1f} s per clip); best of {repeats} "
          f"in turns; {machine()}")  # fmt: skip
    print_table(
        ["functionals front end", "total (s)", "per clip (ms)", "audio seconds per second"],
        [
            [label, f"{t:.3f}", f"{1000 * t / n:.1f}", f"{clips.seconds / t:.0f}"]
            for label, t in (
                ("research code (numpy + torchaudio), one clip at a time", best["reference"]),
                ("hf-ser compute_frontend, one clip at a time", best["single"]),
                (f"hf-ser compute_frontend, batches of {args.batch_size}", best["batched"]),
            )
        ],
    )
    ok = outside == 0
    print(f"features agree: {n} clips x {len(names)} features, batched and one at a time, within "
          f"1e-3 + 1e-3 |reference|: {'yes' if ok else f'NO ({outside} values outside)'} "
          f"(worst {worst:.2f} of the tolerance, {worst_name})")  # fmt: skip
    if not ok:
        print("the features differ: no ratio is claimed")
        return 1
    print(f"batched: {best['reference'] / best['batched']:.2f}x the research code per clip, "
          f"{best['single'] / best['batched']:.2f}x hf-ser one clip at a time")  # fmt: skip
    print_ratio(best["reference"] / best["single"], "research code / hf-ser, one clip at a time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
