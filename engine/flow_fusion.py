"""Flow fusion: the right clip re-imagined to follow the left one by the continuation flow.

The flow maps noise to right latents given a left latent, along straight paths. Started
partway, from a point between noise and the right clip's own latent (SDEdit, Meng et al.
2022, on p(z_R | z_L)), it keeps that clip's shape as far as the start time says and writes
the rest as a continuation of the left clip. The left clip is kept as it is.

It answers to the same controls as the fusion generator: the similarity strength sets the
start time, and the style pad picks the noise, so each point of the pad is one variation.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from .clip import ClipError

if TYPE_CHECKING:
    from .latent import LatentModel

METHODS = ("generator", "flow")
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
    return [method for method, ready in (("generator", model.has("fusion")), ("flow", model.flow_starts_partway))
            if ready]


def default_method(model: "LatentModel") -> str:
    """The flow when the bundle's can fuse (it joins real clips more convincingly: model card),
    else the fusion generator."""
    return "flow" if model.flow_starts_partway else "generator"


def check_method(method: str) -> None:
    """Refuse a fusion method that does not exist."""
    if method not in METHODS:
        raise ClipError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def require(model: "LatentModel", method: str | None) -> str:
    """The method to fuse by (``None``: the bundle's default); refuses one that does not exist or
    that the bundle cannot run, naming what is missing."""
    method = default_method(model) if method is None else method
    check_method(method)
    if method == "generator" and not model.has("fusion"):
        raise ClipError(f"bundle {model.bundle.name!r} has no fusion model")
    if method == "flow" and not model.flow_starts_partway:
        raise ClipError(f"bundle {model.bundle.name!r} has no continuation flow that can fuse; re-export it with "
                        "python -m training export-pairs --keep-fusion --keep-continuation")
    return method


def fuse_latents(model: "LatentModel", method: str, left: np.ndarray, right: np.ndarray, style: np.ndarray,
                 similarity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(z_L', z_R') for latent pairs (B, d), styles (B, 2) and strengths (B, 1): by the fusion
    generator, or by the flow (the left latents unchanged, the right ones re-imagined)."""
    if method == "generator":
        return model.fuse(left, right, style, similarity)
    noise = style_noise(np.asarray(style, dtype=np.float32), model.latent_size)
    return left, model.fusion_flow(left, noise, right, start_time(np.asarray(similarity, dtype=np.float32)))
