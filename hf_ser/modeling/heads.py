"""Classification heads over frame features [B, T, D] with a frame mask [B, T].

Every layer honours the mask, so a clip's logits do not depend on what it is batched with (in eval mode):
convolutions see zeros outside the clip (padded frames are zeroed before each conv and after it, which
is exactly the conv's own zero padding for a clip alone), batch norm normalises real frames only, LSTMs
run over each clip's real frames in both directions, pooling averages / attends over real frames only.

This file is copied next to saved models, so it imports only torch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def _mask_frames(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Zero padded frames of x [B, C, T]."""
    return x * mask[:, None, :].to(x.dtype)


class MaskedBatchNorm1d(nn.BatchNorm1d):
    """BatchNorm over channels whose batch statistics use real frames only ([B, C, T] + mask [B, T])."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if not self.training and self.track_running_stats:
            # running statistics: a per-channel affine map of each frame, no gather of the real frames needed
            # (which also keeps the graph free of data-dependent shapes, so it exports to ONNX)
            normed = nn.functional.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
            )
            return _mask_frames(normed, mask)
        flat = x.transpose(1, 2)[mask]  # [N_real, C]
        if self.training and flat.shape[0] < 2:
            return _mask_frames(x, mask)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average, as nn.BatchNorm1d does
                momentum = 1.0 / float(self.num_batches_tracked)
        normed = nn.functional.batch_norm(
            flat,
            self.running_mean if not self.training or self.track_running_stats else None,
            self.running_var if not self.training or self.track_running_stats else None,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            momentum,
            self.eps,
        )
        out = x.new_zeros(x.shape[0], x.shape[2], x.shape[1])
        out[mask] = normed
        return out.transpose(1, 2)


class MaskedFrameNorm(nn.Module):
    """Batch norm (over the real frames of the batch) or layer norm of frame vectors [B, T, C] + mask [B, T].

    For utterance-level features ([B, 1, C]) the batch norm is the plain BatchNorm1d over clips; in eval it
    uses its running statistics, so a clip's output never depends on the rest of the batch."""

    def __init__(self, dim: int, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.norm = MaskedBatchNorm1d(dim) if kind == "batch" else nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.kind == "batch":
            return self.norm(x.transpose(1, 2), mask).transpose(1, 2)
        return self.norm(x) * mask.unsqueeze(-1).to(x.dtype)


class MaskedMLP(nn.Module):
    """Frame-wise MLP: `num_layers` x (Linear -> [norm] -> activation -> dropout); padded frames stay zero."""

    def __init__(self, in_dim: int, hidden: int, num_layers: int, dropout: float, norm: str, activation: str):
        super().__init__()
        self.linears = nn.ModuleList()
        self.norms = nn.ModuleList()
        dim = in_dim
        for _ in range(num_layers):
            self.linears.append(nn.Linear(dim, hidden))
            self.norms.append(MaskedFrameNorm(hidden, norm) if norm != "none" else nn.Identity())
            dim = hidden
        self.activation = nn.GELU() if activation == "gelu" else nn.ReLU()
        self.dropout = nn.Dropout(dropout)
        self.output_dim = dim

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(-1).to(x.dtype)
        for linear, norm in zip(self.linears, self.norms, strict=True):
            x = linear(x)
            if isinstance(norm, MaskedFrameNorm):
                x = norm(x, mask)
            x = self.dropout(self.activation(x)) * m
        return x


class MaskedPooling(nn.Module):
    """Pool [B, T, D] over real frames: "mean", "attention" (learned scores, softmax over real frames) or
    "stats" (mean || standard deviation, 2 * D outputs)."""

    def __init__(self, dim: int, kind: str = "mean") -> None:
        super().__init__()
        self.kind = kind
        self.output_dim = 2 * dim if kind == "stats" else dim
        if kind == "attention":
            hidden = min(128, dim)
            self.score = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(-1).to(x.dtype)
        if self.kind == "attention":
            scores = self.score(x).masked_fill(~mask.unsqueeze(-1), float("-inf"))
            weights = torch.softmax(scores, dim=1)
            return (weights * x).sum(1)
        n = m.sum(1).clamp(min=1.0)
        mean = (x * m).sum(1) / n
        if self.kind == "mean":
            return mean
        var = (((x - mean.unsqueeze(1)) * m) ** 2).sum(1) / n
        return torch.cat([mean, torch.sqrt(var + 1e-6)], dim=-1)


class MaskedConvBlock(nn.Module):
    """Conv1d (same padding) -> masked BatchNorm -> ReLU -> optional time max-pool -> dropout."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, pool: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(in_ch, out_ch, kernel, padding=kernel // 2)
        self.norm = MaskedBatchNorm1d(out_ch)
        self.pool = pool
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv(_mask_frames(x, mask))
        x = torch.relu(self.norm(x, mask))
        if self.pool > 1:
            # ceil_mode max pooling with -inf past the real frames: a clip's last partial window pools only its own
            # frames, alone or batched. Windows are gathered (the last one clamped to the batch's last frame, which
            # repeats a value of that window) instead of max_pool1d's ceil_mode, whose branch on the length would
            # fix the length of an exported graph.
            x = x.masked_fill(~mask[:, None, :], float("-inf"))
            t = x.shape[-1]
            starts = torch.arange((t + self.pool - 1) // self.pool, device=x.device)[:, None] * self.pool
            window = (starts + torch.arange(self.pool, device=x.device)[None, :]).clamp(max=t - 1)
            x = x[:, :, window].amax(-1)
            lengths = -torch.div(-mask.long().sum(-1), self.pool, rounding_mode="floor")
            mask = torch.arange(x.shape[-1], device=x.device)[None, :] < lengths[:, None]
            x = x.masked_fill(~mask[:, None, :], 0.0)
        return _mask_frames(self.dropout(x), mask), mask


class ConvStack(nn.Module):
    def __init__(self, in_dim: int, channels: list[int], kernels: list[int], pool: int, dropout: float) -> None:
        super().__init__()
        kernels = kernels * len(channels) if len(kernels) == 1 else kernels
        dims = [in_dim, *channels]
        self.blocks = nn.ModuleList(
            MaskedConvBlock(dims[i], dims[i + 1], kernels[i], pool, dropout) for i in range(len(channels))
        )
        self.output_dim = channels[-1]

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """[B, T, D] -> [B, T', C]"""
        x = x.transpose(1, 2)
        for block in self.blocks:
            x, mask = block(x, mask)
        return x.transpose(1, 2), mask


class MaskedLSTM(nn.Module):
    """(Bi)LSTM over each clip's real frames; padded output frames are zero.

    Instead of packed sequences, each layer runs its forward direction on the padded batch (padding comes after
    a clip's frames, so it cannot reach them) and its backward direction forwards over each clip's frames
    reversed in place (`reverse_within_lengths`), then reversed back. That is the packed result, with plain
    tensor ops only: the same graph runs in PyTorch and exports to ONNX with dynamic batch and length. The
    weights stay in one `nn.LSTM` (`lstm.weight_ih_l0`, ...), and its inter-layer dropout is applied as it does.
    """

    def __init__(self, in_dim: int, hidden: int, layers: int, bidirectional: bool, dropout: float) -> None:
        super().__init__()
        self.lstm = nn.LSTM(
            in_dim,
            hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.output_dim = hidden * (2 if bidirectional else 1)

    def _direction(self, x: torch.Tensor, layer: int, suffix: str) -> torch.Tensor:
        lstm = self.lstm
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        params = [getattr(lstm, f"{name}_l{layer}{suffix}") for name in names]
        h0 = x.new_zeros(1, x.shape[0], lstm.hidden_size)
        out, _, _ = torch.lstm(x, (h0, h0), params, True, 1, 0.0, self.training, False, True)
        return out

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(-1).to(x.dtype)
        lengths = mask.long().sum(-1).clamp(min=1)
        reverse = reverse_within_lengths(lengths, x.shape[1]) if self.lstm.bidirectional else None
        out = x * m
        for layer in range(self.lstm.num_layers):
            if layer > 0 and self.training and self.lstm.dropout > 0:
                out = nn.functional.dropout(out, self.lstm.dropout, training=True)
            parts = [self._direction(out, layer, "")]
            if reverse is not None:
                flipped = torch.gather(out, 1, reverse[:, :, None].expand(-1, -1, out.shape[2]))
                back = self._direction(flipped, layer, "_reverse")
                parts.append(torch.gather(back, 1, reverse[:, :, None].expand(-1, -1, back.shape[2])))
            out = torch.cat(parts, dim=-1) * m
        return out


def reverse_within_lengths(lengths: torch.Tensor, t: int) -> torch.Tensor:
    """[B, t] gather indices that reverse each clip's first `lengths[b]` frames and leave padded frames in place
    (its own inverse)."""
    steps = torch.arange(t, device=lengths.device)[None, :]
    last = (lengths - 1)[:, None]
    return torch.where(steps <= last, last - steps, steps)


class SERHead(nn.Module):
    """Head selected by `config.head`; maps ([B, T, D], mask) to logits [B, num_labels]."""

    def __init__(self, config: Any, input_dim: int) -> None:
        super().__init__()
        kind = config.head
        self.kind = kind
        dropout = float(config.head_dropout)
        self.mlp = self.conv = self.lstm = None
        norm = getattr(config, "head_norm", "none")
        activation = getattr(config, "head_activation", "relu")
        input_dropout = float(getattr(config, "head_input_dropout", 0.0) or 0.0)
        self.input_dropout = nn.Dropout(input_dropout) if input_dropout > 0 else None
        if kind == "mlp":
            if norm == "none" and activation == "relu":
                # the original layout (and state-dict names: mlp.<3 i>.weight) when no new option is used
                layers: list[nn.Module] = []
                dim = input_dim
                for _ in range(config.head_num_layers):
                    layers += [nn.Linear(dim, config.head_hidden_size), nn.ReLU(), nn.Dropout(dropout)]
                    dim = config.head_hidden_size
                self.mlp = nn.Sequential(*layers)
            else:
                hidden, layers_n = config.head_hidden_size, config.head_num_layers
                self.mlp = MaskedMLP(input_dim, hidden, layers_n, dropout, norm, activation)
                dim = self.mlp.output_dim
            self.pool = MaskedPooling(dim, config.pooling)
            pooled = self.pool.output_dim
        elif kind == "cnn":
            self.conv = ConvStack(
                input_dim, config.head_channels, config.head_kernel_sizes, config.head_pool_size, dropout
            )
            self.pool = MaskedPooling(self.conv.output_dim, config.pooling)
            pooled = self.pool.output_dim
        elif kind in ("lstm", "cnn_lstm"):
            dim = input_dim
            if kind == "cnn_lstm":
                self.conv = ConvStack(
                    input_dim, config.head_channels, config.head_kernel_sizes, config.head_pool_size, dropout
                )
                dim = self.conv.output_dim
            self.lstm = MaskedLSTM(dim, config.head_hidden_size, config.head_num_layers, config.bidirectional, dropout)
            self.pool = MaskedPooling(self.lstm.output_dim, config.pooling)
            pooled = self.pool.output_dim
        elif kind == "parallel":
            # the seeds' ParallelModel: CNN branch || BiLSTM + attention branch, concatenated
            self.conv = ConvStack(
                input_dim, config.head_channels, config.head_kernel_sizes, config.head_pool_size, dropout
            )
            self.pool = MaskedPooling(self.conv.output_dim, config.pooling)
            self.lstm = MaskedLSTM(input_dim, config.head_hidden_size, config.head_num_layers, True, dropout)
            self.lstm_pool = MaskedPooling(self.lstm.output_dim, "attention")
            pooled = self.pool.output_dim + self.lstm_pool.output_dim
        else:  # pragma: no cover - SERConfig validates
            raise ValueError(f"head must be one of mlp, cnn, lstm, cnn_lstm, parallel; got {kind!r}")
        classifier_dropout = getattr(config, "head_classifier_dropout", None)
        self.dropout = nn.Dropout(dropout if classifier_dropout is None else float(classifier_dropout))
        self.classifier = nn.Linear(pooled, config.num_labels)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x * mask.unsqueeze(-1).to(x.dtype)
        if self.input_dropout is not None:
            x = self.input_dropout(x)
        if self.kind == "mlp":
            h = self.mlp(x, mask) if isinstance(self.mlp, MaskedMLP) else self.mlp(x)
            pooled = self.pool(h, mask)
        elif self.kind == "cnn":
            h, m = self.conv(x, mask)
            pooled = self.pool(h, m)
        elif self.kind in ("lstm", "cnn_lstm"):
            m = mask
            if self.conv is not None:
                x, m = self.conv(x, mask)
            pooled = self.pool(self.lstm(x, m), m)
        else:
            h, m = self.conv(x, mask)
            pooled = torch.cat([self.pool(h, m), self.lstm_pool(self.lstm(x, mask), mask)], dim=-1)
        return self.classifier(self.dropout(pooled))


class LayerEnsembleHead(nn.Module):
    """One `SERHead` per encoder layer (`layer_combination="ensemble"`): ([B, L, T, D], mask) -> [B, L, C].

    Each layer's head is trained on its own labels (the model averages their losses and, for the prediction,
    their log-probabilities). Encoder layers carry complementary cues (lower ones prosody and voice, upper ones
    phonetic context), and averaging layer-wise classifiers uses them all without letting a joint linear model
    over every layer overfit the training speakers."""

    def __init__(self, config: Any, input_dim: int, num_layers: int) -> None:
        super().__init__()
        self.heads = nn.ModuleList(SERHead(config, input_dim) for _ in range(num_layers))

    @property
    def classifier(self) -> nn.Linear:
        return self.heads[0].classifier

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != len(self.heads):
            raise ValueError(f"expected [B, {len(self.heads)}, T, D] features, got {tuple(x.shape)}")
        return torch.stack([head(x[:, i], mask) for i, head in enumerate(self.heads)], dim=1)
