"""``python -m training export-pairs``: add the fusion generator and the continuation density
to an exported bundle as ONNX (float16-stored weights), check parity, update the manifest."""
from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from torch import nn

from engine.bundle import INT8_TWIN_SECTIONS, load_bundle, sha256_of
from engine.latent import LatentModel
from training.export import OPSET, ParityError
from training.half_weights import round_to_half, store_half, stored_weights
from training.continuation_train import continuation_model
from training.pair_models import STYLE_SIZE, ContinuationDensity, ContinuationFlow, FusionGenerator
from training.pair_runs import continuation_config, continuation_from_run, encoder_sha256, fusion_generator, load_run
from training.reality import build_classifier


def export_graph(module: nn.Module, inputs: dict[str, torch.Tensor], outputs: list[str], path: Path) -> None:
    torch.onnx.export(module.eval(), tuple(inputs.values()), path, input_names=list(inputs), output_names=outputs,
                      opset_version=OPSET, dynamo=False, do_constant_folding=False,
                      dynamic_axes={name: {0: "batch"} for name in [*inputs, *outputs]})
    store_half(path, set(module.state_dict()))


def check_parity(expected: tuple[torch.Tensor, ...], got: tuple[np.ndarray, ...], what: str) -> float:
    error = max(float(np.abs(e.numpy() - g).max()) for e, g in zip(expected, got))
    if error > 1e-4:
        raise ParityError(f"ONNX parity failed for {what}: max abs error {error:.2e}")
    return error


def require_same_space(checkpoint: Path, bundle_dir: Path) -> None:
    _, settings = load_run(checkpoint)
    if settings.get("encoder_sha256") != encoder_sha256(bundle_dir):
        raise SystemExit(f"{checkpoint} was trained in another latent space than {bundle_dir}'s encoder; retrain it")


def export_pairs(bundle_dir: Path, fusion: Path | None, continuation: Path | None,
                 flow_steps: int | None = None, guidance: float | None = None) -> dict:
    """Add fusion.onnx and continuation.onnx to the bundle (via a staging copy). A model given
    as None is kept: re-exported from the bundle's own weights, with its recorded settings.
    ``flow_steps`` and ``guidance`` set a continuation flow's midpoint steps and classifier-free
    guidance scale (default: as trained, or as shipped)."""
    if flow_steps is not None and flow_steps < 1:
        raise SystemExit(f"flow steps must be at least 1, got {flow_steps}")
    if guidance is not None and not 0.0 <= guidance <= 10.0:
        raise SystemExit(f"guidance must be between 0 and 10, got {guidance}")
    for checkpoint in (fusion, continuation):
        if checkpoint is not None:
            require_same_space(checkpoint, bundle_dir)
    bundle = load_bundle(bundle_dir)
    size = bundle.latent_size
    shipped = torch_pair_models_from_bundle(bundle_dir) if None in (fusion, continuation) else {}
    for role, checkpoint in (("fusion", fusion), ("continuation", continuation)):
        if checkpoint is None and role not in shipped:
            raise SystemExit(f"{bundle_dir} has no {role} model to keep; give a {role} checkpoint")
    generator = fusion_generator(fusion, size) if fusion else shipped["fusion"]
    density = continuation_from_run(continuation, size) if continuation else shipped["continuation"]
    if isinstance(density, ContinuationFlow):
        density.steps = density.steps if flow_steps is None else flow_steps
        density.guidance = density.guidance if guidance is None else guidance
        if density.guidance != 1.0 and density.condition_dropout == 0:
            raise SystemExit("guidance needs a flow that also learned without its condition: train it with "
                             "python -m training continuation --condition-dropout 0.1")
    settings = {role: load_run(checkpoint)[1] if checkpoint else bundle.manifest[role]["training"]
                for role, checkpoint in (("fusion", fusion), ("continuation", continuation))}
    for model in (generator, density):
        round_to_half(model)
    with staged_bundle(bundle_dir) as staging:
        return _add_pair_models(staging, generator, density, settings)


