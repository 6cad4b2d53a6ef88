"""A procedurally generated emotional-speech-like corpus that needs no download.

Why it exists: the demo, the tests and the benchmarks need speech with emotion labels on a
fresh machine, offline, in seconds. Real corpora are licensed downloads, and white noise or
sine tones with a label attached teach nothing (either unlearnable or trivially separable).
This module synthesises "speech" with a source-filter model and gives each emotion the
acoustic profile acted emotional speech is known to have:

* **prosody** - F0 level, F0 range and contour shape (declination, accents, final rise, tremor);
* **timing** - syllable rate and pause frequency;
* **energy** - overall level and stress contrast;
* **voice quality** - spectral tilt of the glottal source (pressed vs. lax), aspiration noise
  (breathiness), jitter and shimmer;
* **articulation** - formant shifts (smiling, wider jaw opening) and vowel reduction.

Speakers differ in base F0, vocal-tract length (formant scale), expressiveness and speaking
habits (rate, range, voice quality, recording channel and level), and every utterance varies
randomly around its speaker's rendering of its emotion. So a speaker-independent split is
meaningful: an MFCC model learns the emotions above chance, but not perfectly (see
``tests/corpora/test_synthetic.py`` for the calibrated classical check).

Determinism: all randomness comes from :func:`numpy.random.default_rng` seeded with
``(seed, stream, speaker, emotion, index)``, where the emotion enters by its position in
:data:`hf_ser.labels.EMOTIONS`. An utterance therefore never changes when other speakers,
emotions or utterances are added, and the same arguments give bit-identical audio.

Only numpy is used; filtering is done per syllable in the frequency domain, which keeps the
default corpus (8 speakers x 4 emotions x 6 utterances) at about a second to generate.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..audio import DEFAULT_SAMPLING_RATE
from ..labels import EMOTIONS, resolve_classes

logger = logging.getLogger(__name__)

__all__ = [
    "SYNTHETIC_EMOTIONS",
    "iter_synthetic_utterances",
    "synthesize_long_recording",
    "synthesize_utterance",
]

# The embedded default: the cross-corpus "4class" set every real corpus shares.
SYNTHETIC_EMOTIONS: tuple[str, ...] = ("neutral", "happiness", "sadness", "anger")

# Random-stream tags, so speaker, utterance and long-recording draws never share a stream.
_STREAM_SPEAKER = 1
_STREAM_UTTERANCE = 2
_STREAM_LONG_SEGMENT = 3
_STREAM_LONG_PLAN = 4

# Nominal clip length range (seconds) of corpus utterances.
_CLIP_SECONDS = (1.1, 2.8)
# Reference speech level (dBFS RMS over the active part) of a neutral utterance.
_REFERENCE_DBFS = -28.0


@dataclass(frozen=True)
class _EmotionProfile:
    """How an emotion shifts the voice relative to the speaker's neutral voice.

    Values follow the direction of findings on acted speech (e.g. Scherer 2003, Banse & Scherer
    1996): anger/happiness/fear raise F0, level and rate; sadness/boredom lower them, flatten the
    contour and make the voice lax/breathy (steeper spectral tilt).
    """

    f0_shift_st: float  # mean F0 relative to the speaker's base, semitones
    f0_range_st: float  # excursion of the intonation contour, semitones
    declination: float  # weight of the falling phrase contour
    accent: float  # weight of pitch accents on stressed syllables
    final_rise: float  # weight of a rising phrase end (questions, surprise)
    tremor_st: float  # F0 tremor depth (about 5-7 Hz), semitones
    rate_sps: float  # syllables per second
    pause_prob: float  # probability of a pause before a syllable
    energy_db: float  # level relative to neutral
    stress_db: float  # level contrast of stressed syllables
    tilt_db_oct: float  # glottal source spectral slope (less negative = pressed/bright)
    hnr_db: float  # harmonics-to-aspiration-noise ratio (lower = breathier)
    jitter: float  # relative period perturbation
    shimmer: float  # relative pulse amplitude perturbation
    formant_scale: float  # relative shift of all formants (smile shortens the tract)
    f1_scale: float  # extra shift of F1 (jaw opening)
    reduction: float  # vowel centralisation towards schwa, 0..1
    bandwidth_scale: float  # formant bandwidth factor (lax/breathy voices have wider ones)


_PROFILES: dict[str, _EmotionProfile] = {
    "neutral": _EmotionProfile(0.0, 4.0, 1.0, 0.5, 0.0, 0.0, 4.5, 0.10, 0.0, 3.0, -12.0, 24.0, 0.008, 0.04,
                               0.0, 0.0, 0.10, 1.0),
    "calm": _EmotionProfile(-1.0, 3.0, 0.8, 0.3, 0.0, 0.0, 3.9, 0.15, -3.0, 2.0, -14.0, 20.0, 0.008, 0.04,
                            0.0, -0.03, 0.20, 1.1),
    "happiness": _EmotionProfile(3.0, 8.0, 0.4, 1.0, 0.2, 0.0, 5.0, 0.08, 3.0, 4.0, -10.0, 22.0, 0.012, 0.06,
                                 0.04, 0.05, 0.05, 1.0),
    "sadness": _EmotionProfile(-1.0, 2.0, 1.0, 0.1, 0.0, 0.15, 3.4, 0.25, -5.0, 1.0, -15.5, 15.0, 0.015, 0.08,
                               -0.02, -0.05, 0.35, 1.3),
    "anger": _EmotionProfile(4.0, 7.0, 1.2, 1.0, 0.0, 0.0, 5.3, 0.05, 7.0, 5.0, -7.5, 22.0, 0.014, 0.10,
                             0.03, 0.12, 0.0, 0.9),
    "fear": _EmotionProfile(5.0, 5.0, 0.0, 0.5, 0.5, 0.6, 5.8, 0.15, 1.0, 2.0, -12.0, 14.0, 0.025, 0.09,
                            0.02, 0.0, 0.20, 1.2),
    "disgust": _EmotionProfile(-1.5, 5.0, 1.2, 0.4, 0.0, 0.0, 3.6, 0.20, -1.0, 3.0, -11.0, 19.0, 0.020, 0.10,
                               -0.03, 0.0, 0.20, 1.1),
    "surprise": _EmotionProfile(4.0, 10.0, 0.0, 0.8, 1.0, 0.0, 4.8, 0.10, 3.0, 4.0, -10.0, 20.0, 0.012, 0.06,
                                0.02, 0.08, 0.0, 1.0),
    "boredom": _EmotionProfile(-2.0, 1.5, 0.8, 0.05, 0.0, 0.0, 3.5, 0.25, -4.0, 1.0, -14.0, 20.0, 0.008, 0.05,
                               -0.02, -0.05, 0.40, 1.1),
}  # fmt: skip

# Male-adult vowel formants F1-F3 (Hz, Peterson & Barney-like) for /a e i o u/, and schwa.
_VOWELS = np.array(
    [[730.0, 1090.0, 2440.0], [530.0, 1840.0, 2480.0], [270.0, 2290.0, 3010.0], [570.0, 840.0, 2410.0],
     [300.0, 870.0, 2240.0]]
)  # fmt: skip
_SCHWA = np.array([500.0, 1500.0, 2500.0])
_HIGHER_FORMANTS = np.array([3300.0, 3750.0])
_BANDWIDTHS = np.array([80.0, 100.0, 140.0, 200.0, 250.0])


@dataclass(frozen=True)
class _Speaker:
    """One synthetic speaker: anatomy plus habits that colour every emotion they act."""

    index: int
    gender: str
    f0_hz: float  # base (neutral) F0
    vtl_scale: float  # formant scale: shorter vocal tract -> higher formants
    expressiveness: float  # how far this speaker's emotions depart from their neutral voice
    rate_scale: float
    range_scale: float
    tilt_offset_db: float
    hnr_offset_db: float
    jitter_scale: float
    gain_db: float  # recording level
    channel_tilt_db_oct: float  # microphone/room colouration
    channel_peak_hz: float
    channel_peak_db: float
    noise_dbfs: float  # background noise floor


def _speaker(seed: int, index: int) -> _Speaker:
    """Draw speaker ``index`` from its own stream, independent of how many speakers exist."""
    rng = np.random.default_rng([seed, _STREAM_SPEAKER, index])
    # Alternate genders so any contiguous range of speakers is balanced.
    gender = "female" if index % 2 == 0 else "male"
    f0 = (205.0 if gender == "female" else 115.0) * math.exp(rng.normal(0.0, 0.12))
    vtl = (1.16 if gender == "female" else 1.0) * math.exp(rng.normal(0.0, 0.05))
    return _Speaker(
        index=index,
        gender=gender,
        f0_hz=f0,
        vtl_scale=vtl,
        expressiveness=float(rng.uniform(0.6, 1.25)),
        rate_scale=math.exp(rng.normal(0.0, 0.12)),
        range_scale=math.exp(rng.normal(0.0, 0.25)),
        tilt_offset_db=float(rng.normal(0.0, 2.0)),
        hnr_offset_db=float(rng.normal(0.0, 3.0)),
        jitter_scale=math.exp(rng.normal(0.0, 0.3)),
        gain_db=float(rng.normal(0.0, 3.0)),
        channel_tilt_db_oct=float(rng.normal(0.0, 1.5)),
        channel_peak_hz=float(rng.uniform(300.0, 4000.0)),
        channel_peak_db=float(rng.normal(0.0, 5.0)),
        noise_dbfs=float(rng.uniform(-65.0, -50.0)),
    )


def _render_params(rng: np.random.Generator, speaker: _Speaker, emotion: str) -> dict[str, float]:
    """This utterance's voice: neutral + speaker expressiveness x intensity x emotion offset + noise."""
    neutral, target = _PROFILES["neutral"], _PROFILES[emotion]
    # Acted intensity varies per utterance (cf. RAVDESS normal/strong), and per speaker.
    k = speaker.expressiveness * float(rng.uniform(0.7, 1.2))

    def mix(field: str) -> float:
        a, b = getattr(neutral, field), getattr(target, field)
        return a + k * (b - a)

    def mix_log(field: str) -> float:
        a, b = getattr(neutral, field), getattr(target, field)
        return math.exp(math.log(a) + k * (math.log(b) - math.log(a)))

    return {
        "f0_hz": speaker.f0_hz * 2.0 ** ((mix("f0_shift_st") + rng.normal(0.0, 1.2)) / 12.0),
        "f0_range_st": mix_log("f0_range_st") * speaker.range_scale * math.exp(rng.normal(0.0, 0.3)),
        "declination": mix("declination") + rng.normal(0.0, 0.3),
        "accent": max(0.0, mix("accent") + rng.normal(0.0, 0.25)),
        "final_rise": max(0.0, mix("final_rise") + rng.normal(0.0, 0.2)),
        "tremor_st": mix("tremor_st") * float(rng.uniform(0.5, 1.5)),
        "rate_sps": mix_log("rate_sps") * speaker.rate_scale * math.exp(rng.normal(0.0, 0.12)),
        "pause_prob": min(0.6, max(0.0, mix("pause_prob") + rng.normal(0.0, 0.05))),
        "energy_db": mix("energy_db") + speaker.gain_db + rng.normal(0.0, 2.5),
        "stress_db": max(0.0, mix("stress_db") + rng.normal(0.0, 1.0)),
        "tilt_db_oct": mix("tilt_db_oct") + speaker.tilt_offset_db + rng.normal(0.0, 1.2),
        "hnr_db": mix("hnr_db") + speaker.hnr_offset_db + rng.normal(0.0, 3.0),
        "jitter": mix_log("jitter") * speaker.jitter_scale * math.exp(rng.normal(0.0, 0.25)),
        "shimmer": mix_log("shimmer") * math.exp(rng.normal(0.0, 0.25)),
        "formant_scale": speaker.vtl_scale * (1.0 + mix("formant_scale") + rng.normal(0.0, 0.015)),
        "f1_scale": 1.0 + mix("f1_scale") + rng.normal(0.0, 0.03),
        "reduction": min(0.9, max(0.0, mix("reduction") + rng.normal(0.0, 0.1))),
        "bandwidth_scale": mix_log("bandwidth_scale") * math.exp(rng.normal(0.0, 0.1)),
    }


