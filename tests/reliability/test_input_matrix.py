"""Every row of the bad-input matrix (matrix.py) through ``hf-ser prepare``, ``hf-ser train``, ``hf-ser predict``
and the Python API, plus the rows that are about the environment (an hour-long file, a read-only output folder,
a full disk under the feature cache), and the real public oddities where /work/shared has them."""

from __future__ import annotations

import errno
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modeling"))

from matrix import KEPT, ROWS, SR, build_matrix_folder, speech  # noqa: E402
from ser_testutils import make_model  # noqa: E402

from hf_ser.audio import AudioDecodeError, load_audio, stream_audio  # noqa: E402
from hf_ser.cli import main  # noqa: E402
from hf_ser.inference import EXIT_SKIPPED  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("HF_SER_SHARED", ROOT.parent / "shared"))
ROW_IDS = [row.id for row in ROWS]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path_factory.mktemp("matrix") / "EMO DB copy"  # a space in the corpus root too
    return folder, build_matrix_folder(folder)


@pytest.fixture(scope="module")
def prepared(matrix, tmp_path_factory) -> tuple[dict, set[str]]:
    from datasets import load_from_disk

    folder, _ = matrix
    work = tmp_path_factory.mktemp("prepared")
    argv = ["prepare", "emodb", "--data_dir", str(folder), "--output_dir", str(work / "out"), "--split", "none"]
    assert (
        main([*argv, "--classes", "anger", "sadness", "neutral", "--cache_dir", str(work / "hf"), "--no_progress"]) == 0
    )
    report = json.loads((work / "out" / "prepare_report.json").read_text())
    return report, set(load_from_disk(str(work / "out"))["all"]["path"])


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> str:
    from hf_ser.modeling import feature_extractor_for

    path = tmp_path_factory.mktemp("model")
    model = make_model(frontend="mfcc", head="mlp")
    model.save_pretrained(path)
    feature_extractor_for(model.config).save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def predicted(matrix, saved_model, tmp_path_factory) -> dict[str, dict]:
    folder, _ = matrix
    out = tmp_path_factory.mktemp("predicted") / "predictions.jsonl"
    assert main(["predict", saved_model, str(folder), "--output", str(out), "--no_progress"]) == EXIT_SKIPPED
    return {r["path"]: r for r in map(json.loads, out.read_text().splitlines())}


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_prepare(row, matrix, prepared):
    report, kept = prepared
    path = str(matrix[1][row.id])
    rejected = {r["path"]: r for r in report["rejected"]}
    if row.prepare == KEPT:
        assert path in kept and path not in rejected
    else:
        assert path not in kept and rejected[path]["reason"] == row.prepare, rejected.get(path)
        assert rejected[path]["detail"]  # the reason in words, e.g. "silent: all 41108 samples are zero"


def test_prepare_keeps_every_good_take_and_names_each_duplicates_original(matrix, prepared):
    report, kept = prepared
    folder, files = matrix
    good = {str(p) for p in folder.glob("??a01??.wav")}
    assert len(good) == 12 and good <= kept
    assert len(kept) == 12 + sum(row.prepare == KEPT for row in ROWS)
    details = {r["path"]: r["detail"] for r in report["rejected"]}
    assert details[str(files["duplicate_across_speakers"])] == f"same bytes as {folder / '03a01Wa.wav'}"
    assert details[str(files["duplicate_audio"])] == f"same audio as {folder / '09a01Ta.wav'}"
    assert details[str(files["all_zero"])] == "silent: all 41108 samples are zero"
    assert report["rejected_by_reason"]["silent"] == 2


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_predict(row, matrix, predicted):
    record = predicted[str(matrix[1][row.id])]
    if row.predict == KEPT:
        assert "error" not in record and record["label"] in ("anger", "sadness", "neutral", "happiness"), record
    else:
        assert row.predict in record["error"] and "label" not in record, record


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_python_api(row, matrix):
    path = matrix[1][row.id]
    if row.api != KEPT:
        with pytest.raises(AudioDecodeError, match=re.escape(row.api)) as e:
            load_audio(path)
        assert str(path) in str(e.value)
        return
    wave = load_audio(path)
    assert wave.dtype == np.float32 and wave.ndim == 1 and np.all(np.isfinite(wave))
    info = sf.info(str(path))
    assert len(wave) == pytest.approx(info.frames * SR / info.samplerate, abs=1)  # resampled to 16 kHz
    if info.channels > 1 or info.samplerate == SR:  # downmixed: the mean of the channels
        raw, _ = sf.read(str(path), dtype="float32", always_2d=True)
        np.testing.assert_allclose(wave, raw.mean(axis=1), atol=1e-6)


