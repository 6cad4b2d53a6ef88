"""``hf-ser`` command line: each sub-command hands its arguments to the package module that owns it.

Only the chosen sub-command's module is imported (and those import torch, transformers and datasets only
when they run, not for ``--help``), so ``hf-ser --help`` answers at once.
"""

from __future__ import annotations

import importlib
import sys

# sub-command -> (module whose ``main(argv)`` runs it, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("hf_ser.demo", "train, evaluate, save and use an MFCC model on the built-in synthetic corpus"),
    "prepare": ("hf_ser.corpora.prepare", "turn a corpus folder into a speaker-independent DatasetDict on disk"),
    "train": ("hf_ser.training.run", "train a model from a YAML recipe (same as recipes/train.py)"),
    "evaluate": ("hf_ser.evaluation", "evaluate a saved model on a corpus split: JSON + Markdown + PNG report"),
    "cv": ("hf_ser.training.cv", "leave-one-speaker-out or k-speaker-fold cross-validation of a recipe"),
    "cache": ("hf_ser.cache_cli", "feature cache: info (what is cached), verify (find bad entries), prune"),
    "predict": ("hf_ser.inference", "predict files, folders or long recordings (emotion timeline) with a saved model"),
    "push": ("hf_ser.hub", "upload a saved model folder (weights, code, card, results) to the Hugging Face Hub"),
    "export": ("hf_ser.exporters.onnx", "export a saved model, front end included, to ONNX (checked against PyTorch)"),
    "results": (
        "hf_ser.results",
        "record a cv run's results and regenerate the README results tables from the records",
    ),
    "demo-app": ("hf_ser.app", "local web page (Gradio): upload or record audio -> scores, timeline; offline"),
}


def _usage() -> str:
    lines = ["usage: hf-ser COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<10} {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "Run `hf-ser COMMAND --help` for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(_usage(), file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    if argv[0] == "--version":
        from . import __version__

        print(__version__)
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"hf-ser: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
