"""recipes/emodb/default.yaml learns: on the real EMO-DB (../shared), the single speaker-independent split that
`hf-ser train` runs (split seed 42: 2 test speakers) reaches the recorded test UAR floor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EMODB = ROOT.parent / "shared" / "corpora" / "emodb"
# Measured 2026-12-04 with this recipe on this split (CPU, seed 42): test UAR 0.814 (test speakers 03 and 13;
# 40 s on 2 idle cores; 0.816 with the 50 dB power floor of 2026-12-03, 0.788 with 60 epochs). The floor leaves room
# for numerical noise across machines and library versions, not for a recipe that stopped learning (chance: 0.143).
MEASURED_UAR = 0.814
FLOOR = MEASURED_UAR - 0.05

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (EMODB / "wav").is_dir(), reason=f"real EMO-DB copy not found at {EMODB}"),
]


def test_emodb_default_recipe_single_split_reaches_the_recorded_uar(tmp_path):
    from hf_ser.training import run

    out = tmp_path / "model"
    argv = [str(ROOT / "recipes" / "emodb" / "default.yaml"), "--data_dir", str(EMODB), "--output_dir", str(out)]
    assert run.main([*argv, "--cache_dir", str(tmp_path / "cache"), "--disable_tqdm", "true"]) == 0
    results = json.loads((out / "test_results.json").read_text())
    assert results["test_num_samples"] > 50 and len(results["speakers"]["test"]) == 2
    assert results["test_uar"] >= FLOOR, f"test UAR {results['test_uar']:.3f} below the floor {FLOOR:.3f}"
