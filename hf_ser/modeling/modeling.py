"""`SERForAudioClassification`: front end (MFCC / log-mel / pretrained encoder) -> head -> logits.

The forward pass is split in two so frozen-encoder features can be cached:
`compute_frontend(input_values, attention_mask) -> (features, frame_mask)` and
`classify_frontend(features, frame_mask, labels) -> SequenceClassifierOutput`.

This file (with its relative imports) is copied next to saved models and loaded with
``trust_remote_code=True`` by users without hf-ser: it imports only torch, torchaudio and transformers.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from .configuration import SERConfig
from .frontends import EncoderFrontend, SpectralFrontend, build_encoder, load_pretrained_encoder
from .heads import SERHead


class WeightedLayerSum(nn.Module):
    """Softmax-weighted sum over encoder hidden states: [B, L, T, D] -> [B, T, D]."""

    def __init__(self, num_layers: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(num_layers) / num_layers)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        w = torch.softmax(self.weight, dim=0).to(hidden.dtype)
        return (hidden * w[None, :, None, None]).sum(1)


class SpecAugment(nn.Module):
    """Frequency and time masking of [B, T, D] features in training (time masks inside the real frames)."""

    def __init__(self, config: SERConfig) -> None:
        super().__init__()
        self.freq_param = config.freq_mask_param
        self.time_param = config.time_mask_param
        self.num_freq = config.num_freq_masks
        self.num_time = config.num_time_masks

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, _, d = x.shape
        keep = torch.ones_like(x)
        lengths = mask.long().sum(-1).tolist()
        for i in range(b):
            for _ in range(self.num_freq):
                w = int(torch.randint(0, min(self.freq_param, d) + 1, ()))
                if w:
                    f0 = int(torch.randint(0, d - w + 1, ()))
                    keep[i, :, f0 : f0 + w] = 0
            for _ in range(self.num_time):
                w = int(torch.randint(0, min(self.time_param, lengths[i]) + 1, ()))
                if w:
                    t0 = int(torch.randint(0, lengths[i] - w + 1, ()))
                    keep[i, t0 : t0 + w] = 0
        return x * keep


class SERPreTrainedModel(PreTrainedModel):
    config_class = SERConfig
    base_model_prefix = "ser"
    main_input_name = "input_values"
    input_modalities = ("audio",)
    supports_gradient_checkpointing = False

    def _init_weights(self, module: nn.Module) -> None:
        # Only our own modules reach here (a pretrained encoder runs its own `_init_weights`).
        if isinstance(module, WeightedLayerSum):
            nn.init.constant_(module.weight, 1.0 / module.weight.numel())
        elif isinstance(module, (nn.Linear, nn.Conv1d, nn.LSTM)):
            module.reset_parameters()  # PyTorch's default init suits heads trained from scratch
        else:
            super()._init_weights(module)


class SERForAudioClassification(SERPreTrainedModel):
    """Speech emotion classifier: `frontend` -> (weighted layer sum) -> (SpecAugment) -> `head` -> logits.

    With `frontend="encoder"` and no `config.encoder_config`, the pretrained encoder is loaded from
    `config.encoder_name_or_path` and its config is stored in `config.encoder_config`; with it (a saved model),
    the architecture is rebuilt from the config and the weights come from this model's own checkpoint.
    """

    def __init__(self, config: SERConfig) -> None:
        super().__init__(config)
        pretrained_state = None
        self.encoder = None
        self.layer_sum = None
        if config.frontend == "encoder":
            if config.encoder_config is None:
                encoder, config.encoder_config = load_pretrained_encoder(config.encoder_name_or_path)
                pretrained_state = {k: v.detach().clone() for k, v in encoder.state_dict().items()}
            else:
                encoder = build_encoder(config.encoder_config)
            self.encoder = encoder
            self.frontend = EncoderFrontend(config, encoder)
            feature_dim = self.frontend.hidden_size
            if config.use_weighted_layer_sum:
                self.layer_sum = WeightedLayerSum(len(self.frontend.layers))
        else:
            self.frontend = SpectralFrontend(config)
            feature_dim = self.frontend.output_dim
        self.spec_augment = SpecAugment(config) if config.spec_augment else None
        self.head = SERHead(config, feature_dim)
        self._class_weights: torch.Tensor | None = None
        self.post_init()
        if pretrained_state is not None:  # never let weight init touch the pretrained encoder
            self.encoder.load_state_dict(pretrained_state)
        self._apply_freezing()

    # ------------------------------------------------------------------ setup
    def _apply_freezing(self) -> None:
        if self.encoder is None:
            return
        if self.config.freeze_encoder:
            self.freeze_encoder()
        elif self.config.freeze_feature_encoder:
            self.freeze_feature_encoder()

    def freeze_encoder(self) -> None:
        """No encoder parameter is trained; the encoder then runs in eval mode without autograd."""
        for p in self.encoder.parameters():
            p.requires_grad = False

    def freeze_feature_encoder(self) -> None:
        """Freeze the convolutional feature encoder (wav2vec2 family) or Whisper's two input convolutions."""
        feature_encoder = getattr(self.encoder, "feature_extractor", None)
        if hasattr(feature_encoder, "_freeze_parameters"):  # wav2vec2 / HuBERT / WavLM / data2vec-audio
            feature_encoder._freeze_parameters()
        elif hasattr(self.encoder, "conv1"):  # Whisper
            for module in (self.encoder.conv1, self.encoder.conv2):
                for p in module.parameters():
                    p.requires_grad = False

    def encoder_is_trainable(self) -> bool:
        return self.encoder is not None and any(p.requires_grad for p in self.encoder.parameters())

    def can_cache_frontend(self) -> bool:
        """True when `compute_frontend` has nothing to train (MFCC / log-mel, or a frozen encoder without LoRA):
        its output can then be computed once and cached, and training runs `classify_frontend` on the cache."""
        return not any(p.requires_grad for p in self.frontend.parameters()) and not self.encoder_is_trainable()

    def train(self, mode: bool = True):
        super().train(mode)
        if mode and self.encoder is not None and not self.encoder_is_trainable():
            self.encoder.eval()  # a frozen encoder is a fixed feature extractor: no dropout, cacheable
        return self

    def set_class_weights(self, weights: torch.Tensor | list[float] | None) -> None:
        """Weight the cross-entropy per class (e.g. inverse frequency); None for the plain loss."""
        if weights is None:
            self._class_weights = None
            self.config.class_weights = None
            return
        weights = torch.as_tensor(weights, dtype=torch.float32)
        if weights.numel() != self.config.num_labels:
            raise ValueError(f"class_weights has {weights.numel()} entries, expected {self.config.num_labels}")
        self._class_weights = weights
        self.config.class_weights = weights.tolist()

    # ---------------------------------------------------------------- forward
    def compute_frontend(
        self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Waveform -> (features, frame_mask).

        features: [B, T, D] for MFCC / log-mel and for encoders without layer sum; [B, L, T, D] (the selected
        hidden states) for encoders with `use_weighted_layer_sum`, so a frozen encoder's output can be cached and
        the layer weights still trained in `classify_frontend`. frame_mask: bool [B, T], True on real frames."""
        if self.encoder is None:
            return self.frontend(input_values, attention_mask)
        with torch.set_grad_enabled(torch.is_grad_enabled() and self.encoder_is_trainable()):
            hidden, mask = self.frontend(input_values, attention_mask)
        if self.layer_sum is None:
            hidden = hidden[:, 0]
        return hidden, mask

    def classify_frontend(
        self,
        features: torch.Tensor,
        frame_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> SequenceClassifierOutput:
        """(features, frame_mask) from `compute_frontend` (possibly cached) -> logits (+ loss with labels)."""
        dtype = self.head.classifier.weight.dtype
        features = features.to(dtype)
        if features.dim() == 4:
            if self.layer_sum is not None:
                features = self.layer_sum(features)
            elif features.shape[1] == 1:
                features = features[:, 0]
            else:
                raise ValueError(f"got {features.shape[1]} layers of features but use_weighted_layer_sum is off")
        if frame_mask is None:
            frame_mask = torch.ones(features.shape[:2], dtype=torch.bool, device=features.device)
        frame_mask = frame_mask.to(features.device).bool()
        if self.training and self.spec_augment is not None:
            features = self.spec_augment(features, frame_mask)
        logits = self.head(features, frame_mask)
        loss = None
        if labels is not None:
            weights = self._class_weights
            if weights is None and self.config.class_weights is not None:
                weights = torch.tensor(self.config.class_weights, dtype=torch.float32)
            weight = weights.to(device=logits.device, dtype=logits.dtype) if weights is not None else None
            loss = nn.functional.cross_entropy(logits, labels.to(logits.device).long(), weight=weight)
        return SequenceClassifierOutput(loss=loss, logits=logits)

    def forward(
        self,
        input_values: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
    ) -> SequenceClassifierOutput | tuple:
        features, frame_mask = self.compute_frontend(input_values, attention_mask)
        out = self.classify_frontend(features, frame_mask, labels)
        if return_dict is False:
            return (out.loss, out.logits) if out.loss is not None else (out.logits,)
        return out