@contextlib.contextmanager
def staged_bundle(bundle_dir: Path) -> Iterator[Path]:
    """A copy of the bundle to change; it replaces the bundle only if the block succeeds, so a
    failed export or parity check never touches the shipped files."""
    staging = bundle_dir.with_name(bundle_dir.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(bundle_dir, staging)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(bundle_dir)
    staging.rename(bundle_dir)


def add_latent_generator(bundle_dir: Path, role: str, generator: nn.Module, inputs: dict[str, torch.Tensor],
                         entry: dict, replaces: str | None = None) -> dict:
    """Add one latent generator to the bundle as ``{role}.onnx`` (float16-stored weights), with
    ``entry`` as the manifest's ``role`` section, after checking the engine runs it as PyTorch
    does (via a staging copy, so a failed check leaves the bundle as it was). The model with role
    ``replaces``, if given, leaves the bundle (its file, section and parity figure)."""
    round_to_half(generator)
    path = f"{role}.onnx"
    with staged_bundle(bundle_dir) as staging:
        export_graph(generator, inputs, ["z"], staging / path)
        manifest = json.loads((staging / "manifest.json").read_text())
        if replaces is not None:
            (staging / manifest["files"].pop(replaces)["path"]).unlink()
            manifest.pop(replaces, None)
            manifest.get("parity", {}).pop(f"{replaces}_max_abs_error", None)
        manifest["files"][role] = {"path": path, "sha256": sha256_of(staging / path)}
        manifest[role] = entry
        if role in INT8_TWIN_SECTIONS:
            drop_stale_twin(staging, manifest, role)
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        with torch.no_grad():
            expected = (generator(*inputs.values()),)
        got = LatentModel(load_bundle(staging)).run(role, {name: value.numpy() for name, value in inputs.items()})[0]
        error = check_parity(expected, (got,), role.replace("_", " "))
        manifest["parity"] = {**(manifest.get("parity") or {}), f"{role}_max_abs_error": error}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def drop_stale_twin(staging: Path, manifest: dict, role: str) -> None:
    """Remove ``role``'s int8 twin if it was quantized from a graph no longer in the bundle
    (``python -m training quantize`` makes it again)."""
    section = INT8_TWIN_SECTIONS[role]
    if manifest.get(section, {}).get(f"{role}_sha256") == manifest["files"][role]["sha256"]:
        return
    twin = manifest["files"].pop(f"{role}_int8", None)
    if twin is not None:
        (staging / twin["path"]).unlink()
    manifest.pop(section, None)


def _add_pair_models(staging: Path, generator: FusionGenerator, density: ContinuationDensity | ContinuationFlow,
                     settings: dict[str, dict]) -> dict:
    size = load_bundle(staging).latent_size
    rng = torch.Generator().manual_seed(0)
    feed = {"left": torch.randn(64, size, generator=rng), "right": torch.randn(64, size, generator=rng),
            "style": torch.rand(64, STYLE_SIZE, generator=rng), "similarity": torch.rand(64, 1, generator=rng) * 3 + 0.1}
    if not generator.conditioned:
        feed.pop("similarity")
    export_graph(generator, feed, ["fused_left", "fused_right"], staging / "fusion.onnx")
    flow = isinstance(density, ContinuationFlow)
    # A flow's graph can also start partway (the flow fusion of engine.flow_fusion): start 0 is the continuation.
    continuation_feed = {"left": feed["left"], **({"noise": torch.randn(64, size, generator=rng),
                                                   "source": feed["right"], "start": torch.rand(64, 1, generator=rng)}
                                                  if flow else {})}
    export_graph(density, continuation_feed, ["right"] if flow else ["log_weights", "means", "log_std"],
                 staging / "continuation.onnx")
    manifest = json.loads((staging / "manifest.json").read_text())
    manifest["files"] |= {role: {"path": f"{role}.onnx", "sha256": sha256_of(staging / f"{role}.onnx")}
                          for role in ("fusion", "continuation")}
    manifest["fusion"] = {"style_size": STYLE_SIZE, "similarity": list(settings["fusion"]["similarity"]),
                          "conditioned": generator.conditioned, "training": settings["fusion"]}
    manifest["continuation"] = {"kind": "flow", "steps": density.steps, "guidance": density.guidance} if flow else {
        "kind": "mixture", "components": density.components}
    manifest["continuation"]["training"] = settings["continuation"]
    drop_stale_twin(staging, manifest, "continuation")
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    latent = LatentModel(load_bundle(staging))
    arrays = {name: value.numpy() for name, value in continuation_feed.items()}
    with torch.no_grad():
        expected_fusion = generator(*feed.values())
        expected_continuation = density(*continuation_feed.values())
    if flow:  # one output, where the mixture has three
        expected_continuation, got_continuation = (expected_continuation,), (latent.run("continuation", arrays)[0],)
    else:
        got_continuation = latent.continuation(arrays["left"])
    got_fusion = latent.fuse(*(feed[k].numpy() for k in ("left", "right", "style")),
                             feed.get("similarity", torch.ones(64, 1)).numpy())
    manifest["parity"] = {**(manifest.get("parity") or {}),
                          "fusion_max_abs_error": check_parity(expected_fusion, got_fusion, "fusion"),
                          "continuation_max_abs_error": check_parity(expected_continuation, got_continuation,
                                                                     "continuation")}
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def torch_pair_models_from_bundle(bundle_dir: Path) -> dict[str, nn.Module]:
    """Eager PyTorch twins of a bundle's pair models and judge, rebuilt from its ONNX weights
    (for benchmarks); empty when the bundle has none."""
    bundle = load_bundle(bundle_dir)
    models: dict[str, nn.Module] = {}
    if "fusion" in bundle.manifest["files"]:
        settings = bundle.manifest["fusion"]["training"]
        models["fusion"] = FusionGenerator(bundle.latent_size, settings["hidden"], settings["layers"],
                                           bundle.manifest["fusion"]["conditioned"])
    for role in ("continuation", "backward_flow"):
        if role in bundle.manifest["files"]:
            models[role] = continuation_model(continuation_config(bundle.manifest[role]["training"]), bundle.latent_size)
            if isinstance(models[role], ContinuationFlow):
                models[role].steps = bundle.manifest[role]["steps"]
                models[role].guidance = bundle.manifest[role].get("guidance", 1.0)
    if "judge" in bundle.manifest["files"]:
        settings = bundle.manifest["judge"]["training"]
        models["judge"] = build_classifier(settings["architecture"], settings["channels"], settings["dropout"])
    for role, model in models.items():
        weights = stored_weights(bundle.file(role))
        # Batch-norm step counters only matter in training, so ONNX does not keep them; the judge's graph
        # holds 2-D twins of its convolutions (models.to_planar), so shapes are the model's.
        model.load_state_dict({name: torch.from_numpy(weights[name].copy()).reshape(value.shape)
                               if name in weights else value for name, value in model.state_dict().items()
                               if name in weights or name.endswith("num_batches_tracked")})
        model.eval()
    return models
