"""Shared helpers: run recipes/train.py in-process (runpy, as torchtune's recipe tests) on a tiny setting."""

from __future__ import annotations

import json
import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "recipes"
TRAIN_SCRIPT = RECIPES / "train.py"

# A tiny but complete run: 5 synthetic speakers x 4 emotions x 3 clips, 1-s crops, 4 optimizer steps.
TINY_OPTIONS = {"num_speakers": 5, "utterances_per_emotion": 3}
TINY = {
    "corpus": "synthetic",
    "corpus_options": json.dumps(TINY_OPTIONS),
    "max_duration_seconds": "1.0",
    "per_device_train_batch_size": "8",
    "per_device_eval_batch_size": "8",
    "max_steps": "4",
    "save_steps": "2",
    "logging_steps": "1",
    "disable_tqdm": "true",
}


def tiny_args(**overrides: str) -> list[str]:
    """``--key value`` pairs of the tiny setting, with ``overrides`` replacing or adding keys."""
    merged = {**TINY, **overrides}
    return [token for key, value in merged.items() for token in (f"--{key}", str(value))]


CONTRACT_FILES = (
    "model.safetensors",
    "config.json",
    "preprocessor_config.json",
    "README.md",
    "test_results.json",
    "confusion_matrix.png",
)

# Tiny random encoders (no download) standing in for the Hub encoders of the real-corpus recipes.
_TINY_COMMON = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "conv_dim": [32, 32, 32],
    "conv_kernel": [10, 8, 8],
    "conv_stride": [10, 4, 8],
    "num_conv_pos_embeddings": 16,
    "num_conv_pos_embedding_groups": 4,
    "feat_extract_norm": "layer",
    "apply_spec_augment": False,
}


_TINY_WHISPER = {
    "model_type": "whisper",
    "d_model": 32,
    "encoder_layers": 2,
    "encoder_attention_heads": 2,
    "encoder_ffn_dim": 64,
    "decoder_layers": 1,
    "decoder_attention_heads": 2,
    "decoder_ffn_dim": 64,
    "num_mel_bins": 80,
    "max_source_positions": 1500,
}


def tiny_encoder_config(hub_name: str) -> dict:
    if "whisper" in hub_name:
        return dict(_TINY_WHISPER)
    model_type = "wavlm" if "wavlm" in hub_name else "hubert" if "hubert" in hub_name else "wav2vec2"
    extra = {"num_buckets": 16, "max_bucket_distance": 50} if model_type == "wavlm" else {}
    return {"model_type": model_type, **_TINY_COMMON, **extra}


def run_train(args: list[str]) -> None:
    """``python recipes/train.py ARGS`` in this process; fails the test on a non-zero exit."""
    old_argv = sys.argv
    sys.argv = [str(TRAIN_SCRIPT), *args]
    try:
        runpy.run_path(str(TRAIN_SCRIPT), run_name="__main__")
    except SystemExit as e:
        assert e.code in (0, None), f"recipes/train.py exited with {e.code}"
    finally:
        sys.argv = old_argv


def check_contract(output_dir: str | os.PathLike) -> dict:
    """The output_dir contract of DESIGN.md; returns test_results.json."""
    output_dir = Path(output_dir)
    missing = [f for f in CONTRACT_FILES if not (output_dir / f).exists()]
    assert not missing, f"missing {missing} in {output_dir}"
    results = json.loads((output_dir / "test_results.json").read_text())
    for key in ("test_uar", "test_accuracy", "test_macro_f1"):
        assert 0.0 <= results[key] <= 1.0, (key, results[key])
    assert sum(map(sum, results["test_confusion_matrix"])) == results["test_num_samples"]
    card = (output_dir / "README.md").read_text()
    assert "uar" in card.lower() and f"{results['test_uar']:.3f}" in card
    return results
