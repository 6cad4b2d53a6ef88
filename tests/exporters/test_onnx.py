"""ONNX export (hf_ser.exporters.onnx): onnxruntime matches PyTorch for every head family and front end that
exports (tiny random models, clips of several lengths in one padded batch vs PyTorch on each clip alone), the
graph keeps the models' padding invariance, `hf-ser export` writes a folder that `OnnxRunner` runs, and models
that cannot be exported are refused by name."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime", reason="the ONNX tests need the `onnx` extra: pip install -e '.[onnx]'")
pytest.importorskip("onnxscript", reason="the ONNX tests need the `onnx` extra: pip install -e '.[onnx]'")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "modeling"))

from ser_testutils import build_encoder, make_model  # noqa: E402

from hf_ser import cli  # noqa: E402
from hf_ser.exporters.onnx import (  # noqa: E402
    EXPORT_INFO_FILE,
    ONNX_FILE,
    OnnxExportError,
    OnnxRunner,
    export_onnx,
    is_onnx_export,
)
from hf_ser.modeling import SERFeatureExtractor  # noqa: E402

SR = 16000
# several lengths in one batch: shorter than the graph's minimum input (0.1 s), an odd length, up to 1.6 s
LENGTHS = (1200, 4001, 9000, 25600)
CONV = dict(head_channels=[8, 8], head_kernel_sizes=[3], head_pool_size=2)
# the synthetic default recipe's architecture (MFCC -> CNN, no normalisation, stats pooling) is exported through
# the command line in test_cli_export_then_runner
CLI_CASE = dict(frontend="mfcc", head="cnn", pooling="stats", feature_normalization="none", **CONV)
CASES = {
    "mfcc-mlp": dict(frontend="mfcc", head="mlp", head_hidden_size=16, pooling="attention"),
    "mfcc-lstm": dict(frontend="mfcc", head="lstm", head_hidden_size=8, head_num_layers=2, pooling="attention"),
    "mfcc-cnn_lstm": dict(frontend="mfcc", head="cnn_lstm", head_hidden_size=8, bidirectional=False, **CONV),
    "logmel-parallel": dict(frontend="logmel", n_mels=32, deltas=1, head="parallel", head_hidden_size=8, **CONV),
    "functionals-mlp": dict(frontend="functionals", head="mlp", head_hidden_size=16, head_norm="batch"),
}


def _clips(lengths=LENGTHS, seed=0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for i, n in enumerate(lengths):
        t = np.arange(n) / SR
        voiced = 0.3 * np.sin(2 * np.pi * (120 + 30 * i) * t) * (t % 0.4 < 0.25)
        out.append((voiced + 0.03 * rng.standard_normal(n)).astype(np.float32))
    return out


def _settle_statistics(model, fe) -> None:
    """Give batch norms and feature standardisation non-trivial statistics (random init leaves them at 0 / 1)."""
    gen = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.copy_(0.1 * torch.randn(module.running_mean.shape, generator=gen))
            module.running_var.copy_(0.5 + torch.rand(module.running_var.shape, generator=gen))
    if model.uses_feature_standardization():
        batch = fe(_clips((8000, 16000, 12000), seed=3), sampling_rate=SR, return_tensors="pt")
        model.fit_feature_statistics([dict(batch)])
    model.eval()


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _torch_alone(model, fe, clips) -> np.ndarray:
    with torch.no_grad():
        return np.stack([model(**fe([c], sampling_rate=SR, return_tensors="pt")).logits[0].numpy() for c in clips])


def _assert_parity(model, fe, runner: OnnxRunner, clips) -> None:
    batch = fe(clips, sampling_rate=SR, return_tensors="np")
    onnx_probs = _softmax(runner(batch["input_values"], batch["attention_mask"]))
    torch_probs = _softmax(_torch_alone(model, fe, clips))
    np.testing.assert_allclose(onnx_probs, torch_probs, atol=1e-3, rtol=0)
    assert (onnx_probs.argmax(-1) == torch_probs.argmax(-1)).all()
    # padding invariance inside the graph: each clip alone through onnxruntime = the same clip in the batch
    for i, clip in enumerate(clips):
        one = fe([clip], sampling_rate=SR, return_tensors="np")
        alone = _softmax(runner(one["input_values"], one["attention_mask"]))[0]
        np.testing.assert_allclose(alone, onnx_probs[i], atol=1e-4, rtol=0)


@pytest.mark.parametrize("case", list(CASES))
def test_onnx_matches_pytorch(case, tmp_path):
    model = make_model(**CASES[case])
    fe = SERFeatureExtractor.from_model_config(model.config)
    _settle_statistics(model, fe)
    info = export_onnx(model, fe, tmp_path / "onnx")
    assert is_onnx_export(tmp_path / "onnx")
    assert info.batching == "padded" and info.parity["same_top_label"]
    runner = OnnxRunner(tmp_path / "onnx")
    _assert_parity(model, fe, runner, _clips())
    # a longer batch than the export's example (2 s): the length axis is dynamic
    _assert_parity(model, fe, runner, _clips((SR // 2, 3 * SR + 17), seed=5))


@pytest.mark.parametrize(("encoder", "batching"), [("wav2vec2_layer", "padded"), ("wav2vec2_group", "per_length")])
def test_onnx_encoder_front_end(encoder, batching, tmp_path):
    torch.manual_seed(0)
    build_encoder(encoder).save_pretrained(tmp_path / "encoder")
    model = make_model(
        frontend="encoder",
        encoder_name_or_path=str(tmp_path / "encoder"),
        head="mlp",
        head_hidden_size=16,
        layer_combination="weighted_sum",
        encoder_precision="bfloat16",  # the graph is float32 all the same, and the model keeps its setting
    )
    fe = SERFeatureExtractor.from_model_config(model.config)
    model.eval()
    info = export_onnx(model, fe, tmp_path / "onnx")
    assert model.config.encoder_precision == "bfloat16"
    model.config.encoder_precision = "float32"  # parity below is with the float32 model the graph is
    assert info.batching == batching
    runner = OnnxRunner(tmp_path / "onnx")
    _assert_parity(model, fe, runner, _clips((4001, 9000, 9000, 16000)))
    if batching == "per_length":
        with pytest.raises(ValueError, match="at least 400"):
            runner(np.zeros((1, 300), np.float32), None)


def test_whisper_is_refused(tmp_path):
    torch.manual_seed(0)
    build_encoder("whisper").save_pretrained(tmp_path / "whisper")
    model = make_model(frontend="encoder", encoder_name_or_path=str(tmp_path / "whisper"), head="mlp")
    fe = SERFeatureExtractor.from_model_config(model.config)
    with pytest.raises(OnnxExportError, match="Whisper encoder front ends cannot be exported"):
        export_onnx(model, fe, tmp_path / "onnx")
    assert not (tmp_path / "onnx").exists()


def test_cli_export_then_runner(tmp_path, capsys):
    model = make_model(**CLI_CASE)
    fe = SERFeatureExtractor.from_model_config(model.config)
    _settle_statistics(model, fe)
    model.save_pretrained(tmp_path / "model")
    fe.save_pretrained(tmp_path / "model")
    out = tmp_path / "exported"
    assert cli.main(["export", str(tmp_path / "model"), "--format", "onnx", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "parity" in printed and "same top labels: yes" in printed
    for name in (ONNX_FILE, EXPORT_INFO_FILE, "config.json", "preprocessor_config.json"):
        assert (out / name).is_file(), name
    info = json.loads((out / EXPORT_INFO_FILE).read_text())
    assert info["labels"] == [model.config.id2label[i] for i in range(model.config.num_labels)]
    assert info["source"] == str(tmp_path / "model")
    # the labels and the feature extractor travel with the graph
    from transformers import AutoConfig, AutoFeatureExtractor

    assert AutoConfig.from_pretrained(out).id2label == model.config.id2label
    assert AutoFeatureExtractor.from_pretrained(out).do_normalize == fe.do_normalize
    _assert_parity(model, fe, OnnxRunner(out), _clips())
    _assert_parity(model, fe, OnnxRunner(out), _clips((SR // 2, 3 * SR + 17), seed=5))
    # an existing export is not replaced silently
    assert cli.main(["export", str(tmp_path / "model"), "--output", str(out)]) == 2
    assert "already holds an export" in capsys.readouterr().err
    # a folder that is no model: one clear line, exit 2
    assert cli.main(["export", str(tmp_path / "nothing"), "--output", str(tmp_path / "x")]) == 2
    assert "no such model folder" in capsys.readouterr().err


def test_runner_refuses_a_folder_without_export(tmp_path):
    with pytest.raises(FileNotFoundError, match="not an ONNX export"):
        OnnxRunner(tmp_path)
