"""ONNX export of a whole hf-ser model (front end included) and an onnxruntime runner for the result.

``hf-ser export MODEL --format onnx --output DIR`` writes ``DIR/model.onnx`` (waveform + attention mask ->
logits; MFCC / log-mel / functionals computed inside the graph, or the encoder), with dynamic batch and
length axes, ONNX opset 18 (DFT needs >= 17), next to ``config.json`` and ``preprocessor_config.json`` (labels,
sampling rate, normalisation) and ``onnx_export.json`` (how to feed the graph, and the parity measured at
export). Before anything is written the graph is run with onnxruntime on clips of several lengths in one
padded batch and compared with PyTorch run on each clip alone; a graph that disagrees is refused, never
written. :class:`OnnxRunner` runs an exported folder (the ``Runner`` protocol of :mod:`hf_ser.inference`).

Two ways to feed a graph, recorded as ``batching`` in ``onnx_export.json``:
- ``padded``: one zero-padded batch with its attention mask (every front end whose padding the model masks:
  MFCC, log-mel, functionals, layer-norm wav2vec2 / HuBERT / WavLM encoders);
- ``per_length``: clips grouped by equal length, no mask (group-norm wav2vec2-style and data2vec-audio
  encoders: their PyTorch forward runs them that way too, since zero padding changes their output).
Whisper encoders are refused (see :func:`unsupported_reason`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
import types
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..files import write_json_atomic

logger = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
EXPORT_INFO_FILE = "onnx_export.json"
# the opset of the graphs (and of this module's own translations, written with onnxscript's opset18)
OPSET = 18
# Shortest input the graphs take (0.1 s at 16 kHz). Keeping length-dependent branches of the front ends (pad a
# clip shorter than n_fft, ...) out of the graph needs a lower bound; padded graphs get shorter batches
# zero-padded and masked by the runner, which the models' padding invariance makes exact.
MIN_SAMPLES = 1600
# Shortest clip an encoder graph without a mask can run (a wav2vec2-style convolutional feature encoder's
# receptive field is 400 samples); shorter clips are refused by name, as PyTorch would fail on them.
MIN_SAMPLES_PER_LENGTH = 400
PARITY_TOLERANCE = 1e-3
# clip lengths (seconds) of the parity check run at export time, all in one padded batch
CHECK_SECONDS = (0.05, 0.37, 1.0, 1.73)


class OnnxExportError(ValueError):
    """A model that cannot be exported faithfully (or whose graph failed the parity check): nothing written."""


# ------------------------------------------------------------------------------------------------ what exports
def unsupported_reason(config: Any) -> str | None:
    """Why a model with this config cannot be exported to one ONNX graph, or None when it can."""
    if config.frontend != "encoder":
        return None
    enc = config.encoder_config or {}
    if enc.get("model_type") == "whisper":
        return (
            "Whisper encoder front ends cannot be exported: hf-ser runs Whisper on each clip's own length or "
            f"zero-padded to whisper_pad_seconds ({config.whisper_pad_seconds} s), choosing per clip whether to pad "
            "and where to cut the positional embeddings and output frames; those length-dependent branches would be "
            "frozen to the example's length in a traced graph, which would then be wrong for other lengths"
        )
    return None


def batching_mode(config: Any) -> str:
    """How an exported graph of this model is fed: "padded" (batch + mask) or "per_length" (equal lengths)."""
    if config.frontend != "encoder":
        return "padded"
    from hf_ser.modeling.frontends import MASK_SAFE_ENCODERS

    enc = config.encoder_config or {}
    mask_safe = enc.get("model_type") in MASK_SAFE_ENCODERS and enc.get("feat_extract_norm") == "layer"
    return "padded" if mask_safe else "per_length"


# -------------------------------------------------------------------------------- LSTM as one ONNX LSTM op
# `MaskedLSTM` runs each direction of each layer with `torch.lstm`. Traced as is, the exporter decomposes every
# call into a loop, which takes minutes; during export each call goes through this opaque op instead, translated
# to one ONNX LSTM node (same maths, onnxruntime's own kernel).
def _register_lstm_op() -> Any:
    import torch

    # (the schema is spelled out: this module's annotations are strings, which custom_op cannot read)
    @torch.library.custom_op(
        "hf_ser::lstm_forward",
        mutates_args=(),
        schema="(Tensor x, Tensor w_ih, Tensor w_hh, Tensor b_ih, Tensor b_hh) -> Tensor",
    )
    def lstm_forward(x, w_ih, w_hh, b_ih, b_hh):
        h0 = x.new_zeros(1, x.shape[0], w_hh.shape[1])
        return torch.lstm(x, (h0, h0), [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, False, False, True)[0]

    @lstm_forward.register_fake
    def _(x, w_ih, w_hh, b_ih, b_hh):
        return x.new_empty(x.shape[0], x.shape[1], w_hh.shape[1])

    return lstm_forward


_LSTM_OP = None


def _lstm_op() -> Any:
    global _LSTM_OP
    if _LSTM_OP is None:
        _LSTM_OP = _register_lstm_op()
    return _LSTM_OP


def _lstm_forward_onnx(x, w_ih, w_hh, b_ih, b_hh):
    """ONNX translation of `hf_ser::lstm_forward`: PyTorch gate order (i, f, g, o) -> ONNX (i, o, f, c)."""
    from onnxscript import opset18 as op

    def reorder(w):
        i, f, g, o = op.Split(w, num_outputs=4, axis=0)
        return op.Concat(i, o, f, g, axis=0)

    weights = op.Unsqueeze(reorder(w_ih), [0])
    recurrence = op.Unsqueeze(reorder(w_hh), [0])
    bias = op.Unsqueeze(op.Concat(reorder(b_ih), reorder(b_hh), axis=0), [0])
    y, _, _ = op.LSTM(
        op.Transpose(x, perm=[1, 0, 2]), weights, recurrence, bias, hidden_size=w_hh.shape[1], direction="forward"
    )
    return op.Transpose(op.Squeeze(y, [1]), perm=[1, 0, 2])  # [T, 1, B, H] -> [B, T, H]


def _stft_onnx(
    self, n_fft, hop_length=None, win_length=None, window=None, normalized=False, onesided=None, return_complex=None
):
    """`aten::stft` as framing (Gather) + one MatMul with the windowed DFT basis, in torch's layout [B, F, T, 2].

    onnxruntime's STFT / DFT kernels take ~100x torch's FFT (24 ms vs 0.25 ms for 3 s at n_fft 512, one thread);
    a matrix product with the real and imaginary basis is ~10x faster than them and exact to rounding. Only the
    form the hf-ser front ends use (batched real signal, a window, one-sided, unnormalised) comes here."""
    import onnx.numpy_helper
    from onnxscript import opset18 as op

    if len(self.shape) != 2 or window is None or normalized or onesided is False:
        raise OnnxExportError("unexpected torch.stft form in this model (hf-ser front ends use batched, windowed stft)")
    hop = hop_length if hop_length is not None else n_fft // 4
    n_win = window.shape[0]
    left = (n_fft - n_win) // 2
    window = op.Pad(window, op.Constant(value_ints=[left, n_fft - n_win - left]))  # centred, as torch.stft does
    freqs = n_fft // 2 + 1
    angle = 2 * np.pi * np.outer(np.arange(n_fft), np.arange(freqs)) / n_fft
    basis = np.stack([np.cos(angle), -np.sin(angle)], axis=-1).reshape(n_fft, 2 * freqs)  # (re, im) interleaved

    def const(a):
        return op.CastLike(op.Constant(value=onnx.numpy_helper.from_array(a)), self)

    n = op.Shape(self, start=1, end=2)
    frames = op.Add(op.Div(op.Sub(n, op.Constant(value_ints=[n_fft])), op.Constant(value_ints=[hop])), 1)
    starts = op.Mul(op.Range(0, op.Squeeze(frames), 1), hop)
    index = op.Add(op.Unsqueeze(starts, [1]), op.Constant(value=onnx.numpy_helper.from_array(np.arange(n_fft))))
    framed = op.Mul(op.Gather(self, index, axis=1), op.CastLike(window, self))  # [B, T, n_fft]
    spec = op.MatMul(framed, const(basis))  # [B, T, 2F]
    spec = op.Reshape(spec, op.Constant(value_ints=[0, 0, freqs, 2]))
    return op.Transpose(spec, perm=[0, 2, 1, 3])


@contextlib.contextmanager
def _lstm_as_onnx_op(model: Any) -> Iterator[None]:
    """Route every `MaskedLSTM` direction of `model` through `hf_ser::lstm_forward` while exporting."""
    op = _lstm_op()
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

    def direction(self, x, layer: int, suffix: str):
        return op(x, *[getattr(self.lstm, f"{n}_l{layer}{suffix}") for n in names])

    patched = [m for m in model.modules() if type(m).__name__ == "MaskedLSTM" and hasattr(m, "_direction")]
    for m in patched:
        m._direction = types.MethodType(direction, m)
    try:
        yield
    finally:
        for m in patched:
            del m._direction


# --------------------------------------------------------------------------------------------------- export
@dataclass
class ExportInfo:
    """What `onnx_export.json` records: how to feed the graph and how well it matched PyTorch."""

    format: str = "onnx"
    file: str = ONNX_FILE
    opset: int = OPSET
    batching: str = "padded"
    inputs: list[str] = field(default_factory=lambda: ["input_values", "attention_mask"])
    min_samples: int = MIN_SAMPLES
    labels: list[str] = field(default_factory=list)
    source: str | None = None
    parity: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)


class _Logits:
    """Builds the module that is traced: waveform (+ mask) -> logits, the model's own forward."""

    @staticmethod
    def build(model: Any, with_mask: bool) -> Any:
        import torch

        class LogitsWithMask(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.model = m

            def forward(self, input_values, attention_mask):
                return self.model(input_values=input_values, attention_mask=attention_mask).logits

        class LogitsNoMask(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.model = m

            def forward(self, input_values):
                return self.model(input_values=input_values).logits

        return (LogitsWithMask if with_mask else LogitsNoMask)(model).eval()


def _versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch

    from hf_ser import __version__

    return {
        "hf_ser": __version__,
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
    }


def _check_clips(sampling_rate: int, seed: int = 0) -> list[np.ndarray]:
    """Noise bursts with a pitched tone (the functionals' pitch tracker then finds voiced frames)."""
    rng = np.random.default_rng(seed)
    clips = []
    for i, seconds in enumerate(CHECK_SECONDS):
        n = max(1, round(seconds * sampling_rate))
        t = np.arange(n) / sampling_rate
        tone = 0.3 * np.sin(2 * np.pi * (140 + 40 * i) * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
        clips.append((tone + 0.05 * rng.standard_normal(n)).astype(np.float32))
    return clips


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def parity_check(model: Any, feature_extractor: Any, runner: OnnxRunner, clips: list[np.ndarray]) -> dict[str, Any]:
    """onnxruntime on all `clips` in one padded batch vs PyTorch on each clip alone: probabilities and top labels."""
    import torch

    batch = feature_extractor(clips, sampling_rate=feature_extractor.sampling_rate, return_tensors="np")
    onnx_probs = _softmax(runner(batch["input_values"], batch.get("attention_mask")))
    with torch.inference_mode():
        ref = []
        for clip in clips:
            one = feature_extractor([clip], sampling_rate=feature_extractor.sampling_rate, return_tensors="pt")
            ref.append(model(**one).logits[0].float().numpy())
    torch_probs = _softmax(np.stack(ref))
    return {
        "clip_samples": [int(c.size) for c in clips],
        "max_abs_prob_diff": float(np.abs(onnx_probs - torch_probs).max()),
        "same_top_label": bool((onnx_probs.argmax(-1) == torch_probs.argmax(-1)).all()),
    }


@contextlib.contextmanager
def _quiet(verbose: bool) -> Iterator[None]:
    """Keep the exporter's progress prints, warnings and logs off the console unless `verbose`."""
    if verbose:
        yield
        return
    names = ("torch.onnx", "torch.export", "torch._export", "torch.fx", "torch._dynamo", "onnxscript")
    levels = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for n, level in levels.items():
            logging.getLogger(n).setLevel(level)


def export_onnx(
    model: Any,
    feature_extractor: Any,
    output_dir: str | os.PathLike,
    *,
    overwrite: bool = False,
    source: str | None = None,
    verbose: bool = False,
) -> ExportInfo:
    """Export `model` (a `SERForAudioClassification`) with its feature extractor to `output_dir`.

    The graph is checked against PyTorch before anything is written (`OnnxExportError` when it disagrees, or
    when the model cannot be exported: :func:`unsupported_reason`). An existing export in `output_dir` is
    replaced only with `overwrite=True`. The graph runs in float32: a model set to a bfloat16 encoder
    (`encoder_precision`) is traced and checked without autocast, and keeps its setting."""
    saved = getattr(model.config, "encoder_precision", "float32")
    model.config.encoder_precision = "float32"
    try:
        return _export(model, feature_extractor, os.fspath(output_dir), overwrite, source, verbose)
    finally:
        model.config.encoder_precision = saved


def _export(model: Any, feature_extractor: Any, out: str, overwrite: bool, source: str | None, verbose: bool):
    import torch

    reason = unsupported_reason(model.config)
    if reason:
        raise OnnxExportError(reason)
    if os.path.isfile(out):
        raise OnnxExportError(f"{out}: is a file, not a folder")
    if os.path.exists(os.path.join(out, ONNX_FILE)) and not overwrite:
        raise OnnxExportError(f"{out}: already holds an export ({ONNX_FILE}); pass overwrite=True (--overwrite)")
    model = model.eval().float().to("cpu")
    mode = batching_mode(model.config)
    with_mask = mode == "padded"
    min_samples = MIN_SAMPLES if with_mask else MIN_SAMPLES_PER_LENGTH
    sr = int(feature_extractor.sampling_rate)
    # two clips of different lengths (padded graphs), or of one length (graphs without a mask)
    examples = [np.zeros(2 * sr, np.float32), np.zeros(2 * sr if not with_mask else sr + 123, np.float32)]
    rng = np.random.default_rng(0)
    examples = [(0.1 * rng.standard_normal(e.size)).astype(np.float32) for e in examples]
    batch = feature_extractor(examples, sampling_rate=sr, return_tensors="pt")
    batch_dim = torch.export.Dim("batch", min=1)
    # DYNAMIC, not a named Dim: the guards the spectral front ends and heads raise (e.g. "at least 2 frames")
    # hold for every length >= min_samples but are not all provable by torch.export, which refuses a named Dim
    time_dim = torch.export.Dim.DYNAMIC(min=min_samples)
    if with_mask:
        args = (batch["input_values"], batch["attention_mask"].to(torch.int32))
        dynamic = {"input_values": {0: batch_dim, 1: time_dim}, "attention_mask": {0: batch_dim, 1: time_dim}}
        names = ["input_values", "attention_mask"]
    else:
        args = (batch["input_values"],)
        dynamic = {"input_values": {0: batch_dim, 1: time_dim}}
        names = ["input_values"]
    module = _Logits.build(model, with_mask)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, ONNX_FILE)
        try:
            with _quiet(verbose), _lstm_as_onnx_op(model), torch.no_grad():
                program = torch.onnx.export(
                    module,
                    args,
                    None,
                    dynamo=True,
                    opset_version=OPSET,
                    input_names=names,
                    output_names=["logits"],
                    dynamic_shapes=dynamic,
                    custom_translation_table={
                        torch.ops.hf_ser.lstm_forward.default: _lstm_forward_onnx,
                        torch.ops.aten.stft.default: _stft_onnx,
                    },
                    # the exporter's graph optimiser takes minutes on the functionals graph and changed its float64
                    # results (1e-2 in logits); onnxruntime optimises the graph itself when it loads it
                    optimize=False,
                    verbose=verbose,
                )
                program.save(path)
            fixed = _fixed_input_dims(path)
            if fixed:
                raise OnnxExportError(f"the traced graph fixed input sizes that must stay dynamic: {fixed}")
        except OnnxExportError:
            raise
        except Exception as e:  # the exporter's own errors are long: keep the first line, the rest with --verbose
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise OnnxExportError(f"torch.onnx.export failed for this model ({type(e).__name__}: {first})") from e
        info = ExportInfo(
            batching=mode,
            inputs=names,
            min_samples=min_samples,
            labels=[model.config.id2label[i] for i in range(model.config.num_labels)],
            source=source,
            versions=_versions(),
        )
        _write_json(os.path.join(tmp, EXPORT_INFO_FILE), asdict(info))
        clips = _check_clips(sr)
        if not with_mask:
            clips = [c for c in clips if c.size >= min_samples]
        info.parity = parity_check(model, feature_extractor, OnnxRunner(tmp), clips)
        if not info.parity["same_top_label"] or info.parity["max_abs_prob_diff"] > PARITY_TOLERANCE:
            raise OnnxExportError(
                f"the exported graph disagrees with PyTorch (max |p_onnx - p_torch| = "
                f"{info.parity['max_abs_prob_diff']:.2e}, same top label: {info.parity['same_top_label']}); "
                "nothing written"
            )
        _write_json(os.path.join(tmp, EXPORT_INFO_FILE), asdict(info))
        model.config.save_pretrained(tmp)
        feature_extractor.save_pretrained(tmp)
        os.makedirs(out, exist_ok=True)
        for name in os.listdir(tmp):
            target = os.path.join(out, name)
            if os.path.isdir(target):
                shutil.rmtree(target)
            shutil.move(os.path.join(tmp, name), target)
    return info


def _fixed_input_dims(path: str) -> list[str]:
    """Inputs of the ONNX file at `path` whose batch or length axis came out as a number instead of a symbol."""
    import onnx

    graph = onnx.load(path, load_external_data=False).graph
    return [
        f"{i.name}[{axis}] = {d.dim_value}"
        for i in graph.input
        for axis, d in enumerate(i.type.tensor_type.shape.dim)
        if d.HasField("dim_value")
    ]


def _write_json(path: str, data: dict) -> None:
    write_json_atomic(path, data)


def export_model(
    name_or_path: str | os.PathLike,
    output_dir: str | os.PathLike,
    *,
    overwrite: bool = False,
    trust_remote_code: bool = False,
    verbose: bool = False,
) -> ExportInfo:
    """Load a saved hf-ser model (folder or Hub id) and export it: :func:`export_onnx`."""
    from hf_ser.hub import load_model

    model, feature_extractor = load_model(name_or_path, trust_remote_code=trust_remote_code)
    if getattr(model.config, "model_type", None) != "hf-ser":
        raise OnnxExportError(f"{name_or_path}: not an hf-ser model (model_type {model.config.model_type!r})")
    return export_onnx(
        model,
        feature_extractor,
        output_dir,
        overwrite=overwrite,
        source=str(name_or_path),
        verbose=verbose,
    )


# --------------------------------------------------------------------------------------------------- runner
def is_onnx_export(path: str | os.PathLike) -> bool:
    """True for a folder written by :func:`export_onnx` (it holds `model.onnx` and `onnx_export.json`)."""
    p = os.fspath(path)
    return os.path.isfile(os.path.join(p, ONNX_FILE)) and os.path.isfile(os.path.join(p, EXPORT_INFO_FILE))


class OnnxRunner:
    """Runs an exported folder with onnxruntime: padded batch [B, T] float32 (+ mask [B, T]) -> logits [B, C].

    The `Runner` of :mod:`hf_ser.inference`. Graphs with `batching="padded"` get the batch as it is (shorter
    than `min_samples`: zero-padded and masked, which changes no clip's logits); `"per_length"` graphs get the
    clips grouped by real length, cut to it, without a mask - as the PyTorch model runs those encoders.

    Args:
        model_dir: a folder from `hf-ser export` (see :func:`is_onnx_export`).
        num_threads: onnxruntime intra-op threads (None: onnxruntime's default, all cores).
        providers: onnxruntime execution providers (default: CPU).
    """

    def __init__(
        self, model_dir: str | os.PathLike, *, num_threads: int | None = None, providers: list[str] | None = None
    ) -> None:
        import onnxruntime as ort

        self.model_dir = os.fspath(model_dir)
        if not is_onnx_export(self.model_dir):
            raise FileNotFoundError(
                f"{self.model_dir}: not an ONNX export (needs {ONNX_FILE} and {EXPORT_INFO_FILE}; "
                "write one with `hf-ser export MODEL --format onnx --output DIR`)"
            )
        with open(os.path.join(self.model_dir, EXPORT_INFO_FILE), encoding="utf-8") as f:
            self.info = json.load(f)
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: its graph-optimisation notes are no news to a user
        if num_threads is not None:
            options.intra_op_num_threads = int(num_threads)
        self.session = ort.InferenceSession(
            os.path.join(self.model_dir, self.info.get("file", ONNX_FILE)),
            sess_options=options,
            providers=providers or ["CPUExecutionProvider"],
        )
        self.batching = self.info["batching"]
        self.min_samples = int(self.info["min_samples"])

    def __call__(self, input_values: np.ndarray, attention_mask: np.ndarray | None = None) -> np.ndarray:
        x = np.ascontiguousarray(input_values, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"input_values must be [batch, samples], got shape {x.shape}")
        mask = np.ones(x.shape, np.int32) if attention_mask is None else np.asarray(attention_mask).astype(np.int32)
        if mask.shape != x.shape:
            raise ValueError(f"attention_mask shape {mask.shape} differs from input_values shape {x.shape}")
        if x.shape[0] == 0:
            return np.zeros((0, len(self.info["labels"])), np.float32)
        if self.batching == "padded":
            if x.shape[1] < self.min_samples:
                pad = ((0, 0), (0, self.min_samples - x.shape[1]))
                x, mask = np.pad(x, pad), np.pad(mask, pad)
            return self.session.run(["logits"], {"input_values": x, "attention_mask": mask})[0]
        lengths = mask.sum(-1)
        short = lengths < self.min_samples
        if short.any():
            raise ValueError(
                f"clip(s) {np.flatnonzero(short).tolist()} have {lengths[short].tolist()} samples; this encoder needs "
                f"at least {self.min_samples}"
            )
        out = np.zeros((x.shape[0], len(self.info["labels"])), np.float32)
        for n in np.unique(lengths):
            idx = np.flatnonzero(lengths == n)
            out[idx] = self.session.run(["logits"], {"input_values": np.ascontiguousarray(x[idx, :n])})[0]
        return out


# ------------------------------------------------------------------------------------------------------ CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hf-ser export",
        description="Export a saved hf-ser model, front end included, to ONNX (dynamic batch and length), checked "
        "against PyTorch before it is written. Run the result with `hf-ser predict DIR ... --backend onnx` or "
        "hf_ser.exporters.onnx.OnnxRunner.",
    )
    parser.add_argument("model", help="saved model folder (or Hub id)")
    parser.add_argument("--format", default="onnx", choices=["onnx"], help="export format (default: %(default)s)")
    parser.add_argument("--output", required=True, help="folder to write model.onnx, config.json, ... into")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing export in --output")
    parser.add_argument("--trust_remote_code", action="store_true", help="allow a Hub model's own code to run")
    parser.add_argument("--verbose", action="store_true", help="show the exporter's own progress and warnings")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import onnxruntime  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as e:
        print(f"hf-ser export: error: {e.name} is not installed: pip install 'hf-ser[onnx]'", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    from transformers.utils import logging as hf_logging

    from hf_ser.hub import ModelNotFoundError

    if not args.verbose:  # no weight-loading progress bars: the command prints its own summary
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()

    print(f"exporting {args.model} to {args.output} (ONNX opset {OPSET}) ...", flush=True)
    try:
        info = export_model(
            args.model,
            args.output,
            overwrite=args.overwrite,
            trust_remote_code=args.trust_remote_code,
            verbose=args.verbose,
        )
    except (OnnxExportError, ModelNotFoundError, OSError, ValueError) as e:
        print(f"hf-ser export: error: {e}", file=sys.stderr)
        return 2
    size = os.path.getsize(os.path.join(args.output, ONNX_FILE)) / 2**20
    parity = info.parity
    rows = [
        ("output", os.path.join(args.output, ONNX_FILE) + f" ({size:.1f} MiB)"),
        ("labels", ", ".join(info.labels)),
        ("inputs", f"{' + '.join(info.inputs)} ({info.batching} batches, >= {info.min_samples} samples)"),
        (
            "parity",
            f"max |p_onnx - p_torch| {parity['max_abs_prob_diff']:.1e} on {len(parity['clip_samples'])} clips "
            f"in one batch, same top labels: {'yes' if parity['same_top_label'] else 'no'}",
        ),
    ]
    for key, value in rows:
        print(f"  {key:<7} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
