"""Flow fusion: the right clip re-imagined to follow the left one by the continuation flow.

The flow maps noise to right latents given a left latent, along straight paths. Started
partway, from a point between noise and the right clip's own latent (SDEdit, Meng et al.
2022, on p(z_R | z_L)), it keeps that clip's shape as far as the start time says and writes
the rest as a continuation of the left clip. The left clip is kept as it is.

It answers to the same controls as the fusion generator: the similarity strength sets the
start time, and the style pad picks the noise, so each point of the pad is one variation.

"flow-both" also mends the left clip, as the fusion generator moves both: the backward flow,
p(z_L | z_R), re-imagines the left latent from the same start to lead into the right clip, and
the continuation flow then re-imagines the right one to follow the mended left one.

Iterated, each pass after the first keeps every latent's length. Each pass starts from the last
one's result, and the flows' classifier-free guidance (scale 2) lengthened latents by about an
eighth per pass (0.88 to 1.41 times the inputs' over 5 passes of both flows at strength 0.3;
without guidance 0.81 to 0.96: ``python -m training flow-lengths``); note lengths and register
drifted with them (model card).
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from .clip import ClipError

if TYPE_CHECKING:
    from .latent import LatentModel

METHODS = ("generator", "flow", "flow-both")
NOISE_SEED = 1  # the pad's two noise directions are fixed, so one request always gives one answer


def start_time(similarity: np.ndarray) -> np.ndarray:
    """Where on the flow's path (0: pure noise, 1: the right latent itself) a similarity strength
    (B, 1) starts: lambda / (1 + lambda), so strength 1 starts halfway and strong similarity keeps
    the right clip nearly as it is."""
    return similarity / (1 + similarity)


@functools.cache
def _noise_directions(size: int) -> np.ndarray:
    directions = np.random.default_rng(NOISE_SEED).standard_normal((2, size)).astype(np.float32)
    directions.setflags(write=False)
    return directions


def style_noise(style: np.ndarray, size: int) -> np.ndarray:
    """The flow's noise (B, size) for pad points (B, 2): x picks a direction on a circle spanned by
    two fixed Gaussian vectors, y its length (a temperature: 0 is the flow's central path).
    Any unit mix of two independent Gaussian vectors is Gaussian, so every point on the pad's
    top edge is a typical draw."""
    angle = 2 * np.pi * style[:, :1]
    first, second = _noise_directions(size)
    return (style[:, 1:] * (np.cos(angle) * first + np.sin(angle) * second)).astype(np.float32)


def available(model: "LatentModel") -> list[str]:
    """The fusion methods the bundle can run."""
    return [method for method, ready in (("generator", model.has("fusion")), ("flow", model.flow_starts_partway),
                                         ("flow-both", model.flow_starts_partway and model.has("backward_flow")))
            if ready]


def default_method(model: "LatentModel", keep_left: bool = False) -> str:
    """Both flows when the bundle has them (they join clips most convincingly: model card), else
    the flow, else the fusion generator; with ``keep_left`` (a continuation, whose left side is
    its input), never both flows."""
    methods = available(model)
    if "flow-both" in methods and not keep_left:
        return "flow-both"
    return "flow" if "flow" in methods else "generator"


def check_method(method: str) -> None:
    """Refuse a fusion method that does not exist."""
    if method not in METHODS:
        raise ClipError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def require(model: "LatentModel", method: str | None, keep_left: bool = False) -> str:
    """The method to fuse by (``None``: the bundle's default); refuses one that does not exist,
    that the bundle cannot run (naming what is missing), or that would change a left side that
    must be kept (``keep_left``)."""
    method = default_method(model, keep_left) if method is None else method
    check_method(method)
    if keep_left and method == "flow-both":
        raise ClipError("method flow-both changes the input clip, which a continuation keeps; use flow or generator")
    if method == "generator" and not model.has("fusion"):
        raise ClipError(f"bundle {model.bundle.name!r} has no fusion model")
    if method in ("flow", "flow-both") and not model.flow_starts_partway:
        raise ClipError(f"bundle {model.bundle.name!r} has no continuation flow that can fuse; re-export it with "
                        "python -m training export-pairs --keep-fusion --keep-continuation")
    if method == "flow-both" and not model.has("backward_flow"):
        raise ClipError(f"bundle {model.bundle.name!r} has no backward flow for flow-both; add one with "
                        "python -m training export-backward-flow")
    return method


def with_lengths_of(latents: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Each row of ``latents`` (B, d) scaled to the length of its row in ``reference``."""
    lengths = np.linalg.norm(latents, axis=-1, keepdims=True)
    return latents * (np.linalg.norm(reference, axis=-1, keepdims=True) / np.maximum(lengths, 1e-12))


def fuse_latents(model: "LatentModel", method: str, left: np.ndarray, right: np.ndarray, style: np.ndarray,
                 similarity: np.ndarray, iterated: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(z_L', z_R') for latent pairs (B, d), styles (B, 2) and strengths (B, 1): by the fusion
    generator, by the flow (the left latents unchanged, the right ones re-imagined), or by both
    flows (the left latents re-imagined too, first). When the pairs are themselves fused
    (``iterated``), the flows keep each latent's length (see the module's docstring)."""
    if method == "generator":
        return model.fuse(left, right, style, similarity)
    noise = style_noise(np.asarray(style, dtype=np.float32), model.latent_size)
    start = start_time(np.asarray(similarity, dtype=np.float32))
    new_left = model.backward_flow(right, noise, left, start) if method == "flow-both" else left
    new_right = model.fusion_flow(new_left, noise, right, start)
    if iterated:  # the right flow has heard the left latent as the backward flow made it
        new_right = with_lengths_of(new_right, right)
        new_left = with_lengths_of(new_left, left) if method == "flow-both" else left
    return new_left, new_right
