"""Upload a saved model folder to the Hugging Face Hub: ``hf-ser push MODEL --hub_model_id USER/NAME``.

One upload path for ``hf-ser push`` and for training's ``push_to_hub``: the weights, config, feature extractor
config, the model's own code (``auto_map``), the model card and results — never checkpoints or optimizer state.
"""

from __future__ import annotations

import argparse
import os
import sys

# What a trained output folder may hold that is not the model: resumable checkpoints, TensorBoard runs, pickles.
IGNORE_PATTERNS = [
    "checkpoint-*",
    "checkpoint-*/**",
    "runs/**",
    "*.pt",
    "*.pth",
    "*.bin",
    "*.partial",
]
REQUIRED_FILES = ("config.json",)


def check_model_folder(folder: str) -> None:
    """Raise ``FileNotFoundError`` naming the folder when it is not a saved model (config + safetensors weights)."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no such model folder: {folder}")
    names = os.listdir(folder)
    missing = [f for f in REQUIRED_FILES if f not in names]
    if missing or not any(n.endswith(".safetensors") for n in names):
        what = ", ".join(missing) if missing else "*.safetensors weights"
        raise FileNotFoundError(f"{folder}: not a saved model folder (no {what} in it)")


def push_model_folder(
    folder: str,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    commit_message: str = "Upload hf-ser model, model card and results",
) -> str:
    """Create ``repo_id`` if needed and upload ``folder`` (minus :data:`IGNORE_PATTERNS`); returns the repo id."""
    from huggingface_hub import HfApi

    check_model_folder(folder)
    api = HfApi(token=token)
    repo_url = api.create_repo(repo_id, private=private, exist_ok=True)
    repo_id = getattr(repo_url, "repo_id", None) or repo_id
    api.upload_folder(
        repo_id=repo_id, folder_path=folder, commit_message=commit_message, ignore_patterns=IGNORE_PATTERNS
    )
    return repo_id


def main(argv: list[str] | None = None) -> int:
    """``hf-ser push MODEL --hub_model_id USER/NAME [--private]``: exit 0 when uploaded, 2 for a bad folder."""
    p = argparse.ArgumentParser(
        prog="hf-ser push",
        description="Upload a saved hf-ser model folder (weights, config, remote code, model card, results) to the "
        "Hugging Face Hub. Checkpoints and optimizer state are never uploaded.",
    )
    p.add_argument("model", help="saved model folder (output_dir of hf-ser train)")
    p.add_argument("--hub_model_id", required=True, help="repository on the Hub, USER/NAME or ORG/NAME")
    p.add_argument("--private", action="store_true", help="create the repository as private")
    p.add_argument("--token", default=None, help="Hub token (default: the one saved by `hf auth login` / HF_TOKEN)")
    p.add_argument("--commit_message", default="Upload hf-ser model, model card and results")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        check_model_folder(args.model)
    except FileNotFoundError as e:
        print(f"hf-ser push: error: {e}", file=sys.stderr)
        return 2
    if not os.path.isfile(os.path.join(args.model, "README.md")):
        print(f"hf-ser push: warning: {args.model} has no README.md model card; uploading without one", file=sys.stderr)
    repo_id = push_model_folder(
        args.model, args.hub_model_id, private=args.private, token=args.token, commit_message=args.commit_message
    )
    print(f"pushed {args.model} to https://huggingface.co/{repo_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
