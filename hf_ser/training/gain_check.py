"""The recording-level check of ``hf-ser cv --test_gain_db G``: does a speaker recorded G dB quieter (or louder)
keep their labels?

Users' microphones and gains differ; a fold whose speaker was recorded 20 dB quieter than the training speakers
can collapse to one class. After a fold's model is trained, the model saved in ``fold_XX`` predicts that fold's
test clips once more, each as a take recorded G dB louder would be stored in 16-bit PCM
(:func:`hf_ser.audio.recorded_at_gain`: a much quieter take keeps its quantisation noise). The training clips and
the strict results are untouched; ``cv_results.json`` gets a ``gain_check`` section: pooled metrics at G dB, the
share of labels unchanged, and UAR as recorded and at G dB per fold and per test speaker, against chance.
A finished run can get the check afterwards: run it again, same ``output_dir``, with ``--test_gain_db`` (the
key does not change the folds' training, so they are kept).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

# Clips decoded and predicted at once: bounds memory on a large test corpus (cross-corpus).
_CHUNK = 256


def predict_at_gain(
    model_dir: str,
    test_split: Any,
    labels: list[str],
    gain_db: float,
    *,
    batch_size: int,
    progress: bool,
    description: str,
) -> dict[str, Any]:
    """Label ids (in ``labels``' order) for every clip of ``test_split``, recorded ``gain_db`` louder, by the model
    saved in ``model_dir``; and how many clips reached full scale (clipped)."""
    from tqdm.auto import tqdm

    from ..audio import decode_audio_field, recorded_at_gain
    from ..inference import SERPredictor

    if not os.path.isfile(os.path.join(model_dir, "config.json")):
        raise FileNotFoundError(f"test_gain_db needs the fold's saved model, but {model_dir} holds none")
    predictor = SERPredictor.from_pretrained(model_dir, batch_size=batch_size, vad_threshold_db=None)
    if sorted(predictor.labels) != sorted(labels):
        raise ValueError(f"{model_dir}: its model predicts {predictor.labels}, the folds have {labels}")
    to_protocol = np.array([labels.index(name) for name in predictor.labels])
    predictions: list[int] = []
    clipped = 0
    bar = tqdm(total=len(test_split), desc=f"{description} at {gain_db:+g} dB", unit="clip", disable=not progress)
    for start in range(0, len(test_split), _CHUNK):
        waves = []
        for cell in test_split[start : start + _CHUNK]["audio"]:
            wave = decode_audio_field(cell, predictor.sampling_rate)
            clipped += int(np.abs(wave).max() * 10 ** (gain_db / 20) >= 1.0)
            waves.append(recorded_at_gain(wave, gain_db))
        predictions += to_protocol[predictor.predict_waveforms(waves).argmax(-1)].tolist()
        bar.update(len(waves))
    bar.close()
    return {"gain_db": gain_db, "y_pred": predictions, "clipped_clips": clipped}


def summarize(records: list[dict[str, Any]], labels: list[str], gain_db: float) -> dict[str, Any]:
    """The ``gain_check`` section of ``cv_results.json`` from fold records that carry their ``gain_check``."""
    from ..metrics import classification_metrics

    def uar(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return classification_metrics(y_true, y_pred, labels)["uar"]

    folds, speakers = [], []
    all_true, all_recorded, all_gain = [], [], []
    for rec in records:
        y_true, y_recorded = np.asarray(rec["y_true"]), np.asarray(rec["y_pred"])
        y_gain = np.asarray(rec["gain_check"]["y_pred"])
        folds.append(
            {
                "fold": rec["fold"],
                "test_speakers": rec["test_speakers"],
                "uar": uar(y_true, y_recorded),
                "uar_at_gain": uar(y_true, y_gain),
                "labels_unchanged": float(np.mean(y_recorded == y_gain)),
            }
        )
        speaker_ids = np.asarray(rec["speaker_ids"])
        for speaker in rec["test_speakers"]:
            own = speaker_ids == speaker
            speakers.append(
                {
                    "speaker": speaker,
                    "fold": rec["fold"],
                    "uar": uar(y_true[own], y_recorded[own]),
                    "uar_at_gain": uar(y_true[own], y_gain[own]),
                    "labels_unchanged": float(np.mean(y_recorded[own] == y_gain[own])),
                }
            )
        all_true.append(y_true), all_recorded.append(y_recorded), all_gain.append(y_gain)
    y_true, y_recorded, y_gain = map(np.concatenate, (all_true, all_recorded, all_gain))
    pooled = classification_metrics(y_true, y_gain, labels)
    return {
        "gain_db": gain_db,
        "pooled": {"uar": pooled["uar"], "wa": pooled["accuracy"], "macro_f1": pooled["macro_f1"]},
        "labels_unchanged": float(np.mean(y_recorded == y_gain)),
        "chance_uar": 1.0 / len(labels),
        "lowest_fold_uar_at_gain": min(f["uar_at_gain"] for f in folds),
        "lowest_speaker_uar_at_gain": min(s["uar_at_gain"] for s in speakers),
        "clipped_clips": sum(int(rec["gain_check"]["clipped_clips"]) for rec in records),
        "folds": folds,
        "speakers": speakers,
    }


def one_line(check: dict[str, Any]) -> str:
    """``pooled UAR 0.542, lowest speaker 0.297 (chance 0.125), labels unchanged 76 %``."""
    clipped = f", {check['clipped_clips']} clips clipped" if check["clipped_clips"] else ""
    return (
        f"pooled UAR {check['pooled']['uar']:.3f}, lowest fold {check['lowest_fold_uar_at_gain']:.3f}, lowest speaker "
        f"{check['lowest_speaker_uar_at_gain']:.3f} (chance {check['chance_uar']:.3f}), labels unchanged "
        f"{check['labels_unchanged']:.0%}{clipped}"
    )


def markdown(check: dict[str, Any]) -> list[str]:
    """The section of ``cv_results.md``: one row per test speaker."""
    lines = [
        "",
        f"## Test clips recorded {check['gain_db']:+g} dB (16-bit PCM)",
        "",
        f"Each fold's saved model predicts its test clips again, {check['gain_db']:+g} dB: {one_line(check)}.",
        "",
        "| speaker | fold | UAR as recorded | UAR at gain | labels unchanged |",
        "|---|---|---|---|---|",
    ]
    for s in check["speakers"]:
        lines.append(
            f"| {s['speaker']} | {s['fold']} | {s['uar']:.4f} | {s['uar_at_gain']:.4f} | {s['labels_unchanged']:.0%} |"
        )
    return lines