def _plan_syllables(
    rng: np.random.Generator, p: dict[str, float], duration: float
) -> tuple[list[tuple[float, float, int, bool]], list[tuple[float, float]]]:
    """Lay out voiced nuclei ``(start, end, vowel, stressed)`` and consonant noise bursts in time."""
    nuclei: list[tuple[float, float, int, bool]] = []
    bursts: list[tuple[float, float]] = []
    lead, trail = rng.uniform(0.04, 0.15), rng.uniform(0.04, 0.15)
    end = duration - trail
    t = lead
    syllable = 1.0 / p["rate_sps"]
    while t + 0.35 * syllable < end:
        if nuclei and rng.random() < p["pause_prob"]:
            t += rng.uniform(0.5, 1.5) * syllable
            continue
        length = syllable * math.exp(rng.normal(0.0, 0.25))
        if rng.random() < 0.6:  # consonant onset: a fricative/plosive noise burst
            c = length * rng.uniform(0.2, 0.4)
            bursts.append((t, min(t + c, end)))
            t += 0.8 * c
            length -= 0.8 * c
        stop = min(t + 0.9 * length, end)
        if stop - t > 0.03:
            nuclei.append((t, stop, int(rng.integers(len(_VOWELS))), bool(rng.random() < 0.35)))
        t += length
    if not nuclei:  # very short target duration: one syllable anyway
        nuclei.append((lead, max(lead + 0.05, end), int(rng.integers(len(_VOWELS))), True))
    return nuclei, bursts


