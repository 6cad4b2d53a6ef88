"""``python slow_runner.py STAGE MARKER hf-ser-args...``: an ``hf-ser`` command slowed down at one stage, which
writes MARKER once it is there, so a test can SIGKILL it at that point (test_crash_resume.py).

Stages: ``prepare-decoding`` (after the 4th decoded file, 0.5 s per file), ``prepare-staged`` (the dataset
saved into the staging folder, not yet moved into place), ``train-steps`` (0.3 s per training step; the test
watches the checkpoints itself), ``cache-fill`` (0.1 s per feature-cache entry, the marker after the first one,
while the filler holds the cache lock), ``plain`` (no slowdown).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main() -> int:
    stage, marker, argv = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
    if stage == "prepare-decoding":
        import hf_ser.corpora.base as base

        real_decode = base.decode_audio_bytes
        decoded = []

        def slow_decode(*args, **kwargs):
            decoded.append(1)
            if len(decoded) == 4:
                marker.write_text("decoding")
            if len(decoded) >= 4:
                time.sleep(0.5)
            return real_decode(*args, **kwargs)

        base.decode_audio_bytes = slow_decode
    elif stage == "prepare-staged":
        import hf_ser.corpora.prepare as prepare

        def stalled_move(staging, out):
            marker.write_text(str(staging))
            time.sleep(300)

        prepare._move_into_place = stalled_move
    elif stage == "train-steps":
        from transformers import TrainerCallback

        import hf_ser.training.run as run

        class Slow(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                time.sleep(0.3)

        real_train = run.train

        def slow_train(*args, **kwargs):
            return real_train(*args, **{**kwargs, "callbacks": [*(kwargs.get("callbacks") or []), Slow()]})

        run.train = slow_train
    elif stage == "cache-fill":
        from hf_ser.training.cache import FeatureCache

        real_save = FeatureCache._save

        def slow_save(self, key, array):
            real_save(self, key, array)
            marker.write_text("filling")
            time.sleep(0.1)

        FeatureCache._save = slow_save
    elif stage != "plain":
        raise SystemExit(f"unknown stage {stage!r}")
    from hf_ser.cli import main as hf_ser

    return hf_ser(argv)


if __name__ == "__main__":
    raise SystemExit(main())
