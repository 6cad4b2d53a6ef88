"""TESS builder: ``<OAF|YAF>_<emotion>/<OAF|YAF>_<word>_<emotion>.wav`` with real copies' oddities."""

from __future__ import annotations

import pytest

from hf_ser.corpora import build_corpus


@pytest.fixture
def tess_dir(tmp_path, audio_writer):
    root = tmp_path / "TESS Toronto emotional speech set data"
    w = audio_writer
    w(root / "OAF_angry" / "OAF_back_angry.wav")
    w(root / "OAF_angry" / "OAF_bar_angry.wav")
    w(root / "OAF_Fear" / "OAF_back_fear.wav")
    w(root / "OAF_Pleasant_surprise" / "OAF_back_ps.wav")
    w(root / "OAF_neutral" / "OA_bite_neutral.wav")  # mangled speaker prefix
    w(root / "OAF_happy" / "bite_happy.wav")  # no speaker prefix at all
    w(root / "YAF_pleasant_surprised" / "YAF_back_ps.wav")
    w(root / "YAF_sad" / "YAF_back_sad.wav")
    w(root / "YAF_disgust" / "YAF_back_disgust.wav")
    w(root / "YAF_neutral" / "YAF_dog_neutral.wav", format="AIFF", subtype="FLOAT")  # AIFF-C named .wav
    w(root / "YAF_neutral" / "YAF_jar_neutral.wav", sr=96000, channels=2, subtype="PCM_24")  # 96 kHz stereo
    w(root / "misc" / "OAF_word_grumpy.wav")  # emotion neither in the name nor in the folder
    return root


def test_tess_oddities_decode_and_names_parse(tess_dir, cache_dir):
    ds, report = build_corpus("tess", tess_dir, cache_dir=cache_dir, progress=False)
    assert [(r.reason, r.path.rsplit("/", 1)[-1]) for r in report.rejected] == [
        ("unknown_label", "OAF_word_grumpy.wav")
    ]
    assert len(ds) == 11
    names = ds.features["emotion"].names
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in ds}
    assert names[rows["OAF_back_ps.wav"]["emotion"]] == "surprise"
    assert names[rows["YAF_back_ps.wav"]["emotion"]] == "surprise"
    assert names[rows["OAF_back_fear.wav"]["emotion"]] == "fear"
    assert rows["OA_bite_neutral.wav"]["speaker_id"] == "tess_OAF"
    assert names[rows["OA_bite_neutral.wav"]["emotion"]] == "neutral"
    assert rows["bite_happy.wav"]["speaker_id"] == "tess_OAF"
    assert rows["bite_happy.wav"]["text"] == "Say the word bite"
    assert rows["YAF_back_sad.wav"]["speaker_id"] == "tess_YAF"
    assert {r["gender"] for r in ds} == {"female"}
    # the 96 kHz stereo file and the AIFF-C file came out as 16 kHz mono with the right length
    assert abs(rows["YAF_jar_neutral.wav"]["duration"] - 0.05) < 1e-3
    assert abs(rows["YAF_dog_neutral.wav"]["duration"] - 0.05) < 1e-3
    assert report.speakers == ["tess_OAF", "tess_YAF"]


def test_tess_two_speakers_prepare_round_trip(tess_dir, tmp_path, cache_dir):
    import datasets

    from hf_ser.cli import main

    out = tmp_path / "out"
    args = ["prepare", "tess", "--data_dir", str(tess_dir), "--output_dir", str(out), "--cache_dir", str(cache_dir)]
    assert main([*args, "--no_progress"]) == 0
    dd = datasets.load_from_disk(str(out))
    assert list(dd) == ["train", "test"]  # two speakers: one to train on, one to test on
    assert {s for d in dd.values() for s in d["speaker_id"]} == {"tess_OAF", "tess_YAF"}


def test_tess_flat_copy_recovers_mangled_speaker_prefix(tmp_path, audio_writer, cache_dir):
    # copies without the OAF_*/YAF_* folders: the real OA_bite_neutral.wav still belongs to OAF
    for name in ("OA_bite_neutral.wav", "OAF_back_angry.wav", "YAF_back_ps.wav"):
        audio_writer(tmp_path / "tess" / name)
    ds, report = build_corpus("tess", tmp_path / "tess", cache_dir=cache_dir, progress=False)
    assert report.rejected == []
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in ds}
    assert rows["OA_bite_neutral.wav"]["speaker_id"] == "tess_OAF"
    assert rows["OA_bite_neutral.wav"]["text"] == "Say the word bite"


def test_tess_native_rate_24414_hz_is_resampled(tmp_path, cache_dir):
    # TESS is recorded at 24414 Hz (an awkward 12207:8000 ratio to 16 kHz; see hf_ser.audio.resample).
    import numpy as np
    import soundfile as sf

    sr, n = 24414, 2441
    folder = tmp_path / "OAF_angry"
    folder.mkdir()
    for i, word in enumerate(("back", "bar")):
        wave = 0.5 * np.sin(2 * np.pi * (440 + 220 * i) * np.arange(n) / sr)
        sf.write(folder / f"OAF_{word}_angry.wav", wave, sr, subtype="PCM_16")
    ds, report = build_corpus("tess", tmp_path, cache_dir=cache_dir, progress=False)
    assert report.rejected == [] and len(ds) == 2
    from hf_ser.audio import decode_audio_field

    for row, freq in zip(ds, (440, 660), strict=True):
        out = decode_audio_field(row["audio"], 16000)
        assert len(out) == int(np.ceil(n * 16000 / sr))
        spectrum = np.abs(np.fft.rfft(out * np.hanning(len(out))))
        assert abs(np.argmax(spectrum) * 16000 / len(out) - freq) < 16000 / len(out)
