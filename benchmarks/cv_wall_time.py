"""``hf-ser cv recipes/emodb/whisper_base.yaml``: where the wall time goes (encoder pass vs head training).

Runs the real command on EMO-DB with the local Whisper-base weights and a fresh feature cache (so
the encoder pass is timed, not reused), then splits its wall time from ``cv_results.json``: the
encoder pass (``feature_cache.seconds``: every clip, and with ``speed_perturbation`` its 0.9x and
1.1x copies, through the frozen encoder once), head training (``fold_train_seconds``: every
fold's ``Trainer.train`` on the cached features), and the rest (interpreter start-up, corpus
loading and hashing, per-fold test prediction and saving each fold's model). ``--quick`` runs 2
speakers x 10 clips without speed perturbation (2 folds) and says so.
``ratio:`` = encoder pass / head training (how much of the cost the one-off encoder pass is).

    python benchmarks/cv_wall_time.py [--quick] [--encoder DIR] [--corpus DIR] [--num_folds K]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from common import EMODB, ROOT, WHISPER_BASE, machine, print_ratio, print_table, quiet_libraries, run_measured

RECIPE = ROOT / "recipes" / "emodb" / "whisper_base.yaml"


def subset(corpus: Path, target: Path, speakers: int, per_speaker: int) -> Path:
    """A folder of links to the first ``per_speaker`` clips of the first ``speakers`` EMO-DB speakers."""
    (target / "wav").mkdir(parents=True)
    by_speaker: dict[str, list[Path]] = {}
    for f in sorted((corpus / "wav").glob("*.wav")):
        by_speaker.setdefault(f.stem[:2], []).append(f)
    for spk in sorted(by_speaker)[:speakers]:
        files = by_speaker[spk]
        for f in files[:: max(1, len(files) // per_speaker)][:per_speaker]:
            os.symlink(f, target / "wav" / f.name)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 speakers x 10 clips, no speed perturbation")
    parser.add_argument("--encoder", default=str(WHISPER_BASE))
    parser.add_argument("--corpus", default=str(EMODB))
    parser.add_argument("--num_folds", type=int, default=None, help="speaker folds (default: leave-one-speaker-out)")
    args = parser.parse_args()
    if not (Path(args.corpus) / "wav").is_dir() or not (Path(args.encoder) / "config.json").exists():
        print(f"needs EMO-DB wav files under {args.corpus}/wav and a Whisper checkpoint in {args.encoder}")
        return 1
    quiet_libraries()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.corpus)
        extra: list[str] = []
        if args.quick:
            data_dir = subset(data_dir, Path(tmp) / "emodb_subset", speakers=2, per_speaker=10)
            extra = ["--speed_perturbation", "null"]
        if args.num_folds:
            extra += ["--num_folds", str(args.num_folds)]
        out = Path(tmp) / "cv"
        cmd = [sys.executable, "-m", "hf_ser.cli", "cv", str(RECIPE), "--encoder_name_or_path", args.encoder]
        cmd += ["--data_dir", str(data_dir), "--output_dir", str(out), "--cache_dir", f"{tmp}/feature_cache"]
        cmd += ["--disable_tqdm", "true", *extra]
        run = run_measured(cmd)
        if run.returncode != 0:
            print(run.output[-3000:])
            print(f"hf-ser cv failed with exit status {run.returncode}")
            return 1
        results = json.loads((out / "cv_results.json").read_text())
    cache = results["feature_cache"]
    encoder, heads = float(cache["seconds"]), float(results["fold_train_seconds"])
    inside = float(results["wall_time_seconds"])
    folds = results["num_folds"]
    shown = " ".join(str(c) for c in cmd[2:]).replace(tmp, "$TMP")
    print(f"`{shown}`")
    print(f"{results['protocol']}, {cache['computed']} encoder passes (clips x speeds); {machine()}")
    print_table(
        ["part of the wall time", "seconds", "share"],
        [
            [f"encoder pass (feature cache fill, {cache['computed']} passes)", f"{encoder:.1f}",
             f"{encoder / run.seconds:.0%}"],
            [f"head training ({folds} folds x Trainer.train on cached features)", f"{heads:.1f}",
             f"{heads / run.seconds:.0%}"],
            ["rest of the run: corpus loading and hashing, test prediction, saving fold models",
             f"{inside - encoder - heads:.1f}", f"{(inside - encoder - heads) / run.seconds:.0%}"],
            ["interpreter start-up and imports (command wall - run's own wall)", f"{run.seconds - inside:.1f}",
             f"{(run.seconds - inside) / run.seconds:.0%}"],
            ["whole command", f"{run.seconds:.1f}", "100%"],
        ],
    )  # fmt: skip
    pooled = results["pooled"]
    print(f"load average during the run {run.load_range[0]:.1f}-{run.load_range[1]:.1f} (the encoder pass and the "
          "folds' training share the machine's cores with whatever else runs)")  # fmt: skip
    print(f"pooled UAR {pooled['uar']:.3f}, WA {pooled['wa']:.3f}; peak RSS {run.peak_rss_mib:.0f} MiB"
          + ("; --quick: 2 speakers x 10 clips, no speed perturbation" if args.quick else ""))  # fmt: skip
    print_ratio(encoder / heads, "encoder pass / head training")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
