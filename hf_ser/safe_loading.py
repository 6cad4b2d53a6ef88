"""Loading weights someone else made: safetensors only, never a pickle.

A ``pytorch_model.bin`` (or ``.pt`` / ``.pth`` / ``.ckpt``) is a Python pickle: unpickling it can run any code
its author put in it. Every hf-ser path that loads weights (``predict``, ``evaluate``, ``export``,
``demo-app``, training's ``model_name_or_path`` and ``encoder_name_or_path``) refuses such a folder with the
reason and the fix, and passes ``use_safetensors=True`` to transformers, which applies the same rule to Hub
downloads. Remote code runs only with an explicit ``trust_remote_code=True`` (every command's
``--trust_remote_code``; off by default).
"""

from __future__ import annotations

import os

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


class PickleWeightsError(ValueError):
    """A model folder whose weights are only a pickle checkpoint."""


def refuse_pickle_weights(name_or_path: str | os.PathLike, what: str = "model") -> None:
    """Raise :class:`PickleWeightsError` when ``name_or_path`` is a local folder with pickle weights and no
    ``.safetensors`` file; Hub ids and folders holding safetensors pass (transformers then reads safetensors)."""
    folder = os.path.expanduser(os.fspath(name_or_path))
    if not os.path.isdir(folder):
        return
    names = os.listdir(folder)
    if any(n.endswith(".safetensors") for n in names):
        return
    pickles = sorted(n for n in names if n.endswith(PICKLE_SUFFIXES))
    if pickles:
        raise PickleWeightsError(
            f"{folder}: the {what}'s weights are a pickle checkpoint ({', '.join(pickles)}), which can run arbitrary "
            "code when loaded; hf-ser loads safetensors only. If you trust its source, convert it once with "
            "transformers (from_pretrained(dir, use_safetensors=False) then save_pretrained(dir), which writes "
            "model.safetensors)"
        )
