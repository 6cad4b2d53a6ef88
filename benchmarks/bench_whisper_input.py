"""Whisper front end per clip: real length and 10 s padding vs HF's 30 s padding, same run.

HF's Whisper feature extractor pads every clip to 30 s; hf-ser runs the encoder on a shorter input
(positional embeddings sliced) and cuts the output back to the clip's real frames. Times
`compute_frontend` (log-mel + encoder, all hidden states, time-mean per layer) on EMO-DB clips
with the real Whisper-base weights, in batches of clips as the feature cache runs them.
Prints `ratio:` = 30 s time / hf-ser time per input mode (higher is better).

    python benchmarks/bench_whisper_input.py [--quick] [--encoder DIR] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

from hf_ser.audio import load_audio
from hf_ser.modeling import SERConfig, SERForAudioClassification, feature_extractor_for

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
MODES = {"padded 30 s (HF)": ("padded", 30.0), "padded 10 s": ("padded", 10.0), "real length": ("real_length", 10.0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="16 clips instead of 64")
    parser.add_argument("--encoder", default=str(SHARED / "models" / "whisper-base"))
    parser.add_argument("--corpus", default=str(SHARED / "corpora" / "emodb"))
    parser.add_argument("--batch_size", type=int, default=16)
    args = parser.parse_args()
    files = sorted(Path(args.corpus).glob("wav/*.wav"))
    if not files or not (Path(args.encoder) / "config.json").exists():
        print(f"needs EMO-DB wav files under {args.corpus}/wav and a Whisper checkpoint in {args.encoder}")
        return 1
    files = files[:: max(1, len(files) // (16 if args.quick else 64))][: 16 if args.quick else 64]
    waves = [load_audio(str(f), 16000) for f in files]
    seconds = sum(len(w) for w in waves) / 16000
    torch.manual_seed(0)
    config = SERConfig(
        frontend="encoder",
        encoder_name_or_path=args.encoder,
        freeze_encoder=True,
        layer_combination="ensemble",
        encoder_pooling="mean",
        num_labels=7,
    )
    model = SERForAudioClassification(config).eval()
    fe = feature_extractor_for(model.config)
    times = {}
    for name, (mode, pad) in MODES.items():
        model.config.whisper_input, model.config.whisper_pad_seconds = mode, pad
        start = time.perf_counter()
        with torch.no_grad():
            for i in range(0, len(waves), args.batch_size):
                batch = fe(waves[i : i + args.batch_size], sampling_rate=16000, padding=True, return_tensors="pt")
                model.compute_frontend(batch["input_values"], batch["attention_mask"])
        times[name] = (time.perf_counter() - start) / len(waves)
    print(f"{len(waves)} EMO-DB clips ({seconds / len(waves):.1f} s mean), {torch.get_num_threads()} threads")
    reference = times["padded 30 s (HF)"]
    for name, t in times.items():
        print(f"{name:>18}: {1000 * t:7.1f} ms per clip")
    for name in ("padded 10 s", "real length"):
        print(f"ratio: {reference / times[name]:.1f} ({name} vs padded 30 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
