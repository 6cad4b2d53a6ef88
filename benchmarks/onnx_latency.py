"""Per-clip latency of an exported model: onnxruntime vs PyTorch on the CPU, same run, same clips, same threads.

Each model is built with the architecture of a shipped recipe (random weights: latency depends on the graph,
not on the values; `--model DIR` times a trained model instead), exported with `hf_ser.exporters.onnx`, then
both backends classify the same synthetic clips one at a time (batch of 1, as a service answering requests),
alternating clip by clip so machine noise hits both alike. Prints one row per model and
`ratio:` = PyTorch time / onnxruntime time per clip (geometric mean over the models; higher = onnxruntime
faster), with the parity of the two backends' probabilities on those clips beside it.

    python benchmarks/onnx_latency.py [--quick] [--threads N] [--model DIR]
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch
import yaml

import hf_ser  # noqa: F401  (registers the Auto classes)
from hf_ser.exporters.onnx import OnnxRunner, export_onnx
from hf_ser.modeling import SERConfig, SERFeatureExtractor, SERForAudioClassification

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABELS = ("neutral", "happiness", "sadness", "anger")
# (row name, recipe whose model arguments give the architecture)
RECIPES = [
    ("synthetic/default: MFCC -> CNN", "recipes/synthetic/default.yaml"),
    ("emodb/default: functionals -> MLP", "recipes/emodb/default.yaml"),
    ("emodb/mfcc_lstm: MFCC -> BiLSTM", "recipes/emodb/mfcc_lstm.yaml"),
]


def model_from_recipe(path: str) -> SERForAudioClassification:
    """A randomly initialised model with the recipe's model arguments (the SERConfig fields it sets)."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        recipe = yaml.safe_load(f)
    fields = set(inspect.signature(SERConfig.__init__).parameters) - {"self", "kwargs"}
    kwargs = {k: v for k, v in recipe.items() if k in fields}
    torch.manual_seed(0)
    config = SERConfig(**kwargs, id2label=dict(enumerate(LABELS)), label2id={n: i for i, n in enumerate(LABELS)})
    return SERForAudioClassification(config).eval()


def clips(n: int, seed: int = 0) -> list[np.ndarray]:
    """Synthetic utterances of 1.5-3.5 s (EMO-DB-like lengths): a pitched, modulated tone plus noise."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        samples = int(rng.uniform(1.5, 3.5) * 16000)
        t = np.arange(samples) / 16000
        f0 = rng.uniform(100, 250) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(1, 4) * t))
        wave = 0.3 * np.sin(2 * np.pi * np.cumsum(f0) / 16000) * (t % 0.5 < 0.35)
        out.append((wave + 0.02 * rng.standard_normal(samples)).astype(np.float32))
    return out


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def time_model(model, fe, export_dir: str, waves: list[np.ndarray], threads: int, repeats: int) -> dict:
    runner = OnnxRunner(export_dir, num_threads=threads)
    torch_times, onnx_times, diffs, agree = [], [], [], 0
    for wave in waves:
        batch_np = fe([wave], sampling_rate=16000, return_tensors="np")
        batch_pt = {k: torch.from_numpy(v) for k, v in batch_np.items()}
        with torch.inference_mode():
            p_torch = softmax(model(**batch_pt).logits.numpy())
        p_onnx = softmax(runner(batch_np["input_values"], batch_np["attention_mask"]))
        diffs.append(float(np.abs(p_torch - p_onnx).max()))
        agree += int(p_torch.argmax() == p_onnx.argmax())
        best_t = best_o = math.inf
        for _ in range(repeats):  # best of `repeats`, interleaved
            start = time.perf_counter()
            with torch.inference_mode():
                model(**batch_pt)
            best_t = min(best_t, time.perf_counter() - start)
            start = time.perf_counter()
            runner(batch_np["input_values"], batch_np["attention_mask"])
            best_o = min(best_o, time.perf_counter() - start)
        torch_times.append(best_t)
        onnx_times.append(best_o)
    return {
        "torch_ms": 1000 * float(np.median(torch_times)),
        "onnx_ms": 1000 * float(np.median(onnx_times)),
        "max_diff": max(diffs),
        "agree": agree,
        "n": len(waves),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the synthetic default recipe only, 8 clips (< 1 min)")
    parser.add_argument("--threads", type=int, default=1, help="threads for both backends (default: %(default)s)")
    parser.add_argument("--clips", type=int, default=None, help="clips per model (default: 8 quick, 32 full)")
    parser.add_argument("--model", default=None, help="time this saved model instead of the recipe architectures")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    n_clips = args.clips or (8 if args.quick else 32)
    repeats = 2 if args.quick else 3
    waves = clips(n_clips)
    if args.model:
        from hf_ser.inference import load_model

        loaded, fe = load_model(args.model)
        models = [(os.path.basename(os.path.normpath(args.model)), loaded, fe)]
    else:
        chosen = RECIPES[:1] if args.quick else RECIPES
        models = []
        for name, recipe in chosen:
            model = model_from_recipe(recipe)
            models.append((name, model, SERFeatureExtractor.from_model_config(model.config)))

    rows = []
    for name, model, fe in models:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            export_onnx(model, fe, tmp)
            export_s = time.perf_counter() - start
            print(f"exported {name} in {export_s:.0f} s; timing {len(waves)} clips ...", file=sys.stderr, flush=True)
            rows.append((name, time_model(model, fe, tmp, waves, args.threads, repeats)))

    print(
        f"\nper-clip latency, batch of 1, {args.threads} thread(s), {len(waves)} clips of 1.5-3.5 s, best of {repeats}"
    )
    header = f"| {'model':<36} | PyTorch ms | onnxruntime ms | ratio | max abs prob diff | same top label |"
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for name, r in rows:
        ratio = r["torch_ms"] / r["onnx_ms"]
        print(
            f"| {name:<36} | {r['torch_ms']:>10.2f} | {r['onnx_ms']:>14.2f} | {ratio:>5.2f} | {r['max_diff']:>17.1e} "
            f"| {r['agree']:>6}/{r['n']:<7} |"
        )
    ratio = math.exp(np.mean([math.log(r["torch_ms"] / r["onnx_ms"]) for _, r in rows]))
    worst = max(r["max_diff"] for _, r in rows)
    agree = sum(r["agree"] for _, r in rows)
    total = sum(r["n"] for _, r in rows)
    print(
        f"ratio: {ratio:.2f}  (PyTorch / onnxruntime per clip; parity: max abs prob diff {worst:.1e}, "
        f"same top label {agree}/{total})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
