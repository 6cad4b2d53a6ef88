"""RAVDESS builder: ``Actor_XX/MM-VV-EE-II-SS-RR-AA.wav``, speech/song, odd actors male."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import soundfile as sf

from hf_ser.corpora import build_corpus, get_builder

SPEECH = [f"03-01-{e:02d}-{i:02d}-01-01-{a:02d}" for a in (1, 2, 3) for e, i in ((1, 1), (5, 2), (8, 1))]
SONG = [f"03-02-{e:02d}-01-02-02-{a:02d}" for a in (1, 2) for e in (2, 6)]


@pytest.fixture
def ravdess_dir(tmp_path, audio_writer, bad_writer):
    root = tmp_path / "ravdess"
    for stem in SPEECH + SONG:
        audio_writer(root / f"Actor_{stem[-2:]}" / f"{stem}.wav")
    audio_writer(root / "Actor_01" / "03-01-09-01-01-01-01.wav")  # unknown emotion code
    audio_writer(root / "Actor_01" / "03-01-01-01-01-01.wav")  # a field missing
    bad_writer(root / "Actor_03", {"03-01-03-01-02-02-03.wav": "empty"})
    audio_writer(root / "Actor_02" / "01-01-03-01-01-01-02.wav")  # modality 01: not audio-only
    return root


def _rows(ds):
    return {r["path"].rsplit("/", 1)[-1].rsplit(".", 1)[0]: r for r in ds}


def test_ravdess_speech_default(ravdess_dir, cache_dir):
    ds, report = build_corpus("ravdess", ravdess_dir, cache_dir=cache_dir, progress=False)
    assert len(ds) == len(SPEECH)
    names = ds.features["emotion"].names
    assert names == ["neutral", "calm", "happiness", "sadness", "anger", "fear", "disgust", "surprise"]
    rows = _rows(ds)
    r = rows["03-01-05-02-01-01-01"]
    assert names[r["emotion"]] == "anger" and r["intensity"] == "strong" and r["gender"] == "male"
    assert r["speaker_id"] == "ravdess_01" and r["text"] == "Kids are talking by the door" and r["language"] == "en"
    assert rows["03-01-08-01-01-01-02"]["gender"] == "female"
    assert names[rows["03-01-08-01-01-01-02"]["emotion"]] == "surprise"
    assert report.excluded == {"modality 01 (not audio-only)": 1, "vocal channel song": len(SONG)}
    assert sorted(r.reason for r in report.rejected) == ["empty", "name_mismatch", "unknown_label"]
    assert len(report.speakers) == 3


def test_ravdess_song_and_both(ravdess_dir, cache_dir):
    song, _ = build_corpus("ravdess", ravdess_dir, vocal_channel="song", cache_dir=cache_dir, progress=False)
    assert len(song) == len(SONG)
    r = _rows(song)["03-02-02-01-02-02-01"]
    assert song.features["emotion"].names[r["emotion"]] == "calm" and r["text"] == "Dogs are sitting by the door"
    both, _ = build_corpus("ravdess", ravdess_dir, vocal_channel="both", cache_dir=cache_dir, progress=False)
    assert len(both) == len(SPEECH) + len(SONG)
    with pytest.raises(ValueError, match="vocal_channel"):
        get_builder("ravdess", vocal_channel="whisper")
    with pytest.raises(TypeError, match="vocal_channel"):
        get_builder("ravdess", channel="speech")


def test_ravdess_from_the_zip_itself(ravdess_dir, tmp_path, cache_dir):
    archive = tmp_path / "Audio_Speech_Actors_01-24.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in sorted(ravdess_dir.rglob("*.wav")):
            zf.write(p, p.relative_to(ravdess_dir).as_posix())
        zf.writestr("__MACOSX/Actor_01/._03-01-01-01-01-01-01.wav", b"junk")
    ds, report = build_corpus("ravdess", archive, cache_dir=cache_dir, progress=False)
    assert len(ds) == len(SPEECH)
    assert ds[0]["path"].startswith(str(archive) + "/Actor_0")
    # a folder that holds only the downloaded archive works too
    folder = tmp_path / "downloads"
    folder.mkdir()
    archive.rename(folder / archive.name)
    ds2, _ = build_corpus("ravdess", folder, cache_dir=cache_dir, progress=False)
    assert len(ds2) == len(SPEECH)


def flac_copy(wav: Path, flac: Path) -> None:
    """What a FLAC copy of a corpus holds: the WAV's 16-bit samples, losslessly re-encoded."""
    samples, sr = sf.read(wav, dtype="int16")
    flac.parent.mkdir(parents=True, exist_ok=True)
    sf.write(flac, samples, sr, format="FLAC", subtype="PCM_16")


def test_ravdess_flac_copy_reads_like_the_wav_original(ravdess_dir, tmp_path, cache_dir):
    """The file name carries the labels, not the extension: a FLAC copy (as in ../shared) gives the same corpus."""
    flac_root = tmp_path / "ravdess_flac"
    for stem in SPEECH:
        actor = f"Actor_{stem[-2:]}"
        flac_copy(ravdess_dir / actor / f"{stem}.wav", flac_root / actor / f"{stem}.flac")
    wav, _ = build_corpus("ravdess", ravdess_dir, cache_dir=cache_dir, progress=False)
    flac, report = build_corpus("ravdess", flac_root, cache_dir=cache_dir, progress=False)
    assert not report.rejected and len(flac) == len(SPEECH)
    fields = ("emotion", "speaker_id", "gender", "intensity", "text")
    wav_rows = _rows(wav)
    for stem, row in _rows(flac).items():
        assert [row[k] for k in fields] == [wav_rows[stem][k] for k in fields]


def test_ravdess_take_in_two_formats_is_one_utterance(tmp_path, cache_dir, audio_writer):
    """The same take as .wav and .flac (a copy beside the original) is kept once, the other reported."""
    root = tmp_path / "ravdess"
    wav = audio_writer(root / "Actor_01" / f"{SPEECH[0]}.wav")
    flac_copy(wav, root / "Actor_01" / f"{SPEECH[0]}.flac")
    audio_writer(root / "Actor_01" / f"{SPEECH[1]}.wav")
    ds, report = build_corpus("ravdess", root, cache_dir=cache_dir, progress=False)
    assert len(ds) == 2
    assert [(Path(r.path).name, r.reason) for r in report.rejected] == [(f"{SPEECH[0]}.wav", "duplicate")]