def _formant_response(freqs: np.ndarray, formants: np.ndarray, bandwidths: np.ndarray) -> np.ndarray:
    """Magnitude response of cascaded 2-pole resonators (unit gain at DC)."""
    h = np.ones_like(freqs)
    for f, b in zip(formants, bandwidths, strict=True):
        half = b / 2.0
        h *= (f * f + half * half) / np.sqrt(((freqs - f) ** 2 + half * half) * ((freqs + f) ** 2 + half * half))
    return h


def _tilt(freqs: np.ndarray, db_per_octave: float, corner_hz: float = 300.0) -> np.ndarray:
    """Flat below ``corner_hz``, ``db_per_octave`` slope above it."""
    return (1.0 + (freqs / corner_hz) ** 2) ** (db_per_octave / (2.0 * 20.0 * math.log10(2.0)))


def _channel(freqs: np.ndarray, speaker: _Speaker) -> np.ndarray:
    """The speaker's recording channel (microphone/room colouration): a tilt and one broad peak.

    Linear and time-invariant, so it is folded into each syllable's filter instead of costing
    another FFT over the whole utterance.
    """
    octaves = np.log2((freqs + 1.0) / speaker.channel_peak_hz)
    peak = 10.0 ** (speaker.channel_peak_db / 20.0 * np.exp(-0.5 * (octaves / 0.5) ** 2))
    return _tilt(freqs, speaker.channel_tilt_db_oct, 1000.0) * peak


