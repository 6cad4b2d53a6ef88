"""Front ends of `SERForAudioClassification`: waveform -> frame features + frame mask.

- `SpectralFrontend`: MFCC / log-mel with torchaudio, deltas, per-utterance normalisation.
- `WhisperLogMel`: the Whisper log-mel (= `WhisperFeatureExtractor`) in torch, inside the model.
- `EncoderFrontend`: a pretrained speech encoder (wav2vec2 family or Whisper) with the masking rule each needs.

Every front end is padding-invariant: a clip's features on its real frames are the same whether it is
run alone or zero-padded in a batch. This file is copied next to saved models, so it imports only
torch, torchaudio, numpy and transformers.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import torch
import torchaudio
from torch import nn

logger = logging.getLogger(__name__)

WHISPER_SAMPLES_30S = 480000
# Encoders whose layer-norm variants are exactly padding-invariant given an attention mask (padded frames are
# zeroed before the positional convolution and masked in attention). Everything else - group-norm feature
# encoders, and e.g. data2vec-audio, whose stacked positional convolutions let padding leak in - runs in groups
# of equal length without padding instead, which is exact for any encoder.
MASK_SAFE_ENCODERS = frozenset({"wav2vec2", "hubert", "wavlm"})


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """Boolean [B, T] mask, True on the first `lengths[b]` frames."""
    max_len = int(lengths.max().item()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def sample_lengths(input_values: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """Real sample count per clip (all samples when no mask is given)."""
    if attention_mask is None:
        return torch.full(
            (input_values.shape[0],), input_values.shape[-1], dtype=torch.long, device=input_values.device
        )
    return attention_mask.long().sum(-1)


def replicate_pad_frames(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Fill frames past each clip's length with its last real frame ([B, D, T]).

    `compute_deltas` pads by replicating the edge frame; doing the same by hand inside the batch makes a
    padded clip's deltas equal to those of the clip alone."""
    t = x.shape[-1]
    idx = torch.minimum(torch.arange(t, device=x.device)[None, :], (lengths - 1).clamp(min=0)[:, None])
    return torch.gather(x, 2, idx[:, None, :].expand(-1, x.shape[1], -1))


def masked_utterance_norm(x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Per-utterance, per-dimension zero mean / unit variance over real frames ([B, T, D], mask [B, T])."""
    m = mask.unsqueeze(-1).to(x.dtype)
    n = m.sum(1, keepdim=True).clamp(min=1.0)
    mean = (x * m).sum(1, keepdim=True) / n
    var = (((x - mean) * m) ** 2).sum(1, keepdim=True) / n
    return (x - mean) / torch.sqrt(var + eps) * m


class SpectralFrontend(nn.Module):
    """MFCC or log-mel features computed from the raw waveform with torchaudio.

    STFT frames are not centred (`center=False`): a frame only covers real samples, so zero padding never
    leaks into a clip's frames, and a clip yields `1 + (n - n_fft) // hop` frames (at least 1). Levels are in
    dB with an 80 dB floor below each utterance's own maximum (torchaudio's `top_db` would take the maximum
    over the whole batch)."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        sr = config.sampling_rate
        self.kind = config.frontend
        self.win_length = round(sr * config.win_length_ms / 1000)
        self.hop_length = max(1, round(sr * config.hop_length_ms / 1000))
        self.n_fft = config.n_fft or 2 ** math.ceil(math.log2(self.win_length))
        self.deltas = config.deltas
        self.normalize = config.feature_normalization == "utterance"
        self.top_db = 80.0
        # Buffers are built on the CPU even under `from_pretrained`'s meta-device context (torchaudio's filter
        # bank mixes devices there); they are persistent, so the checkpoint's copies replace them anyway.
        with torch.device("cpu"):
            fb = torchaudio.functional.melscale_fbanks(
                n_freqs=self.n_fft // 2 + 1,
                f_min=float(config.f_min),
                f_max=float(config.f_max if config.f_max is not None else sr / 2),
                n_mels=config.n_mels,
                sample_rate=sr,
                norm=None,
                mel_scale="htk",
            )
            window = torch.hann_window(self.win_length)
            dct = torchaudio.functional.create_dct(config.n_mfcc, config.n_mels, norm="ortho")
        self.register_buffer("mel_fb", fb)  # [n_freqs, n_mels]
        self.register_buffer("window", window)
        if self.kind == "mfcc":
            self.register_buffer("dct", dct)
        else:
            self.dct = None
        self.output_dim = (config.n_mfcc if self.kind == "mfcc" else config.n_mels) * (1 + self.deltas)

    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        return (1 + torch.div(lengths - self.n_fft, self.hop_length, rounding_mode="floor")).clamp(min=1)

    def forward(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None) -> tuple:
        lengths = sample_lengths(input_values, attention_mask)
        x = input_values.float()
        if attention_mask is not None:
            x = x * attention_mask.to(x.dtype)
        if x.shape[-1] < self.n_fft:
            x = nn.functional.pad(x, (0, self.n_fft - x.shape[-1]))
        stft = torch.stft(
            x,
            self.n_fft,
            self.hop_length,
            win_length=self.win_length,
            window=self.window.to(x.dtype),
            center=False,
            return_complex=True,
        )
        mel = torch.matmul(self.mel_fb.to(x.dtype).T, stft.abs() ** 2)  # [B, n_mels, T]
        frames = self.frame_lengths(lengths)
        mask = lengths_to_mask(frames, mel.shape[-1])
        db = 10.0 * torch.log10(mel.clamp(min=1e-10))
        peak = db.masked_fill(~mask[:, None, :], float("-inf")).amax(dim=(1, 2), keepdim=True)
        feats = torch.maximum(db, peak - self.top_db)
        if self.dct is not None:
            feats = torch.matmul(feats.transpose(1, 2), self.dct).transpose(1, 2)  # [B, n_mfcc, T]
        parts = [feats]
        for _ in range(self.deltas):
            parts.append(torchaudio.functional.compute_deltas(replicate_pad_frames(parts[-1], frames)))
        feats = torch.cat(parts, dim=1).transpose(1, 2)  # [B, T, D]
        if self.normalize:
            feats = masked_utterance_norm(feats, mask)
        else:
            feats = feats * mask.unsqueeze(-1).to(feats.dtype)
        return feats, mask


