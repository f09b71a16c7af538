"""``python -m training export-backward-flow``: add the backward flow, p(z_L | z_R), to a bundle
(as ``backward_flow.onnx``, float16-stored weights, parity-checked), so ``fuse`` can mend the left
clip too (``"method": "flow-both"``, :mod:`engine.flow_fusion`)."""
from __future__ import annotations

from pathlib import Path

import torch

from engine.bundle import load_bundle
from training.export_pairs import add_latent_generator, require_same_space
from training.pair_runs import continuation_from_run, load_run

ROLE = "backward_flow"


def export_backward_flow(bundle_dir: Path, checkpoint: Path) -> dict:
    """Add the backward flow of ``checkpoint`` (``python -m training continuation --backward``) to
    the bundle, integrated as the bundle's continuation flow is (its midpoint steps and guidance);
    returns the manifest."""
    require_same_space(checkpoint, bundle_dir)
    settings = load_run(checkpoint)[1]
    bundle = load_bundle(bundle_dir)
    forward = bundle.manifest.get("continuation", {})
    if not settings.get("backward") or settings.get("kind") != "flow":
        raise SystemExit(f"{checkpoint} is not a backward flow; train one with "
                         "python -m training continuation --backward")
    if forward.get("kind") != "flow":
        raise SystemExit(f"{bundle_dir} has no continuation flow to pair the backward flow with")
    flow = continuation_from_run(checkpoint, bundle.latent_size)
    flow.steps, flow.guidance = forward["steps"], forward.get("guidance", 1.0)
    rng = torch.Generator().manual_seed(0)
    size = bundle.latent_size
    inputs = {"right": torch.randn(64, size, generator=rng), "noise": torch.randn(64, size, generator=rng),
              "source": torch.randn(64, size, generator=rng), "start": torch.rand(64, 1, generator=rng)}
    return add_latent_generator(bundle_dir, ROLE, flow, inputs,
                                {"kind": "flow", "steps": flow.steps, "guidance": flow.guidance, "training": settings})
