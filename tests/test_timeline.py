"""hf_ser.timeline: streamed windows, energy VAD, smoothing, and segments that tile the recording."""

from __future__ import annotations

import numpy as np
import pytest

from hf_ser.audio import speech_fraction
from hf_ser.timeline import (
    NO_SPEECH,
    Timeline,
    build_segments,
    median_smooth,
    plot_timeline,
    sliding_windows,
    trim_to_speech,
    viterbi_labels,
    window_labels,
)

SR = 100  # samples per second: small numbers keep the window arithmetic readable


def _blocks(x: np.ndarray, size: int) -> list[np.ndarray]:
    return [x[i : i + size] for i in range(0, len(x), size)]


@pytest.mark.parametrize("total", [50, 200, 1000, 1049, 1050, 1234])
@pytest.mark.parametrize("block", [7, 100, 5000])
def test_windows_from_blocks_equal_windows_of_the_whole(total, block):
    x = np.arange(total, dtype=np.float32)
    got = [(s, w.copy()) for s, w in sliding_windows(_blocks(x, block), window=200, hop=100)]
    if total < 200:
        assert len(got) == 1 and got[0][0] == 0 and np.array_equal(got[0][1], x)
        return
    for start, w in got:
        assert np.array_equal(w, x[start : start + 200])
    starts = [s for s, _ in got]
    assert starts[0] == 0 and starts[-1] + 200 == total  # the last window reaches the end
    assert all(0 < b - a <= 100 for a, b in zip(starts, starts[1:], strict=False))


def test_too_short_recording_gives_no_window():
    assert list(sliding_windows([np.zeros(3, np.float32)], window=200, hop=100, min_samples=4)) == []


@pytest.mark.parametrize("total,window,hop", [(1234, 200, 100), (1000, 200, 50), (150, 200, 100), (999, 300, 300)])
def test_segments_tile_the_recording_without_gaps_or_overlaps(total, window, hop):
    starts = np.asarray([s for s, _ in sliding_windows([np.zeros(total, np.float32)], window, hop)])
    rng = np.random.default_rng(total)
    labels = rng.integers(-1, 3, size=len(starts))
    probs = rng.dirichlet(np.ones(3), size=len(starts))
    segments = build_segments(starts, window, total, SR, labels, probs, ["a", "b", "c"])
    assert segments[0].start == 0 and segments[-1].end == pytest.approx(total / SR)
    assert all(a.end == b.start and a.start < a.end for a, b in zip(segments, segments[1:], strict=False))
    assert all(a.label != b.label for a, b in zip(segments, segments[1:], strict=False))  # neighbours merged
    assert {s.label for s in segments} <= {"a", "b", "c", NO_SPEECH}
    assert all(s.scores == {} for s in segments if s.label == NO_SPEECH)


def test_vad_separates_silence_hiss_and_quiet_speech():
    sr = 16000
    t = np.arange(sr) / sr
    quiet_speech = 0.015 * np.sin(2 * np.pi * 150 * t)  # ~ -40 dBFS: a speaker recorded 20 dB low
    assert speech_fraction(np.zeros(sr), sr, -50) == 0.0
    assert speech_fraction(1e-4 * np.random.default_rng(0).standard_normal(sr), sr, -50) == 0.0
    assert speech_fraction(quiet_speech + 0.3, sr, -50) == 1.0  # a DC offset is not speech, the tone is
    assert speech_fraction(np.full(sr, 0.3), sr, -50) == 0.0


def test_median_and_hmm_smoothing_remove_an_isolated_flip():
    probs = np.tile([[0.8, 0.2]], (9, 1))
    probs[4] = [0.3, 0.7]
    assert median_smooth(probs, 3).argmax(-1).tolist() == [0] * 9
    assert viterbi_labels(probs, 0.05).tolist() == [0] * 9
    assert viterbi_labels(probs, 0.9).tolist()[4] == 1  # switching cheap: the flip stays
    sustained = np.concatenate([np.tile([[0.8, 0.2]], (5, 1)), np.tile([[0.2, 0.8]], (5, 1))])
    assert viterbi_labels(sustained, 0.05).tolist() == [0] * 5 + [1] * 5


def test_smoothing_never_crosses_silence():
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [np.nan, np.nan], [0.1, 0.9]])
    speech = np.array([True, True, False, True])
    for smoothing in ("none", "median", "hmm"):
        labels, _ = window_labels(probs, speech, smoothing, 5, 0.05)
        assert labels.tolist() == [0, 0, -1, 1]
    with pytest.raises(ValueError, match="smoothing"):
        window_labels(probs, speech, "mean", 5, 0.05)


def test_plot_timeline_writes_a_png(tmp_path):
    starts = np.arange(0, 9.0)
    probs = np.random.default_rng(0).dirichlet(np.ones(3), size=9)
    probs[4:6] = np.nan
    labels = np.where(np.isnan(probs[:, 0]), -1, np.nan_to_num(probs).argmax(-1))
    segments = build_segments((starts * SR).astype(int), 2 * SR, 10 * SR, SR, labels, probs, ["a", "b", "c"])
    timeline = Timeline("x.wav", 10.0, 2.0, 1.0, segments, "a", {"a": 0.5}, 0.78, starts, probs, ["a", "b", "c"])
    path = plot_timeline(timeline, str(tmp_path / "t.png"))
    assert open(path, "rb").read(4) == b"\x89PNG"


def test_windows_are_trimmed_to_their_speech():
    sr = 16000
    tone = 0.2 * np.sin(2 * np.pi * 200 * np.arange(sr) / sr)
    wave = np.concatenate([np.zeros(sr), tone, np.zeros(sr // 2)]).astype(np.float32)
    trimmed = trim_to_speech(wave, sr, -50.0, margin=0.05)
    assert sr <= len(trimmed) <= sr + int(0.15 * sr)  # the tone plus the margins and at most one frame
    assert np.abs(trimmed[: int(0.04 * sr)]).max() == 0 and np.abs(trimmed).max() > 0.19
    assert trim_to_speech(np.zeros(sr, np.float32), sr, -50.0).size == sr  # no speech: left as it is
