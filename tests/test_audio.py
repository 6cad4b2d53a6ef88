"""hf_ser.audio: every odd-but-valid file loads as mono float32 at 16 kHz; every bad one fails
with an AudioDecodeError that names the file (users need to know *which* of 10,000 files broke)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from hf_ser.audio import (
    AudioDecodeError,
    audio_duration,
    decode_audio_bytes,
    decode_audio_field,
    encode_wav,
    load_audio,
    recorded_at_gain,
    resample,
    stream_audio,
)

SR = 16000


def _check_loaded(y: np.ndarray, expected_len: int = SR, tolerance: int = 16) -> None:
    assert y.ndim == 1
    assert y.dtype == np.float32
    assert abs(len(y) - expected_len) <= tolerance
    assert np.all(np.isfinite(y))


@pytest.mark.parametrize(
    ("filename", "fmt", "subtype"),
    [
        ("ok.wav", "WAV", "PCM_16"),
        ("ok_float.wav", "WAV", "FLOAT"),
        ("ok.flac", "FLAC", "PCM_16"),
        ("ok.ogg", "OGG", "VORBIS"),
    ],
)
def test_load_common_formats(tmp_path, tone, filename, fmt, subtype):
    path = tmp_path / filename
    sf.write(path, tone, SR, format=fmt, subtype=subtype)
    y = load_audio(path)
    _check_loaded(y)
    # Lossless formats come back (nearly) sample-exact; Vorbis only approximately.
    tol = 0.05 if fmt == "OGG" else 1e-3
    assert np.max(np.abs(y[1000:-1000] - tone[1000:-1000])) < tol


@pytest.mark.parametrize(("subtype", "form_types"), [("PCM_16", (b"AIFF", b"AIFC")), ("FLOAT", (b"AIFC",))])
def test_aiff_named_wav_is_judged_by_content(tmp_path, tone, subtype, form_types):
    path = tmp_path / "actually_aiff.wav"
    sf.write(path, tone, SR, format="AIFF", subtype=subtype)
    header = path.read_bytes()[:12]
    assert header[:4] == b"FORM" and header[8:12] in form_types  # libsndfile wrote AIFF/AIFF-C
    y = load_audio(path)
    _check_loaded(y)
    assert np.max(np.abs(y - tone)) < 1e-3


def test_96k_is_resampled_to_16k(tmp_path):
    t = np.arange(96000) / 96000
    path = tmp_path / "hi.wav"
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 96000)
    y = load_audio(path, sampling_rate=SR)
    _check_loaded(y)
    # Still a 220 Hz tone after resampling.
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spectrum) * SR / len(y) - 220) < 2


def test_other_target_rate(tmp_path, tone):
    path = tmp_path / "ok.wav"
    sf.write(path, tone, SR)
    _check_loaded(load_audio(path, sampling_rate=8000), expected_len=8000, tolerance=8)


def test_stereo_is_downmixed(tmp_path, tone):
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([tone, np.zeros_like(tone)], axis=1), SR, subtype="FLOAT")
    y = load_audio(path)
    _check_loaded(y)
    np.testing.assert_allclose(y, 0.5 * tone, atol=1e-6)


def _wav_bytes(x: np.ndarray, subtype: str = "PCM_16", fmt: str = "WAV") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, x, SR, format=fmt, subtype=subtype)
    return buffer.getvalue()


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _bad_files(tone: np.ndarray) -> dict[str, bytes]:
    raw = _wav_bytes(tone)
    nan = tone.copy()
    nan[100] = np.nan
    inf = tone.copy()
    inf[-1] = np.inf
    return {
        "empty.wav": b"",
        "header_cut.wav": raw[:30],
        "data_cut.wav": _half(raw),
        "float_data_cut.wav": _half(_wav_bytes(tone, "FLOAT")),
        "aiff_data_cut.wav": _half(_wav_bytes(tone, "PCM_16", "AIFF")),
        "aifc_data_cut.aiff": _half(_wav_bytes(tone, "FLOAT", "AIFF")),
        "flac_cut.flac": _half(_wav_bytes(tone, "PCM_16", "FLAC")),
        "ogg_cut.ogg": _half(_wav_bytes(tone, "VORBIS", "OGG")),
        "text.wav": b"hello, this is not audio at all\n" * 4,
        "nan.wav": _wav_bytes(nan, "FLOAT"),
        "inf.wav": _wav_bytes(inf, "FLOAT"),
        "too_short.wav": _wav_bytes(tone[:100]),
        "zero_frames.wav": _wav_bytes(tone[:0]),
    }


@pytest.mark.parametrize(
    ("filename", "cause"),
    [
        ("empty.wav", "empty"),
        ("header_cut.wav", "cannot decode"),
        ("data_cut.wav", "truncated"),
        ("float_data_cut.wav", "truncated"),
        ("aiff_data_cut.wav", "truncated"),
        ("aifc_data_cut.aiff", "truncated"),
        ("flac_cut.flac", "cannot decode"),
        ("ogg_cut.ogg", "cannot decode"),
        ("text.wav", "cannot decode"),
        ("nan.wav", "non-finite"),
        ("inf.wav", "non-finite"),
        ("too_short.wav", "too short"),
        ("zero_frames.wav", "empty"),
    ],
)
def test_bad_file_is_rejected_naming_the_file(tmp_path, tone, filename, cause):
    path = tmp_path / filename
    path.write_bytes(_bad_files(tone)[filename])
    with pytest.raises(AudioDecodeError, match=cause) as info:
        load_audio(path)
    assert filename in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(AudioDecodeError, match="nope.wav"):
        load_audio(tmp_path / "nope.wav")


def test_min_samples_is_configurable(tmp_path, tone):
    path = tmp_path / "short.wav"
    sf.write(path, tone[:100], SR)
    assert len(load_audio(path, min_samples=50)) == 100


@pytest.mark.parametrize(
    "filename", ["header_cut.wav", "data_cut.wav", "aiff_data_cut.wav", "text.wav", "nan.wav", "too_short.wav"]
)
def test_decode_audio_bytes_rejects_bad_bytes_naming_them(tone, filename):
    with pytest.raises(AudioDecodeError, match=filename):
        decode_audio_bytes(_bad_files(tone)[filename], SR, name=filename)


def test_decode_audio_bytes_empty():
    with pytest.raises(AudioDecodeError, match="clip.wav"):
        decode_audio_bytes(b"", SR, name="clip.wav")


def test_encode_decode_round_trip(tone):
    data = encode_wav(tone, SR)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert sf.info(io.BytesIO(data)).subtype == "PCM_16"
    y = decode_audio_bytes(data, SR)
    _check_loaded(y)
    np.testing.assert_allclose(y, tone, atol=1.0 / 32768 + 1e-7)


def test_encode_wav_clips_out_of_range():
    y = decode_audio_bytes(encode_wav(np.full(800, 3.0, dtype=np.float32), SR), SR)
    assert np.all(y <= 1.0) and np.all(y > 0.99)


def test_decode_audio_bytes_resamples(tone):
    y = decode_audio_bytes(encode_wav(tone, SR), 8000)
    _check_loaded(y, expected_len=8000, tolerance=8)


def test_decode_audio_field_forms(tmp_path, tone):
    data = encode_wav(tone, SR)
    # Undecoded datasets Audio cell: bytes win over the (original, maybe absent) path.
    y = decode_audio_field({"bytes": data, "path": "does_not_exist.wav"}, SR)
    np.testing.assert_allclose(y, tone, atol=1.0 / 32768 + 1e-7)
    # Path only.
    path = tmp_path / "cell.wav"
    path.write_bytes(data)
    np.testing.assert_array_equal(decode_audio_field({"bytes": None, "path": str(path)}, SR), y)
    # Legacy decoded form at another rate is resampled; (channels, frames) arrays are downmixed.
    z = decode_audio_field({"array": np.stack([tone, tone]), "sampling_rate": SR}, 8000)
    _check_loaded(z, expected_len=8000, tolerance=8)
    # A bare array is taken as already at the target rate.
    np.testing.assert_array_equal(decode_audio_field(tone.astype(np.float64), SR), tone)


def test_decode_audio_field_bad_bytes_names_path(tone):
    with pytest.raises(AudioDecodeError, match="speaker1/broken.wav"):
        decode_audio_field({"bytes": b"not audio", "path": "speaker1/broken.wav"}, SR)


def test_resample_identity_and_length(tone):
    assert resample(tone, SR, SR) is tone
    assert len(resample(tone, SR, 22050)) == 22050


def test_awkward_rate_pair_uses_polyphase_not_a_huge_sinc_kernel(monkeypatch):
    # 24414 -> 16000 Hz (TESS) reduces to 12207:8000: torchaudio's sinc kernel would take seconds.
    import torchaudio.functional

    from hf_ser.audio import resample

    def refuse(*args, **kwargs):
        raise AssertionError("torchaudio sinc resampling used for an awkward rate pair")

    monkeypatch.setattr(torchaudio.functional, "resample", refuse)
    sr, n = 24414, 24414
    wave = (0.5 * np.sin(2 * np.pi * 440 * np.arange(n) / sr)).astype(np.float32)
    out = resample(wave, sr, 16000)
    assert out.dtype == np.float32 and len(out) == 16000
    spectrum = np.abs(np.fft.rfft(out * np.hanning(len(out))))
    assert abs(np.argmax(spectrum) * 16000 / len(out) - 440) <= 1.0


@pytest.mark.parametrize("rate", [16000, 44100, 24414, 8000, 96000])
def test_streamed_blocks_equal_the_whole_file(tmp_path, rate):
    rng = np.random.default_rng(rate)
    stereo = (0.3 * rng.standard_normal((rate * 3 + 123, 2))).astype(np.float32)
    path = tmp_path / f"x{rate}.wav"
    sf.write(path, stereo, rate, subtype="FLOAT")
    blocks = list(stream_audio(path, block_seconds=0.7))
    assert len(blocks) > 3
    whole = load_audio(path)
    streamed = np.concatenate(blocks)
    assert streamed.shape == whole.shape and np.abs(streamed - whole).max() < 1e-5
    assert audio_duration(path) == pytest.approx(len(stereo) / rate)


def test_stream_audio_rejects_bad_files_naming_them(tmp_path, tone):
    empty, junk, nan = tmp_path / "empty.wav", tmp_path / "junk.wav", tmp_path / "nan.wav"
    empty.write_bytes(b"")
    junk.write_text("not audio")
    bad = tone.copy()
    bad[-10] = np.inf
    sf.write(nan, bad, 16000, subtype="FLOAT")
    for path, reason in ((empty, "empty"), (junk, "cannot decode"), (nan, "non-finite")):
        with pytest.raises(AudioDecodeError, match=reason) as err:
            list(stream_audio(path))
        assert str(path) in str(err.value)
    assert audio_duration(junk) == 0.0


def test_silence_floor_rejects_digital_silence_and_keeps_quiet_speech(tone):
    from hf_ser.audio import SILENCE_FLOOR_DB, frame_levels, silence_detail

    assert SILENCE_FLOOR_DB == -70.0
    assert silence_detail(np.zeros(41108, np.float32), SR) == "silent: all 41108 samples are zero"
    hiss = (1e-4 * np.random.default_rng(0).standard_normal(SR)).astype(np.float32)  # about -80 dBFS
    assert "under the -70 dBFS floor" in silence_detail(hiss, SR)
    quiet = tone * 0.006  # a tone at about -55 dBFS, like RAVDESS's quietest takes
    assert -60 < frame_levels(quiet, SR).max() < -50 and silence_detail(quiet, SR) is None
    assert silence_detail(np.full(SR, 0.3, np.float32), SR).startswith("silent")  # a DC offset is not sound


def test_recorded_at_gain_is_what_16_bit_pcm_stores():
    wave = np.array([0.5, -0.5, 0.001, 0.9], dtype=np.float32)
    quiet = recorded_at_gain(wave, -40.0)  # 0.01x: 0.001 becomes 10 micro-units, under one 16-bit step
    np.testing.assert_array_equal(quiet * 32768, np.round(wave * 0.01 * 32768))
    assert quiet[2] == 0.0 and quiet.dtype == np.float32
    loud = recorded_at_gain(wave, 20.0)  # 10x: full scale clips, as a recorder would
    assert loud.max() == 32767 / 32768 and loud.min() == -1.0 and loud[2] == np.round(0.01 * 32768) / 32768
    decoded, _ = sf.read(io.BytesIO(encode_wav(quiet, SR)), dtype="float32")
    np.testing.assert_array_equal(decoded, quiet)  # already on the 16-bit grid: storing it changes nothing