def test_load_corpus_api_keeps_what_prepare_keeps(matrix, prepared, tmp_path):
    import hf_ser

    dd = hf_ser.load_corpus(
        "emodb", matrix[0], classes=["anger", "sadness", "neutral"], split="none", cache_dir=tmp_path, progress=False
    )
    assert set(dd["all"]["path"]) == prepared[1]


def test_train_on_the_matrix_folder_uses_the_good_files_and_logs_the_rest(matrix, prepared, tmp_path):
    out = tmp_path / "run"
    argv = ["train", str(ROOT / "recipes" / "synthetic" / "default.yaml"), "--corpus", "emodb"]
    argv += ["--data_dir", str(matrix[0]), "--classes", "anger", "sadness", "neutral", "--corpus_options", "{}"]
    argv += ["--test_size", "0.2", "--validation_size", "0", "--max_steps", "2", "--early_stopping_patience", "null"]
    argv += ["--n_mfcc", "13", "--n_mels", "26", "--head_channels", "8", "--output_dir", str(out)]
    argv += ["--max_duration_seconds", "null", "--disable_tqdm", "true"]
    assert main(argv) == 0
    results = json.loads((out / "test_results.json").read_text())
    log = next(out.glob("*.log")).read_text()
    report = prepared[0]
    assert f"emodb: {len(report['rejected'])} file(s) rejected {report['rejected_by_reason']}" in log
    assert results["test_num_samples"] > 0


