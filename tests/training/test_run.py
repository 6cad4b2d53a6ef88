"""End-to-end training runs: output contract, evaluation CLI, Hub upload (mocked), resume after
SIGKILL, and 2-process CPU DDP counting every test clip once."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recipes"))
from recipe_utils import ROOT, TINY_OPTIONS, TRAIN_SCRIPT, check_contract, run_train, tiny_args  # noqa: E402

DEFAULT = str(ROOT / "recipes" / "synthetic" / "default.yaml")


def _env() -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "model"
    run_train([DEFAULT, "--output_dir", str(out), *tiny_args()])
    return out


def test_output_contract(trained):
    results = check_contract(trained)
    assert results["labels"] == ["neutral", "happiness", "sadness", "anger"]
    assert set(results["test_per_class_recall"]) <= set(results["labels"])
    assert results["validation_uar"] is not None and results["global_step"] == 4
    # no speaker in two splits
    speakers = results["speakers"]
    assert not set(speakers["test"]) & (set(speakers["train"]) | set(speakers["validation"]))
    saved = (trained / "train_config.yaml").read_text()
    assert "max_steps: 4" in saved and "corpus: synthetic" in saved
    # recipes/train.py was given an absolute recipe path: the card names the shipped recipe as recipes/...
    card = (trained / "README.md").read_text()
    assert "Trained with `accelerate launch recipes/train.py recipes/synthetic/default.yaml --output_dir" in card
    assert "| warmup | 0.05 of the training steps |" in card  # the recipe's warmup_steps: 0.05 is a ratio


def test_card_command_reruns_the_training_and_the_model_folder_holds_only_the_model(tmp_path, monkeypatch):
    """The card's "Trained with" command, run as written (here from a folder with no recipes/ in it: the
    shipped recipe is found), trains the same model again; no optimizer state in the saved folder."""
    from hf_ser.cli import main

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "model"
    assert main(["train", "recipes/synthetic/default.yaml", "--output_dir", str(out), *tiny_args()]) == 0
    first = json.loads((out / "test_results.json").read_text())
    command = re.search(r"^Trained with `(.+)`\.$", (out / "README.md").read_text(), re.MULTILINE).group(1)
    words = shlex.split(command)
    assert words[:3] == ["hf-ser", "train", "recipes/synthetic/default.yaml"] and str(out) in words

    saved = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    trainer_state_files = ("optimizer.pt", "scheduler.pt", "rng_state.pth", "training_args.bin")
    assert not [n for n in saved if n.startswith("checkpoint-") or n.endswith(trainer_state_files)]
    assert {"model.safetensors", "config.json", "preprocessor_config.json", "train.log"} <= saved
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "model.safetensors").stat().st_mode & 0o777 == 0o666 & ~umask  # not safetensors' 0600

    assert main(words[1:]) == 0
    again = json.loads((out / "test_results.json").read_text())
    assert again["test_uar"] == first["test_uar"] and again["test_confusion_matrix"] == first["test_confusion_matrix"]


def test_saved_model_classifies_with_pipeline(trained):
    import numpy as np
    from transformers import pipeline

    import hf_ser.modeling  # noqa: F401  (registers the Auto classes)

    clf = pipeline("audio-classification", model=str(trained))
    out = clf(np.zeros(16000, dtype=np.float32) + 0.01)
    assert out[0]["label"] in {"neutral", "happiness", "sadness", "anger"}


def test_evaluate_cli_matches_training_test_metrics(trained, tmp_path):
    from hf_ser.evaluation import main

    report_dir = tmp_path / "report"
    # split seed/sizes and corpus options default to the model's own train_config.yaml: same test speakers
    code = main([str(trained), "--corpus", "synthetic", "--split", "test", "--output_dir", str(report_dir)])
    assert code == 0
    for name in ("eval_results.json", "eval_report.md", "confusion_matrix.png"):
        assert (report_dir / name).exists()
    report = json.loads((report_dir / "eval_results.json").read_text())
    results = json.loads((trained / "test_results.json").read_text())
    assert report["num_samples"] == results["test_num_samples"]
    assert report["uar"] == pytest.approx(results["test_uar"], abs=1e-9)
    assert report["confusion_matrix"] == results["test_confusion_matrix"]
    assert "per_speaker" in report and "UAR" in (report_dir / "eval_report.md").read_text()


def test_evaluate_writes_beside_the_model_folder_and_warns_on_few_clips(trained, capsys):
    from hf_ser.evaluation import main

    before = sorted(p.name for p in trained.iterdir())
    # the tiny corpus has 3 validation clips per class: too few for metrics that mean much
    assert main([str(trained), "--corpus", "synthetic", "--split", "validation"]) == 0
    assert sorted(p.name for p in trained.iterdir()) == before  # the model folder (what is pushed) is untouched
    report_dir = trained.parent / f"{trained.name}_eval" / "synthetic_validation"
    report = json.loads((report_dir / "eval_results.json").read_text())
    assert report["num_samples"] == 12 and len(report["warnings"]) == 1
    assert "fewer than 5 per class" in report["warnings"][0]
    assert "fewer than 5 per class" in capsys.readouterr().err
    assert "warning" in (report_dir / "eval_report.md").read_text() and (report_dir / "evaluate.log").exists()


def test_push_to_hub_with_mocked_client(tmp_path, fake_hub):
    calls = fake_hub
    out = tmp_path / "pushed"
    run_train(
        [
            DEFAULT,
            "--output_dir",
            str(out),
            *tiny_args(push_to_hub="true", hub_model_id="me/ser-demo"),
            "--hub_private_repo",
            "true",
        ]
    )
    kinds = [c[0] for c in calls]
    assert kinds == ["init", "create_repo", "upload_folder"], calls  # once, at the end, not per checkpoint
    _, repo_id, private, exist_ok = calls[1]
    assert repo_id == "me/ser-demo" and private is True and exist_ok is True
    _, _, files, ignore, _ = calls[2]
    assert {"model.safetensors", "config.json", "README.md", "test_results.json"} <= set(files)
    # the model folder is what is uploaded: no checkpoints (deleted once the model is saved), no pickles
    assert not [f for f in files if f.startswith("checkpoint-")] and "training_args.bin" not in files
    assert "checkpoint-*" in ignore  # kept checkpoints (keep_checkpoints: true) are never uploaded
    card = (out / "README.md").read_text()
    assert 'model="me/ser-demo"' in card


def _slow_trainer_script(tmp_path) -> Path:
    """recipes/train.py with a 0.3 s pause per step, so the run can be killed mid-training."""
    script = tmp_path / "slow_train.py"
    script.write_text(
        "import sys, time\n"
        "from transformers import TrainerCallback\n"
        "import hf_ser.training.run as run\n"
        "class Slow(TrainerCallback):\n"
        "    def on_step_end(self, args, state, control, **kw):\n"
        "        time.sleep(0.3)\n"
        "_train = run.train\n"
        "def train(*a, **k):\n"
        "    k['callbacks'] = [Slow()]\n"
        "    return _train(*a, **k)\n"
        "run.train = train\n"
        "sys.exit(run.main(sys.argv[1:]))\n"
    )
    return script


def test_resume_after_sigkill_gives_same_metrics(tmp_path):
    # augmentation and random crops on, so the resumed run must also restore the data RNG
    args = [
        DEFAULT,
        *tiny_args(max_steps="12", save_steps="4", seed="3", augment="true", early_stopping_patience="null"),
    ]

    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, str(_slow_trainer_script(tmp_path)), *args, "--output_dir", str(killed)],
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 300
        while not (killed / "checkpoint-8").exists():
            assert proc.poll() is None, "training ended before it could be killed"
            assert time.time() < deadline, "no checkpoint-8 within 300 s"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (killed / "test_results.json").exists()

    # Resume from the checkpoint seen (it may have been cut mid-save: the last complete one is used).
    checkpoint = killed / "checkpoint-8"
    run_train([*args, "--output_dir", str(killed), "--resume_from_checkpoint", str(checkpoint)])
    full = tmp_path / "full"
    run_train([*args, "--output_dir", str(full)])
    a = json.loads((full / "test_results.json").read_text())
    b = json.loads((killed / "test_results.json").read_text())
    assert b["global_step"] == a["global_step"] == 12
    assert b["test_uar"] == a["test_uar"]
    assert b["test_confusion_matrix"] == a["test_confusion_matrix"]
    # Same predictions; the loss may differ in the last float digits (CPU kernels' reduction order).
    assert b["test_loss"] == pytest.approx(a["test_loss"], rel=1e-4)


def test_resume_true_picks_last_complete_checkpoint(tmp_path):
    from hf_ser.training.experiment import resolve_resume_checkpoint

    checkpoints = tmp_path  # Trainer's output_dir/checkpoint-N
    for step, complete in ((2, True), (4, True), (6, False)):
        d = checkpoints / f"checkpoint-{step}"
        d.mkdir(parents=True)
        if complete:
            (d / "trainer_state.json").write_text("{}")
    assert resolve_resume_checkpoint("true", str(tmp_path)) == str(checkpoints / "checkpoint-4")
    incomplete = str(checkpoints / "checkpoint-6")
    assert resolve_resume_checkpoint(incomplete, str(tmp_path)) == str(checkpoints / "checkpoint-4")
    assert resolve_resume_checkpoint(None, str(tmp_path)) is None
    with pytest.raises(ValueError, match="no checkpoint folder"):
        resolve_resume_checkpoint(str(checkpoints / "checkpoint-99"), str(tmp_path))
    with pytest.raises(ValueError, match="no complete checkpoint"):
        resolve_resume_checkpoint("true", str(tmp_path / "elsewhere"))


def test_two_process_cpu_ddp_counts_each_test_clip_once(tmp_path):
    """accelerate launch with recipes/accelerate_configs/cpu_ddp.yaml: 2 gloo processes, exact test count."""
    from hf_ser.corpora import load_corpus

    out = tmp_path / "ddp"
    # 5 clips per eval batch and process: the 12 test clips do not split evenly over 2 x 5, so DDP pads
    # the last batch; the metrics must still count 12.
    cmd = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(ROOT / "recipes" / "accelerate_configs" / "cpu_ddp.yaml"),
        "--main_process_port",
        str(29600 + os.getpid() % 300),
        str(TRAIN_SCRIPT),
        DEFAULT,
        "--output_dir",
        str(out),
        *tiny_args(per_device_eval_batch_size="5"),
    ]
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = check_contract(out)
    assert results["num_processes"] == 2
    test = load_corpus("synthetic", classes=None, progress=False, **TINY_OPTIONS)["test"]
    assert results["test_num_samples"] == len(test)
    assert sum(results["test_support"].values()) == len(test)
