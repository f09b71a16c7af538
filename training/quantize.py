"""``python -m training quantize``: add int8 twins of the decoder, the encoder, the judge and the
continuation and backward flows to a bundle.

Static QDQ quantization (per-channel int8 weights in 7 bits, uint8 activations), calibrated
on the latents the engine decodes in use: training-split posterior means, the same with every
fader moved across its calibrated range, and prior samples. The latent head and the output
layer stay float: the output layer alone decides near-ties between tokens, and quantizing it cost
the most agreement. 7-bit weights
(``reduce_range``) keep u8 x s8 products from saturating on x86 CPUs without VNNI, where
ONNX Runtime's int8 kernels sum pairs of products in 16 bits.

The float decoder stays in the bundle as the reference (parity with PyTorch, benchmarks); the
engine plays the int8 one. The manifest records which decoder it was made from and how often the
two play the same token on test-split latents of each kind, and, for scale, how often the float
decoder keeps its token when the latents move by a tenth of a posterior standard deviation.

The int8 encoder (same recipe, calibrated on training windows) serves only ``refine``'s recursion,
whose chain of encode–decode steps (8 by default) makes it the one op bound by the encoder's
speed; every other op encodes with the float encoder the evaluations measured.

The int8 judge (same recipe, calibrated on real and shuffled training phrases, what it learned
from) picks among fusion candidates, the judge's only use; the manifest records how often it keeps
the float judge's candidate when test windows are fused as the engine fuses them.

The continuation flow's int8 twin serves only flow fusion, the default ``fuse``; continuations
stay on the float flow their evaluation measured. Its many small matrix products (the flow's
unrolled steps) gained most from dynamic quantization, which quantizes each layer's input as it
comes and needs no calibration: static QDQ was slower and further from the float flow on fusion's
inputs. The manifest records how far its fused right latents land from the float flow's, and how
often they decode to the same tokens, when test windows are fused as the engine fuses them.
The backward flow's twin (same recipe) serves fusion by both flows; its record measures both
flows' twins together, on the left and right latents, as that fusion runs them.
"""
from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np

from engine.bundle import Bundle, load_bundle, sha256_of
from engine.latent import LatentModel
from training.corpus import Corpus
from training.export_pairs import staged_bundle

PICK_PAIRS = 1000
PICK_SIMILARITIES = (0.3, 1.0, 3.0)
METHOD = "static QDQ, per-channel int8 weights (7-bit), uint8 activations, MinMax calibration"
CALIBRATION_WINDOWS = 400
AGREEMENT_WINDOWS = 2000
SEED = 0
NOISE_SCALE = 0.1  # posterior standard deviations, for the agreement's scale
DYNAMIC_METHOD = ("dynamic: per-channel int8 weights (7-bit), each layer's input quantized per call to uint8; "
                  "float16-stored weights folded to float32 first")
# A method's name for the manifest, and the function that writes the twin of a graph (source, out) and
# returns the layers it kept float.
Quantizer = tuple[str, Callable[[Path, Path], list[str]]]


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


