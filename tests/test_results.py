"""``hf-ser results``: README results tables come from recorded runs, and the shipped READMEs match them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hf_ser.results import load_records, main, readmes_with_tables, update_tables

REPO = Path(__file__).parents[1]


def cv_results(uar: float, corpus: str = "emodb", speaker_normalization: str = "none") -> dict:
    folds = [{"uar": uar - 0.1}, {"uar": uar + 0.1}]
    return {
        "corpus": corpus,
        "protocol": "leave-one-speaker-out (2 folds)",
        "num_folds": 2,
        "labels": ["anger", "neutral", "sadness", "happiness"],
        "speaker_normalization": speaker_normalization,
        "pooled": {"uar": uar, "wa": uar + 0.01, "macro_f1": uar - 0.01, "accuracy": uar + 0.01},
        "mean": {"uar": uar},
        "std": {"uar": 0.1},
        "folds": folds,
        "wall_time_seconds": 12.3,
        "hardware": "2 CPU cores",
        "seed": 42,
        "command": "hf-ser cv recipes/emodb/default.yaml --data_dir D",
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "recipes" / "emodb").mkdir(parents=True)
    (tmp_path / "recipes" / "emodb" / "default.yaml").write_text("corpus: emodb\n")
    (tmp_path / "recipes" / "emodb" / "README.md").write_text(
        "# EMO-DB\n\nbefore\n<!-- results:emodb -->\nold typed table\n<!-- /results -->\nafter\n"
    )
    (tmp_path / "README.md").write_text("# top\n<!-- results:summary -->\n<!-- /results -->\n")
    return tmp_path


def write_cv(tmp_path: Path, name: str, **kwargs) -> Path:
    path = tmp_path / name / "cv_results.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(cv_results(**kwargs)))
    return path


def test_add_then_tables_writes_the_recorded_numbers(repo, tmp_path, capsys):
    run = write_cv(tmp_path, "run1", uar=0.8214)
    assert main(["--root", str(repo), "add", str(run), "--name", "default"]) == 0
    zrun = write_cv(tmp_path, "run2", uar=0.887, speaker_normalization="speaker_z")
    assert main(["--root", str(repo), "add", str(zrun), "--name", "default_speaker_z", "--note", "z"]) == 0
    assert main(["--root", str(repo), "tables", "--check"]) == 1  # the typed table differs
    assert main(["--root", str(repo), "tables"]) == 0
    text = (repo / "recipes" / "emodb" / "README.md").read_text()
    assert "old typed table" not in text and text.startswith("# EMO-DB\n\nbefore\n") and text.endswith("after\n")
    assert "**0.821**" in text and "**0.887**" in text and "per-speaker z" in text
    assert "0.721 (chance 0.250)" in text  # the lowest fold, against chance for 4 classes
    summary = (repo / "README.md").read_text()
    assert "**0.821**" in summary and "0.887" not in summary  # only runs named after a shipped recipe
    assert main(["--root", str(repo), "tables", "--check"]) == 0
    capsys.readouterr()


def test_add_refuses_to_overwrite_a_record(repo, tmp_path, capsys):
    run = write_cv(tmp_path, "run", uar=0.8)
    assert main(["--root", str(repo), "add", str(run), "--name", "default"]) == 0
    assert main(["--root", str(repo), "add", str(run), "--name", "default"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["--root", str(repo), "add", str(run), "--name", "default", "--overwrite"]) == 0


def test_a_block_without_records_and_a_broken_record_are_errors(repo, tmp_path, capsys):
    (repo / "recipes" / "emodb" / "README.md").write_text("<!-- results:ravdess -->\n<!-- /results -->\n")
    assert main(["--root", str(repo), "tables"]) == 2
    assert "recipes/ravdess/results" in capsys.readouterr().err
    bad = repo / "recipes" / "emodb" / "results" / "x.json"
    bad.parent.mkdir()
    bad.write_text("{}")
    with pytest.raises(ValueError, match="x.json: not a results record"):
        load_records(repo / "recipes")


def test_shipped_readmes_match_their_records():
    """Every results table in README.md and recipes/*/README.md is what `hf-ser results tables` writes."""
    readmes = readmes_with_tables(REPO)
    assert REPO / "README.md" in readmes
    assert update_tables(readmes, REPO / "recipes", check=True) == [], "run `hf-ser results tables`"


def test_recorded_commands_rerun_from_the_repository(repo, tmp_path):
    import shlex

    from hf_ser.results import portable_command

    data_dir = shlex.quote(str(repo.parent / "corpora" / "emo db"))
    command = f"hf-ser cv recipes/emodb/default.yaml --data_dir {data_dir} --output_dir /x/y"
    assert portable_command(command, repo) == "hf-ser cv recipes/emodb/default.yaml --data_dir '../corpora/emo db'"


def test_a_run_with_inner_cv_names_what_the_inner_cv_chose(repo, tmp_path, capsys):
    run = write_cv(tmp_path, "run1", uar=0.9)
    results = json.loads(run.read_text())
    results["inner_cv"] = {"num_folds": 3, "grid": {"weight_decay": [0.01, 1.0]}}
    for fold, chosen in zip(results["folds"], (0.01, 1.0), strict=True):
        fold["inner_cv"] = {"chosen": {"weight_decay": chosen}}
    run.write_text(json.dumps(results))
    assert main(["--root", str(repo), "add", str(run), "--name", "default"]) == 0
    assert main(["--root", str(repo), "tables"]) == 0
    text = (repo / "recipes" / "emodb" / "README.md").read_text()
    assert "strict; 3-fold inner CV chose weight_decay=0.01 (1 fold); weight_decay=1.0 (1 fold)" in text
    capsys.readouterr()


def test_a_run_with_a_gain_check_shows_it(repo, tmp_path, capsys):
    run = write_cv(tmp_path, "run1", uar=0.8)
    results = json.loads(run.read_text())
    results["gain_check"] = {
        "gain_db": -25.0,
        "pooled": {"uar": 0.7512},
        "lowest_speaker_uar_at_gain": 0.5549,
        "labels_unchanged": 0.912,
    }
    run.write_text(json.dumps(results))
    assert main(["--root", str(repo), "add", str(run), "--name", "default"]) == 0
    assert main(["--root", str(repo), "tables"]) == 0
    text = (repo / "recipes" / "emodb" / "README.md").read_text()
    setting = "strict; test clips also -25 dB (16-bit): pooled UAR 0.751, lowest speaker 0.555, labels unchanged 91%"
    assert setting in text
    capsys.readouterr()
