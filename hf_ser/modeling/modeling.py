"""`SERForAudioClassification`: front end (MFCC / log-mel / pretrained encoder) -> head -> logits.

The forward pass is split in two so frozen-encoder features can be cached:
`compute_frontend(input_values, attention_mask) -> (features, frame_mask)` and
`classify_frontend(features, frame_mask, labels) -> SERClassifierOutput`.

This file (with its relative imports) is copied next to saved models and loaded with
``trust_remote_code=True`` by users without hf-ser: it imports only torch, torchaudio and transformers.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Iterable, Mapping  # noqa: UP035 (saved next to models: standard library kept to typing)

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

from .configuration import SERConfig
from .frontends import (
    EncoderFrontend,
    FunctionalsFrontend,
    SpectralFrontend,
    build_encoder,
    load_pretrained_encoder,
)
from .heads import LayerEnsembleHead, SERHead

logger = logging.getLogger(__name__)


@dataclass
class SERClassifierOutput(SequenceClassifierOutput):
    """`SequenceClassifierOutput` plus, in training with `layer_combination="ensemble"`, each layer's head's
    logits `layer_logits` [B, L, C]: every head is trained on the labels (a trainer's own loss must use them;
    `logits` are the ensemble's mean log-probabilities)."""

    layer_logits: torch.FloatTensor | None = None


def classification_loss(
    logits: torch.Tensor, labels: torch.Tensor, weight: torch.Tensor | None = None, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Cross-entropy of [B, C] logits, or of every layer head's [B, L, C] logits (`layer_combination="ensemble"`)
    against the same labels: each head learns the labels on its own."""
    if logits.dim() == 3:
        logits = logits.transpose(1, 2)  # [B, C, L]
        labels = labels[:, None].expand(-1, logits.shape[-1])
    return nn.functional.cross_entropy(logits, labels, weight=weight, label_smoothing=label_smoothing)


LEVEL_TARGET_DBFS = -20.0  # RMS over speech frames after `normalize_level` (speech corpora sit at about -37 to -18)
SPEECH_RANGE_DB = 40.0  # 25 ms frames within this of a clip's loudest frame are its speech frames
SILENT_POWER = 1e-12  # -120 dBFS: a clip this quiet (digital silence) is left as it is


def normalize_level(
    input_values: torch.Tensor, attention_mask: torch.Tensor | None, sampling_rate: int
) -> torch.Tensor:
    """[B, N] waveforms with each clip's DC offset removed and its level set so that the RMS over its speech
    frames is `LEVEL_TARGET_DBFS`, over its real samples only (padding stays 0, so batching changes nothing).

    Speech frames are the 25 ms frames within `SPEECH_RANGE_DB` of the clip's loudest one: a threshold relative
    to the clip itself, so scaling a clip by any gain (a quieter microphone, a +20 dB preamp) or adding a DC
    offset gives the same output, and pauses do not make a clip with long silences louder.
    """
    x = input_values.float()
    mask = torch.ones_like(x) if attention_mask is None else attention_mask.to(x.dtype)
    count = mask.sum(-1, keepdim=True).clamp(min=1.0)
    x = (x - (x * mask).sum(-1, keepdim=True) / count) * mask
    clip_power = (x * x).sum(-1) / count[:, 0]
    win, hop = round(0.025 * sampling_rate), round(0.010 * sampling_rate)
    speech_power = clip_power
    if x.shape[-1] >= win:
        power = nn.functional.avg_pool1d((x * x)[:, None], win, hop)[:, 0]  # [B, F]
        whole = nn.functional.avg_pool1d(mask[:, None], win, hop)[:, 0] > 0.999  # frames inside the real samples
        power = power * whole
        loudest = power.amax(-1, keepdim=True)
        speech = whole & (power >= loudest * 10 ** (-SPEECH_RANGE_DB / 10)) & (loudest > 0)
        framed = (power * speech).sum(-1) / speech.sum(-1).clamp(min=1)
        speech_power = torch.where(speech.any(-1), framed, clip_power)  # clips shorter than a frame: whole clip
    target_power = 10 ** (LEVEL_TARGET_DBFS / 10)
    gain = torch.where(
        speech_power > SILENT_POWER, torch.sqrt(target_power / speech_power.clamp(min=SILENT_POWER)), 1.0
    )
    return (x * gain[:, None]).to(input_values.dtype)


def default_level_normalization(config: SERConfig) -> str:
    """'speech_rms' for the front ends fed raw levels (functionals, Whisper), 'none' for those whose feature
    extractor already z-normalises each waveform (MFCC, log-mel, wav2vec2-style encoders)."""
    encoder_type = (config.encoder_config or {}).get("model_type")
    raw_levels = config.frontend == "functionals" or (config.frontend == "encoder" and encoder_type == "whisper")
    return "speech_rms" if raw_levels else "none"


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


def _set_training(module: nn.Module, mode: bool, skip: nn.Module) -> None:
    """``module.train(mode)`` for every submodule except ``skip`` and its own."""
    module.training = mode
    for child in module.children():
        if child is not skip:
            _set_training(child, mode, skip)


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
            hidden_size, n_layers = self.frontend.hidden_size, len(self.frontend.layers)
            # standardisation is per layer and dimension, before the layers are combined
            stats_shape = (n_layers, hidden_size) if config.layer_combination != "none" else (hidden_size,)
            head_dim = hidden_size * n_layers if config.layer_combination == "concat" else hidden_size
            if config.layer_combination == "weighted_sum":
                self.layer_sum = WeightedLayerSum(n_layers)
        elif config.frontend == "functionals":
            self.frontend = FunctionalsFrontend(config)
            head_dim = self.frontend.output_dim
            stats_shape = (head_dim,)
        else:
            self.frontend = SpectralFrontend(config)
            head_dim = self.frontend.output_dim
            stats_shape = (head_dim,)
        if getattr(config, "level_normalization", None) is None:  # resolved once the encoder type is known
            config.level_normalization = default_level_normalization(config)
        if getattr(config, "feature_standardization", False):
            # set from the training set by the trainer (set_feature_statistics / fit_feature_statistics); saved
            # with the weights, so a loaded model standardises exactly as in training
            self.register_buffer("feature_mean", torch.zeros(stats_shape))
            self.register_buffer("feature_std", torch.ones(stats_shape))
            self.register_buffer("feature_statistics_count", torch.zeros(()))
        self._warned_unset_statistics = False
        self.spec_augment = SpecAugment(config) if config.spec_augment else None
        members = getattr(config, "head_ensemble_size", 1)
        if config.frontend == "encoder" and config.layer_combination == "ensemble":
            self.head = LayerEnsembleHead(config, head_dim, n_layers * members)
        elif members > 1:
            self.head = LayerEnsembleHead(config, head_dim, members)
        else:
            self.head = SERHead(config, head_dim)
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

    def adopt_labels(self, labels: list[str]) -> str:
        """Point the classifier at ``labels`` (a model continued on another label set): ``"kept"`` when they are
        the model's own, ``"reordered"`` when they are its names in another order (classifier rows permuted, so
        each class keeps its trained weights), ``"reinitialised"`` otherwise (a fresh classifier layer: keeping
        trained rows under other names would silently relabel every prediction). Updates the config."""
        old = [self.config.id2label[i] for i in range(self.config.num_labels)]
        labels = list(labels)
        if old == labels:
            return "kept"
        heads = [m for m in self.head.modules() if isinstance(m, SERHead)]
        if sorted(old) == sorted(labels):
            order = torch.tensor([old.index(name) for name in labels])
            with torch.no_grad():
                for head in heads:
                    head.classifier.weight.copy_(head.classifier.weight[order])
                    head.classifier.bias.copy_(head.classifier.bias[order])
            action = "reordered"
        else:
            for head in heads:
                old_layer = head.classifier
                head.classifier = nn.Linear(old_layer.in_features, len(labels)).to(old_layer.weight.device)
            action = "reinitialised"
        self.config.num_labels = len(labels)
        self.config.id2label = dict(enumerate(labels))
        self.config.label2id = {name: i for i, name in enumerate(labels)}
        return action

    def train(self, mode: bool = True):
        """A frozen encoder is a fixed feature extractor (no dropout, cacheable): it stays in eval mode. Trainer
        calls this every step, and walking the encoder's modules each time costs more than a cached head's step,
        so only the other modules are switched."""
        frozen = self.encoder is not None and not self.encoder_is_trainable()
        if not frozen or getattr(self, "use_kernels", False):
            super().train(mode)
        else:
            _set_training(self, mode, skip=self.encoder)
        if frozen and self.encoder.training:
            self.encoder.eval()
        return self

    # ------------------------------------------------------ model card and Hub
    # The card training fills (hf_ser.model_card.SERModelCardData: `to_model_card()` gives a huggingface_hub
    # ModelCard once the model is tested): README.md of save_pretrained, so trainer.save_model, a user's own
    # save_pretrained and push_to_hub all carry it.
    card_data = None

    def save_pretrained(self, save_directory, *args, **kwargs) -> None:
        """`PreTrainedModel.save_pretrained`, plus the model card (README.md) when the model has one."""
        super().save_pretrained(save_directory, *args, **kwargs)
        card = self.card_data.to_model_card() if self.card_data is not None else None
        if card is not None and kwargs.get("is_main_process", True):
            card.save(os.path.join(save_directory, "README.md"))

    def push_to_hub(
        self,
        repo_id: str,
        *,
        commit_message: str | None = None,
        private: bool | None = None,
        token: bool | str | None = None,
        revision: str | None = None,
        max_shard_size: int | str | None = "50GB",
        **kwargs,
    ) -> str:
        """Upload what `save_pretrained` writes (weights, config, code and this model's own card): transformers'
        `push_to_hub` would replace the card with a generic one. Returns the repo id."""
        import tempfile

        import huggingface_hub

        if kwargs:
            raise TypeError(f"push_to_hub: unsupported arguments {sorted(kwargs)}")
        api = huggingface_hub.HfApi(token=token)
        repo_id = api.create_repo(repo_id, private=private, exist_ok=True).repo_id
        with tempfile.TemporaryDirectory() as folder:
            self.save_pretrained(folder, max_shard_size=max_shard_size)
            api.upload_folder(
                repo_id=repo_id,
                folder_path=folder,
                commit_message=commit_message or "Upload hf-ser model",
                revision=revision,
            )
        return repo_id

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

    # ------------------------------------------------------ standardisation
    def uses_feature_standardization(self) -> bool:
        """Whether `classify_frontend` standardises its input with `feature_mean` / `feature_std` (buffers)."""
        return bool(getattr(self.config, "feature_standardization", False))

    def feature_statistics_are_set(self) -> bool:
        return self.uses_feature_standardization() and float(self.feature_statistics_count) > 0

    @torch.no_grad()
    def set_feature_statistics(
        self, mean: torch.Tensor | list[float], std: torch.Tensor | list[float], count: float = 1.0, eps: float = 1e-8
    ) -> None:
        """Set the feature standardisation: `classify_frontend` then computes (features - mean) / std.

        `mean` / `std`: one value per feature dimension, from the training set (e.g. over all clips' real frames
        of `compute_frontend` output, *as `classify_frontend` receives it*, i.e. after any per-speaker
        normalisation of cached features). `std` values below `eps` are replaced by 1 (constant dimensions).
        `count`: how many frames / clips they were computed from (recorded; > 0 marks them as set)."""
        if not self.uses_feature_standardization():
            raise ValueError("feature_standardization is off in this model's config")
        mean = torch.as_tensor(mean, dtype=torch.float64)
        std = torch.as_tensor(std, dtype=torch.float64)
        if mean.numel() != self.feature_mean.numel() or std.numel() != self.feature_std.numel():
            raise ValueError(
                f"feature statistics must have {self.feature_mean.numel()} values "
                f"(shape {tuple(self.feature_mean.shape)}), got {mean.numel()} and {std.numel()}"
            )
        mean, std = mean.reshape(self.feature_mean.shape), std.reshape(self.feature_std.shape)
        if not (torch.isfinite(mean).all() and torch.isfinite(std).all()):
            raise ValueError("feature statistics must be finite")
        std = torch.where(std < eps, torch.ones_like(std), std)
        self.feature_mean.copy_(mean.to(self.feature_mean))
        self.feature_std.copy_(std.to(self.feature_std))
        self.feature_statistics_count.fill_(float(count))

    @torch.no_grad()
    def fit_feature_statistics(
        self, batches: Iterable[Mapping[str, torch.Tensor]]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fit and set `feature_mean` / `feature_std` (population std, per dimension, over real frames; per layer
        and dimension for several encoder layers) from
        batches as the data collators give them: `{"input_values", "attention_mask"}` (run through
        `compute_frontend`) or `{"frontend_features", "frontend_mask"}` (cached front-end output). Use the
        training split with evaluation-mode collation (no augmentation). Returns (mean, std)."""
        if not self.uses_feature_standardization():
            raise ValueError("feature_standardization is off in this model's config")
        was_training = self.training
        self.eval()
        total = total_sq = None
        count = 0.0
        device = self.feature_mean.device
        try:
            for batch in batches:
                if batch.get("frontend_features") is not None:
                    feats, mask = batch["frontend_features"], batch.get("frontend_mask")
                else:
                    mask_in = batch.get("attention_mask")
                    feats, mask = self.compute_frontend(
                        batch["input_values"].to(device), None if mask_in is None else mask_in.to(device)
                    )
                feats = feats.to(device=device, dtype=torch.float64)
                if mask is None:
                    mask = torch.ones(feats.shape[0], feats.shape[-2], dtype=torch.bool, device=device)
                mask = mask.to(device).bool()
                if feats.dim() == 4:  # [B, L, T, D]: statistics per layer
                    feats = feats.transpose(1, 2)
                    if self.feature_mean.dim() == 1:  # one layer selected
                        feats = feats[:, :, 0]
                frames = feats[mask]  # [N, D] or [N, L, D]
                s, sq = frames.sum(0), (frames * frames).sum(0)
                total = s if total is None else total + s
                total_sq = sq if total_sq is None else total_sq + sq
                count += frames.shape[0]
        finally:
            self.train(was_training)
        if not count:
            raise ValueError("fit_feature_statistics got no frames")
        mean = total / count
        std = torch.sqrt(torch.clamp(total_sq / count - mean * mean, min=0.0))
        self.set_feature_statistics(mean, std, count=count)
        return self.feature_mean.clone(), self.feature_std.clone()

    def _standardize(self, features: torch.Tensor, frame_mask: torch.Tensor) -> torch.Tensor:
        if self.training and not self._warned_unset_statistics and float(self.feature_statistics_count) == 0:
            logger.warning(
                "feature_standardization is on but the statistics were never set: training on unstandardised "
                "features (call model.fit_feature_statistics(...) or set_feature_statistics(...) first)"
            )
            self._warned_unset_statistics = True
        mean = self.feature_mean.to(features.dtype)
        std = self.feature_std.to(features.dtype)
        if features.dim() == 4 and mean.dim() == 2:  # [B, L, T, D] with per-layer statistics [L, D]
            mean, std = mean[:, None, :], std[:, None, :]
        features = (features - mean) / std
        mask = frame_mask[:, None, :, None] if features.dim() == 4 else frame_mask[..., None]
        return features * mask.to(features.dtype)

    # ---------------------------------------------------------------- forward
    def compute_frontend(
        self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Waveform -> (features, frame_mask).

        features: [B, T, D] for MFCC / log-mel and for encoders with one layer; [B, 1, D] for functionals
        (one utterance-level vector, mask all True); [B, L, T, D] (the selected hidden states) for encoders
        with a `layer_combination`, so a frozen encoder's output can be cached and the combination still
        trained in `classify_frontend`; T = 1 with `encoder_pooling="mean"`. frame_mask: bool [B, T], True on
        real frames."""
        if self.config.level_normalization == "speech_rms":
            input_values = normalize_level(input_values, attention_mask, self.config.sampling_rate)
        if self.encoder is None:
            return self.frontend(input_values, attention_mask)
        with torch.set_grad_enabled(torch.is_grad_enabled() and self.encoder_is_trainable()):
            hidden, mask = self.frontend(input_values, attention_mask)
        if self.config.layer_combination == "none":
            hidden = hidden[:, 0]
        return hidden, mask

    def classify_frontend(
        self,
        features: torch.Tensor,
        frame_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> SERClassifierOutput:
        """(features, frame_mask) from `compute_frontend` (possibly cached) -> logits (+ loss with labels)."""
        dtype = next((p.dtype for p in self.head.parameters()), torch.float32)  # int8-quantised heads: float in
        features = features.to(dtype)
        if frame_mask is None:
            frame_mask = torch.ones((features.shape[0], features.shape[-2]), dtype=torch.bool, device=features.device)
        frame_mask = frame_mask.to(features.device).bool()
        if self.uses_feature_standardization():
            features = self._standardize(features, frame_mask)
        combination = getattr(self.config, "layer_combination", "none")
        if features.dim() == 4:
            if combination == "weighted_sum":
                features = self.layer_sum(features)
            elif combination == "concat":
                features = features.transpose(1, 2).flatten(2)  # [B, T, L * D]
            elif combination == "none" and features.shape[1] == 1:
                features = features[:, 0]
            elif combination != "ensemble":
                raise ValueError(f"got {features.shape[1]} layers of features but layer_combination is 'none'")
        if self.training and self.spec_augment is not None:
            features = self.spec_augment(features, frame_mask)
        members = getattr(self.config, "head_ensemble_size", 1)
        if members > 1 and features.dim() == 4:  # each layer's features to its `members` head copies
            features = features.repeat_interleave(members, dim=1)
        elif members > 1:  # [B, T, D] -> [B, members, T, D]: the same features to every head copy
            features = features[:, None].expand(-1, members, -1, -1)
        logits = self.head(features, frame_mask)
        loss = None
        if labels is not None:
            weights = self._class_weights
            if weights is None and self.config.class_weights is not None:
                weights = torch.tensor(self.config.class_weights, dtype=torch.float32)
            weight = weights.to(device=logits.device, dtype=torch.float32) if weights is not None else None
            smoothing = float(getattr(self.config, "label_smoothing", 0.0))
            loss = classification_loss(logits.float(), labels.to(logits.device).long(), weight, smoothing)
        layer_logits = None
        if logits.dim() == 3:  # predict with the mean log-probability over the layers' heads
            layer_logits = logits if self.training else None
            logits = torch.log_softmax(logits, dim=-1).mean(dim=1)
        return SERClassifierOutput(loss=loss, logits=logits, layer_logits=layer_logits)

    def forward(
        self,
        input_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        frontend_features: torch.Tensor | None = None,
        frontend_mask: torch.Tensor | None = None,
    ) -> SERClassifierOutput | tuple:
        """Waveform -> logits; or, with `frontend_features` (+ `frontend_mask`), precomputed `compute_frontend`
        output -> logits (training heads on cached features, see `hf_ser.training.cache`)."""
        if frontend_features is not None:
            features, frame_mask = frontend_features, frontend_mask
        elif input_values is None:
            raise ValueError("forward needs input_values (waveforms) or frontend_features (cached front-end output)")
        else:
            features, frame_mask = self.compute_frontend(input_values, attention_mask)
        out = self.classify_frontend(features, frame_mask, labels)
        if return_dict is False:
            return (out.loss, out.logits) if out.loss is not None else (out.logits,)
        return out
