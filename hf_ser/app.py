"""``hf-ser demo-app MODEL [--port P]``: a local web page that classifies uploaded or recorded speech.

Upload a file or record from the microphone, press *Classify*: the label scores appear as a bar chart; a
recording longer than ``--timeline_seconds`` also gets its emotion timeline (picture + segment table). All
prediction goes through :class:`hf_ser.inference.SERPredictor` (a saved model with PyTorch, or an
``hf-ser export`` folder with onnxruntime), exactly as ``hf-ser predict`` does.

Runs offline: Gradio's analytics are off (no calls to its servers, no version check), the default theme's
fonts are served by the app itself, no share link, no server-side rendering (no Node). Gradio is the optional
``app`` extra, imported only here.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import Any

import numpy as np

DEFAULT_PORT = 7860
# recordings longer than this get the timeline (twice the predictor's default 3 s window: at least 4 windows)
DEFAULT_TIMELINE_SECONDS = 6.0


def _offline_environment() -> None:
    """Settings Gradio reads at import time: no analytics / version check, no telemetry of any kind."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def classify(predictor: Any, path: str | None, timeline_seconds: float, plot_dir: str) -> dict[str, Any]:
    """Everything the page shows for one recording: scores, a one-line summary and, when long, the timeline."""
    from hf_ser.audio import AudioDecodeError, load_audio, speech_fraction
    from hf_ser.timeline import plot_timeline

    if not path:
        return {"message": "Upload a file or record something first.", "scores": None, "plot": None, "segments": None}
    name = os.path.basename(path)
    try:
        wave = load_audio(path, predictor.sampling_rate)
    except AudioDecodeError as e:
        return {"message": f"Could not read {name}: {e}", "scores": None, "plot": None, "segments": None}
    duration = wave.size / predictor.sampling_rate
    threshold = predictor.vad_threshold_db
    if threshold is not None and speech_fraction(wave, predictor.sampling_rate, threshold) == 0.0:
        return {
            "message": f"No speech found in {name} ({duration:.1f} s; every frame is below {threshold:g} dB).",
            "scores": None,
            "plot": None,
            "segments": None,
        }
    plot = segments = None
    if duration > timeline_seconds:
        timeline = predictor.timeline(wave)
        timeline.path = name  # the picture's title: the uploaded file's name, not "<waveform>"
        scores = timeline.scores or {}
        fd, png = tempfile.mkstemp(prefix="timeline_", suffix=".png", dir=plot_dir)
        os.close(fd)
        plot = plot_timeline(timeline, png)
        segments = [
            [round(s.start, 2), round(s.end, 2), s.label, round(max(s.scores.values()), 3) if s.scores else None]
            for s in timeline.segments
        ]
        speech_windows = round(timeline.speech_fraction * len(timeline.window_starts))
        how = f"mean of {speech_windows} speech windows of {timeline.window:g} s"
    else:
        probs = predictor.predict_waveforms([wave])[0]
        scores = {predictor.labels[k]: float(probs[k]) for k in np.argsort(-probs, kind="stable")}
        how = "whole clip"
    if not scores:
        return {"message": f"No speech windows in {name}.", "scores": None, "plot": plot, "segments": segments}
    top = next(iter(scores))
    message = f"**{top}** ({scores[top]:.2f}) · {name}, {duration:.1f} s · {how}"
    return {"message": message, "scores": scores, "plot": plot, "segments": segments}


def build_app(predictor: Any, model_name: str, *, timeline_seconds: float = DEFAULT_TIMELINE_SECONDS) -> Any:
    """The Gradio Blocks page for `predictor` (a `SERPredictor`)."""
    _offline_environment()
    import gradio as gr

    plot_dir = tempfile.mkdtemp(prefix="hf-ser-app-")

    def run(path: str | None):
        out = classify(predictor, path, timeline_seconds, plot_dir)
        has_timeline = out["plot"] is not None
        return (
            out["message"],
            out["scores"],
            gr.Image(value=out["plot"], visible=has_timeline),
            gr.Dataframe(value=out["segments"] or [], visible=has_timeline),
        )

    with gr.Blocks(title=f"hf-ser · {model_name}", analytics_enabled=False) as app:
        gr.Markdown(
            f"## Speech emotion recognition · `{model_name}`\n"
            f"Labels: {', '.join(predictor.labels)}. Upload a recording or use the microphone, then *Classify*. "
            f"Recordings longer than {timeline_seconds:g} s also get an emotion timeline."
        )
        with gr.Row():
            with gr.Column(scale=1):
                audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Audio", elem_id="audio")
                button = gr.Button("Classify", variant="primary", elem_id="classify")
            with gr.Column(scale=1):
                summary = gr.Markdown(elem_id="summary")
                scores = gr.Label(num_top_classes=len(predictor.labels), label="Scores", elem_id="scores")
        plot = gr.Image(label="Timeline", type="filepath", visible=False, elem_id="timeline")
        table = gr.Dataframe(
            headers=["start (s)", "end (s)", "label", "score"],
            label="Segments",
            visible=False,
            interactive=False,
            elem_id="segments",
        )
        button.click(run, inputs=audio, outputs=[summary, scores, plot, table])
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="hf-ser demo-app",
        description="Serve a local web page (Gradio) that classifies uploaded or recorded audio with a saved model "
        "or an `hf-ser export` folder: label scores as a bar chart, and for long recordings the emotion timeline "
        "and its segments. Works offline.",
    )
    parser.add_argument("model", help="saved model folder, Hub id, or ONNX export folder (run with onnxruntime)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default: %(default)s)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s, this machine)")
    parser.add_argument(
        "--timeline_seconds",
        type=float,
        default=DEFAULT_TIMELINE_SECONDS,
        help="recordings longer than this also get the timeline (default: %(default)s)",
    )
    parser.add_argument("--trust_remote_code", action="store_true", help="allow a Hub model's own code to run")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    _offline_environment()
    try:
        import gradio  # noqa: F401
    except ImportError:
        print("hf-ser demo-app: error: gradio is not installed: pip install 'hf-ser[app]'", file=sys.stderr)
        return 2
    from transformers.utils import logging as hf_logging

    from hf_ser.hub import ModelNotFoundError
    from hf_ser.inference import SERPredictor

    hf_logging.set_verbosity_error()  # no weight-loading progress bars on the console
    hf_logging.disable_progress_bar()

    backend = "torch"
    if os.path.isdir(args.model):
        from hf_ser.exporters.onnx import is_onnx_export

        backend = "onnx" if is_onnx_export(args.model) else "torch"
    try:
        predictor = SERPredictor.from_pretrained(args.model, backend=backend, trust_remote_code=args.trust_remote_code)
    except (ModelNotFoundError, OSError, ValueError) as e:
        print(f"hf-ser demo-app: error: {e}", file=sys.stderr)
        return 2
    app = build_app(predictor, os.path.basename(os.path.normpath(args.model)), timeline_seconds=args.timeline_seconds)
    print(f"hf-ser demo-app: {args.model} ({backend}) on http://{args.host}:{args.port}  (Ctrl+C to stop)", flush=True)
    app.launch(
        server_name=args.host,
        server_port=args.port,
        share=False,
        inbrowser=False,
        quiet=True,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        footer_links=[],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
