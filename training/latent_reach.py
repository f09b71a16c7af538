"""How far a latent sits from a genre's Gaussian prior, and a penalty on generated latents
beyond the reach of the genre's real ones. Far out, the decoder's int8 twin (which the engine
plays) decodes other notes than the float decoder a latent generator is trained through."""
from __future__ import annotations

import torch

RADIUS_QUANTILE = 0.99  # the reach of a genre's real latents


def radius(z: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """Distance of each latent (N, latent) from ``mean``, in ``std`` per dimension (about 1 for
    a typical latent of the genre)."""
    return (((z - mean) / std) ** 2).mean(-1).sqrt()


def reach(latents: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """The radius within which RADIUS_QUANTILE of a genre's real latents lie."""
    return radius(latents, mean, std).quantile(RADIUS_QUANTILE)


def excess_penalty(excess: torch.Tensor) -> torch.Tensor:
    """Mean squared positive part of each sample's radius beyond its reach."""
    return (torch.relu(excess) ** 2).mean()
