"""Input pipeline: ``hf-ser prepare`` throughput and peak memory, and training's DataLoader vs its model step.

1. ``hf-ser prepare`` on EMO-DB (its ``main`` in this process) and, as the real command in a
   subprocess, on a synthetic corpus laid out like CREMA-D (``AudioWAV/<actor>_<sentence>_<EMO>_
   <level>.wav``, 91 actors, 16 kHz 16-bit, 1.3-4.5 s clips; 7,500 clips, CREMA-D's size, or 300
   with ``--quick``): files/s and hours of audio per minute from prepare's own work time
   (``elapsed_seconds`` of prepare_report.json) and from the command's wall time, the peak
   resident memory of the command's process tree, and (not with ``--quick``) the wall time and
   memory of its start-up alone (the interpreter importing hf-ser).
2. Training on the prepared EMO-DB with ``recipes/emodb/mfcc_cnn.yaml`` (MFCC computed inside the
   model every step, so the loader hands over waveforms: the most loader-bound recipe): clips/s of
   its DataLoader (``SERDataCollator``: decode, random 3 s crop, feature extractor; with and
   without waveform augmentation) vs clips/s of the model's training step (forward, backward,
   AdamW) on batches collated beforehand.
``ratio:`` = DataLoader clips/s / model-step clips/s for the recipe as shipped (no augmentation):
above 1, one loader process feeds batches faster than training consumes them.

    python benchmarks/prepare.py [--quick] [--clips N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import EMODB, ROOT, SR, ProcessRun, machine, print_ratio, print_table, quiet_libraries, run_measured

CREMA_SENTENCES = ("IEO", "TIE", "IOM", "IWW", "TAI", "MTI", "IWL", "ITH", "DFA", "ITS", "TSI", "WSI")
CREMA_EMOTIONS = ("ANG", "DIS", "FEA", "HAP", "NEU", "SAD")
CREMA_LEVELS = ("LO", "MD", "HI", "XX")


def write_crema_like(root: Path, count: int, seed: int = 0) -> float:
    """``count`` distinct voiced-like clips named as CREMA-D names its files; returns the audio's seconds."""
    import soundfile as sf

    audio = root / "AudioWAV"
    audio.mkdir(parents=True)
    if count > 91 * 6 * 12 * 4:
        raise SystemExit(f"a CREMA-D layout names at most {91 * 6 * 12 * 4} distinct clips, not {count}")
    rng = np.random.default_rng(seed)
    total = 0.0
    for i in range(count):  # actor fastest, then emotion: every actor gets every emotion
        emotion, sentence, level = CREMA_EMOTIONS[i // 91 % 6], CREMA_SENTENCES[i // 546 % 12], CREMA_LEVELS[i // 6552]
        name = f"{1001 + i % 91}_{sentence}_{emotion}_{level}.wav"
        n = int(rng.uniform(1.3, 4.5) * SR)
        t = np.arange(n) / SR
        f0 = rng.uniform(90, 260) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.5, 3) * t))
        phase = 2 * np.pi * np.cumsum(f0) / SR
        wave = sum(np.sin(k * phase) / k for k in range(1, 6)) * np.hanning(n) * 0.2
        wave += 0.01 * rng.standard_normal(n)
        sf.write(audio / name, wave.astype(np.float32), SR, subtype="PCM_16")
        total += n / SR
    return total


def prepare_argv(corpus: str, data_dir: Path, workdir: Path) -> list[str]:
    out, cache = workdir / f"{corpus}_out", workdir / f"{corpus}_cache"
    return [corpus, "--data_dir", str(data_dir), "--output_dir", str(out), "--cache_dir", str(cache), "--no_progress"]


def prepare_in_process(corpus: str, data_dir: Path, workdir: Path) -> dict:
    """``hf-ser prepare``'s own ``main`` in this process (no interpreter start-up); returns its report."""
    import contextlib
    import io
    import logging

    from hf_ser.corpora.prepare import main as prepare_main

    logging.getLogger("hf_ser").setLevel(logging.WARNING)  # the command's INFO lines, not the table's business
    argv = prepare_argv(corpus, data_dir, workdir)
    with contextlib.redirect_stdout(io.StringIO()):
        if prepare_main(argv) != 0:
            raise SystemExit(f"hf-ser prepare {' '.join(argv)} failed")
    return json.loads(Path(argv[4], "prepare_report.json").read_text())


def prepare_command(corpus: str, data_dir: Path, workdir: Path) -> tuple[ProcessRun, dict]:
    """The ``hf-ser prepare`` command in a subprocess: its wall time, peak memory (process tree) and report."""
    argv = prepare_argv(corpus, data_dir, workdir)
    run = run_measured([sys.executable, "-m", "hf_ser.cli", "prepare", *argv])
    if run.returncode != 0:
        raise SystemExit(f"hf-ser prepare {corpus} failed ({run.returncode}):\n{run.output[-2000:]}")
    return run, json.loads(Path(argv[4], "prepare_report.json").read_text())


