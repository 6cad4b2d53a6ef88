"""Using trained models: load a saved or Hub model, predict many clips, and emotion timelines of long recordings.

Sits on :mod:`hf_ser.modeling` and :mod:`hf_ser.audio` only (never on ``training``), so a model can be used
without anything training needs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .audio import (
    DEFAULT_MIN_SAMPLES,
    AudioDecodeError,
    audio_duration,
    load_audio,
    silence_detail,
    speech_fraction,
    stream_audio,
)
from .hub import load_model, resolve_model_source
from .timeline import SMOOTHINGS, Timeline, build_segments, sliding_windows, trim_to_speech, window_labels

# Energy VAD: a 25 ms frame is speech at or above this level (dBFS, DC removed); -50 dBFS is an RMS of 0.003,
# well under quiet speech (a speaker recorded 20 dB low sits near -40 dBFS) and above digital silence and hiss.
DEFAULT_VAD_THRESHOLD_DB = -50.0


# ------------------------------------------------------------------------------------------ runners
class Runner(Protocol):
    """Turns one padded batch (as the feature extractor gives it) into logits: PyTorch here, onnxruntime for an
    exported model (:mod:`hf_ser.exporters.onnx`)."""

    def __call__(self, **inputs: np.ndarray) -> np.ndarray: ...


class TorchRunner:
    """A transformers audio classifier under ``torch.inference_mode``; ``quantize=True`` converts its Linear and LSTM
    layers to dynamic int8 (CPU only: smaller and often faster, probabilities change slightly)."""

    def __init__(self, model: Any, device: str | None = None, quantize: bool = False) -> None:
        import torch

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        model = model.eval()
        if quantize:
            if self.device != "cpu":
                raise ValueError(f"quantize: dynamic int8 quantisation runs on the CPU only, not on {self.device}")
            model = quantize_dynamic(model)
        self.model = model.to(self.device)

    def __call__(self, **inputs: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            tensors = {k: torch.from_numpy(np.ascontiguousarray(v)).to(self.device) for k, v in inputs.items()}
            return self.model(**tensors).logits.float().cpu().numpy()


def quantize_dynamic(model: Any) -> Any:
    """Dynamic int8 quantisation of Linear and LSTM layers (weights int8, activations quantised on the fly)."""
    import warnings

    import torch
    from torch.ao.quantization import quantize_dynamic as _quantize

    with warnings.catch_warnings():  # torch announces the int8 tensor API's move to torchao
        warnings.simplefilter("ignore")
        return _quantize(model, {torch.nn.Linear, torch.nn.LSTM}, dtype=torch.qint8)


# --------------------------------------------------------------------------------------- predictions
@dataclass
class FilePrediction:
    """One file's result: ``label`` and ``scores`` (probabilities, best first), or ``error`` (why it was skipped)."""

    path: str
    label: str | None = None
    scores: dict[str, float] | None = None
    duration: float | None = None
    error: str | None = None
    windows: int | None = None  # set when a long file was scored as the mean of its speech windows

    def to_dict(self, top_k: int | None = None) -> dict[str, Any]:
        """The JSON record of ``hf-ser predict``: path + label + scores, or path + error (never a label)."""
        if self.error is not None:
            return {"path": self.path, "error": self.error}
        scores = dict(list(self.scores.items())[:top_k]) if top_k else self.scores
        record: dict[str, Any] = {"path": self.path, "label": self.label, "scores": scores}
        record["duration"] = round(self.duration, 3) if self.duration is not None else None
        if self.windows is not None:
            record["windows"] = self.windows
        return record


def _ranked(probabilities: np.ndarray, labels: list[str]) -> dict[str, float]:
    return {labels[k]: round(float(probabilities[k]), 5) for k in np.argsort(-probabilities, kind="stable")}


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


class _DecodeFiles:
    """Map-style dataset for the DataLoader: decoding (and resampling) runs in its worker processes."""

    def __init__(self, paths: list[str], sampling_rate: int) -> None:
        self.paths, self.sampling_rate = paths, sampling_rate

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[int, np.ndarray | None, str | None]:
        try:
            return i, load_audio(self.paths[i], self.sampling_rate), None
        except AudioDecodeError as e:
            return i, None, str(e).removeprefix(f"{self.paths[i]}: ")


