"""hf_ser.inference: batched == one-at-a-time for every front end and head family, files with bad items, the
`hf-ser predict` command (JSONL / CSV, exit codes, timeline), plain transformers classifiers, safe loading."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).parent / "modeling"))

from ser_testutils import _SSL_SMALL as TINY_SSL_ENCODER  # noqa: E402
from ser_testutils import build_encoder, make_model  # noqa: E402

from hf_ser.hub import ModelNotFoundError, load_model, resolve_model_source  # noqa: E402
from hf_ser.inference import (  # noqa: E402
    EXIT_OK,
    EXIT_SKIPPED,
    EXIT_USAGE,
    SERPredictor,
    TorchRunner,
    expand_inputs,
    main,
)
from hf_ser.modeling import feature_extractor_for  # noqa: E402

HEADS = ("mlp", "cnn", "lstm", "cnn_lstm", "parallel")


def _waves(lengths=(4000, 16000, 9000, 23000, 6400, 12000)) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    t = np.arange(max(lengths)) / 16000
    return [
        (0.2 * np.sin(2 * np.pi * (110 + 30 * i) * t[:n]) + 0.05 * rng.standard_normal(n)).astype(np.float32)
        for i, n in enumerate(lengths)
    ]


def _predictor(model, batch_size: int = 4) -> SERPredictor:
    fe = feature_extractor_for(model.config)
    return SERPredictor(TorchRunner(model, "cpu"), fe, model.config.id2label, pads_safely=True, batch_size=batch_size)


def _assert_batched_equals_single(predictor: SERPredictor) -> None:
    waves = _waves()
    batched = predictor.predict_waveforms(waves)
    single = np.stack([predictor.predict_waveforms([w])[0] for w in waves])
    assert batched.shape == (len(waves), len(predictor.labels))
    np.testing.assert_allclose(batched.sum(-1), 1.0, atol=1e-5)
    assert np.abs(batched - single).max() < 1e-4


@pytest.mark.parametrize("head", HEADS)
def test_batched_equals_single_for_every_head(head):
    _assert_batched_equals_single(_predictor(make_model(frontend="mfcc", head=head)))


@pytest.mark.parametrize("frontend", ["logmel", "functionals"])
def test_batched_equals_single_for_spectral_and_functionals_front_ends(frontend):
    head = "mlp" if frontend == "functionals" else "cnn"
    _assert_batched_equals_single(_predictor(make_model(frontend=frontend, head=head)))


@pytest.mark.parametrize("kind", ["wav2vec2_group", "whisper"])
def test_batched_equals_single_for_the_encoder_front_end(kind, tmp_path):
    torch.manual_seed(0)
    build_encoder(kind).save_pretrained(tmp_path / kind)
    model = make_model(frontend="encoder", encoder_name_or_path=str(tmp_path / kind), head="mlp")
    _assert_batched_equals_single(_predictor(model))


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("model")
    model = make_model(frontend="mfcc", head="cnn")
    model.save_pretrained(path)
    feature_extractor_for(model.config).save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def audio_folder(tmp_path_factory) -> tuple[Path, list[Path], list[Path]]:
    """Five good clips (one in a sub-folder, one at 44.1 kHz stereo) and four bad ones beside a text file."""
    root = tmp_path_factory.mktemp("in")
    (root / "sub").mkdir()
    good = []
    for i, w in enumerate(_waves()[:4]):
        good.append(root / ("sub" if i == 0 else "") / f"clip {i}.wav")
        sf.write(good[-1], w, 16000)
    stereo = np.stack([_waves()[4]] * 2, axis=1)
    good.append(root / "stereo.flac")
    sf.write(good[-1], stereo[::1], 44100)
    bad = [root / "empty.wav", root / "junk.wav", root / "trunc.wav", root / "nan.wav"]
    bad[0].write_bytes(b"")
    bad[1].write_text("not audio")
    bad[2].write_bytes(good[1].read_bytes()[:100])
    nan = _waves()[1].copy()
    nan[100] = np.nan
    sf.write(bad[3], nan, 16000, subtype="FLOAT")
    (root / "notes.txt").write_text("ignored: not an audio file name")
    return root, good, bad


def test_predict_files_keeps_order_and_reports_bad_files(saved_model, audio_folder):
    _, good, bad = audio_folder
    predictor = SERPredictor.from_pretrained(saved_model, batch_size=2, num_workers=2)
    paths = [str(p) for p in [bad[0], *good, bad[1], bad[2], bad[3]]]
    results = list(predictor.predict_files(paths))
    assert [r.path for r in results] == paths
    errors = {Path(r.path).name: r.error for r in results if r.error}
    assert set(errors) == {"empty.wav", "junk.wav", "trunc.wav", "nan.wav"}
    assert "empty" in errors["empty.wav"] and "truncated" in errors["trunc.wav"] and "non-finite" in errors["nan.wav"]
    ok = [r for r in results if r.error is None]
    expected = predictor.predict_waveforms([predictor_wave(predictor, r.path) for r in ok])
    for r, p in zip(ok, expected, strict=True):
        assert r.label == predictor.labels[int(p.argmax())]
        assert list(r.scores) == sorted(r.scores, key=r.scores.get, reverse=True)
        assert abs(r.scores[r.label] - float(p.max())) < 1e-4


def predictor_wave(predictor: SERPredictor, path: str) -> np.ndarray:
    from hf_ser.audio import load_audio

    return load_audio(path, predictor.sampling_rate)


def test_predict_command_on_a_folder_with_bad_files(saved_model, audio_folder, tmp_path, capsys):
    root, good, bad = audio_folder
    out = tmp_path / "pred.jsonl"
    assert main([saved_model, str(root), "--output", str(out), "--top_k", "2", "--no_progress"]) == EXIT_SKIPPED
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(Path(r["path"]).name for r in records if "label" in r) == sorted(p.name for p in good)
    assert all(len(r["scores"]) == 2 for r in records if "label" in r)
    assert sorted(Path(r["path"]).name for r in records if "error" in r) == sorted(p.name for p in bad)
    err = capsys.readouterr().err
    assert all(f"skipped {p}" in err for p in bad) and "predicted 5 files, skipped 4" in err
    assert not (tmp_path / "pred.jsonl.partial").exists()
    # an existing output is never overwritten silently
    assert main([saved_model, str(good[0]), "--output", str(out)]) == EXIT_USAGE
    assert "exists" in capsys.readouterr().err and len(out.read_text().splitlines()) == 9


def test_predict_command_csv_stdin_and_all_good(saved_model, audio_folder, tmp_path, monkeypatch):
    _, good, _ = audio_folder
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(str(p) for p in good[:3]) + "\n"))
    out = tmp_path / "pred.csv"
    assert main([saved_model, "-", "--output", str(out), "--no_progress"]) == EXIT_OK
    rows = out.read_text().splitlines()
    assert rows[0].startswith("path,duration,label,error,neutral,")
    assert len(rows) == 4


def test_expand_inputs_globs_folders_and_missing(audio_folder):
    root, good, _ = audio_folder
    found = expand_inputs([str(root / "*.wav"), str(root / "sub"), str(root / "missing.wav")])
    assert str(good[0]) in found and str(root / "junk.wav") in found and found[-1] == str(root / "missing.wav")
    assert not any(p.endswith(".txt") or p.endswith(".flac") for p in found)


def test_missing_model_fails_fast_naming_the_path(tmp_path, capsys):
    clip = tmp_path / "a.wav"
    sf.write(clip, _waves()[0], 16000)
    start = time.monotonic()
    assert main([str(tmp_path / "no_model"), str(clip)]) == EXIT_USAGE
    assert time.monotonic() - start < 5
    assert f"no such model folder: {tmp_path / 'no_model'}" in capsys.readouterr().err
    with pytest.raises(ModelNotFoundError, match="not a saved model"):
        resolve_model_source(tmp_path)


def test_pickle_checkpoints_are_refused(tmp_path, saved_model):
    folder = tmp_path / "pickled"
    folder.mkdir()
    for name in ("config.json", "preprocessor_config.json"):
        (folder / name).write_bytes((Path(saved_model) / name).read_bytes())
    torch.save({}, folder / "pytorch_model.bin")
    with pytest.raises(ValueError, match="pickle"):
        load_model(folder)


def test_quantized_runner_stays_close(saved_model):
    model, fe = load_model(saved_model)
    plain = SERPredictor(TorchRunner(model), fe, model.config.id2label, pads_safely=True)
    model_q, _ = load_model(saved_model)
    quant = SERPredictor(TorchRunner(model_q, quantize=True), fe, model.config.id2label, pads_safely=True)
    waves = _waves()
    assert np.abs(plain.predict_waveforms(waves) - quant.predict_waveforms(waves)).max() < 0.05


def test_plain_transformers_audio_classifier(tmp_path, audio_folder):
    """A wav2vec2 classifier without hf-ser code: equal-length batches only, so batched still equals single."""
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification

    torch.manual_seed(0)
    config = Wav2Vec2Config(
        **TINY_SSL_ENCODER,
        num_labels=3,
        id2label={0: "neutral", 1: "happiness", 2: "anger"},
        label2id={"neutral": 0, "happiness": 1, "anger": 2},
    )
    Wav2Vec2ForSequenceClassification(config).save_pretrained(tmp_path / "w2v")
    Wav2Vec2FeatureExtractor(return_attention_mask=False).save_pretrained(tmp_path / "w2v")
    predictor = SERPredictor.from_pretrained(tmp_path / "w2v", batch_size=4)
    assert not predictor.pads_safely and predictor.labels == ["neutral", "happiness", "anger"]
    _assert_batched_equals_single(predictor)
    _, good, _ = audio_folder
    out = tmp_path / "w2v.jsonl"
    assert main([str(tmp_path / "w2v"), *map(str, good), "--output", str(out), "--no_progress"]) == EXIT_OK
    assert len(out.read_text().splitlines()) == len(good)


def test_long_files_are_scored_by_windows(saved_model, tmp_path):
    predictor = SERPredictor.from_pretrained(saved_model, max_clip_seconds=3.0)
    wave = np.concatenate([np.tile(_waves()[3], 3), np.zeros(32000, np.float32)])  # ~4.3 s speech + 2 s silence
    path = tmp_path / "long.wav"
    sf.write(path, wave, 16000)
    (result,) = predictor.predict_files([path])
    timeline = predictor.timeline(path)
    assert result.windows == int(np.isfinite(timeline.window_probabilities[:, 0]).sum()) > 0
    assert result.label == timeline.label and result.duration == pytest.approx(len(wave) / 16000)


def test_predict_timeline_command_with_plot(saved_model, tmp_path):
    wave = np.concatenate([_waves()[3], np.zeros(48000, np.float32), _waves()[5]])
    path = tmp_path / "talk.wav"
    sf.write(path, wave, 16000)
    out, plots = tmp_path / "t.jsonl", tmp_path / "plots"
    argv = [saved_model, str(path), "--timeline", "--output", str(out), "--plot_dir", str(plots), "--smoothing", "hmm"]
    assert main(argv) == EXIT_OK
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    segments = record["segments"]
    assert segments[0]["start"] == 0 and segments[-1]["end"] == pytest.approx(len(wave) / 16000, abs=1e-3)
    assert all(a["end"] == b["start"] for a, b in zip(segments, segments[1:], strict=False))
    assert "no_speech" in [s["label"] for s in segments]
    png = Path(record["plot"])
    assert png.parent == plots and png.read_bytes()[:4] == b"\x89PNG"


def test_digital_silence_is_not_an_emotion(saved_model, tmp_path):
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(48000, np.float32), 16000)
    predictor = SERPredictor.from_pretrained(saved_model)
    (clip,) = predictor.predict_files([silent])
    assert clip.label is None and clip.error.startswith("silent")
    timeline = predictor.timeline(silent)
    assert [(s.start, s.end, s.label) for s in timeline.segments] == [(0.0, 3.0, "no_speech")]
    assert timeline.label is None and timeline.speech_fraction == 0.0
    everything = SERPredictor.from_pretrained(saved_model, vad_threshold_db=None)
    assert next(iter(everything.predict_files([silent]))).label in everything.labels
    assert everything.timeline(silent).label in everything.labels


def test_offline_hub_ids_resolve_only_when_cached(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="Hub is offline"):
        resolve_model_source("me/ser-model")
    snapshot = tmp_path / "models--me--ser-model" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (tmp_path / "models--me--ser-model" / "refs").mkdir()
    (tmp_path / "models--me--ser-model" / "refs" / "main").write_text("abc123")
    assert resolve_model_source("me/ser-model") == "me/ser-model"
