"""Exporting trained hf-ser models for runtimes without PyTorch (one module per format: :mod:`.onnx`).

Nothing is imported here, so ``import hf_ser`` never pulls in onnx / onnxruntime (the optional ``onnx`` extra).
"""
