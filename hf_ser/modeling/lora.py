"""LoRA fine-tuning of the speech encoder of a `SERForAudioClassification` with peft.

LoRA adapters go on the encoder's attention projections; the head (and the layer weights of a weighted
layer sum) are trained fully and saved with the adapter (`modules_to_save`). Everything else is frozen.

Save either the adapter (`peft_model.save_pretrained(dir)`; reload with `load_lora(base_model, dir)`) or a
plain, self-contained model (`merge_lora(peft_model).save_pretrained(dir)`): both give the same logits.
Not part of the saved remote code (needs peft).
"""

from __future__ import annotations

import logging
import re

from torch import nn

logger = logging.getLogger(__name__)

ATTENTION_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "out_proj")
# Module names (last path components) LoRA targets by default, per encoder `model_type`. WavLM's attention reads
# q/k/v/out_proj weights directly in `F.multi_head_attention_forward`, so LoRA there would silently do nothing:
# its feed-forward projections are adapted instead.
DEFAULT_TARGET_MODULES: dict[str, tuple[str, ...]] = {
    "wav2vec2": ATTENTION_PROJECTIONS,
    "hubert": ATTENTION_PROJECTIONS,
    "data2vec-audio": ATTENTION_PROJECTIONS,
    "whisper": ATTENTION_PROJECTIONS,
    "wavlm": ("intermediate_dense", "output_dense"),
}


def default_target_modules(model: nn.Module) -> tuple[str, ...]:
    """LoRA target module names for the model's encoder architecture."""
    model_type = (model.config.encoder_config or {}).get("model_type")
    return DEFAULT_TARGET_MODULES.get(model_type, ATTENTION_PROJECTIONS)


def _target_regex(names: list[str] | tuple[str, ...]) -> str:
    # encoder modules only: the head has no such names today, but a regex keeps it that way
    alternatives = "|".join(re.escape(n) for n in names)
    return rf"^encoder\.(?:.*\.)?(?:{alternatives})$"


def apply_lora(
    model: nn.Module,
    r: int = 8,
    alpha: int = 16,
    dropout: float = 0.0,
    target_modules: list[str] | str | None = None,
):
    """Wrap `model` (a `SERForAudioClassification` with an encoder front end) in a peft `PeftModel`.

    Args:
        model: the model; its encoder gets LoRA adapters, its head stays fully trainable.
        r, alpha, dropout: LoRA rank, scaling numerator and dropout.
        target_modules: module names inside the encoder (e.g. ["q_proj", "v_proj"]) or a full regex; default:
            the attention projections of the architecture (see `DEFAULT_TARGET_MODULES`).

    Returns:
        the `PeftModel`; only the LoRA matrices, the head and the layer weights require gradients.
    """
    from peft import LoraConfig, get_peft_model

    if getattr(model, "encoder", None) is None:
        raise ValueError("apply_lora needs a model with frontend='encoder'")
    if r <= 0:
        raise ValueError(f"r must be > 0, got {r}")
    if target_modules is None:
        target_modules = default_target_modules(model)
    if not isinstance(target_modules, str):
        target_modules = _target_regex(list(target_modules))
    modules_to_save = ["head"] + (["layer_sum"] if getattr(model, "layer_sum", None) is not None else [])
    config = LoraConfig(
        r=r,
        lora_alpha=alpha,
        lora_dropout=dropout,
        target_modules=target_modules,
        modules_to_save=modules_to_save,
        bias="none",
    )
    # LoRA trains inside the encoder: it must run with autograd (and dropout) even if the config froze it.
    model.config.freeze_encoder = False
    peft_model = get_peft_model(model, config)
    trainable = sum(p.numel() for p in peft_model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in peft_model.parameters())
    logger.info("LoRA r=%d on %s: %d of %d parameters trainable", r, target_modules, trainable, total)
    return peft_model


def load_lora(model: nn.Module, adapter_dir: str, is_trainable: bool = False):
    """Load a saved adapter (from `PeftModel.save_pretrained`) onto the base model it was trained from; an adapter
    saved only as a pickle (`adapter_model.bin`) is refused, like every pickle checkpoint."""
    from peft import PeftModel

    from ..safe_loading import refuse_pickle_weights

    refuse_pickle_weights(adapter_dir, what="LoRA adapter")

    return PeftModel.from_pretrained(model, adapter_dir, is_trainable=is_trainable)


def merge_lora(peft_model) -> nn.Module:
    """Fold the LoRA weights into the encoder and return the plain `SERForAudioClassification` (with the trained
    head), ready for `save_pretrained` as a self-contained model."""
    model = peft_model.merge_and_unload()
    for p in model.parameters():
        p.requires_grad = True
    if hasattr(model, "_apply_freezing"):
        model._apply_freezing()
    return model
