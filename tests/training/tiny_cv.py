"""The tiny cross-validation recipe shared by test_cv.py and test_cache.py.

4 synthetic speakers x 4 emotions x 2 clips, a 13-MFCC frame MLP, 8 steps.
"""

from __future__ import annotations

from pathlib import Path

NUM_SPEAKERS = 4
TINY = """\
corpus: synthetic
corpus_options: {num_speakers: 4, utterances_per_emotion: 2}
frontend: mfcc
n_mfcc: 13
n_mels: 26
feature_normalization: none
head: mlp
head_hidden_size: 16
pooling: stats
seed: 0
learning_rate: 3.0e-2
per_device_train_batch_size: 8
per_device_eval_batch_size: 8
max_steps: 8
save_steps: 4
logging_steps: 4
early_stopping_patience: null
report_to: none
disable_tqdm: true
"""


def tiny_argv(tmp_path: Path, out: str = "out", **overrides) -> list[str]:
    recipe = tmp_path / "tiny.yaml"
    if not recipe.exists():
        recipe.write_text(TINY)
    argv = [str(recipe), "--output_dir", str(tmp_path / out), "--cache_dir", str(tmp_path / "cache")]
    for key, value in overrides.items():
        argv += [f"--{key}", *(str(v) for v in value)] if isinstance(value, list) else [f"--{key}", str(value)]
    return argv
