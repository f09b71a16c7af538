"""``python -m training flow-lengths``: how long fused latents grow when fusion by both flows is
iterated, with the flows' classifier-free guidance as exported, without guidance, and as the
engine iterates (each pass after the first keeps each latent's length, :mod:`engine.flow_fusion`).

Lengths are each pass's mean latent length over the pairs' own, on random test-window pairs put
in one key as ``fuse`` does, at one pad point per pair; one candidate per pass (no judge), so only
the flows are measured.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from engine import flow_fusion
from engine.bundle import load_bundle
from engine.latent import LatentModel
from training.corpus import Corpus
from training.export_pairs import torch_pair_models_from_bundle
from training.quantize import test_pairs_in_one_key

SEED = 0


def _relative(latents: tuple[np.ndarray, np.ndarray], inputs: tuple[np.ndarray, np.ndarray]) -> list[float]:
    return [round(float(np.linalg.norm(new, axis=-1).mean() / np.linalg.norm(old, axis=-1).mean()), 3)
            for new, old in zip(latents, inputs)]


def iterated_lengths(bundle_dir: Path, corpus: Corpus, similarity: float = 0.3, iterations: int = 5) -> dict:
    """Per way of iterating, each pass's [left, right] mean latent length relative to the inputs'."""
    inputs = test_pairs_in_one_key(bundle_dir, corpus, np.random.default_rng(SEED))
    pairs = (inputs.left, inputs.right)
    style = np.random.default_rng(SEED + 1).random((len(inputs.left), 2)).astype(np.float32)
    strength = np.full((len(style), 1), similarity, dtype=np.float32)
    noise = torch.from_numpy(flow_fusion.style_noise(style, load_bundle(bundle_dir).latent_size))
    start = torch.from_numpy(flow_fusion.start_time(strength))
    flows = torch_pair_models_from_bundle(bundle_dir)
    forward, backward = flows["continuation"], flows["backward_flow"]
    exported = forward.guidance
    results = {}
    for label, guidance in ((f"float flows, guidance {exported:g} (as exported), lengths free", exported),
                            ("float flows, guidance 1, lengths free", 1.0)):
        forward.guidance = backward.guidance = guidance
        left, right = (torch.from_numpy(side) for side in pairs)
        rows = []
        with torch.no_grad():
            for _ in range(iterations):
                left = backward(right, noise, left, start)
                right = forward(left, noise, right, start)
                rows.append(_relative((left.numpy(), right.numpy()), pairs))
        results[label] = rows
    forward.guidance = backward.guidance = exported
    model, (left, right), rows = LatentModel(load_bundle(bundle_dir)), pairs, []
    for iteration in range(iterations):
        left, right = flow_fusion.fuse_latents(model, "flow-both", left, right, style, strength, iteration > 0)
        rows.append(_relative((left, right), pairs))
    results["as the engine iterates (int8 flows, lengths held after the first pass)"] = rows
    return results