def _as_list(batch: list) -> list:
    return batch


class SERPredictor:
    """Batched, padding-safe prediction with a saved model: many files, waveforms, or a long recording's timeline.

    Clips are sorted by length into batches (little padding), decoded in DataLoader worker processes and put back in
    input order. With ``vad_threshold_db`` (None: off) silence is never classified: a clip none of whose 25 ms frames
    reaches the silence floor of ``hf-ser prepare`` (``audio.SILENCE_FLOOR_DB``) is skipped as silent, and timelines
    and long files label the windows under ``vad_threshold_db`` ``no_speech``. hf-ser models are
    padding-invariant (a clip's scores do not depend on its batch), so any lengths
    share a batch; other transformers classifiers only batch clips of equal length, which keeps the same promise.
    """

    def __init__(
        self,
        runner: Runner,
        feature_extractor: Any,
        id2label: dict[int, str],
        *,
        pads_safely: bool,
        batch_size: int = 16,
        num_workers: int | None = None,
        max_clip_seconds: float = 30.0,
        vad_threshold_db: float | None = DEFAULT_VAD_THRESHOLD_DB,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.runner = runner
        self.feature_extractor = feature_extractor
        self.labels = [id2label[i] for i in range(len(id2label))]
        self.sampling_rate = int(feature_extractor.sampling_rate)
        self.pads_safely = pads_safely
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.max_clip_seconds = max_clip_seconds
        self.vad_threshold_db = vad_threshold_db

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | os.PathLike,
        *,
        backend: str = "torch",
        device: str | None = None,
        quantize: bool = False,
        trust_remote_code: bool = False,
        **kwargs: Any,
    ) -> SERPredictor:
        """A predictor for a saved model folder or Hub id (``backend="torch"``) or an ``hf-ser export`` folder
        (``backend="onnx"``, run by onnxruntime)."""
        if backend == "torch":
            model, feature_extractor = load_model(name_or_path, trust_remote_code=trust_remote_code)
            runner: Runner = TorchRunner(model, device=device, quantize=quantize)
            config = model.config
        elif backend == "onnx":
            if quantize or device not in (None, "cpu"):
                raise ValueError("backend='onnx' runs on the CPU as exported: --quantize and --device do not apply")
            from transformers import AutoConfig, AutoFeatureExtractor

            from .exporters.onnx import OnnxRunner

            source = resolve_model_source(name_or_path)
            runner = OnnxRunner(source)
            config = AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
            feature_extractor = AutoFeatureExtractor.from_pretrained(source, trust_remote_code=trust_remote_code)
        else:
            raise ValueError(f"backend must be 'torch' or 'onnx', got {backend!r}")
        return cls(runner, feature_extractor, config.id2label, pads_safely=config.model_type == "hf-ser", **kwargs)

    # ---------------------------------------------------------------- waveforms
    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Index batches, longest first: sorted by length (equal lengths only, unless padding is safe)."""
        order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
        batches: list[list[int]] = []
        for i in order:
            last = batches[-1] if batches else None
            if last and len(last) < self.batch_size and (self.pads_safely or lengths[last[0]] == lengths[i]):
                last.append(i)
            else:
                batches.append([i])
        return batches

    def _probabilities(self, waves: list[np.ndarray]) -> np.ndarray:
        inputs = self.feature_extractor(waves, sampling_rate=self.sampling_rate, padding=True, return_tensors="np")
        return _softmax(self.runner(**dict(inputs)).astype(np.float64)).astype(np.float32)

    def predict_waveforms(self, waves: Sequence[np.ndarray]) -> np.ndarray:
        """Probabilities [N, C] for mono float32 waveforms at ``sampling_rate``, in input order."""
        out = np.zeros((len(waves), len(self.labels)), dtype=np.float32)
        for batch in self._batches([len(w) for w in waves]):
            out[batch] = self._probabilities([np.asarray(waves[i], dtype=np.float32) for i in batch])
        return out

    # -------------------------------------------------------------------- files
    def _workers(self, n_files: int) -> int:
        if self.num_workers is not None:
            return self.num_workers
        return 0 if n_files < 4 * self.batch_size else min(2, os.cpu_count() or 1)

    def predict_files(
        self, paths: Iterable[str | os.PathLike], *, progress: bool = False, chunk_size: int | None = None
    ) -> Iterator[FilePrediction]:
        """One :class:`FilePrediction` per path, in input order; unreadable, empty, too-short or non-finite files
        come back with ``error`` set and never stop the run. Files longer than ``max_clip_seconds`` are scored as the
        mean of their speech windows (streamed, so an hour-long file needs no more memory than a short one).

        Paths are taken ``chunk_size`` at a time (default 32 batches): within a chunk they are sorted by the length
        in their headers, decoded in worker processes and batched."""
        from torch.utils.data import DataLoader
        from tqdm.auto import tqdm

        paths = [os.fspath(p) for p in paths]
        chunk_size = chunk_size or 32 * self.batch_size
        bar = tqdm(total=len(paths), desc="predicting", unit="file", disable=not progress, leave=False)
        try:
            for lo in range(0, len(paths), chunk_size):
                chunk = paths[lo : lo + chunk_size]
                durations = [audio_duration(p) for p in chunk]
                results: list[FilePrediction | None] = [None] * len(chunk)
                short = [i for i, d in enumerate(durations) if d <= self.max_clip_seconds]
                for i in (i for i, d in enumerate(durations) if d > self.max_clip_seconds):
                    results[i] = self._predict_long(chunk[i])
                    bar.update(1)
                lengths = [int(durations[i] * self.sampling_rate) for i in short]
                batches = [[short[j] for j in batch] for batch in self._batches(lengths)]
                loader = DataLoader(
                    _DecodeFiles(chunk, self.sampling_rate),
                    batch_sampler=batches,
                    num_workers=self._workers(len(short)),
                    collate_fn=_as_list,
                )
                for items in loader:
                    good = []
                    for i, wave, error in items:
                        if error is None:
                            error = self._silence(wave)
                        if error is not None:
                            results[i] = FilePrediction(chunk[i], error=error)
                        else:
                            good.append((i, wave))
                    if good:
                        probs = self.predict_waveforms([w for _, w in good])
                        for (i, w), p in zip(good, probs, strict=True):
                            label = self.labels[int(p.argmax())]
                            results[i] = FilePrediction(
                                chunk[i], label, _ranked(p, self.labels), len(w) / self.sampling_rate
                            )
                    bar.update(len(items))
                yield from results  # type: ignore[misc]
        finally:
            bar.close()

    def _silence(self, wave: np.ndarray) -> str | None:
        """Why a clip is not classified (no 25 ms frame reaches the silence floor ``hf-ser prepare`` applies, so
        a quietly recorded speaker, whose level the models normalise, is still predicted), or None."""
        return None if self.vad_threshold_db is None else silence_detail(wave, self.sampling_rate)

    def _predict_long(self, path: str) -> FilePrediction:
        try:
            timeline = self.timeline(path)
        except AudioDecodeError as e:
            return FilePrediction(path, error=str(e).removeprefix(f"{path}: "))
        windows = int(np.isfinite(timeline.window_probabilities[:, 0]).sum()) if timeline.labels else 0
        if timeline.label is None:
            return FilePrediction(path, error=f"silent (no window reaches {self.vad_threshold_db:g} dBFS)")
        return FilePrediction(path, timeline.label, timeline.scores, timeline.duration, windows=windows)

    # ----------------------------------------------------------------- timeline
    def timeline(
        self,
        path_or_wave: str | os.PathLike | np.ndarray,
        *,
        window: float = 3.0,
        hop: float = 1.0,
        min_speech_fraction: float = 0.5,
        smoothing: str = "none",
        smoothing_width: int = 5,
        switch_probability: float = 0.05,
    ) -> Timeline:
        """Emotion timeline: windows of ``window`` s every ``hop`` s, streamed from the file; a window is speech when
        at least ``min_speech_fraction`` of its 25 ms frames reach the predictor's ``vad_threshold_db`` (silence is
        labelled ``no_speech`` and never shown to the model; with the VAD off every window is speech); optional
        smoothing of the speech windows ("median" over ``smoothing_width`` windows, or "hmm": Viterbi with
        ``switch_probability``); adjacent windows with one label merged into segments that tile the recording."""
        if not (0 < hop <= window):
            raise ValueError(f"need 0 < hop <= window, got window={window} hop={hop}")
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {', '.join(SMOOTHINGS)}, got {smoothing!r}")
        sr = self.sampling_rate
        win, step = int(round(window * sr)), int(round(hop * sr))
        if isinstance(path_or_wave, np.ndarray):
            name, blocks = "<waveform>", iter([np.asarray(path_or_wave, dtype=np.float32)])
        else:
            name = os.fspath(path_or_wave)
            blocks = stream_audio(name, sr)
        starts: list[int] = []
        speech: list[bool] = []
        rows: list[np.ndarray] = []
        pending: list[tuple[int, np.ndarray]] = []

        def flush() -> None:
            probs = self.predict_waveforms([w for _, w in pending])
            for (k, _), p in zip(pending, probs, strict=True):
                rows[k] = p
            pending.clear()

        total = 0
        nan_row = np.full(len(self.labels), np.nan, dtype=np.float32)
        for start, wave in sliding_windows(blocks, win, step, DEFAULT_MIN_SAMPLES):
            is_speech = (
                self.vad_threshold_db is None or speech_fraction(wave, sr, self.vad_threshold_db) >= min_speech_fraction
            )
            starts.append(start)
            speech.append(is_speech)
            rows.append(nan_row)
            total = max(total, start + wave.size)
            if is_speech:
                if self.vad_threshold_db is not None:
                    wave = trim_to_speech(wave, sr, self.vad_threshold_db)
                pending.append((len(rows) - 1, wave.copy()))
                if len(pending) == self.batch_size:
                    flush()
        if pending:
            flush()
        if not starts:
            raise AudioDecodeError(f"{name}: too short (need at least {DEFAULT_MIN_SAMPLES} samples)")
        probabilities = np.stack(rows)
        is_speech = np.asarray(speech)
        labels, smoothed = window_labels(probabilities, is_speech, smoothing, smoothing_width, switch_probability)
        start_arr = np.asarray(starts)
        segments = build_segments(start_arr, win, total, sr, labels, smoothed, self.labels)
        overall = label = None
        if is_speech.any():
            mean = probabilities[is_speech].mean(0)
            overall, label = _ranked(mean, self.labels), self.labels[int(mean.argmax())]
        return Timeline(
            path=name,
            duration=total / sr,
            window=window,
            hop=hop,
            segments=segments,
            label=label,
            scores=overall,
            speech_fraction=float(is_speech.mean()),
            window_starts=start_arr / sr,
            window_probabilities=smoothed,
            labels=list(self.labels),
        )


# ------------------------------------------------------------------------------------------------ CLI
AUDIO_EXTENSIONS = (".wav", ".flac", ".aif", ".aiff", ".aifc", ".ogg", ".oga", ".mp3", ".opus")
EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_SKIPPED = 0, 1, 2, 3


def expand_inputs(items: Iterable[str], stdin: Any = None) -> list[str]:
    """Files as given, folders searched recursively for audio files (sorted), quoted globs expanded, ``-`` = one path
    per line on standard input. A name that matches nothing is kept, so it is reported as a bad input."""
    import glob
    import sys

    paths: list[str] = []
    for item in items:
        if item == "-":
            lines = (stdin or sys.stdin).read().splitlines()
            paths += expand_inputs([line.strip() for line in lines if line.strip()])
        elif os.path.isdir(item):
            found = []
            for root, _, files in os.walk(item):
                found += [os.path.join(root, f) for f in files if f.lower().endswith(AUDIO_EXTENSIONS)]
            paths += sorted(found)
        elif not os.path.exists(item) and glob.has_magic(item):
            paths += expand_inputs(sorted(glob.glob(item, recursive=True))) or [item]
        else:
            paths.append(item)
    return paths


def _parser() -> Any:
    import argparse

    p = argparse.ArgumentParser(
        prog="hf-ser predict",
        description="Predict the emotion of audio files (or an emotion timeline of long recordings) with a saved "
        "model. Writes one JSON line (or CSV row) per file; bad files are reported and skipped. Exit status: 0 all "
        "predicted, 3 some inputs skipped, 2 usage error or model not found.",
    )
    p.add_argument("model", help="model folder (output_dir of hf-ser train), Hub id, or hf-ser export folder")
    p.add_argument("paths", nargs="+", help="audio files, folders (searched recursively), globs, or - (paths on stdin)")
    p.add_argument("--output", default=None, help="write results here instead of standard output")
    p.add_argument("--format", choices=["jsonl", "csv"], default=None, help="csv for a .csv --output, else jsonl")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --output file")
    p.add_argument("--top_k", type=int, default=None, help="keep the K best scores per file (default: all)")
    p.add_argument("--batch_size", type=int, default=16, help="clips (or windows) per forward pass")
    p.add_argument("--num_workers", type=int, default=None, help="decoding processes (default: 2 for many files)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--backend", choices=["torch", "onnx"], default="torch", help="onnx: an hf-ser export folder")
    p.add_argument("--quantize", action="store_true", help="dynamic int8 Linear/LSTM layers (CPU)")
    p.add_argument("--trust_remote_code", action="store_true", help="allow models that need their own code")
    p.add_argument(
        "--max_clip_seconds",
        type=float,
        default=30.0,
        help="longer files are scored as the mean of their speech windows (default: %(default)s)",
    )
    t = p.add_argument_group("timeline (long recordings)")
    t.add_argument("--timeline", action="store_true", help="segments with start/end seconds for each recording")
    t.add_argument(
        "--window", type=float, default=3.0, help="window length in seconds, about an utterance (default: %(default)s)"
    )
    t.add_argument("--hop", type=float, default=1.0, help="window step in seconds (default: %(default)s)")
    t.add_argument(
        "--min_speech_fraction",
        type=float,
        default=0.5,
        help="a window is speech when this share of its frames is (default: %(default)s)",
    )
    t.add_argument("--no_vad", action="store_true", help="classify silence too (silent clips, silent windows)")
    t.add_argument(
        "--vad_threshold_db",
        type=float,
        default=DEFAULT_VAD_THRESHOLD_DB,
        help="timelines and long files: frames at or above this level (dBFS) are speech (default: %(default)s); "
        "a clip is skipped as silent only under the -70 dBFS floor of hf-ser prepare",
    )
    t.add_argument("--smoothing", choices=list(SMOOTHINGS), default="none", help="smooth window labels over time")
    t.add_argument("--smoothing_width", type=int, default=5, help="windows in the median filter (default: 5)")
    t.add_argument("--plot_dir", default=None, help="write a timeline PNG per recording into this folder")
    p.add_argument("--no_progress", action="store_true", help="no progress bar")
    p.add_argument("--verbose", action="store_true", help="show library logs and warnings")
    return p


class _Writer:
    """JSON lines or CSV rows into a temporary file that is renamed into place at the end (a killed run never leaves
    a file that looks complete), or straight to standard output."""

    def __init__(self, output: str | None, fmt: str, labels: list[str], timeline: bool) -> None:
        import csv
        import sys

        self.output, self.fmt, self.labels = output, fmt, labels
        self.tmp = f"{output}.partial" if output else None
        self.stream = open(self.tmp, "w", encoding="utf-8", newline="") if self.tmp else sys.stdout
        if fmt == "csv":
            head = ["path", "start", "end"] if timeline else ["path", "duration"]
            self.columns = [*head, "label", "error", *labels]
            self.csv = csv.DictWriter(self.stream, self.columns, extrasaction="ignore")
            self.csv.writeheader()

    def write(self, record: dict[str, Any]) -> None:
        import json

        if self.fmt == "jsonl":
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        elif "segments" in record:
            for seg in record["segments"] or [{}]:
                self.csv.writerow({"path": record["path"], **seg, **(seg.get("scores") or {})})
        else:
            self.csv.writerow({**record, **(record.get("scores") or {})})
        self.stream.flush()

    def close(self) -> None:
        if self.tmp:
            self.stream.close()
            os.replace(self.tmp, self.output)


def _quiet_libraries(verbose: bool) -> None:
    import logging
    import warnings

    if verbose:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
        return
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore")


def main(argv: list[str] | None = None) -> int:
    """``hf-ser predict``; see :func:`_parser` for the options and exit codes."""
    import sys
    from collections import Counter

    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    fmt = args.format or ("csv" if (args.output or "").lower().endswith(".csv") else "jsonl")
    if args.output and os.path.exists(args.output) and not args.overwrite:
        print(f"hf-ser predict: error: {args.output} exists (pass --overwrite to replace it)", file=sys.stderr)
        return EXIT_USAGE
    folder = os.path.dirname(os.path.abspath(args.output)) if args.output else None
    if folder and not (os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK)):
        why = "is not writable" if os.path.isdir(folder) else "does not exist"
        print(f"hf-ser predict: error: cannot write --output {args.output}: {folder} {why}", file=sys.stderr)
        return EXIT_USAGE
    paths = expand_inputs(args.paths)
    if not paths:
        print("hf-ser predict: error: no input files (folders held no audio files)", file=sys.stderr)
        return EXIT_USAGE
    _quiet_libraries(args.verbose)
    try:
        predictor = SERPredictor.from_pretrained(
            args.model,
            backend=args.backend,
            device=args.device,
            quantize=args.quantize,
            trust_remote_code=args.trust_remote_code,
            batch_size=args.batch_size,
            num_workers=args.num_workers,
            max_clip_seconds=args.max_clip_seconds,
            vad_threshold_db=None if args.no_vad else args.vad_threshold_db,
        )
    except (OSError, ValueError) as e:
        print(f"hf-ser predict: error: cannot load model {args.model}: {e}", file=sys.stderr)
        return EXIT_USAGE
    if args.plot_dir:
        os.makedirs(args.plot_dir, exist_ok=True)
    writer = _Writer(args.output, fmt, predictor.labels, args.timeline)
    counts: Counter[str] = Counter()
    skipped: list[tuple[str, str]] = []
    try:
        for record in _records(predictor, paths, args):
            writer.write(record)
            if "error" in record:
                skipped.append((record["path"], record["error"]))
                print(f"skipped {record['path']}: {record['error']}", file=sys.stderr)
            else:
                counts[record["label"] or "no speech"] += 1
    finally:
        writer.close()
    _print_summary(counts, skipped, args.output, sys.stderr)
    return EXIT_SKIPPED if skipped else EXIT_OK


def _records(predictor: SERPredictor, paths: list[str], args: Any) -> Iterator[dict[str, Any]]:
    top_k = args.top_k
    if not args.timeline:
        for prediction in predictor.predict_files(paths, progress=not args.no_progress):
            yield prediction.to_dict(top_k)
        return
    from tqdm.auto import tqdm

    from .timeline import plot_timeline

    for path in tqdm(paths, desc="timelines", unit="file", disable=args.no_progress or len(paths) == 1, leave=False):
        try:
            timeline = predictor.timeline(
                path,
                window=args.window,
                hop=args.hop,
                min_speech_fraction=args.min_speech_fraction,
                smoothing=args.smoothing,
                smoothing_width=args.smoothing_width,
            )
        except AudioDecodeError as e:
            yield {"path": path, "error": str(e).removeprefix(f"{path}: ")}
            continue
        record = timeline.to_dict()
        if top_k:
            record["scores"] = dict(list((record["scores"] or {}).items())[:top_k]) or None
            for seg in record["segments"]:
                seg["scores"] = dict(list(seg["scores"].items())[:top_k])
        if args.plot_dir:
            stem = os.path.splitext(os.path.basename(path))[0]
            record["plot"] = plot_timeline(timeline, os.path.join(args.plot_dir, f"{stem}.timeline.png"))
        yield record


def _print_summary(counts: Any, skipped: list[tuple[str, str]], output: str | None, stream: Any) -> None:
    total = sum(counts.values())
    lines = [f"predicted {total} file{'s' if total != 1 else ''}, skipped {len(skipped)}"]
    width = max((len(k) for k in counts), default=5)
    lines += [f"  {label:<{width}}  {n}" for label, n in counts.most_common()]
    if output:
        lines.append(f"results: {output}")
    print("\n".join(lines), file=stream)
