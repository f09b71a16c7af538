"""Segue's engine: clip codec, attributes and the latent model behind ONNX Runtime.

numpy and onnxruntime only; no torch and no I/O beyond reading a model bundle.
"""
