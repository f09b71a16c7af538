"""``python -m training export-recursion-twin``: add a trained recursion twin to a bundle.

The twin's encoder and decoder go in as ``recursion_encoder.onnx`` and ``recursion_decoder.onnx``
(float16-stored weights, like the bundle's own), after a parity check against PyTorch. The
manifest's ``recursion_twin`` section records the encoder and decoder it copies (the engine
refuses a twin of others) and how its recursion compares with the float graphs' and with the
int8 twins' that ``refine`` ran on before: one step's token agreement and reconstruction on test
windows, and whole ``refine`` runs (fixed points reached, steps taken, last steps alike).
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from engine.bundle import load_bundle, sha256_of
from engine.latent import RECURSION_TWIN_ROLES, LatentModel
from engine.latent_tools import recursion_steps
from training.corpus import Corpus
from training.export import ParityError, export_onnx
from training.export_pairs import staged_bundle
from training.half_weights import round_to_half
from training.models import MelodyVAE
from training.quantize import sample_windows
from training.recursion_twin import twin_from_checkpoint

REFINE_WINDOWS = 300
REFINE_STEPS = 8  # refine's default max_iterations


def twin_parity(model: MelodyVAE, encoder: Path, decoder: Path, tokens: np.ndarray) -> dict:
    """The ONNX twin against PyTorch: posterior means within 1e-4, the same greedy tokens."""
    encoder_session, decoder_session = (ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
                                        for path in (encoder, decoder))
    with torch.no_grad():
        mean = model.encoder(torch.from_numpy(tokens))[0]
        played = model.decode(mean).argmax(-1).numpy()
    onnx_mean = encoder_session.run(["mean"], {"tokens": tokens})[0]
    onnx_played = decoder_session.run(None, {"z": mean.numpy()})[0].argmax(-1)
    report = {"encoder_max_abs_error": float(np.abs(onnx_mean - mean.numpy()).max()),
              "decoded_token_mismatches": int((onnx_played != played).sum())}
    if report["encoder_max_abs_error"] > 1e-4 or report["decoded_token_mismatches"]:
        raise ParityError(f"recursion twin ONNX parity failed: {report}")
    return report


def compare_recursions(models: dict[str, LatentModel], windows: dict[str, np.ndarray]) -> dict:
    """How each way of running the recursion compares with the float graphs' (``models["float"]``):
    one step's token agreement and reconstruction on the test windows, and on ``REFINE_WINDOWS`` of
    them whole refine runs: fixed points reached, mean steps, last steps identical to the float's and
    the share of their tokens that are."""
    test = windows["test"]
    step = {name: model.recode(test) for name, model in models.items()}
    runs = {name: [recursion_steps(model.recode, window[None], REFINE_STEPS) for window in test[:REFINE_WINDOWS]]
            for name, model in models.items()}

    def last(name: str) -> np.ndarray:
        return np.stack([steps[-1].reshape(-1) for steps, _ in runs[name]])

    return {name: {"step_token_agreement": round(float(np.mean(step[name] == step["float"])), 4),
                   "step_reconstruction": round(float(np.mean(step[name] == test)), 4),
                   "refine_fixed_points": round(float(np.mean([fixed for _, fixed in runs[name]])), 4),
                   "refine_mean_steps": round(float(np.mean([len(steps) for steps, _ in runs[name]])), 3),
                   "refine_last_step_as_float": round(float(np.mean(np.all(last(name) == last("float"), axis=1))), 4),
                   "refine_last_step_token_agreement": round(float(np.mean(last(name) == last("float"))), 4)}
            for name in models}


def export_recursion_twin(bundle_dir: Path, checkpoint: Path, corpus: Corpus) -> dict:
    """Add the twin of ``checkpoint`` to the bundle (through a staging copy, so a failure leaves it
    as it was); returns the manifest's ``recursion_twin`` section."""
    model = twin_from_checkpoint(checkpoint)
    round_to_half(model)  # shipped weights are float16, like the bundle's own graphs
    saved = torch.load(checkpoint, weights_only=False)
    windows = sample_windows(corpus)
    with staged_bundle(bundle_dir) as staging:
        manifest = json.loads((staging / "manifest.json").read_text())
        for role in ("encoder", "decoder"):  # a twin copies one model: it may not join another's bundle
            if saved["settings"][f"teacher_{role}"] != manifest["files"][role]["sha256"]:
                raise SystemExit(f"{checkpoint} copies another {role} than {bundle_dir}'s; train a twin of this "
                                 f"bundle with `python -m training recursion-twin --bundle {bundle_dir}`")
        with tempfile.TemporaryDirectory() as scratch:
            exported = export_onnx(model, Path(scratch))
            for role, source in zip(RECURSION_TWIN_ROLES, ("encoder", "decoder")):
                shutil.move(Path(scratch) / exported[source], staging / f"{role}.onnx")
                manifest["files"][role] = {"path": f"{role}.onnx", "sha256": sha256_of(staging / f"{role}.onnx")}
        manifest["recursion_twin"] = {
            "encoder_sha256": manifest["files"]["encoder"]["sha256"],
            "decoder_sha256": manifest["files"]["decoder"]["sha256"],
            "used_by": ["refine"], "channels": list(model.config.channels),
            "training": {"checkpoint": str(checkpoint), "steps": saved["step"],
                         "minutes": round(saved["seconds"] / 60, 1), "settings": saved["settings"],
                         "best_validation_step_agreement": round(saved["best_score"], 4)},
            "parity": twin_parity(model, staging / "recursion_encoder.onnx", staging / "recursion_decoder.onnx",
                                  windows["test"][:128]),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        staged = load_bundle(staging)
        models = {"float": LatentModel(staged, int8=False), "int8 twins": LatentModel(staged, recursion_twin=False),
                  "recursion twin": LatentModel(staged)}
        manifest["recursion_twin"]["against_float"] = compare_recursions(models, windows)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest["recursion_twin"]