def quantize_graph(source: Path, feeds: list[dict[str, np.ndarray]], out: Path) -> list[str]:
    """Write the int8 twin of the float graph ``source`` to ``out``, calibrated on ``feeds``
    (one input batch each); returns the layers kept float (the first and the last)."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter(feeds)

        def get_next(self) -> dict | None:
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        layers = [node.name for node in onnx.load(str(prepared)).graph.node if node.op_type in ("Conv", "Gemm")]
        kept_float = [layers[0], layers[-1]]
        quantize_static(str(prepared), str(out), Batches(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                        reduce_range=True, op_types_to_quantize=["Conv", "Gemm"], nodes_to_exclude=kept_float)
    return kept_float


def batches(name: str, values: np.ndarray, size: int = 32) -> list[dict[str, np.ndarray]]:
    """``values`` cut into calibration feeds of ``size`` rows for the graph input ``name``."""
    return [{name: values[i:i + size]} for i in range(0, len(values), size)]


def token_agreement(reference: dict[str, np.ndarray], decode, latents: dict[str, np.ndarray]) -> dict[str, float]:
    """Per kind of latent, the fraction of steps where ``decode(latents[kind])`` plays the
    ``reference`` tokens of that kind."""
    return {kind: round(float(np.mean(decode(z) == reference[kind])), 4) for kind, z in latents.items()}


def with_noise(bundle: Bundle, latents: dict[str, np.ndarray], scale: float = NOISE_SCALE) -> dict[str, np.ndarray]:
    """The latents moved by noise of ``scale`` posterior standard deviations (for the agreement's scale)."""
    rng = np.random.default_rng(SEED + 3)
    return {kind: (z + scale * bundle.latent_std * rng.standard_normal(z.shape)).astype(np.float32)
            for kind, z in latents.items()}


def sample_windows(corpus: Corpus) -> dict[str, np.ndarray]:
    """The calibration (training split) and agreement (test split) windows, the same on every run."""
    rng = np.random.default_rng(SEED)
    return {split: corpus.windows[rng.choice(corpus.select(split), min(size, len(corpus.select(split))),
                                             replace=False)].astype(np.int64)
            for split, size in (("train", CALIBRATION_WINDOWS), ("test", AGREEMENT_WINDOWS))}


def statically(feeds: list[dict[str, np.ndarray]]) -> Quantizer:
    """The static quantizer (:func:`quantize_graph`) calibrated on ``feeds``."""
    return METHOD, lambda source, out: quantize_graph(source, feeds, out)


def quantize_dynamically(source: Path, out: Path) -> list[str]:
    """Write the dynamic int8 twin of the float graph ``source`` to ``out``: every Gemm and MatMul
    with per-channel int8 weights (7-bit, as above) and its input quantized on the fly; returns the
    layers kept float (none)."""
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as scratch:
        folded = Path(scratch) / "folded.onnx"
        # The quantizer needs float32 weights: basic optimisation folds each float16 weight's Cast.
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(folded)
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        graph = onnx.load(str(folded))
        untie_weights(graph)
        onnx.save(graph, str(folded))
        quantize_dynamic(str(folded), str(out), weight_type=QuantType.QInt8, op_types_to_quantize=["Gemm", "MatMul"],
                         per_channel=True, reduce_range=True)
    quantized = onnx.load(str(out))
    share_identical_constants(quantized)
    onnx.save(quantized, str(out))
    return []


def untie_weights(graph) -> None:
    """Give each Gemm and MatMul its own copy of a weight that several share (the flow's unrolled
    steps share one network), which the quantizer cannot quantize in place."""
    from onnx import TensorProto

    weights = {tensor.name: tensor for tensor in graph.graph.initializer}
    uses = Counter(name for node in graph.graph.node for name in node.input)
    for node in graph.graph.node:
        if node.op_type not in ("Gemm", "MatMul"):
            continue
        for position, name in enumerate(node.input):
            if name in weights and uses[name] > 1:
                copy = TensorProto()
                copy.CopyFrom(weights[name])
                copy.name = f"{name}::{node.name}"
                graph.graph.initializer.append(copy)
                node.input[position] = copy.name


def share_identical_constants(graph) -> None:
    """Let nodes share one copy of initializers that are equal (the untied weights, once quantized),
    so the twin stores each weight once."""
    from onnx import TensorProto

    first: dict[bytes, str] = {}
    renamed: dict[str, str] = {}
    kept = []
    for tensor in graph.graph.initializer:
        anonymous = TensorProto()
        anonymous.CopyFrom(tensor)
        anonymous.name = ""
        key = anonymous.SerializeToString(deterministic=True)
        if key in first:
            renamed[tensor.name] = first[key]
        else:
            first[key] = tensor.name
            kept.append(tensor)
    del graph.graph.initializer[:]
    graph.graph.initializer.extend(kept)
    for node in graph.graph.node:
        for position, name in enumerate(node.input):
            node.input[position] = renamed.get(name, name)


def add_twin(bundle_dir: Path, role: str, section: str, quantizer: Quantizer, settings: dict,
             measure: Callable[[Path], dict]) -> dict:
    """Quantize the bundle's ``role`` graph with ``quantizer`` and add it as ``{role}_int8`` (via
    a staging copy, so a failure leaves the bundle as it was). The manifest's ``section`` records the
    float graph it was made from (the engine refuses a stale twin), the method, ``settings``, the layers
    kept float, and what ``measure`` finds in the staged bundle; returns that section."""
    twin = f"{role}_int8"
    method, quantize = quantizer
    with staged_bundle(bundle_dir) as staging:
        manifest = json.loads((staging / "manifest.json").read_text())
        kept_float = quantize(staging / manifest["files"][role]["path"], staging / f"{twin}.onnx")
        manifest["files"][twin] = {"path": f"{twin}.onnx", "sha256": sha256_of(staging / f"{twin}.onnx")}
        manifest[section] = {f"{role}_sha256": manifest["files"][role]["sha256"], "method": method, **settings,
                             "float_layers": kept_float}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        manifest[section] |= measure(staging)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest[section]


def add_int8_decoder(bundle_dir: Path, corpus: Corpus) -> dict:
    """Quantize the bundle's decoder and add it; returns the manifest entry."""
    bundle = load_bundle(bundle_dir)
    reference = LatentModel(bundle, int8=False)
    windows = sample_windows(corpus)
    calibration = np.concatenate(list(use_latents(bundle, reference, windows["train"], SEED + 1).values()))

    def measure(staging: Path) -> dict:
        tested = use_latents(bundle, reference, windows["test"], SEED + 2)
        played = {kind: reference.decode(z) for kind, z in tested.items()}
        return {"token_agreement": token_agreement(played, LatentModel(load_bundle(staging)).decode, tested),
                "float_under_noise": token_agreement(played, reference.decode, with_noise(bundle, tested))}

    return add_twin(bundle_dir, "decoder", "quantization", statically(batches("z", calibration)),
                    {"calibration_windows": len(windows["train"])}, measure)


def encoder_agreement(model: LatentModel, windows: np.ndarray) -> dict:
    """How the int8 encoder's recursion step compares with the float encoder's on ``windows``:
    the latent error in posterior standard deviations, how often one step plays the same token,
    and each step's reconstruction accuracy."""
    mean, logvar = model.encode(windows)
    float_step = model.decode(mean)
    int8_step = model.recode(windows)
    error = np.abs(model.recursion_mean(windows) - mean) / np.exp(0.5 * logvar)
    return {"latent_error_in_posterior_std": round(float(error.mean()), 4),
            "step_token_agreement": round(float(np.mean(int8_step == float_step)), 4),
            "reconstruction": {"float encoder": round(float(np.mean(float_step == windows)), 4),
                               "int8 encoder": round(float(np.mean(int8_step == windows)), 4)}}


def add_int8_encoder(bundle_dir: Path, corpus: Corpus) -> dict:
    """Quantize the bundle's encoder for ``refine``'s recursion and add it; returns the manifest entry."""
    windows = sample_windows(corpus)
    return add_twin(bundle_dir, "encoder", "encoder_quantization", statically(batches("tokens", windows["train"])),
                    {"used_by": ["refine"], "calibration_windows": len(windows["train"])},
                    # measured on the twin itself, not on a recursion twin that may stand in for it
                    lambda staging: encoder_agreement(LatentModel(load_bundle(staging), recursion_twin=False),
                                                      windows["test"]))


def judge_phrases(corpus: Corpus, split: str, count: int, seed: int) -> np.ndarray:
    """``count`` real consecutive phrases of ``split`` and as many shuffled ones (N, 128)."""
    from training.latent_pairs import token_pairs

    left, right = token_pairs(corpus, split)
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(left), min(count, len(left)), replace=False)
    return np.concatenate([np.concatenate([left[picked], right[picked]], axis=1),
                           np.concatenate([left[picked], right[rng.permutation(picked)]], axis=1)]).astype(np.int64)