class WhisperLogMel(nn.Module):
    """Whisper's log-mel spectrogram in torch, equal to `WhisperFeatureExtractor` (n_fft 400, hop 160,
    Slaney mel filters, log10, 8-decade floor below the clip maximum, (x + 4) / 4)."""

    def __init__(self, num_mel_bins: int = 80, sampling_rate: int = 16000, n_fft: int = 400, hop_length: int = 160):
        super().__init__()
        from transformers.audio_utils import mel_filter_bank

        self.n_fft = n_fft
        self.hop_length = hop_length
        filters = mel_filter_bank(
            num_frequency_bins=1 + n_fft // 2,
            num_mel_filters=num_mel_bins,
            min_frequency=0.0,
            max_frequency=8000.0,
            sampling_rate=sampling_rate,
            norm="slaney",
            mel_scale="slaney",
        )
        with torch.device("cpu"):
            self.register_buffer("mel_filters", torch.as_tensor(filters, dtype=torch.float32).T.contiguous())
            self.register_buffer("window", torch.hann_window(n_fft))

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """[B, N] waveform (each row one clip, zero padded as the caller wants) -> [B, n_mels, N // hop]."""
        stft = torch.stft(
            waveform.float(), self.n_fft, self.hop_length, window=self.window.float(), return_complex=True
        )
        magnitudes = stft[..., :-1].abs() ** 2
        mel = torch.matmul(self.mel_filters.float(), magnitudes)
        log_spec = torch.clamp(mel, min=1e-10).log10()
        peak = log_spec.amax(dim=(1, 2), keepdim=True)
        log_spec = torch.maximum(log_spec, peak - 8.0)
        return (log_spec + 4.0) / 4.0


def _is_whisper(encoder_config: dict) -> bool:
    return encoder_config.get("model_type") == "whisper"


def _clean_encoder_config(config_dict: dict) -> dict:
    drop = {"dtype", "torch_dtype", "_name_or_path", "transformers_version", "auto_map", "_commit_hash"}
    # through JSON, so the dict equals what a saved config.json gives back (int keys become str, tuples lists)
    return json.loads(json.dumps({k: v for k, v in config_dict.items() if k not in drop}, default=str))


def build_encoder(encoder_config: dict) -> nn.Module:
    """Build an encoder's architecture (random weights) from its config dict, offline."""
    from transformers import AutoConfig, AutoModel

    cfg_dict = _clean_encoder_config(encoder_config)
    cfg = AutoConfig.for_model(**cfg_dict)
    if _is_whisper(cfg_dict):
        from transformers.models.whisper.modeling_whisper import WhisperEncoder

        return WhisperEncoder(cfg)
    return AutoModel.from_config(cfg, dtype=torch.float32)