def _raised_cosine_envelope(n: int, ramp_fraction: float = 0.25) -> np.ndarray:
    ramp = max(1, int(n * ramp_fraction))
    env = np.ones(n)
    rise = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp)
    env[:ramp] = rise
    env[n - ramp :] = rise[::-1]
    return env


def _synthesize(
    rng: np.random.Generator, speaker: _Speaker, emotion: str, sampling_rate: int, duration: float
) -> np.ndarray:
    """Source-filter synthesis of one utterance of ``duration`` seconds."""
    sr = sampling_rate
    p = _render_params(rng, speaker, emotion)
    n = max(1, int(round(duration * sr)))
    nuclei, bursts = _plan_syllables(rng, p, duration)

    # --- F0 contour (semitones around the utterance mean) ---
    t = np.arange(n) / sr
    u = t / duration
    contour = p["declination"] * (0.5 - u) + p["final_rise"] * (np.clip((u - 0.7) / 0.3, 0.0, 1.0) ** 2 - 0.1)
    for start, stop, _vowel, stressed in nuclei:
        if stressed:
            centre, width = 0.5 * (start + stop), 0.35 * (stop - start) + 0.02
            a, b = max(0, int((centre - 4 * width) * sr)), min(n, int((centre + 4 * width) * sr) + 1)
            bump = np.exp(-0.5 * ((t[a:b] - centre) / width) ** 2)
            contour[a:b] += p["accent"] * rng.uniform(0.5, 1.0) * bump
    drift_knots = rng.normal(0.0, 0.15, size=int(duration * 4) + 2)
    contour += np.interp(u, np.linspace(0.0, 1.0, drift_knots.size), drift_knots)
    semitones = p["f0_range_st"] * contour
    if p["tremor_st"] > 0:
        semitones += p["tremor_st"] * np.sin(2 * np.pi * rng.uniform(5.0, 7.0) * t + rng.uniform(0, 2 * np.pi))
    f0 = p["f0_hz"] * 2.0 ** (semitones / 12.0)
    # Jitter: a fresh period perturbation about every glottal cycle.
    block = max(1, int(sr / p["f0_hz"]))
    jitter = np.repeat(rng.standard_normal(n // block + 1), block)[:n]
    f0 = np.clip(f0 * (1.0 + p["jitter"] * jitter), 50.0, 0.45 * sr)

    # --- glottal pulse train (impulses at cycle starts) with shimmer ---
    phase = np.cumsum(f0 / sr)
    pulses = np.flatnonzero(np.diff(np.floor(phase))) + 1
    pulse_train = np.zeros(n)
    pulse_train[pulses] = 1.0 + p["shimmer"] * rng.standard_normal(pulses.size)
    aspiration = rng.standard_normal(n) * np.sqrt(f0 / sr) * 10.0 ** (-p["hnr_db"] / 20.0)

    # --- per-syllable filtering in the frequency domain, overlap-added ---
    out = np.zeros(n)
    pad = int(0.025 * sr)
    vowel_rms: list[float] = []
    for start, stop, vowel, stressed in nuclei:
        a, b = int(start * sr), min(n, int(stop * sr))
        if b - a < 8:
            continue
        env = _raised_cosine_envelope(b - a) * (10.0 ** (p["stress_db"] / 20.0) if stressed else 1.0)
        lo, hi = max(0, a - pad), min(n, b + pad)
        size = 1 << int(math.ceil(math.log2(hi - lo + 2 * pad)))
        freqs = np.fft.rfftfreq(size, 1.0 / sr)
        f123 = (1.0 - p["reduction"]) * _VOWELS[vowel] + p["reduction"] * _SCHWA
        f123 = f123 * (1.0 + rng.normal(0.0, 0.04, size=3))
        formants = np.concatenate([f123, _HIGHER_FORMANTS]) * p["formant_scale"]
        formants[0] *= p["f1_scale"]
        formants = np.minimum(formants, 0.45 * sr)
        tract = _formant_response(freqs, formants, _BANDWIDTHS * p["bandwidth_scale"])
        seg_pulses = np.zeros(size)
        seg_noise = np.zeros(size)
        seg_pulses[a - lo : b - lo] = pulse_train[a:b] * env
        seg_noise[a - lo : b - lo] = aspiration[a:b] * env
        tract *= _channel(freqs, speaker)
        spectrum = (np.fft.rfft(seg_pulses) * _tilt(freqs, p["tilt_db_oct"]) + np.fft.rfft(seg_noise)) * tract
        seg = np.fft.irfft(spectrum, size)
        out[lo:hi] += seg[: hi - lo]
        vowel_rms.append(float(np.sqrt(np.mean(seg[a - lo : b - lo] ** 2))))
    level = float(np.mean(vowel_rms)) if vowel_rms else 1e-3

    for start, stop in bursts:
        a, b = int(start * sr), min(n, int(stop * sr))
        if b - a < 8:
            continue
        size = 1 << int(math.ceil(math.log2(b - a)))
        freqs = np.fft.rfftfreq(size, 1.0 / sr)
        centre = rng.uniform(2500.0, 6500.0) * p["formant_scale"]
        shape = np.exp(-0.5 * ((freqs - centre) / rng.uniform(800.0, 2000.0)) ** 2) * _channel(freqs, speaker)
        noise = np.fft.irfft(np.fft.rfft(rng.standard_normal(size)) * shape, size)[: b - a]
        noise *= _raised_cosine_envelope(b - a, 0.3)
        rms = float(np.sqrt(np.mean(noise**2))) + 1e-12
        out[a:b] += noise * (level / rms) * 10.0 ** (rng.uniform(-20.0, -8.0) / 20.0)

    # --- level: emotion energy + speaker/utterance recording gain, then the noise floor ---
    active = np.abs(out) > 1e-3 * (np.max(np.abs(out)) + 1e-12)
    rms = float(np.sqrt(np.mean(out[active] ** 2))) if active.any() else 1.0
    out *= 10.0 ** ((_REFERENCE_DBFS + p["energy_db"]) / 20.0) / (rms + 1e-12)
    out += rng.standard_normal(n) * 10.0 ** ((speaker.noise_dbfs + rng.normal(0.0, 2.0)) / 20.0)
    return np.clip(out, -1.0, 1.0).astype(np.float32)


def _resolve_emotions(emotions: str | Sequence[str] | None) -> tuple[str, ...]:
    return SYNTHETIC_EMOTIONS if emotions is None else resolve_classes(emotions)


def _check_seed(seed: int) -> int:
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def synthesize_utterance(
    speaker: int,
    emotion: str,
    index: int = 0,
    seed: int = 0,
    sampling_rate: int = DEFAULT_SAMPLING_RATE,
    duration: float | None = None,
) -> np.ndarray:
    """One utterance (float32 in [-1, 1]) of speaker ``speaker`` acting ``emotion``.

    Depends only on ``(seed, speaker, emotion, index, sampling_rate, duration)``; ``duration``
    defaults to a random 1.1-2.8 s drawn from the utterance's own stream.
    """
    seed = _check_seed(seed)
    emotion = resolve_classes([emotion])[0]
    rng = np.random.default_rng([seed, _STREAM_UTTERANCE, speaker, EMOTIONS.index(emotion), index])
    if duration is None:
        duration = float(rng.uniform(*_CLIP_SECONDS))
    return _synthesize(rng, _speaker(seed, speaker), emotion, sampling_rate, duration)


def iter_synthetic_utterances(
    num_speakers: int = 8,
    utterances_per_emotion: int = 6,
    emotions: str | Sequence[str] | None = None,
    seed: int = 0,
    sampling_rate: int = DEFAULT_SAMPLING_RATE,
) -> Iterator[dict]:
    """Yield every utterance of a synthetic corpus, speaker by speaker, emotion by emotion.

    Each item is ``{"array", "sampling_rate", "emotion", "speaker_id", "gender", "text",
    "utterance_id"}``; ``emotions`` is a subset name, a comma string or a list of unified names
    (default :data:`SYNTHETIC_EMOTIONS`). Same arguments give bit-identical output.
    """
    seed = _check_seed(seed)
    names = _resolve_emotions(emotions)
    if num_speakers < 1 or utterances_per_emotion < 1:
        raise ValueError(
            f"num_speakers and utterances_per_emotion must be >= 1, got {num_speakers} and {utterances_per_emotion}"
        )
    logger.debug(
        "synthesising %d speakers x %d emotions x %d utterances (seed %d)",
        num_speakers,
        len(names),
        utterances_per_emotion,
        seed,
    )
    for s in range(num_speakers):
        speaker = _speaker(seed, s)
        for emotion in names:
            for i in range(utterances_per_emotion):
                rng = np.random.default_rng([seed, _STREAM_UTTERANCE, s, EMOTIONS.index(emotion), i])
                duration = float(rng.uniform(*_CLIP_SECONDS))
                yield {
                    "array": _synthesize(rng, speaker, emotion, sampling_rate, duration),
                    "sampling_rate": sampling_rate,
                    "emotion": emotion,
                    "speaker_id": f"synthetic_s{s:02d}",
                    "gender": speaker.gender,
                    "text": "",
                    "utterance_id": f"synthetic_s{s:02d}_{emotion}_{i:03d}",
                }


def synthesize_long_recording(
    duration_seconds: float = 60.0,
    segment_seconds: tuple[float, float] = (2.0, 6.0),
    emotions: str | Sequence[str] | None = None,
    seed: int = 0,
    sampling_rate: int = DEFAULT_SAMPLING_RATE,
    speaker: int = 0,
) -> tuple[np.ndarray, list[dict]]:
    """A long recording of one speaker whose emotion changes every few seconds.

    Returns the float32 waveform and the ground truth ``[{"start", "end", "emotion"}]`` (seconds,
    contiguous, covering ``[0, duration_seconds]``), for timeline tests and benchmarks. Audio is
    generated segment by segment into one preallocated float32 array, so an hour costs about
    230 MB (the waveform itself) and no more.
    """
    seed = _check_seed(seed)
    names = _resolve_emotions(emotions)
    lo, hi = segment_seconds
    if not 0 < lo <= hi:
        raise ValueError(f"segment_seconds must satisfy 0 < min <= max, got {segment_seconds!r}")
    if duration_seconds <= 0:
        raise ValueError(f"duration_seconds must be > 0, got {duration_seconds!r}")
    sr = sampling_rate
    total = int(round(duration_seconds * sr))
    wave = np.zeros(total, dtype=np.float32)
    plan = np.random.default_rng([seed, _STREAM_LONG_PLAN, speaker])
    spk = _speaker(seed, speaker)

    # Segment boundaries in samples; a remainder shorter than the minimum joins the last segment.
    bounds = [0]
    while bounds[-1] < total:
        step = int(round(plan.uniform(lo, hi) * sr))
        nxt = min(total, bounds[-1] + max(1, step))
        if total - nxt < int(lo * sr):
            nxt = total
        bounds.append(nxt)

    segments: list[dict] = []
    previous = None
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        choices = [e for e in names if e != previous] or list(names)
        emotion = choices[int(plan.integers(len(choices)))]
        previous = emotion
        rng = np.random.default_rng([seed, _STREAM_LONG_SEGMENT, speaker, k])
        wave[a:b] = _synthesize(rng, spk, emotion, sr, (b - a) / sr)[: b - a]
        segments.append({"start": a / sr, "end": b / sr, "emotion": emotion})
    logger.debug("long recording: %.1f s, %d segments", duration_seconds, len(segments))
    return wave, segments
