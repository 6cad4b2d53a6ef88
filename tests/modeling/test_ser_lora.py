"""LoRA on the encoder: only LoRA + head (+ layer weights) train; adapter and merged saves reload to the
same logits."""

from __future__ import annotations

import pytest
import torch
from ser_testutils import make_model, train_step
from transformers import AutoModelForAudioClassification

from hf_ser.modeling.lora import apply_lora, default_target_modules, load_lora, merge_lora


@pytest.mark.parametrize("encoder", ["whisper", "wav2vec2_group", "wavlm"])
def test_lora_trainable_params_and_reload(encoder, encoder_dirs, fe, clips, tmp_path):
    model = make_model(
        frontend="encoder",
        encoder_name_or_path=encoder_dirs[encoder],
        layer_combination="weighted_sum",
        freeze_encoder=True,
        head="mlp",
        head_hidden_size=16,
    )
    model.save_pretrained(tmp_path / "base")
    batch = fe(list(clips), sampling_rate=16000, return_tensors="pt")
    with torch.no_grad():
        before = model.eval()(**batch).logits

    peft_model = apply_lora(model, r=4, alpha=8)
    trainable = [name for name, p in peft_model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n or "modules_to_save" in n for n in trainable)
    assert any("lora_" in n for n in trainable)
    assert any("head" in n and "modules_to_save" in n for n in trainable)
    assert any("layer_sum" in n and "modules_to_save" in n for n in trainable)
    lora_names = {n.split(".lora_")[0].rsplit(".", 1)[-1] for n in trainable if "lora_" in n}
    assert lora_names == set(default_target_modules(model))
    assert all(n.startswith("base_model.model.encoder.") for n in trainable if "lora_" in n)

    train_step(peft_model, fe, clips, steps=2)
    lora_b = [p for n, p in peft_model.named_parameters() if "lora_B" in n]
    assert any(p.abs().sum() > 0 for p in lora_b)  # the adapters actually trained
    with torch.no_grad():
        after = peft_model(**batch).logits
    assert not torch.allclose(before, after)

    # adapter only, reloaded onto the saved base model
    peft_model.save_pretrained(tmp_path / "adapter")
    base = AutoModelForAudioClassification.from_pretrained(tmp_path / "base")
    reloaded = load_lora(base, str(tmp_path / "adapter")).eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**batch).logits, after, rtol=0, atol=1e-5)

    # merged into a plain, self-contained model
    merged = merge_lora(peft_model)
    assert type(merged).__name__ == "SERForAudioClassification"
    merged.save_pretrained(tmp_path / "merged")
    loaded = AutoModelForAudioClassification.from_pretrained(tmp_path / "merged").eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(**batch).logits, after, rtol=0, atol=1e-5)


def test_lora_needs_an_encoder():
    with pytest.raises(ValueError, match="encoder"):
        apply_lora(make_model(frontend="mfcc"))
