"""MFCC front end: hf-ser's, on a batch inside the model (torchaudio), vs librosa per file, same run.

The seeds computed MFCCs file by file with ``librosa.feature.mfcc``; hf-ser computes them inside
``SERForAudioClassification`` (``compute_frontend``) on a padded batch. Both get the same decoded
EMO-DB waveforms, with the MFCC recipes' settings (40 coefficients from 64 HTK mel bands, 25 ms
Hann windows, 10 ms hop, no centring, dB with an 80 dB floor under each clip's peak, orthonormal
DCT, per-utterance mean/variance normalisation), so the features must agree (printed beside the
ratio). hf-ser's time includes padding the batch in its feature extractor; neither side's time
includes decoding the files (it is the same for both). Batches are formed from clips sorted by
length, as the feature cache does. Both sides get the same number of compute threads (``--threads``,
torch's and numpy's BLAS, default 1: one core each; on a shared 2-core machine a second thread mostly
waits to be scheduled, which slowed librosa's BLAS calls 4x and torch's 2x at load 8), and their
calls are timed in turns, best of the repeats for each.
``ratio:`` = librosa time / hf-ser time for all clips (higher is better).

    python benchmarks/frontend.py [--quick] [--clips N] [--batch_size B] [--threads N] [--corpus DIR] [--profile]
"""

from __future__ import annotations

import argparse

import numpy as np
from common import (
    EMODB,
    SR,
    best_of_interleaved,
    load_clips,
    machine,
    print_ratio,
    print_table,
    profile_rows,
    quiet_libraries,
    set_threads,
)

N_MFCC, N_MELS, N_FFT, WIN, HOP = 40, 64, 512, 400, 160


def librosa_mfcc(wave: np.ndarray) -> np.ndarray:
    """[T, 40] for one clip, the seeds' way (one librosa call per file) with the recipe's settings."""
    import librosa

    mfcc = librosa.feature.mfcc(
        y=wave,
        sr=SR,
        n_mfcc=N_MFCC,
        n_fft=N_FFT,
        hop_length=HOP,
        win_length=WIN,
        center=False,
        n_mels=N_MELS,
        htk=True,
        mel_norm=None,
        fmin=0.0,
        fmax=SR / 2,
    ).T
    return (mfcc - mfcc.mean(0)) / np.sqrt(mfcc.var(0) + 1e-5)  # the recipes' per-utterance normalisation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64 clips, 3 repeats")
    parser.add_argument("--clips", type=int, default=None, help="default all 535 EMO-DB clips (--quick 64)")
    parser.add_argument(
        "--batch_size", type=int, default=8, help="clips per batch (default: %(default)s, as the feature cache)"
    )
    parser.add_argument("--threads", type=int, default=1, help="compute threads of each side (default: %(default)s)")
    parser.add_argument("--corpus", default=str(EMODB), help="EMO-DB folder (synthetic clips when it is missing)")
    parser.add_argument("--profile", action="store_true", help="also print where each side spends its time")
    args = parser.parse_args()
    quiet_libraries()
    set_threads(args.threads)
    import torch

    from hf_ser.modeling import SERConfig, SERForAudioClassification, feature_extractor_for

    clips = load_clips(args.clips or (64 if args.quick else 535), args.corpus)
    repeats = 3 if args.quick else 5
    config = SERConfig(frontend="mfcc", n_mfcc=N_MFCC, n_mels=N_MELS, win_length_ms=25.0, hop_length_ms=10.0)
    model = SERForAudioClassification(config).eval()
    fe = feature_extractor_for(model.config, do_normalize=False)
    order = sorted(range(len(clips.waves)), key=lambda i: len(clips.waves[i]))

    def ours() -> dict[int, np.ndarray]:
        out = {}
        with torch.inference_mode():
            for start in range(0, len(order), args.batch_size):
                idx = order[start : start + args.batch_size]
                batch = fe([clips.waves[i] for i in idx], sampling_rate=SR, padding=True, return_tensors="pt")
                feats, mask = model.compute_frontend(batch["input_values"], batch["attention_mask"])
                lengths = mask.sum(-1).tolist()
                for j, i in enumerate(idx):
                    out[i] = feats[j, : lengths[j]].numpy()
        return out

    def reference() -> list[np.ndarray]:
        return [librosa_mfcc(w) for w in clips.waves]

    ours_feats, ref_feats = ours(), reference()  # warm-up (librosa's filter caches, torch's kernels)
    best = best_of_interleaved({"ours": ours, "reference": reference}, repeats)
    t_ours, t_ref = best["ours"], best["reference"]

    worst = 0.0
    for i, ref in enumerate(ref_feats):
        if ours_feats[i].shape != ref.shape:
            print(f"clip {i}: hf-ser gives {ours_feats[i].shape} frames x coefficients, librosa {ref.shape}")
            return 1
        worst = max(worst, float(np.abs(ours_feats[i] - ref).max()))
    n = len(clips.waves)
    print(f"{clips.source}, {clips.seconds:.0f} s of audio; best of {repeats} in turns; {machine()}")
    print_table(
        ["front end", "total (s)", "per clip (ms)", "audio seconds per second"],
        [
            ["librosa.feature.mfcc, one call per file (seeds)", f"{t_ref:.3f}", f"{1000 * t_ref / n:.2f}",
             f"{clips.seconds / t_ref:.0f}"],
            [f"hf-ser compute_frontend, batches of {args.batch_size}", f"{t_ours:.3f}", f"{1000 * t_ours / n:.2f}",
             f"{clips.seconds / t_ours:.0f}"],
        ],
    )  # fmt: skip
    ok = worst < 1e-2
    print(f"features agree: max |hf-ser - librosa| = {worst:.1e} on unit-variance MFCCs over {n} clips "
          f"(tolerance 1e-2): {'yes' if ok else 'NO'}")  # fmt: skip
    if not ok:
        print("the features differ: no ratio is claimed")
        return 1
    if args.profile:
        for name, fn in (("librosa per file", reference), ("hf-ser batched", ours)):
            print(f"\nprofile, {name} (cProfile, own time of the top functions):")
            print_table(["function", "seconds", "share", "calls"], profile_rows(fn))
    print_ratio(t_ref / t_ours, "librosa per file / hf-ser batched")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
