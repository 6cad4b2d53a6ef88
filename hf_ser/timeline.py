"""Emotion timelines of long recordings: sliding windows, energy voice-activity detection, smoothing, segments.

Pure numpy (plus matplotlib for the picture): :class:`hf_ser.inference.SERPredictor` feeds it window
probabilities. Windows are cut from streamed audio, so nothing here holds more than a window of samples;
what grows with the recording is one probability row per window (a few hundred KB for an hour).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .audio import LEVEL_FRAME_SECONDS, LEVEL_HOP_SECONDS, frame_levels
from .files import atomic_path

NO_SPEECH = "no_speech"
SMOOTHINGS = ("none", "median", "hmm")


@dataclass
class Segment:
    """A stretch of the recording with one label (``no_speech`` where the VAD found none) and its mean scores."""

    start: float
    end: float
    label: str
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class Timeline:
    """Segments tiling ``[0, duration]`` without gaps or overlaps, and the recording's overall label (mean of the
    speech windows' probabilities; None when there is no speech)."""

    path: str
    duration: float
    window: float
    hop: float
    segments: list[Segment]
    label: str | None
    scores: dict[str, float] | None
    speech_fraction: float
    window_starts: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    window_probabilities: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    labels: list[str] = field(repr=False, default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON record of ``hf-ser predict --timeline`` (window probabilities are left out)."""
        return {
            "path": self.path,
            "duration": round(self.duration, 3),
            "label": self.label,
            "scores": self.scores,
            "speech_fraction": round(self.speech_fraction, 4),
            "window": self.window,
            "hop": self.hop,
            "segments": [asdict(s) for s in self.segments],
        }


def sliding_windows(
    blocks: Iterable[np.ndarray], window: int, hop: int, min_samples: int = 1
) -> Iterator[tuple[int, np.ndarray]]:
    """(start sample, window) for windows of ``window`` samples every ``hop`` samples over consecutive audio blocks,
    plus one last window ending at the recording's end when the hops leave a tail uncovered; a recording shorter
    than a window gives one window of all of it (if it has ``min_samples``). Keeps at most a window and a block."""
    buffer = np.zeros(0, dtype=np.float32)
    buffer_start = 0  # sample index of buffer[0]
    next_start = 0
    total = 0
    last_end = 0
    for block in blocks:
        buffer = np.concatenate([buffer, block.astype(np.float32, copy=False)])
        total += block.size
        while next_start + window <= total:
            offset = next_start - buffer_start
            yield next_start, buffer[offset : offset + window]
            last_end = next_start + window
            next_start += hop
        keep_from = min(next_start, max(0, total - window))  # the tail window may reach back before next_start
        buffer = buffer[keep_from - buffer_start :]
        buffer_start = keep_from
    if total < window:
        if total >= min_samples:
            yield 0, buffer
    elif last_end < total:
        yield total - window, buffer[buffer.size - window :]


def trim_to_speech(wave: np.ndarray, sampling_rate: int, threshold_db: float, margin: float = 0.05) -> np.ndarray:
    """The window from its first to its last speech frame (plus ``margin`` s): models are trained on utterances,
    not on the silence around them, and a window half filled with a pause otherwise gets a label of its own."""
    speech = np.flatnonzero(frame_levels(wave, sampling_rate) >= threshold_db)
    if speech.size == 0:
        return wave
    step, frame, pad = (int(x * sampling_rate) for x in (LEVEL_HOP_SECONDS, LEVEL_FRAME_SECONDS, margin))
    start = max(0, speech[0] * step - pad)
    end = min(len(wave), speech[-1] * step + frame + pad)
    return wave[start:end]


def median_smooth(probabilities: np.ndarray, width: int) -> np.ndarray:
    """Running median of each class's probability over ``width`` windows (odd; edges use what exists), renormalised."""
    if width <= 1 or len(probabilities) <= 1:
        return probabilities
    half = width // 2
    padded = np.pad(probabilities, ((half, half), (0, 0)), mode="edge")
    view = np.lib.stride_tricks.sliding_window_view(padded, width, axis=0)  # [N, C, width]
    smoothed = np.median(view, axis=-1)
    return smoothed / np.clip(smoothed.sum(-1, keepdims=True), 1e-12, None)


def viterbi_labels(probabilities: np.ndarray, switch_probability: float) -> np.ndarray:
    """Most likely label sequence under an HMM whose states are the labels, emissions the window probabilities and
    transitions "stay" (1 - p) or "switch to any other label" (p / (C - 1)): short flips cost more than they explain."""
    n, c = probabilities.shape
    if n == 0 or c == 1:
        return probabilities.argmax(-1)
    log_emit = np.log(np.clip(probabilities, 1e-12, None))
    stay, switch = np.log1p(-switch_probability), np.log(switch_probability / (c - 1))
    transition = np.full((c, c), switch)
    np.fill_diagonal(transition, stay)
    score = log_emit[0].copy()
    back = np.zeros((n, c), dtype=np.int64)
    for t in range(1, n):
        candidates = score[:, None] + transition  # [from, to]
        back[t] = candidates.argmax(0)
        score = candidates.max(0) + log_emit[t]
    path = np.zeros(n, dtype=np.int64)
    path[-1] = int(score.argmax())
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def window_labels(
    probabilities: np.ndarray, is_speech: np.ndarray, smoothing: str, width: int, switch_probability: float
) -> tuple[np.ndarray, np.ndarray]:
    """(label index per window, -1 for no speech; probabilities after smoothing). Smoothing runs within each
    stretch of consecutive speech windows, never across silence."""
    if smoothing not in SMOOTHINGS:
        raise ValueError(f"smoothing must be one of {', '.join(SMOOTHINGS)}, got {smoothing!r}")
    labels = np.full(len(is_speech), -1, dtype=np.int64)
    smoothed = probabilities.copy()
    idx = np.flatnonzero(is_speech)
    if idx.size == 0:
        return labels, smoothed
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
    for run in runs:
        p = probabilities[run]
        if smoothing == "median":
            p = median_smooth(p, width)
        smoothed[run] = p
        labels[run] = viterbi_labels(p, switch_probability) if smoothing == "hmm" else p.argmax(-1)
    return labels, smoothed


def build_segments(
    starts: np.ndarray,
    window: int,
    total: int,
    sampling_rate: int,
    labels: np.ndarray,
    probabilities: np.ndarray,
    names: list[str],
) -> list[Segment]:
    """Give each window the stretch nearer its centre than its neighbours' (so the stretches tile the recording),
    then merge neighbours with the same label; scores are the mean of the merged windows' probabilities."""
    if len(starts) == 0:
        return []
    centres = (starts + np.minimum(window, total) / 2.0) / sampling_rate
    bounds = np.concatenate([[0.0], (centres[1:] + centres[:-1]) / 2.0, [total / sampling_rate]])
    segments: list[Segment] = []
    i = 0
    while i < len(labels):
        j = i
        while j + 1 < len(labels) and labels[j + 1] == labels[i]:
            j += 1
        if labels[i] < 0:
            segment = Segment(float(bounds[i]), float(bounds[j + 1]), NO_SPEECH, {})
        else:
            mean = probabilities[i : j + 1].mean(0)
            scores = {names[k]: round(float(mean[k]), 5) for k in np.argsort(-mean)}
            segment = Segment(float(bounds[i]), float(bounds[j + 1]), names[labels[i]], scores)
        segment.start, segment.end = round(segment.start, 3), round(segment.end, 3)
        segments.append(segment)
        i = j + 1
    return segments


def plot_timeline(timeline: Timeline, path: str) -> str:
    """PNG: each emotion's (smoothed) window probability over time above a band of the segments' labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = timeline.labels
    colors = {name: plt.get_cmap("tab10")(i % 10) for i, name in enumerate(names)}
    fig, (ax, band) = plt.subplots(
        2, 1, figsize=(11, 4.2), dpi=110, sharex=True, gridspec_kw={"height_ratios": [4, 1], "hspace": 0.08}
    )
    minutes = timeline.duration >= 180
    scale = 60.0 if minutes else 1.0
    probs = timeline.window_probabilities
    if len(timeline.window_starts):
        centres = (timeline.window_starts + min(timeline.window, timeline.duration) / 2.0) / scale
        for k, name in enumerate(names):
            ax.plot(centres, probs[:, k], color=colors[name], lw=1.4, label=name)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    title = os.path.basename(timeline.path) or "recording"
    overall = f"overall: {timeline.label}" if timeline.label else "no speech found"
    ax.set_title(f"{title} — {overall}, speech {timeline.speech_fraction:.0%} of windows", fontsize=11)
    ax.fill_between([], [], color=(0.85, 0.85, 0.85), label="no speech")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9, frameon=False)
    ax.grid(alpha=0.3)
    for seg in timeline.segments:
        color = (0.85, 0.85, 0.85, 1.0) if seg.label == NO_SPEECH else colors[seg.label]
        band.axvspan(seg.start / scale, seg.end / scale, color=color, lw=0)
    band.set_yticks([])
    band.set_ylabel("label", rotation=0, ha="right", va="center")
    band.set_xlim(0, timeline.duration / scale)
    band.set_xlabel("time (min)" if minutes else "time (s)")
    fig.subplots_adjust(left=0.07, right=0.85, top=0.9, bottom=0.14)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=os.path.splitext(path)[1].lstrip(".") or "png")
    plt.close(fig)
    return path