def test_pairs_in_one_key(bundle_dir: Path, corpus: Corpus, rng: np.random.Generator):
    """``PICK_PAIRS`` random pairs of test windows, encoded and put in one key as ``fuse`` does
    (a :class:`training.key_matching.FusionInputs`)."""
    from training.evaluate import BundleBackend
    from training.key_matching import shuffled_in_one_key

    backend = BundleBackend(bundle_dir, fusion=True)
    windows = corpus.windows[corpus.select("test")].astype(np.int64)
    return shuffled_in_one_key(backend, windows, backend.model.fusion_encode(windows)[0], PICK_PAIRS, rng)


def pick_agreement(bundle_dir: Path, corpus: Corpus, seed: int = SEED + 4) -> dict[str, float]:
    """Per similarity, the fraction of random test-window pairs (put in one key, as ``fuse`` does)
    where the int8 judge keeps the candidate the float judge keeps among the bundle's default
    styles, both hearing the same joins (as the engine plays them, fused by its default method)."""
    from engine import Engine, flow_fusion, picking

    engine, float_judge = Engine(bundle_dir), LatentModel(load_bundle(bundle_dir), int8=False).judge
    count = picking.candidate_count(engine, None)
    rng = np.random.default_rng(seed)
    inputs = test_pairs_in_one_key(bundle_dir, corpus, rng)
    styles = picking.candidate_styles(rng.random((PICK_PAIRS, 2)).astype(np.float32), count)
    agreement = {}
    for similarity in PICK_SIMILARITIES:
        strength = np.full((PICK_PAIRS, 1), similarity, dtype=np.float32)
        joins = picking.candidate_joins(engine, inputs.left, inputs.right, styles, strength, inputs.keys,
                                        method=flow_fusion.default_method(engine.model))[2]
        picks = [judge(joins).reshape(PICK_PAIRS, count).argmax(axis=1) for judge in (engine.model.judge, float_judge)]
        agreement[f"similarity={similarity:g}"] = round(float(np.mean(picks[0] == picks[1])), 4)
    return agreement


