"""Using trained models: load a saved or Hub model, predict many clips, and emotion timelines of long recordings.

Sits on :mod:`hf_ser.modeling` and :mod:`hf_ser.audio` only (never on ``training``), so a model can be used
without anything training needs.
"""

from __future__ import annotations

import os
from typing import Any

CONFIG_NAME = "config.json"


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

    source = resolve_model_source(name_or_path)
    if os.path.isdir(source) and not any(f.endswith(".safetensors") for f in os.listdir(source)):
        if any(f.endswith((".bin", ".pt", ".pth", ".ckpt")) for f in os.listdir(source)):
            raise ValueError(
                f"{source}: weights are a pickle checkpoint, which can run arbitrary code when loaded; hf-ser loads "
                "safetensors only (convert it with transformers: model.save_pretrained(dir), which writes "
                "model.safetensors)"
            )
    model = AutoModelForAudioClassification.from_pretrained(
        source, trust_remote_code=trust_remote_code, use_safetensors=True
    )
    feature_extractor = AutoFeatureExtractor.from_pretrained(source, trust_remote_code=trust_remote_code)
    model.eval()
    if device is not None:
        model.to(device)
    return model, feature_extractor