# ---------------------------------------------------------------------------------------------- environment rows
@pytest.fixture(scope="module")
def one_hour(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hour") / "Sitzung 1 h.wav"
    sr = 8000
    with sf.SoundFile(path, "w", sr, 1, subtype="PCM_16") as f:
        f.write(speech(2.0, sr, seed=1))
        zeros = np.zeros(598 * sr, np.float32)
        for _ in range(6):  # 6 x 598 s
            f.write(zeros)
        f.write(np.zeros(8 * sr, np.float32))
        f.write(speech(2.0, sr, seed=2))  # 2 + 3588 + 8 + 2 = 3600 s
    return path


def test_one_hour_file_streams_in_bounded_blocks(one_hour):
    blocks = [len(b) for b in stream_audio(one_hour, SR, block_seconds=60.0)]
    assert sum(blocks) == 3600 * SR and max(blocks) <= 60 * SR


def test_one_hour_file_is_predicted_by_windows(one_hour, saved_model, tmp_path):
    out = tmp_path / "hour.jsonl"
    assert main(["predict", saved_model, str(one_hour), "--output", str(out), "--no_progress"]) == 0
    (record,) = map(json.loads, out.read_text().splitlines())
    assert record["duration"] == pytest.approx(3600.0) and record["label"] is not None


def _writes_refused(folder: Path) -> bool:
    try:
        (folder / ".probe").write_text("x")
    except OSError:
        return True
    (folder / ".probe").unlink()
    return False


@pytest.fixture
def read_only_folder(tmp_path, monkeypatch) -> Path:
    """A folder with mode 0555. Root writes there anyway (it ignores permission bits), so for root the test
    makes os.access answer by the permission bits, as it does for every other user."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if not _writes_refused(folder):
        real_access = os.access

        def by_mode_bits(path, mode, *args, **kwargs):
            if mode & os.W_OK and os.path.exists(path) and not os.stat(path).st_mode & 0o222:
                return False
            return real_access(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", by_mode_bits)
    yield folder
    folder.chmod(0o755)


def test_prepare_into_a_read_only_folder_fails_before_decoding(matrix, read_only_folder, capsys, monkeypatch):
    import hf_ser.corpora.base as base

    monkeypatch.setattr(base, "decode_audio_bytes", lambda *a, **k: pytest.fail("decoded before the check"))
    out = read_only_folder / "prepared"
    assert main(["prepare", "emodb", "--data_dir", str(matrix[0]), "--output_dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert "error" in err and str(read_only_folder) in err and "not writable" in err
    assert not out.exists()


def test_predict_output_in_a_read_only_folder_fails_before_predicting(saved_model, read_only_folder, matrix, capsys):
    out = read_only_folder / "p.jsonl"
    assert main(["predict", saved_model, str(matrix[1]["rate_8k"]), "--output", str(out)]) == 2
    assert f"cannot write --output {out}: {read_only_folder} is not writable" in capsys.readouterr().err


def test_feature_cache_on_a_full_disk_is_a_clear_error(tmp_path, monkeypatch, capsys):
    sys.path.insert(0, str(ROOT / "tests" / "training"))
    from tiny_cv import tiny_argv

    import hf_ser.training.cache as fc

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fc.np, "save", disk_full)
    assert main(["cv", *tiny_argv(tmp_path, num_folds=2)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write the feature cache {tmp_path / 'cache'}" in err and "the disk is full" in err
    assert "--cache_features false" in err
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and p.suffix == ".npy"]


def test_feature_cache_on_a_read_only_file_system_is_a_clear_error(tmp_path, monkeypatch):
    import hf_ser.training.cache as fc

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(fc.os, "makedirs", read_only)
    with pytest.raises(fc.FeatureCacheError, match="the file system is read-only"):
        fc.FeatureCache.for_model(make_model(frontend="mfcc", head="mlp"), str(tmp_path / "ro"))


# -------------------------------------------------------------------------------------- real public oddities
RAVDESS = SHARED / "corpora" / "ravdess"


@pytest.mark.skipif(not (RAVDESS / "Actor_07").is_dir(), reason=f"real RAVDESS not at {RAVDESS}")
def test_real_ravdess_duplicate_take_is_reported(tmp_path):
    """Actor_07's 03-01-03-01-02-01-07 and -02-07 hold identical audio: one is kept, the other reported."""
    data = tmp_path / "ravdess" / "Actor_07"
    data.mkdir(parents=True)
    for f in sorted((RAVDESS / "Actor_07").glob("03-01-*")):
        (data / f.name).symlink_to(f)  # the shared copy's own files (FLAC)
    out = tmp_path / "out"
    argv = ["prepare", "ravdess", "--data_dir", str(data.parent), "--output_dir", str(out), "--split", "none"]
    assert main([*argv, "--cache_dir", str(tmp_path / "hf"), "--no_progress"]) == 0
    report = json.loads((out / "prepare_report.json").read_text())
    assert [(Path(r["path"]).stem, r["reason"]) for r in report["rejected"]] == [("03-01-03-01-02-02-07", "duplicate")]
    assert "03-01-03-01-02-01-07" in report["rejected"][0]["detail"]


QUIETEST_RAVDESS = ("Actor_09/03-01-04-01-02-02-09", "Actor_20/03-01-02-02-02-02-20", "Actor_20/03-01-04-01-01-02-20")


@pytest.mark.skipif(not RAVDESS.is_dir(), reason=f"real RAVDESS not at {RAVDESS}")
@pytest.mark.parametrize("take", QUIETEST_RAVDESS)
def test_real_quietest_ravdess_takes_are_above_the_silence_floor(take):
    """The quietest real takes (peak frame -54.6 dBFS and nearby): a -50 dBFS floor would drop them, -70 keeps them."""
    from hf_ser.audio import SILENCE_FLOOR_DB, frame_levels, silence_detail

    wave = load_audio(next(RAVDESS.glob(f"{take}.*")))
    loudest = frame_levels(wave, SR).max()
    assert SILENCE_FLOOR_DB < loudest < -50 and silence_detail(wave, SR) is None


def test_docs_table_lists_every_row():
    doc = (ROOT / "docs" / "reliability.md").read_text()
    for row_id in ROW_IDS:
        assert f"`{row_id}`" in doc, row_id
    assert "reliability.md" in (ROOT / "README.md").read_text()
