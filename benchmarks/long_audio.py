"""Emotion timelines of long recordings: time and peak memory for 1, 10 and 60 minutes (linear time, flat memory).

Each recording is a 48 kHz 16-bit WAV file (speech-like harmonic sound with pauses, written block
by block) and gets ``SERPredictor.timeline`` (what ``hf-ser predict --timeline`` runs: 2 s windows
every 1 s, streamed from the file and resampled block by block, energy VAD, batches of 16) with a
saved recipe model (``recipes/emodb/mfcc_cnn.yaml``, random weights), one after the other in
one process, shortest first, with the process's resident memory sampled during each (a timeline
whose memory grew with the recording would raise the peak of the longer ones). Agreement: on the
shortest recording the streamed timeline equals the timeline of the whole file loaded into memory
(same segments and labels).
``ratio:`` = seconds per audio minute at the longest recording / at the shortest (1.0 = linear).

    python benchmarks/long_audio.py [--quick] [--minutes M ...]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from common import machine, measured, print_ratio, print_table, quiet_libraries

FILE_SR = 48000


def write_recording(path: Path, minutes: float, seed: int = 0) -> None:
    """``minutes`` of audio in 1 s blocks: voiced-like sound with a new pitch each block, one block in five silent."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    t = np.arange(FILE_SR) / FILE_SR
    with sf.SoundFile(path, "w", FILE_SR, 1, subtype="PCM_16") as f:
        for _ in range(int(round(minutes * 60))):
            if rng.random() < 0.2:
                f.write(np.zeros(FILE_SR, dtype=np.float32))
                continue
            f0 = rng.uniform(90, 260)
            block = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6)) * 0.1
            f.write(block * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t) ** 2) + 0.003 * rng.standard_normal(FILE_SR))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.5, 1 and 2 minutes instead of 1, 10 and 60")
    parser.add_argument("--minutes", type=float, nargs="+", default=None)
    args = parser.parse_args()
    quiet_libraries()
    minutes = sorted(args.minutes or ([0.5, 1, 2] if args.quick else [1, 10, 60]))
    from inference import save_recipe_model

    from hf_ser.audio import load_audio
    from hf_ser.inference import SERPredictor
    from hf_ser.labels import resolve_classes

    rows, per_minute, peaks = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = f"{tmp}/model"
        summary = save_recipe_model(Path(__file__).parents[1] / "recipes/emodb/mfcc_cnn.yaml",
                                    list(resolve_classes("emodb")), model_dir)  # fmt: skip
        predictor = SERPredictor.from_pretrained(model_dir, device="cpu")
        for m in minutes:
            write_recording(Path(f"{tmp}/{m:g}min.wav"), m)
        predictor.timeline(f"{tmp}/{minutes[0]:g}min.wav")  # warm-up
        for m in minutes:  # shortest first: a peak that grows with the recording would show
            wav = f"{tmp}/{m:g}min.wav"
            seconds, peak, timeline = measured(lambda: predictor.timeline(wav))  # noqa: B023
            per_minute.append(seconds / m)
            peaks.append(peak)
            rows.append([f"{m:g}", len(timeline.window_starts), len(timeline.segments), f"{seconds:.1f}",
                         f"{seconds / m:.2f}", f"{60 * m / seconds:.0f}x", f"{peak:.0f}"])  # fmt: skip
        # agreement (after the timings, whose peaks it would raise): streamed == the whole file in memory
        shortest = f"{tmp}/{minutes[0]:g}min.wav"
        streamed, whole = predictor.timeline(shortest), predictor.timeline(load_audio(shortest, 16000))
        same = [(s.start, s.end, s.label) for s in streamed.segments] == [
            (s.start, s.end, s.label) for s in whole.segments
        ]
    print(f"model: recipes/emodb/mfcc_cnn.yaml ({summary}), random weights; {FILE_SR} Hz WAV files; {machine()}")
    print_table(
        ["minutes", "windows", "segments", "timeline s", "s per audio minute", "faster than real time",
         "peak RSS MiB (whole process)"],
        rows,
    )  # fmt: skip
    print(f"peak memory, longest / shortest: {peaks[-1] / peaks[0]:.2f}")
    print(f"streamed timeline equals the whole-file timeline ({minutes[0]:g} min): {'yes' if same else 'NO'}")
    if not same:
        print("the streamed timeline differs from the in-memory one: no ratio is claimed")
        return 1
    print_ratio(per_minute[-1] / per_minute[0], f"seconds per audio minute, {minutes[-1]:g} min / {minutes[0]:g} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
