"""`hf-ser demo-app` in a real headless Chromium: the command starts the page on 127.0.0.1, a clip is uploaded,
*Classify* shows the label the predictor gives (bar chart of scores, timeline picture and segment table for a
long clip), the page makes no request off the machine, and a screenshot is saved (under the test's tmp dir;
with HF_SER_UPDATE_DOCS=1 also as docs/images/demo_app.png for the README)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

pytest.importorskip("gradio", reason="the demo app needs the `app` extra: pip install -e '.[app]'")
playwright = pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (test extra)")

sys.path.insert(0, str(Path(__file__).parent / "modeling"))

from ser_testutils import make_model, write_wav  # noqa: E402

from hf_ser.modeling import SERFeatureExtractor  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 120  # the command imports torch, transformers and gradio: seconds, more on a loaded machine


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium found (Debian: apt-get install -y chromium; .ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _long_clip(seconds: float = 9.0, sr: int = 16000) -> np.ndarray:
    """A pitched, syllable-like first half and a noisier second half with a pause between (so the timeline
    shows a no_speech stretch and two kinds of sound)."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    voiced = 0.3 * np.sin(2 * np.pi * (140 + 30 * np.sin(2 * np.pi * 0.5 * t)) * t) * (t % 0.6 < 0.4)
    noisy = 0.15 * rng.standard_normal(t.size) * (t % 0.5 < 0.3)
    wave = np.where(t < 4.0, voiced, noisy)
    wave[(t > 4.0) & (t < 5.0)] = 0.0
    return (wave + 0.002 * rng.standard_normal(t.size)).astype(np.float32)


def test_demo_app_in_headless_chromium(tmp_path):
    chromium = _chromium()
    model = make_model(frontend="mfcc", head="cnn", head_channels=[16, 16], head_pool_size=2, pooling="stats")
    fe = SERFeatureExtractor.from_model_config(model.config)
    model.save_pretrained(tmp_path / "model")
    fe.save_pretrained(tmp_path / "model")
    clip = write_wav(tmp_path / "recording.wav", _long_clip())

    from hf_ser.audio import load_audio
    from hf_ser.inference import SERPredictor

    predictor = SERPredictor.from_pretrained(tmp_path / "model")
    expected = predictor.timeline(load_audio(clip, predictor.sampling_rate)).label
    assert expected in predictor.labels

    port = _free_port()
    log = open(tmp_path / "app.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hf_ser.cli", "demo-app", str(tmp_path / "model"), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        deadline = time.time() + STARTUP_SECONDS
        while True:
            assert proc.poll() is None, (tmp_path / "app.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline, f"not up after {STARTUP_SECONDS} s: {(tmp_path / 'app.log').read_text()}"
                time.sleep(0.5)
        requests: list[str] = []
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1100})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"http://127.0.0.1:{port}/", wait_until="networkidle")
            page.locator("#audio input[type=file]").set_input_files(str(clip))
            page.locator("#classify").click()
            page.locator("#summary strong").wait_for(timeout=60_000)
            page.locator("#timeline img").wait_for(timeout=30_000)
            page.locator("#segments").wait_for(timeout=30_000)
            page.wait_for_load_state("networkidle")
            summary = page.locator("#summary").inner_text()
            scores = page.locator("#scores").inner_text()
            segments = page.locator("#segments").inner_text()
            shot = tmp_path / "demo_app.png"
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()

    assert summary.startswith(expected), summary
    for label in predictor.labels:  # the bar chart lists every label's score
        assert label in scores
    assert "no_speech" in segments and expected in segments
    off_machine = {urlparse(u).hostname for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    assert off_machine == {"127.0.0.1"}, f"requests off the machine: {sorted(off_machine - {'127.0.0.1'})}"
    assert shot.stat().st_size > 20_000
    if os.environ.get("HF_SER_UPDATE_DOCS") == "1":
        (ROOT / "docs" / "images").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "images" / "demo_app.png")
