"""Where models come from and go to: ``hf-ser push MODEL --hub_model_id USER/NAME`` uploads a saved folder.

A saved folder or Hub id is resolved and loaded here (for inference, evaluation, export and training), and one
upload path serves ``hf-ser push``, training's ``push_to_hub`` and ``SERForAudioClassification.push_to_hub``: the
weights, config, feature extractor config, the model's own code (``auto_map``), the model card and results, never
checkpoints or optimizer state.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

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
CONFIG_NAME = REQUIRED_FILES[0]


class ModelNotFoundError(FileNotFoundError):
    """A model that is neither a saved model folder nor (when the Hub can be reached) a Hub id."""


def _hub_offline() -> bool:
    from huggingface_hub import constants

    flag = os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}
    return bool(constants.HF_HUB_OFFLINE) or flag


def resolve_model_source(name_or_path: str | os.PathLike) -> str:
    """A saved model folder, or a Hub id; a path that looks local (or any name while the Hub is offline) that is
    not a model folder raises :class:`ModelNotFoundError` at once instead of going to the Hub and its retries."""
    name = os.path.expanduser(os.fspath(name_or_path))
    if os.path.isdir(name):
        if not os.path.isfile(os.path.join(name, CONFIG_NAME)):
            raise ModelNotFoundError(f"{name}: a folder, but not a saved model (no {CONFIG_NAME} in it)")
        return name
    first = name.split("/", 1)[0]
    looks_local = (
        os.path.isabs(name)
        or name.startswith((".", "~"))
        or name.count("/") > 1
        or os.path.exists(name)
        or (name.count("/") == 1 and os.path.isdir(first))
        or os.sep != "/"
        and os.sep in name
    )
    if looks_local:
        raise ModelNotFoundError(f"no such model folder: {name}")
    if _hub_offline():
        from huggingface_hub import try_to_load_from_cache

        if isinstance(try_to_load_from_cache(name, CONFIG_NAME), str):
            return name  # downloaded before: transformers loads it from the local Hub cache
        raise ModelNotFoundError(f"no such model folder: {name} (and the Hub is offline, HF_HUB_OFFLINE=1)")
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError as e:
        raise ModelNotFoundError(f"no such model folder: {name} (nor a valid Hub id: {e})") from e
    return name


def load_model(
    name_or_path: str | os.PathLike, *, trust_remote_code: bool = False, device: str | None = None
) -> tuple[Any, Any]:
    """(model in eval mode, feature extractor) of a saved hf-ser model or any transformers audio classifier.

    Weights are read from safetensors only (a pickled ``pytorch_model.bin`` can run code when loaded, so it is
    refused with an explanation); remote code runs only with ``trust_remote_code=True``.
    """
    from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

    import hf_ser.modeling  # noqa: F401  (registers the Auto classes)

    from .safe_loading import refuse_pickle_weights

    source = resolve_model_source(name_or_path)
    refuse_pickle_weights(source)
    model = AutoModelForAudioClassification.from_pretrained(
        source, trust_remote_code=trust_remote_code, use_safetensors=True
    )
    feature_extractor = AutoFeatureExtractor.from_pretrained(source, trust_remote_code=trust_remote_code)
    model.eval()
    if device is not None:
        model.to(device)
    return model, feature_extractor


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
