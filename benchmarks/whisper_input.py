"""Whisper front end per clip: 10 s padding and real length vs HF's 30 s padding, same run.

HF's Whisper feature extractor pads every clip to 30 s; hf-ser runs the encoder on a shorter input
(positional embeddings sliced) and cuts the output back to the clip's real frames. Times
``compute_frontend`` (log-mel + encoder, all hidden states, time-mean per layer, as
``recipes/*/whisper_base.yaml`` caches them) on EMO-DB clips with the real Whisper-base weights,
in batches of clips as the feature cache runs them.

The outputs are *not* equal by design: Whisper's attention sees the padding, so a shorter input
changes every layer's features (the relative deviation is printed). What the shorter input costs
in accuracy is measured where it matters, in pooled UAR (``recipes/emodb/README.md``: 10 s 0.953,
real length 0.939). ``ratio:`` = 30 s time / 10 s time (the recipes' setting; higher is better).

    python benchmarks/whisper_input.py [--quick] [--encoder DIR] [--corpus DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from common import EMODB, SR, WHISPER_BASE, load_clips, machine, print_ratio, print_table, quiet_libraries, timed

MODES = {
    "padded 30 s (HF)": ("padded", 30.0),
    "padded 10 s (recipes)": ("padded", 10.0),
    "real length": ("real_length", 10.0),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 clips instead of 64")
    parser.add_argument("--encoder", default=str(WHISPER_BASE))
    parser.add_argument("--corpus", default=str(EMODB))
    parser.add_argument("--batch_size", type=int, default=16)
    args = parser.parse_args()
    if not (Path(args.corpus) / "wav").is_dir() or not (Path(args.encoder) / "config.json").exists():
        print(f"needs EMO-DB wav files under {args.corpus}/wav and a Whisper checkpoint in {args.encoder}")
        return 1
    quiet_libraries()
    import torch

    from hf_ser.modeling import SERConfig, SERForAudioClassification, feature_extractor_for

    clips = load_clips(4 if args.quick else 64, Path(args.corpus))
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
    times, outputs = {}, {}
    for name, (mode, pad) in MODES.items():
        model.config.whisper_input, model.config.whisper_pad_seconds = mode, pad

        def run() -> np.ndarray:
            feats = []
            with torch.inference_mode():
                for i in range(0, len(clips.waves), args.batch_size):
                    batch = fe(
                        clips.waves[i : i + args.batch_size], sampling_rate=SR, padding=True, return_tensors="pt"
                    )
                    feats.append(model.compute_frontend(batch["input_values"], batch["attention_mask"])[0].numpy())
            return np.concatenate(feats)

        seconds, outputs[name] = timed(run)
        times[name] = seconds / len(clips.waves)
    reference = "padded 30 s (HF)"
    ref = outputs[reference]
    print(f"{clips.source}, {clips.seconds / len(clips.waves):.1f} s mean, batches of {args.batch_size}; {machine()}")
    rows = []
    for name, t in times.items():
        deviation = np.abs(outputs[name] - ref).max() / np.abs(ref).max()
        rows.append([name, f"{1000 * t:.0f}", f"{times[reference] / t:.1f}", f"{deviation:.2f}"])
    print_table(["Whisper-base input", "ms per clip", "speed-up vs 30 s", "max |Δ layer means| / max |30 s|"], rows)
    print(
        "outputs differ by design (shorter input, other attention context); accuracy per input: recipes/emodb/README.md"
    )
    print_ratio(times[reference] / times["padded 10 s (recipes)"], "padded 30 s / padded 10 s per clip")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
