"""The latent model behind one interface: encode windows, decode latents, via ONNX Runtime."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort

from .bundle import Bundle, BundleError
from .codec import WINDOW_STEPS


def session_options(threads: int = 1) -> ort.SessionOptions:
    """Options for small, latency-bound graphs: few threads, full graph optimisation."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return options


class LatentModel:
    """Encoder and decoder sessions of a bundle."""

    def __init__(self, bundle: Bundle, threads: int = 1) -> None:
        self.bundle = bundle
        options = session_options(threads)
        try:
            self._encoder = ort.InferenceSession(str(bundle.file("encoder")), options, providers=["CPUExecutionProvider"])
            self._decoder = ort.InferenceSession(str(bundle.file("decoder")), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own exception types for bad graphs
            raise BundleError(f"bundle {bundle.path}: ONNX file could not be loaded ({error})") from None

    @property
    def latent_size(self) -> int:
        """Size of the latent vector."""
        return self.bundle.latent_size

    def encode(self, tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and log-variance of (N, 64) token windows."""
        tokens = np.asarray(tokens, dtype=np.int64).reshape(-1, WINDOW_STEPS)
        mean, logvar = self._encoder.run(None, {"tokens": tokens})
        return mean, logvar

    def decode_logits(self, z: np.ndarray) -> np.ndarray:
        """Token logits (N, 64, classes) for latents (N, latent)."""
        z = np.asarray(z, dtype=np.float32).reshape(-1, self.latent_size)
        return self._decoder.run(None, {"z": z})[0]

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Greedy token windows for latents (temperature lives in latent space, in engine.ops)."""
        return self.decode_logits(z).argmax(-1)
