"""The `hf-ser` command: usage and exit codes, and help that does not wait for torch."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from hf_ser.cli import COMMANDS, main


def test_no_arguments_is_a_usage_error(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: hf-ser COMMAND") and all(name in err for name in COMMANDS)


def test_help_is_short_and_unknown_commands_are_named(capsys):
    assert main(["--help"]) == 0
    assert len(capsys.readouterr().out.splitlines()) < 60
    assert main(["trian"]) == 2
    assert "unknown command 'trian'" in capsys.readouterr().err


def test_help_paths_import_no_heavy_library_and_import_hf_ser_still_registers_the_auto_classes():
    """One fresh interpreter: `hf-ser --help` / `train --help` / `cv --help` load none of torch, transformers,
    datasets; importing transformers afterwards registers hf-ser's model type (what `import hf_ser` promises)."""
    code = textwrap.dedent(
        """
        import contextlib, io, sys
        import hf_ser
        from hf_ser.cli import main
        for argv in (["--help"], ["train", "--help"], ["cv", "--help"], ["evaluate", "--help"], ["prepare", "--help"]):
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    assert main(argv) == 0, argv
                except SystemExit as e:  # argparse's --help
                    assert e.code == 0, argv
        heavy = sorted(m for m in ("torch", "transformers", "datasets") if m in sys.modules)
        assert not heavy, heavy
        from transformers.models.auto.configuration_auto import CONFIG_MAPPING
        assert "hf-ser" in CONFIG_MAPPING
        print("ok")
        """
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]
