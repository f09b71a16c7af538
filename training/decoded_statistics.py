"""FusionGAN's two statistics read from decoded latents with gradients, so a latent generator
can be told which duration distribution (DD) and key-normalised pitch-class distribution (NPD)
its melodies should have. The critics judge latents, and the decoder turns nearby latents into
different notes, so critics alone cannot see the DD and NPD a listener (and Table I) hears."""
from __future__ import annotations

import numpy as np
import torch

from engine.codec import HOLD, PITCH_MIN, PITCH_OFFSET
from training import metrics


def decoded_npd(tokens: torch.Tensor) -> torch.Tensor:
    """NPD (12,) of a batch of token distributions (N, steps, vocab), as
    :func:`training.metrics.normalised_pitch_distribution` counts greedy tokens: onsets' pitch
    classes after moving each window's tonic to C. Each tonic comes from the greedy tokens;
    gradients flow through the pitch tokens' probabilities."""
    tonics = torch.as_tensor(metrics.estimate_keys(tokens.detach().argmax(-1).numpy()) // 2)
    onsets = tokens[..., PITCH_OFFSET:].sum(1)  # (N, pitches): expected onsets of each pitch
    classes = (PITCH_MIN + torch.arange(onsets.shape[-1]) - tonics[:, None]) % 12
    counts = torch.zeros(len(onsets), 12, dtype=onsets.dtype).scatter_add(1, classes, onsets).sum(0)
    return counts / counts.sum().clamp_min(1e-9)


def decoded_dd(tokens: torch.Tensor) -> torch.Tensor:
    """DD (MAX_DURATION,) of a batch of token distributions (N, steps, vocab), as
    :func:`training.metrics.duration_distribution` counts greedy tokens: a note starts at an
    onset and lasts through the holds after it; the last bin takes every longer note. The
    expected count of notes of d steps from step t is P(onset at t) times P(hold) at the d - 1
    steps after it times P(no hold) at the step after those (the window's end always ends a note)."""
    onsets = tokens[..., PITCH_OFFSET:].sum(-1)  # (N, steps)
    longest = metrics.MAX_DURATION
    holds = torch.nn.functional.pad(tokens[..., HOLD], (0, longest))  # steps past the end never hold
    steps = onsets.shape[-1]
    lasting = onsets  # expected notes from each step still sounding after d steps
    counts = []
    for duration in range(1, longest):
        following = holds[:, duration:duration + steps]
        counts.append((lasting * (1 - following)).sum())
        lasting = lasting * following
    counts = torch.stack([*counts, lasting.sum()])
    return counts / counts.sum().clamp_min(1e-9)


def decoded_histograms(tokens: torch.Tensor) -> dict[str, torch.Tensor]:
    """:func:`decoded_dd` and :func:`decoded_npd` of one batch."""
    return {"dd": decoded_dd(tokens), "npd": decoded_npd(tokens)}


def blend_histograms(windows: list[np.ndarray]) -> dict[str, np.ndarray]:
    """DD and NPD of an even blend of domains: the mean of each domain's histogram."""
    return {"dd": np.mean([metrics.duration_distribution(w) for w in windows], axis=0),
            "npd": np.mean([metrics.normalised_pitch_distribution(w) for w in windows], axis=0)}
