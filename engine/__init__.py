"""Segue's engine: clip codec, attributes and the latent model behind ONNX Runtime.

numpy and onnxruntime only; no torch, and no I/O beyond reading a model bundle.

    from engine import Engine, parse_clip
    engine = Engine()                       # the shipped default bundle
    result = engine.interpolate(a, b, steps=5)
"""
from .bundle import BundleError, load_bundle
from .clip import Clip, ClipError, LimitError, Note, parse_clip
from .ops import Engine, Result

__all__ = ["BundleError", "Clip", "ClipError", "Engine", "LimitError", "Note", "Result", "load_bundle", "parse_clip"]