def load_pretrained_encoder(name_or_path: str) -> tuple[nn.Module, dict]:
    """Load a pretrained speech encoder (Hub id or local dir) in float32; returns (encoder, config dict).

    Whisper checkpoints hold a full (or, like ../shared/models/whisper-base, an encoder-only) seq2seq model
    whose encoder weights are prefixed: load `WhisperModel` and keep its `.encoder` (loading
    `WhisperEncoder.from_pretrained` would silently start from random weights)."""
    from transformers import AutoConfig, AutoModel

    cfg = AutoConfig.from_pretrained(name_or_path)
    if cfg.model_type == "whisper":
        from transformers import WhisperModel
        from transformers.utils import logging as hf_logging

        # An encoder-only checkpoint leaves the (unused) decoder "missing": keep that report out of the logs.
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            encoder = WhisperModel.from_pretrained(name_or_path, dtype=torch.float32).encoder
        finally:
            hf_logging.set_verbosity(verbosity)
    else:
        encoder = AutoModel.from_pretrained(name_or_path, dtype=torch.float32)
    encoder = encoder.float()
    return encoder, _clean_encoder_config(encoder.config.to_dict())


class EncoderFrontend(nn.Module):
    """Runs a speech encoder and returns its selected hidden states.

    Masking rules:
    - Whisper: the log-mel is computed here; `real_length` runs each clip on its own frames (positional
      embeddings sliced), grouping clips of equal length; `padded_30s` pads every clip to 30 s (HF way).
      Output is cut to each clip's real frames.
    - wav2vec2-style encoders with `feat_extract_norm == "group"` were trained without attention masks and
      their group norm spans the time axis, so zero padding changes the output: clips are run in groups
      of equal length without padding or mask.
    - Layer-norm wav2vec2 / HuBERT / WavLM encoders (wav2vec2-large-lv60, WavLM-large, ...) get the attention
      mask; other encoders (data2vec-audio, ...) are also run in equal-length groups.
    The frame mask comes from `_get_feat_extract_output_lengths`.
    """

    def __init__(self, config: Any, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder_ref = [encoder]  # owned by the model (`model.encoder`); kept out of this module's state
        # LayerDrop skips layers at random in training, which changes the number of hidden states the layer
        # selection / weighted sum relies on: switch it off.
        for obj in (encoder.config, encoder):
            for attr in ("layerdrop", "encoder_layerdrop"):
                if isinstance(getattr(obj, attr, None), float):
                    setattr(obj, attr, 0.0)
        enc_cfg = config.encoder_config
        self.is_whisper = _is_whisper(enc_cfg)
        self.config = config  # read `whisper_input` at run time, so it can be switched on a loaded model
        self.use_mask = enc_cfg.get("model_type") in MASK_SAFE_ENCODERS and enc_cfg.get("feat_extract_norm") == "layer"
        n_hidden = self.num_hidden_states(enc_cfg)
        layers = config.encoder_layers
        if layers is None:
            layers = list(range(n_hidden)) if config.use_weighted_layer_sum else [n_hidden - 1]
        if max(layers) >= n_hidden:
            raise ValueError(f"encoder_layers {layers} out of range: the encoder has {n_hidden} hidden states")
        self.layers = list(layers)
        self.hidden_size = enc_cfg.get("d_model") if self.is_whisper else enc_cfg.get("hidden_size")
        if self.is_whisper:
            self.logmel = WhisperLogMel(enc_cfg.get("num_mel_bins", 80), config.sampling_rate)

    @staticmethod
    def num_hidden_states(enc_cfg: dict) -> int:
        if _is_whisper(enc_cfg):
            return enc_cfg["encoder_layers"] + 1
        return enc_cfg["num_hidden_layers"] + 1

    @property
    def encoder(self) -> nn.Module:
        return self.encoder_ref[0]

    def set_encoder(self, encoder: nn.Module) -> None:
        self.encoder_ref = [encoder]

    # ---------------------------------------------------------------- lengths
    def frame_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        if self.is_whisper:
            mel_frames = torch.div(lengths.clamp(min=400, max=WHISPER_SAMPLES_30S), 160, rounding_mode="floor")
            return torch.div(mel_frames - 1, 2, rounding_mode="floor") + 1
        encoder = self.encoder
        base = encoder.get_base_model() if hasattr(encoder, "get_base_model") else encoder
        return base._get_feat_extract_output_lengths(lengths).long().clamp(min=1)

    # ---------------------------------------------------------------- forward
    def forward(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None) -> tuple:
        """-> (hidden [B, L, T, D] for the selected layers, frame mask [B, T])."""
        lengths = sample_lengths(input_values, attention_mask)
        if attention_mask is not None:
            input_values = input_values * attention_mask.to(input_values.dtype)
        if self.is_whisper:
            if self.config.whisper_input == "padded_30s":
                hidden = self._whisper_padded(input_values)
            else:
                hidden = self._by_length_groups(input_values, lengths, self._whisper_real_length)
        elif self.use_mask:
            hidden = self._ssl(input_values, attention_mask)
        else:
            hidden = self._by_length_groups(input_values, lengths, lambda x: self._ssl(x, None))
        frames = self.frame_lengths(lengths)
        t = int(frames.max().item())
        hidden = hidden[:, :, :t]
        if hidden.shape[2] < t:  # a clip with fewer frames than its mask claims cannot happen; be safe
            hidden = nn.functional.pad(hidden, (0, 0, 0, t - hidden.shape[2]))
        mask = lengths_to_mask(frames, t)
        hidden = hidden * mask[:, None, :, None].to(hidden.dtype)
        return hidden, mask

    def _by_length_groups(self, x: torch.Tensor, lengths: torch.Tensor, run) -> torch.Tensor:
        """Run `run` on clips grouped by equal real length (no padding inside a group); pad the outputs."""
        outs: list[tuple[torch.Tensor, torch.Tensor]] = []
        for n in torch.unique(lengths).tolist():
            idx = (lengths == n).nonzero(as_tuple=True)[0]
            outs.append((idx, run(x[idx, : int(n)])))
        t = max(o.shape[2] for _, o in outs)
        first = outs[0][1]
        hidden = first.new_zeros((x.shape[0], first.shape[1], t, first.shape[3]))
        for idx, o in outs:
            hidden[idx, :, : o.shape[2]] = o
        return hidden

    def _ssl(self, x: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        kwargs = {"output_hidden_states": True, "return_dict": True}
        if attention_mask is not None:
            kwargs["attention_mask"] = attention_mask
        out = self.encoder(x.to(next(self.encoder.parameters()).dtype), **kwargs)
        return torch.stack([out.hidden_states[i] for i in self.layers], dim=1)

    def _whisper_padded(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :WHISPER_SAMPLES_30S]
        x = nn.functional.pad(x, (0, WHISPER_SAMPLES_30S - x.shape[-1]))
        return self._whisper_encode(self.logmel(x))

    def _whisper_real_length(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] > WHISPER_SAMPLES_30S:
            logger.warning("Whisper input longer than 30 s (%d samples): truncated", x.shape[-1])
            x = x[:, :WHISPER_SAMPLES_30S]
        if x.shape[-1] < 400:
            x = nn.functional.pad(x, (0, 400 - x.shape[-1]))
        return self._whisper_encode(self.logmel(x))

    def _whisper_encode(self, mel: torch.Tensor) -> torch.Tensor:
        """`WhisperEncoder.forward` for any length up to 30 s: positional embeddings sliced to the input's frames.

        Hidden states follow transformers' convention: embeddings, the output of each layer, and the final
        layer norm applied to the last one. Layers above the highest selected one are skipped."""
        enc = self.encoder
        dtype = enc.conv1.weight.dtype
        h = nn.functional.gelu(enc.conv1(mel.to(dtype)))
        h = nn.functional.gelu(enc.conv2(h)).permute(0, 2, 1)
        t = h.shape[1]
        h = h + enc.embed_positions.weight[:t].to(h.dtype)
        h = nn.functional.dropout(h, p=enc.dropout, training=enc.training)
        states = [h]
        n_layers = len(enc.layers)
        top = max(self.layers)
        for i, layer in enumerate(enc.layers):
            if i >= top:
                break
            if enc.training and enc.layerdrop > 0.0 and torch.rand([]) < enc.layerdrop:
                states.append(h)
                continue
            out = layer(h, None)
            h = out[0] if isinstance(out, tuple) else out
            states.append(h)
        if top == n_layers:
            states[-1] = enc.layer_norm(states[-1])
        return torch.stack([states[i] for i in self.layers], dim=1)
