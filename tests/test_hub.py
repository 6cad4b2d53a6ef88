"""hf_ser.hub: `hf-ser push` uploads the model folder (not checkpoints) through a mocked Hub client."""

from __future__ import annotations

from hf_ser.hub import IGNORE_PATTERNS, main


def test_push_uploads_the_model_folder_without_checkpoints(tmp_path, fake_hub, capsys):
    calls = fake_hub
    for name in ("config.json", "model.safetensors", "README.md", "modeling.py"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "checkpoint-4").mkdir()
    assert main([str(tmp_path), "--hub_model_id", "me/ser", "--private", "--token", "t"]) == 0
    assert [c[0] for c in calls] == ["init", "create_repo", "upload_folder"]
    assert calls[0] == ("init", "t") and calls[1] == ("create_repo", "me/ser", True, True)
    _, repo, files, ignore, _ = calls[2]
    assert repo == "me/ser" and "model.safetensors" in files and ignore == IGNORE_PATTERNS
    assert {"checkpoint-*", "checkpoint-*/**", "*.bin"} <= set(ignore)
    assert "https://huggingface.co/me/ser" in capsys.readouterr().out


def test_push_refuses_a_folder_that_is_not_a_model(tmp_path, fake_hub, capsys):
    calls = fake_hub
    (tmp_path / "config.json").write_text("{}")
    assert main([str(tmp_path), "--hub_model_id", "me/ser"]) == 2
    assert "no *.safetensors weights" in capsys.readouterr().err
    assert main([str(tmp_path / "nope"), "--hub_model_id", "me/ser"]) == 2
    assert f"no such model folder: {tmp_path / 'nope'}" in capsys.readouterr().err
    assert calls == []