def loader_vs_step(dataset_dir: Path, batches: int) -> dict[str, float]:
    """clips/s of the mfcc_cnn recipe's training DataLoader (augmentation off / on) and of its model step."""
    import datasets
    import torch

    from hf_ser.features.augment import WaveformAugmenter
    from hf_ser.training.config import parse_arguments
    from hf_ser.training.experiment import build_model
    from hf_ser.training.trainer import EpochSeededDataset, SERDataCollator

    recipe = ROOT / "recipes" / "emodb" / "mfcc_cnn.yaml"
    args = parse_arguments([str(recipe), "--data_dir", str(EMODB)])
    data_args, training_args = args.data, args.training
    train = datasets.load_from_disk(str(dataset_dir))["train"]
    labels = list(train.features["emotion"].names)
    torch.manual_seed(0)
    model, fe = build_model(args, labels)
    bs = training_args.per_device_train_batch_size
    n = min(len(train), batches * bs)
    rates = {}
    collected = []
    for name, augmenter in (("off", None), ("on", WaveformAugmenter.from_data_args(data_args))):
        collator = SERDataCollator(
            fe, data_args.sampling_rate, training=True, max_duration_seconds=data_args.max_duration_seconds,
            augmenter=augmenter,
        )  # fmt: skip
        loader = torch.utils.data.DataLoader(
            EpochSeededDataset(train.select(range(n)), training_args.seed), batch_size=bs, shuffle=True,
            collate_fn=collator, num_workers=0,
        )  # fmt: skip
        start = time.perf_counter()
        collected = list(loader)  # the model step below runs on the last (augmented) batches
        rates[f"loader_{name}"] = n / (time.perf_counter() - start)
    optimizer = torch.optim.AdamW(model.parameters(), lr=training_args.learning_rate)
    model.train()
    step = lambda b: (model(**b).loss.backward(), optimizer.step(), optimizer.zero_grad())  # noqa: E731
    step(collected[0])  # warm-up
    start = time.perf_counter()
    for batch in collected:
        step(batch)
    rates["step"] = n / (time.perf_counter() - start)
    rates["clips"], rates["batch_size"] = n, bs
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 synthetic clips instead of 7,500, 3 batches")
    parser.add_argument("--clips", type=int, default=None, help="synthetic CREMA-D-like clips (default 7500)")
    parser.add_argument("--corpus", default=str(EMODB), help="EMO-DB folder")
    args = parser.parse_args()
    quiet_libraries()
    if not (Path(args.corpus) / "wav").is_dir():
        print(f"needs EMO-DB wav files under {args.corpus}/wav")
        return 1
    count = args.clips or (300 if args.quick else 7500)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        synthetic_seconds = write_crema_like(work / "crema_like", count)
        emodb = prepare_in_process("emodb", Path(args.corpus), work)
        run, crema = prepare_command("crema_d", work / "crema_like", work)
        # what the command costs before it reads a file: the interpreter and its imports
        startup = None if args.quick else run_measured([sys.executable, "-c", "import hf_ser.corpora.prepare"])
        rates = loader_vs_step(work / "emodb_out", batches=3 if args.quick else 12)

    print(f"{machine()}; synthetic corpus: {synthetic_seconds / 3600:.2f} h of audio")
    rows = []
    for name, report, wall, peak in (
        (f"EMO-DB, in process ({args.corpus})", emodb, None, None),
        (f"synthetic CREMA-D layout, {count:,} clips: the command", crema, run.seconds, run),
    ):
        work_s, hours, n = report["elapsed_seconds"], report["hours"], report["utterances"]
        rows.append(
            [
                name, n, f"{hours:.2f}", f"{work_s:.1f}", f"{n / work_s:.0f}", f"{60 * hours / work_s:.1f}",
                "" if wall is None else f"{wall:.1f}", "" if wall is None else f"{n / wall:.0f}",
                "" if peak is None else f"{peak.peak_rss_mib:.0f} / {peak.peak_anonymous_mib:.0f}",
            ]
        )  # fmt: skip
    if startup is not None:
        memory = f"{startup.peak_rss_mib:.0f} / {startup.peak_anonymous_mib:.0f}"
        rows.append(["start-up alone: python -c 'import hf_ser.corpora.prepare'", "", "", "", "", "",
                     f"{startup.seconds:.1f}", "", memory])  # fmt: skip
    print_table(
        ["hf-ser prepare", "clips kept", "hours", "work s", "files/s", "audio h/min", "wall s", "files/s (wall)",
         "peak RSS / anonymous MiB"],
        rows,
    )  # fmt: skip
    kept = [emodb["utterances"], crema["utterances"]]
    print(f"work = prepare_report.json elapsed_seconds (scan, decode, hash, split, save); wall = the whole command; "
          f"anonymous = RSS less file-backed pages (memory-mapped Arrow files, reclaimable); "
          f"every clip kept: {'yes' if kept == [535, count] else f'NO ({kept})'}")  # fmt: skip
    print()
    print_table(
        ["recipes/emodb/mfcc_cnn.yaml training input", "clips/s"],
        [
            ["DataLoader (decode, 3 s crop, feature extractor), as the recipe trains", f"{rates['loader_off']:.0f}"],
            ["DataLoader with augment: true (speed, noise; off in every shipped recipe)", f"{rates['loader_on']:.0f}"],
            ["model step (MFCC in the model, CNN head, forward + backward + AdamW)", f"{rates['step']:.0f}"],
        ],
    )
    print(f"{rates['clips']} training clips in batches of {rates['batch_size']}, one loader process (num_workers=0)")
    print_ratio(rates["loader_off"] / rates["step"], "DataLoader clips/s / model-step clips/s, the recipe as shipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