def add_int8_judge(bundle_dir: Path, corpus: Corpus) -> dict:
    """Quantize the bundle's judge, which picks among fusion candidates, and add it; returns the
    manifest entry."""
    from engine import flow_fusion

    calibration = judge_phrases(corpus, "train", CALIBRATION_WINDOWS // 2, SEED + 5)
    return add_twin(bundle_dir, "judge", "judge_quantization", statically(batches("phrases", calibration)),
                    {"calibration_phrases": len(calibration)},
                    lambda staging: {"pick_agreement": pick_agreement(staging, corpus),
                                     "fused_by": flow_fusion.default_method(LatentModel(load_bundle(staging)))})


def flow_agreement(bundle_dir: Path, corpus: Corpus, method: str = "flow",
                   seed: int = SEED + 6) -> dict[str, dict[str, float]]:
    """Per similarity, how fusion by ``method`` ("flow" or "flow-both") on the bundle's int8 flows
    compares with the float flows on random test-window pairs in one key, each at a random pad point:
    the fused latents' mean error in posterior standard deviations, and how often the engine's
    decoder plays the same token for them (the right latents; with "flow-both", the left ones too)."""
    from engine import flow_fusion

    bundle = load_bundle(bundle_dir)
    int8, reference = LatentModel(bundle), LatentModel(bundle, int8=False)
    rng = np.random.default_rng(seed)
    inputs = test_pairs_in_one_key(bundle_dir, corpus, rng)
    style = rng.random((PICK_PAIRS, 2)).astype(np.float32)
    agreement = {}
    for similarity in PICK_SIMILARITIES:
        strength = np.full((PICK_PAIRS, 1), similarity, dtype=np.float32)
        fused = [np.stack(flow_fusion.fuse_latents(model, method, inputs.left, inputs.right, style, strength))
                 for model in (int8, reference)]
        if method == "flow":  # the left latents are kept as they came
            fused = [pair[1:] for pair in fused]
        agreement[f"similarity={similarity:g}"] = {
            "latent_error_in_posterior_std": round(float(np.mean(np.abs(fused[0] - fused[1]) / bundle.latent_std)), 4),
            "token_agreement": round(float(np.mean(int8.decode(fused[0].reshape(-1, bundle.latent_size))
                                                   == int8.decode(fused[1].reshape(-1, bundle.latent_size)))), 4)}
    return agreement


def add_int8_flow(bundle_dir: Path, corpus: Corpus) -> dict:
    """Quantize the bundle's continuation flow for flow fusion and add it; returns the manifest entry."""
    return add_twin(bundle_dir, "continuation", "flow_quantization", (DYNAMIC_METHOD, quantize_dynamically),
                    {"used_by": ["fuse by the flow", "fuse by both flows"]},
                    lambda staging: {"fusion_agreement": flow_agreement(staging, corpus)})


def add_int8_backward_flow(bundle_dir: Path, corpus: Corpus) -> dict:
    """Quantize the bundle's backward flow for fusion by both flows and add it; returns the manifest
    entry, whose agreement is measured on both flows' int8 twins against both float flows."""
    return add_twin(bundle_dir, "backward_flow", "backward_flow_quantization", (DYNAMIC_METHOD, quantize_dynamically),
                    {"used_by": ["fuse by both flows"]},
                    lambda staging: {"fusion_agreement": flow_agreement(staging, corpus, "flow-both")})
