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
    return attention_mask.sum(-1, dtype=torch.long)  # no waveform-sized int64 copy of the mask


def masked_utterance_norm(x: torch.Tensor, mask: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Per-utterance, per-dimension zero mean / unit variance over real frames ([B, T, D], mask [B, T])."""
    m = mask.unsqueeze(-1).to(x.dtype)
    n = m.sum(1, keepdim=True).clamp(min=1.0)
    mean = (x * m).sum(1, keepdim=True) / n
    dev = (x - mean) * m  # zero on padded frames, so the output is too
    var = (dev * dev).sum(1, keepdim=True) / n
    return dev * torch.rsqrt(var + eps)


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

    def power_spectrum(self, x: torch.Tensor) -> torch.Tensor:
        """[B, N] waveform -> [B, T, F] power spectrum |X|^2, in the FFT's own frame-major layout (no copy before the
        mel product, no square root)."""
        spec = torch.stft(
            x,
            self.n_fft,
            self.hop_length,
            win_length=self.win_length,
            window=self.window.to(x.dtype),
            center=False,
            return_complex=True,
        )
        re, im = torch.view_as_real(spec).transpose(1, 2).unbind(-1)  # [B, F, T, 2] -> [B, T, F] each
        return re * re + im * im

    def forward(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None) -> tuple:
        lengths = sample_lengths(input_values, attention_mask)
        x = input_values.float()
        if attention_mask is not None:
            # a clip shorter than n_fft has its one frame reach into the padding: make sure that is zeros
            x = x * attention_mask.to(x.dtype)
        if x.shape[-1] < self.n_fft:
            x = nn.functional.pad(x, (0, self.n_fft - x.shape[-1]))
        mel = torch.matmul(self.power_spectrum(x), self.mel_fb.to(x.dtype))  # [B, T, n_mels]: one GEMM
        frames = self.frame_lengths(lengths)
        mask = lengths_to_mask(frames, mel.shape[1])
        # the clip's peak level from its loudest real frame (log10 is monotonic: take the maximum first)
        peak = mel.amax(-1).masked_fill(~mask, 0.0).amax(1).clamp(min=1e-10)[:, None, None]
        db = 10.0 * torch.log10(mel.clamp(min=1e-10))
        feats = torch.maximum(db, 10.0 * torch.log10(peak) - self.top_db)
        if self.dct is not None:
            feats = torch.matmul(feats, self.dct)  # [B, T, n_mfcc]
        parts = [feats]
        for _ in range(self.deltas):
            # torchaudio's compute_deltas (5-frame regression, edge frames replicated) at each clip's own length;
            # its grouped convolution over batch x channels would not export to ONNX
            parts.append(_delta5(parts[-1], frames))
        feats = torch.cat(parts, dim=-1)  # [B, T, D]
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
            encoder = WhisperModel.from_pretrained(name_or_path, dtype=torch.float32, use_safetensors=True).encoder
        finally:
            hf_logging.set_verbosity(verbosity)
    else:
        encoder = AutoModel.from_pretrained(name_or_path, dtype=torch.float32, use_safetensors=True)
    encoder = encoder.float()
    return encoder, _clean_encoder_config(encoder.config.to_dict())


def native_bfloat16(device: torch.device) -> bool:
    """Whether ``device`` has fast bfloat16 matrix products (CPU: oneDNN's own check, e.g. AVX512 / AMX)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


def autocast_dtype(config: Any, device: torch.device) -> torch.dtype | None:
    """The dtype ``encoder_precision`` runs the encoder's matrix products in (``torch.autocast``); None: the
    encoder's own. "auto" takes bfloat16 only where it is fast, so no machine gets slower."""
    precision = getattr(config, "encoder_precision", "float32")
    if precision == "float32":
        return None
    if precision == "auto" and not native_bfloat16(device):
        return None
    return torch.bfloat16


class EncoderFrontend(nn.Module):
    """Runs a speech encoder and returns its selected hidden states.

    Masking rules:
    - Whisper: the log-mel is computed here; `real_length` runs each clip on its own frames (positional
      embeddings sliced), grouping clips of equal length; `padded` zero-pads shorter clips to
      `whisper_pad_seconds` (30 s is the HF way). Output is cut to each clip's real frames.
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
            layers = list(range(n_hidden)) if config.layer_combination != "none" else [n_hidden - 1]
        if max(layers) >= n_hidden:
            raise ValueError(f"encoder_layers {layers} out of range: the encoder has {n_hidden} hidden states")
        self.layers = list(layers)
        self.hidden_size = enc_cfg.get("d_model") if self.is_whisper else enc_cfg.get("hidden_size")
        if self.is_whisper:
            self.logmel = WhisperLogMel(enc_cfg.get("num_mel_bins", 80), config.sampling_rate)
            # the longest input the positional embeddings cover (30 s for every released Whisper)
            self.max_samples = min(WHISPER_SAMPLES_30S, 2 * 160 * int(enc_cfg.get("max_source_positions", 1500)))

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
            mel_frames = torch.div(lengths.clamp(min=400, max=self.max_samples), 160, rounding_mode="floor")
            return torch.div(mel_frames - 1, 2, rounding_mode="floor") + 1
        encoder = self.encoder
        base = encoder.get_base_model() if hasattr(encoder, "get_base_model") else encoder
        return base._get_feat_extract_output_lengths(lengths).long().clamp(min=1)

    # ---------------------------------------------------------------- forward
    def forward(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None) -> tuple:
        """-> (hidden [B, L, T, D] for the selected layers, frame mask [B, T]); with `encoder_pooling="mean"`
        each layer averaged over the real frames: ([B, L, 1, D], all-True [B, 1])."""
        lengths = sample_lengths(input_values, attention_mask)
        if attention_mask is not None:
            input_values = input_values * attention_mask.to(input_values.dtype)
        dtype = autocast_dtype(self.config, input_values.device)
        with torch.autocast(input_values.device.type, dtype=dtype, enabled=dtype is not None):
            hidden = self._encode(input_values, attention_mask, lengths)
        if dtype is not None:
            hidden = hidden.float()  # masking and pooling in full precision
        frames = self.frame_lengths(lengths)
        if self.is_whisper:  # cut the padded window back to the longest clip's frames
            t = int(frames.max().item())
            hidden = hidden[:, :, :t]
            if hidden.shape[2] < t:  # a clip with fewer frames than its mask claims cannot happen; be safe
                hidden = nn.functional.pad(hidden, (0, 0, 0, t - hidden.shape[2]))
        else:
            # the frames of the padded length, i.e. of the longest clip (a shape, not a data-dependent size: the
            # graph then exports to ONNX); any frames past a clip's own are masked
            t = hidden.shape[2]
        mask = lengths_to_mask(frames, t)
        hidden = hidden * mask[:, None, :, None].to(hidden.dtype)
        if getattr(self.config, "encoder_pooling", "none") == "mean":
            hidden = hidden.sum(dim=2, keepdim=True) / frames.to(hidden.dtype)[:, None, None, None]
            mask = torch.ones(hidden.shape[0], 1, dtype=torch.bool, device=hidden.device)
        return hidden, mask

    def _encode(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None, lengths: torch.Tensor):
        """The selected hidden states [B, L, T, D] of the padded batch (frames past a clip's own not yet masked)."""
        if self.is_whisper:
            run_lengths = lengths
            if self.config.whisper_input == "padded":
                # zero padding up to the window: clips shorter than it become one group of equal length
                pad_to = min(self.max_samples, round(self.config.whisper_pad_seconds * self.config.sampling_rate))
                if input_values.shape[-1] < pad_to:
                    input_values = nn.functional.pad(input_values, (0, pad_to - input_values.shape[-1]))
                run_lengths = lengths.clamp(min=pad_to)
            hidden = self._by_length_groups(input_values, run_lengths, self._whisper_encode_samples)
        elif self.use_mask:
            hidden = self._ssl(input_values, attention_mask)
        elif attention_mask is None:  # clips of one length: one group
            hidden = self._ssl(input_values, None)
        else:
            hidden = self._by_length_groups(input_values, lengths, lambda x: self._ssl(x, None))
        return hidden

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

    def _whisper_encode_samples(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] > self.max_samples:
            logger.warning("Whisper input longer than %d samples (%d): truncated", self.max_samples, x.shape[-1])
            x = x[:, : self.max_samples]
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


# ------------------------------------------------------------------------------------------ functionals
FUNCTIONAL_STATISTICS = ("mean", "std", "p5", "p25", "p50", "p75", "p95", "iqr", "p95_p5", "skew", "kurtosis", "slope")
FUNCTIONALS_LLDS = (
    "log_f0",
    "voicing",
    "ac_peak",
    "log_energy",
    "zcr",
    "centroid_khz",
    "rolloff_khz",
    "log_flatness",
    "flux",
    "alpha_ratio",
)
FUNCTIONALS_N_LOGMEL = 64
FUNCTIONALS_N_MFCC = 40
FUNCTIONALS_N_MFCC_MELS = 80
# 12 statistics of (MFCC, log-mel, 8 LLDs) and their deltas, of voiced log-F0 and its delta; voiced fraction,
# log duration
FUNCTIONALS_DIM = (
    2 * len(FUNCTIONAL_STATISTICS) * (FUNCTIONALS_N_MFCC + FUNCTIONALS_N_LOGMEL + len(FUNCTIONALS_LLDS) - 2)
    + 2 * len(FUNCTIONAL_STATISTICS)
    + 2
)


def functionals_feature_names() -> list[str]:
    """Names of the `FUNCTIONALS_DIM` utterance features, in output order (e.g. "mfcc3_delta_p95")."""
    names: list[str] = []

    def block(prefix: str, dims: list[str]) -> None:
        for suffix in ("", "_delta"):
            names.extend(f"{d}{suffix}_{s}" for s in FUNCTIONAL_STATISTICS for d in dims)

    block("mfcc", [f"mfcc{i}" for i in range(FUNCTIONALS_N_MFCC)])
    block("logmel", [f"logmel{i}" for i in range(FUNCTIONALS_N_LOGMEL)])
    block("f0", ["voiced_log_f0"])
    names += ["voiced_fraction", "log_duration"]
    block("lld", list(FUNCTIONALS_LLDS[2:]))
    return names


def _delta5(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """5-frame regression delta of [B, T, D] with each clip's edge frames replicated (its own length)."""
    t = torch.arange(x.shape[1], device=x.device)
    last = (lengths - 1).clamp(min=0)[:, None]

    def shifted(k: int) -> torch.Tensor:
        idx = torch.minimum((t + k).clamp(min=0)[None, :], last)
        return torch.gather(x, 1, idx[:, :, None].expand(-1, -1, x.shape[2]))

    return (-2.0 * shifted(-2) - shifted(-1) + shifted(1) + 2.0 * shifted(2)) / 10.0


_PERCENTILES = (5.0, 25.0, 50.0, 75.0, 95.0)


def masked_functionals(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The 12 statistics of each dimension of [B, T, D] over each clip's first `lengths[b]` frames -> [B, 12 * D].

    mean, std (population, + 1e-8), percentiles 5/25/50/75/95 (linear interpolation, as numpy), IQR,
    p95 - p5, skewness, kurtosis (non-excess) and the linear slope over a time axis from -1 to 1; each
    statistic is a block of D values. A single frame counts as two equal frames (std 0, slope 0)."""
    b, t, d = x.shape
    lengths = lengths.clamp(min=1)
    mask = lengths_to_mask(lengths, t)[:, :, None]
    n = lengths.to(x.dtype)[:, None]
    mean = (x * mask).sum(1) / n
    dev = (x - mean[:, None]) * mask
    std = torch.sqrt((dev**2).sum(1) / n) + 1e-8
    z = dev / std[:, None]
    skew = (z**3).sum(1) / n
    kurt = (z**4).sum(1) / n
    # percentiles: sort with padding at the end, then interpolate at q * (n - 1)
    xs = torch.sort(x.masked_fill(~mask, float("inf")), dim=1).values
    pct = []
    for q in _PERCENTILES:
        pos = (q / 100.0) * (n - 1)  # [B, 1]
        lo = pos.floor()
        frac = pos - lo
        lo_i = lo.long()
        hi_i = torch.minimum(lo_i + 1, (lengths - 1)[:, None])
        a = torch.gather(xs, 1, lo_i[:, :, None].expand(-1, 1, d))[:, 0]
        c = torch.gather(xs, 1, hi_i[:, :, None].expand(-1, 1, d))[:, 0]
        pct.append(a + (c - a) * frac)
    # slope of the least-squares line against linspace(-1, 1, n)
    steps = torch.arange(t, device=x.device, dtype=x.dtype)[None, :]
    tt = torch.where(n > 1, -1.0 + 2.0 * steps / (n - 1).clamp(min=1), torch.zeros_like(steps))
    tt = tt * mask[:, :, 0]
    slope = (tt[:, :, None] * dev).sum(1) / (tt**2).sum(1, keepdim=True).clamp(min=1e-12)
    p5, p25, p50, p75, p95 = pct
    return torch.cat([mean, std, p5, p25, p50, p75, p95, p75 - p25, p95 - p5, skew, kurt, slope], dim=-1)


class FunctionalsFrontend(nn.Module):
    """Utterance-level functionals (2714 values per clip) of spectral and prosodic frame features.

    Frame features (`win_length_ms` window, `hop_length_ms` hop, `n_fft`; centred frames with the clip's own
    reflect padding, so frame t is centred on sample t * hop): 64 log-mel (natural log of power + 1e-6),
    40 MFCC from 80 mel bands (dB with an 80 dB floor below the clip maximum, orthonormal DCT), both 20 Hz -
    8 kHz, and 10 LLDs: log-F0 from a normalised-autocorrelation pitch tracker (40 ms Hann frames, lags for
    `functionals_f0_min`..`functionals_f0_max` Hz, parabolic interpolation; voiced when the autocorrelation peak
    exceeds `functionals_pitch_threshold` and the frame RMS exceeds `functionals_energy_threshold` times the
    clip maximum), voicing, autocorrelation peak, log-energy, zero-crossing rate, spectral centroid and 85 %
    roll-off (kHz), log flatness, flux (x100) and the high/low band energy ratio at 1 kHz (log). Every bin's
    power gets a floor `functionals_floor_db` below the clip's loudest frame (and quieter frames a zero-crossing
    rate of 0), so the recording's noise floor does not become a feature.
    Functionals (`masked_functionals`): 12 statistics of every frame feature and of its 5-frame delta; of log-F0
    and its delta over voiced frames only (zeros when fewer than 3 are voiced); the voiced fraction and the log
    duration. Output order: MFCC, MFCC delta, log-mel, log-mel delta, F0, F0 delta, [voiced fraction, log
    duration], LLDs 3-10, their deltas (see `functionals_feature_names`).

    Everything is computed per clip on its real samples only, so a clip gives the same values alone or padded
    in a batch. Output: features [B, 1, 2714] (one "frame" per utterance) and an all-True mask [B, 1]. The
    values are unnormalised (very different scales): standardise them (`SERConfig.feature_standardization`).
    Computed in float64 (float32 on devices without it), returned as float32."""

    f_min = 20.0
    f_max = 8000.0

    def __init__(self, config: Any) -> None:
        super().__init__()
        sr = config.sampling_rate
        self.sampling_rate = sr
        self.win_length = round(sr * config.win_length_ms / 1000)
        self.hop_length = max(1, round(sr * config.hop_length_ms / 1000))
        self.n_fft = config.n_fft or 2 ** math.ceil(math.log2(self.win_length))
        self.pitch_win = round(sr * 0.040)
        self.lag_min = int(sr / config.functionals_f0_max)
        self.lag_max = min(int(sr / config.functionals_f0_min), self.pitch_win - 1)
        self.pitch_threshold = float(config.functionals_pitch_threshold)
        self.energy_threshold = float(config.functionals_energy_threshold)
        self.floor_ratio = 10 ** (-float(config.functionals_floor_db) / 10)
        n_freqs = self.n_fft // 2 + 1
        f_max = min(self.f_max, sr / 2)
        with torch.device("cpu"):
            fb_logmel = torchaudio.functional.melscale_fbanks(
                n_freqs, self.f_min, f_max, FUNCTIONALS_N_LOGMEL, sr, norm=None, mel_scale="htk"
            )
            fb_mfcc = torchaudio.functional.melscale_fbanks(
                n_freqs, self.f_min, f_max, FUNCTIONALS_N_MFCC_MELS, sr, norm=None, mel_scale="htk"
            )
            dct = torchaudio.functional.create_dct(FUNCTIONALS_N_MFCC, FUNCTIONALS_N_MFCC_MELS, norm="ortho")
            window = torch.hann_window(self.win_length, dtype=torch.float64)
            pitch_window = torch.hann_window(self.pitch_win, periodic=False, dtype=torch.float64)
            w_ac = torch.fft.irfft(torch.fft.rfft(pitch_window, 2 * self.pitch_win).abs() ** 2)[: self.pitch_win]
            freqs = torch.linspace(0, sr / 2, n_freqs, dtype=torch.float64)
        # Persistent, like SpectralFrontend's: `from_pretrained` builds modules on the meta device and fills
        # buffers from the checkpoint.
        self.register_buffer("logmel_fb", fb_logmel.double())  # [n_freqs, 64]
        self.register_buffer("mfcc_fb", fb_mfcc.double())  # [n_freqs, 80]
        self.register_buffer("dct", dct.double())  # [80, 40]
        self.register_buffer("window", window)
        self.register_buffer("pitch_window", pitch_window)
        self.register_buffer("pitch_window_ac", w_ac / w_ac[0])  # autocorrelation of the pitch window, normalised
        self.register_buffer("freqs", freqs)
        self.output_dim = FUNCTIONALS_DIM

    def _dtype(self, device: torch.device) -> torch.dtype:
        return torch.float32 if device.type == "mps" else torch.float64

    def _reflect_padded(self, x: torch.Tensor, lengths: torch.Tensor, pad: int) -> torch.Tensor:
        """Each clip reflect-padded by `pad` on both sides of its own real samples (torch.stft's `center`)."""
        j = (torch.arange(x.shape[1] + 2 * pad, device=x.device) - pad).abs()[None, :]
        last = (lengths - 1)[:, None]
        idx = torch.where(j > last, 2 * last - j, j)
        idx = torch.minimum(idx.clamp(min=0), last)
        return torch.gather(x, 1, idx)

    def _pitch(self, x: torch.Tensor, frames: torch.Tensor, t: int) -> tuple[torch.Tensor, ...]:
        win = self.pitch_win
        xp = nn.functional.pad(x, (win // 2, win // 2))
        fr = xp.unfold(1, win, self.hop_length)[:, :t] * self.pitch_window.to(x.dtype)
        fr = fr - fr.mean(-1, keepdim=True)
        spec = torch.fft.rfft(fr, 2 * win, dim=-1)
        ac = torch.fft.irfft(spec.abs() ** 2, 2 * win, dim=-1)[..., :win]
        ac = ac / (ac[..., :1] + 1e-10) / (self.pitch_window_ac.to(x.dtype) + 1e-10)
        seg = ac[..., self.lag_min : self.lag_max]
        peak, k = seg.max(-1)
        kk = (k + self.lag_min).clamp(1, win - 2)
        a = torch.gather(ac, -1, (kk - 1)[..., None])[..., 0]
        b = torch.gather(ac, -1, kk[..., None])[..., 0]
        c = torch.gather(ac, -1, (kk + 1)[..., None])[..., 0]
        offset = (0.5 * (a - c) / (a - 2 * b + c + 1e-10)).clamp(-1.0, 1.0)
        f0 = self.sampling_rate / (kk.to(x.dtype) + offset)
        rms = torch.sqrt((fr**2).mean(-1))
        mask = lengths_to_mask(frames, t)
        rms_max = rms.masked_fill(~mask, 0.0).amax(1, keepdim=True)
        voiced = (peak > self.pitch_threshold) & (rms > self.energy_threshold * rms_max) & mask
        return f0, peak, voiced

    def frame_features(
        self, input_values: torch.Tensor, attention_mask: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """-> (mfcc [B, T, 40], log-mel [B, T, 64], LLDs [B, T, 10], frames per clip [B], samples per clip [B])."""
        lengths = sample_lengths(input_values, attention_mask).clamp(min=1)
        dtype = self._dtype(input_values.device)
        x = input_values.to(dtype)
        if attention_mask is not None:
            x = x * attention_mask.to(dtype)
        hop = self.hop_length
        frames = 1 + torch.div(lengths, hop, rounding_mode="floor")
        # Frames of the padded batch length (= those of its longest clip), taken from the shape rather than from
        # the lengths' values, so the graph has no data-dependent sizes and exports to ONNX; frames past a clip's
        # own are masked like any padding. One more zero sample makes (t - 1) * hop + 1 samples fit.
        t = 1 + x.shape[1] // hop
        x = nn.functional.pad(x, (0, 1))
        mask = lengths_to_mask(frames, t)

        # centred STFT with per-clip reflect padding
        xr = self._reflect_padded(x, lengths, self.n_fft // 2)
        stft = torch.stft(
            xr,
            self.n_fft,
            hop,
            win_length=self.win_length,
            window=self.window.to(dtype),
            center=False,
            return_complex=True,
        )[..., :t]
        power = stft.abs() ** 2  # [B, F, T]
        # A floor functionals_floor_db below the clip's loudest frame, added to every bin: what lies below it is
        # the recording's noise (a quiet take re-quantised to 16 bit has another one), not the speaker, so every
        # power-based LLD sees the same floor there whatever the recording level and noise.
        frame_power = power.mean(1)  # [B, T]
        floor = frame_power.masked_fill(~mask, 0.0).amax(-1) * self.floor_ratio  # [B]
        quiet = frame_power < floor[:, None]  # frames below the floor: no speech information
        power = power + floor[:, None, None]
        mag = power.sqrt()
        logmel = torch.log(torch.matmul(self.logmel_fb.to(dtype).T, power) + 1e-6).transpose(1, 2)
        db = 10.0 * torch.log10(torch.matmul(self.mfcc_fb.to(dtype).T, power).clamp(min=1e-10))
        peak_db = db.masked_fill(~mask[:, None, :], float("-inf")).amax(dim=(1, 2), keepdim=True)
        db = torch.maximum(db, peak_db - 80.0)
        mfcc = torch.matmul(db.transpose(1, 2), self.dct.to(dtype))  # [B, T, 40]

        # spectral LLDs
        p = (power + 1e-10).transpose(1, 2)  # [B, T, F]
        freqs = self.freqs.to(dtype)
        total = p.sum(-1)
        log_energy = torch.log(total)
        centroid = (p * freqs).sum(-1) / total
        cum = torch.cumsum(p, -1)
        roll_idx = (cum < 0.85 * cum[..., -1:]).sum(-1).clamp(max=freqs.numel() - 1)
        rolloff = freqs[roll_idx]
        flatness = torch.exp(torch.log(p).mean(-1)) / p.mean(-1)
        m = mag.transpose(1, 2)
        mn = m / (m.sum(-1, keepdim=True) + 1e-10)
        flux = nn.functional.pad(((mn[:, 1:] - mn[:, :-1]) ** 2).sum(-1), (1, 0))
        low = freqs < 1000
        alpha = torch.log(p[..., ~low].sum(-1) / p[..., low].sum(-1))
        # zero-crossing rate on zero-padded, uncentred-window frames
        half = self.win_length // 2
        xz = nn.functional.pad(x, (half, half)).unfold(1, self.win_length, hop)[:, :t]
        zcr = (torch.diff(torch.sign(xz), dim=-1) != 0).to(dtype).mean(-1) * ~quiet  # noise crossings count 0

        f0, ac_peak, voiced = self._pitch(x, frames, t)
        log_f0 = torch.where(voiced, torch.log(f0), torch.zeros_like(f0))
        lld = torch.stack(
            [
                log_f0,
                voiced.to(dtype),
                ac_peak,
                log_energy,
                zcr,
                centroid / 1000,
                rolloff / 1000,
                torch.log(flatness + 1e-10),
                flux * 100,
                alpha,
            ],
            dim=-1,
        )
        keep = mask[:, :, None].to(dtype)
        return mfcc * keep, logmel * keep, lld * keep, frames, lengths

    def forward(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None) -> tuple:
        mfcc, logmel, lld, frames, lengths = self.frame_features(input_values, attention_mask)
        dtype = mfcc.dtype
        parts = []
        for x in (mfcc, logmel):
            parts += [masked_functionals(x, frames), masked_functionals(_delta5(x, frames), frames)]
        # log-F0 over voiced frames only: move each clip's voiced frames to the front, in order
        voiced = lld[..., 1] > 0
        n_voiced = voiced.sum(1)
        # unique sort keys (unvoiced after voiced, then time) give that order without a stable sort, which ONNX lacks
        steps = torch.arange(voiced.shape[1], device=voiced.device)
        order = torch.sort((~voiced).long() * voiced.shape[1] + steps, dim=1).indices
        f0 = torch.gather(lld[..., 0], 1, order)
        if f0.shape[1] < 3:
            f0 = nn.functional.pad(f0, (0, 3 - f0.shape[1]))
        enough = n_voiced > 2
        f0 = (f0 * enough[:, None].to(dtype))[..., None]
        f0_len = torch.where(enough, n_voiced, torch.full_like(n_voiced, 3))
        parts += [masked_functionals(f0, f0_len), masked_functionals(_delta5(f0, f0_len), f0_len)]
        voiced_fraction = n_voiced.to(dtype) / frames.to(dtype)
        log_duration = torch.log(lengths.to(dtype) / self.sampling_rate)
        parts.append(torch.stack([voiced_fraction, log_duration], dim=-1))
        rest = lld[..., 2:]
        parts += [masked_functionals(rest, frames), masked_functionals(_delta5(rest, frames), frames)]
        feats = torch.nan_to_num(torch.cat(parts, dim=-1).float())[:, None, :]
        mask = torch.ones(feats.shape[:2], dtype=torch.bool, device=feats.device)
        return feats, mask
