"""``python -m training quantize``: add an int8 twin of the decoder to a bundle.

Static QDQ quantization (per-channel int8 weights in 7 bits, uint8 activations), calibrated
on the latents the engine decodes in use: training-split posterior means, the same with every
fader moved across its calibrated range, and prior samples. The latent head and the output
layer stay float: the output layer alone decides near-ties between tokens, and quantizing it cost
the most agreement. 7-bit weights
(``reduce_range``) keep u8 x s8 products from saturating on x86 CPUs without VNNI, where
ONNX Runtime's int8 kernels sum pairs of products in 16 bits.

The float decoder stays in the bundle as the reference (parity with PyTorch, benchmarks); the
engine plays the int8 one. The manifest records which decoder it was made from and how often
the two play the same token on test-split latents of each kind, and, for scale, how often the
float decoder keeps its token when the latents move by a tenth of a posterior standard deviation.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from engine.bundle import Bundle, load_bundle, sha256_of
from engine.latent import LatentModel
from training.corpus import Corpus
from training.export_pairs import staged_bundle

INT8_FILE = "decoder_int8.onnx"
CALIBRATION_WINDOWS = 400
AGREEMENT_WINDOWS = 2000
SEED = 0
NOISE_SCALE = 0.1  # posterior standard deviations, for the agreement's scale


def use_latents(bundle: Bundle, model: LatentModel, tokens: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Latents of each kind the engine decodes, one per window of ``tokens``: posterior means,
    the same with every fader moved to a random point of its calibrated range, prior samples."""
    rng = np.random.default_rng(seed)
    means = model.encode(tokens)[0]
    moved = means.copy()
    for fader in bundle.faders:
        moved[:, fader.index] = rng.uniform(fader.latent_points[0], fader.latent_points[-1], len(means))
    genre = rng.integers(len(bundle.genres), size=len(means))
    prior = np.stack([bundle.genres[g].mean + bundle.genres[g].std * rng.standard_normal(bundle.latent_size)
                      for g in genre])
    return {"posterior means": means, "faders moved": moved, "prior samples": prior.astype(np.float32)}


def quantize_decoder(source: Path, calibration: np.ndarray, out: Path) -> list[str]:
    """Write the int8 twin of the float decoder ``source`` to ``out``; returns the layers kept float."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Latents(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter([{"z": calibration[i:i + 32]} for i in range(0, len(calibration), 32)])

        def get_next(self) -> dict | None:
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        layers = [node.name for node in onnx.load(str(prepared)).graph.node if node.op_type in ("Conv", "Gemm")]
        kept_float = [layers[0], layers[-1]]
        quantize_static(str(prepared), str(out), Latents(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                        reduce_range=True, op_types_to_quantize=["Conv", "Gemm"], nodes_to_exclude=kept_float)
    return kept_float


def token_agreement(reference: dict[str, np.ndarray], decode, latents: dict[str, np.ndarray]) -> dict[str, float]:
    """Per kind of latent, the fraction of steps where ``decode(latents[kind])`` plays the
    ``reference`` tokens of that kind."""
    return {kind: round(float(np.mean(decode(z) == reference[kind])), 4) for kind, z in latents.items()}


def with_noise(bundle: Bundle, latents: dict[str, np.ndarray], scale: float = NOISE_SCALE) -> dict[str, np.ndarray]:
    """The latents moved by noise of ``scale`` posterior standard deviations (for the agreement's scale)."""
    rng = np.random.default_rng(SEED + 3)
    return {kind: (z + scale * bundle.latent_std * rng.standard_normal(z.shape)).astype(np.float32)
            for kind, z in latents.items()}


def add_int8_decoder(bundle_dir: Path, corpus: Corpus) -> dict:
    """Quantize the bundle's decoder and add it (via a staging copy); returns the manifest entry."""
    bundle = load_bundle(bundle_dir)
    reference = LatentModel(bundle, int8=False)
    rng = np.random.default_rng(SEED)
    windows = {split: corpus.windows[rng.choice(corpus.select(split), min(size, len(corpus.select(split))),
                                                replace=False)].astype(np.int64)
               for split, size in (("train", CALIBRATION_WINDOWS), ("test", AGREEMENT_WINDOWS))}
    calibration = np.concatenate(list(use_latents(bundle, reference, windows["train"], SEED + 1).values()))
    with staged_bundle(bundle_dir) as staging:
        kept_float = quantize_decoder(bundle.file("decoder"), calibration, staging / INT8_FILE)
        manifest = json.loads((staging / "manifest.json").read_text())
        manifest["files"]["decoder_int8"] = {"path": INT8_FILE, "sha256": sha256_of(staging / INT8_FILE)}
        manifest["quantization"] = {
            "decoder_sha256": manifest["files"]["decoder"]["sha256"],
            "method": "static QDQ, per-channel int8 weights (7-bit), uint8 activations, MinMax calibration",
            "calibration_windows": len(windows["train"]), "float_layers": kept_float}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        int8 = LatentModel(load_bundle(staging))
        tested = use_latents(bundle, reference, windows["test"], SEED + 2)
        played = {kind: reference.decode(z) for kind, z in tested.items()}
        manifest["quantization"]["token_agreement"] = token_agreement(played, int8.decode, tested)
        manifest["quantization"]["float_under_noise"] = token_agreement(played, reference.decode,
                                                                        with_noise(bundle, tested))
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest["quantization"]
