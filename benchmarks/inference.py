"""Prediction over files: hf-ser's batched ``SERPredictor`` vs ``pipeline("audio-classification")`` per file, same run.

The same saved model (a recipe's architecture, random weights, ``save_pretrained``) and the same
EMO-DB files on disk. Reference: transformers' pipeline called once per file path, its default
use (it decodes each file with the ffmpeg program). hf-ser: ``SERPredictor.predict_files`` (what
``hf-ser predict`` runs): soundfile decoding in DataLoader workers, clips sorted by length into
batches, one forward pass per batch. Loading the model is left out on both sides. The outputs must
agree: same label for every file, probabilities within 1e-4 (printed beside the ratio).
``ratio:`` = pipeline time / hf-ser time (higher is better).

    python benchmarks/inference.py [--quick] [--recipe NAME] [--files N] [--batch_size B] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from common import EMODB, ROOT, machine, print_ratio, print_table, quiet_libraries, timed


def save_recipe_model(recipe: Path, labels: list[str], out: str) -> str:
    """The recipe's model with fresh random weights, saved as training would save it."""
    import torch

    from hf_ser.model_card import model_summary
    from hf_ser.training.config import parse_arguments
    from hf_ser.training.experiment import build_model

    args = parse_arguments([str(recipe), "--data_dir", str(EMODB)])
    torch.manual_seed(0)
    model, fe = build_model(args, labels)
    model.save_pretrained(out)
    fe.save_pretrained(out)
    return model_summary(model.config)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="24 files instead of all 535")
    parser.add_argument("--recipe", default="mfcc_cnn", help="recipes/emodb/<NAME>.yaml whose model is used")
    parser.add_argument("--files", type=int, default=None, help="number of EMO-DB files (default 535, --quick 24)")
    parser.add_argument("--batch_size", type=int, default=16, help="hf-ser predict's default")
    parser.add_argument("--corpus", default=str(EMODB))
    args = parser.parse_args()
    files = sorted(Path(args.corpus).glob("wav/*.wav"))
    if not files:
        print(f"needs EMO-DB wav files under {args.corpus}/wav")
        return 1
    count = args.files or (24 if args.quick else len(files))
    paths = [str(f) for f in files[:: max(1, len(files) // count)][:count]]
    quiet_libraries()
    from transformers import pipeline

    from hf_ser.audio import load_audio
    from hf_ser.inference import SERPredictor
    from hf_ser.labels import resolve_classes

    labels = list(resolve_classes("emodb"))
    recipe = ROOT / "recipes" / "emodb" / f"{args.recipe}.yaml"
    with tempfile.TemporaryDirectory() as model_dir:
        summary = save_recipe_model(recipe, labels, model_dir)
        clf = pipeline("audio-classification", model=model_dir, device="cpu")
        predictor = SERPredictor.from_pretrained(model_dir, device="cpu", batch_size=args.batch_size)
        clf(paths[0], top_k=len(labels))  # warm-up, both sides
        list(predictor.predict_files(paths[:2]))
        t_ref, ref = timed(lambda: [clf(p, top_k=len(labels)) for p in paths])
        t_ours, ours = timed(lambda: list(predictor.predict_files(paths)))
        # where the reference's time goes: the same per-file calls on waveforms decoded beforehand (no ffmpeg)
        waves = [load_audio(p, 16000) for p in paths]
        t_arrays, _ = timed(lambda: [clf(w, top_k=len(labels)) for w in waves])

    errors = [p for p in ours if p.error]
    if errors:
        print(f"hf-ser could not predict {len(errors)} file(s), e.g. {errors[0].path}: {errors[0].error}")
        return 1
    same_label = sum(r[0]["label"] == o.label for r, o in zip(ref, ours, strict=True))
    worst = max(abs(d["score"] - o.scores[d["label"]]) for r, o in zip(ref, ours, strict=True) for d in r)
    seconds = sum(o.duration for o in ours)
    n = len(paths)
    print(f"{n} EMO-DB files, {seconds:.0f} s of audio; model: recipes/emodb/{args.recipe}.yaml ({summary}), "
          f"random weights; {machine()}")  # fmt: skip
    print_table(
        ["prediction", "total (s)", "per file (ms)", "files/s"],
        [
            ['pipeline("audio-classification")(path), once per file', f"{t_ref:.2f}", f"{1000 * t_ref / n:.1f}",
             f"{n / t_ref:.0f}"],
            [f"hf-ser SERPredictor.predict_files, batches of {args.batch_size}", f"{t_ours:.2f}",
             f"{1000 * t_ours / n:.1f}", f"{n / t_ours:.0f}"],
            ["(profile) pipeline(waveform) per file, decoded beforehand: the model part of the reference",
             f"{t_arrays:.2f}", f"{1000 * t_arrays / n:.1f}", f"{n / t_arrays:.0f}"],
        ],
    )  # fmt: skip
    ok = same_label == n and worst < 1e-4
    print(f"outputs agree: same label for {same_label}/{n} files, max |probability difference| = {worst:.1e} "
          f"(tolerance 1e-4): {'yes' if ok else 'NO'}")  # fmt: skip
    if not ok:
        print("the predictions differ: no ratio is claimed")
        return 1
    print_ratio(t_ref / t_ours, "pipeline per file / hf-ser batched")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
