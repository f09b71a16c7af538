"""FusionGAN's two statistics read from decoded latents with gradients, so a latent generator
can be told which duration distribution (DD) and key-normalised pitch-class distribution (NPD)
its melodies should have. The critics judge latents, and the decoder turns nearby latents into
different notes, so critics alone cannot see the DD and NPD a listener (and Table I) hears.

Both are pooled over every note of a batch, so melodies that all sound alike can match them;
a third statistic, the distribution of notes per window (ND), asks for the data's spread."""
from __future__ import annotations

from typing import TypeVar

import numpy as np
import torch

from engine.codec import HOLD, PITCH_MIN, PITCH_OFFSET, WINDOW_STEPS
from training import metrics
from training.reality_guide import straight_through_tokens

ArrayOrTensor = TypeVar("ArrayOrTensor", np.ndarray, torch.Tensor)


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


NOTES_BIN = 4  # notes per window are binned 0, 4, 8, ... 64, each count shared by its two nearest bins


def notes_per_window(tokens: ArrayOrTensor) -> ArrayOrTensor:
    """Notes (onsets) in each window of greedy tokens (N, steps): numpy or torch."""
    return (tokens >= PITCH_OFFSET).sum(-1)


def notes_distribution(notes: torch.Tensor) -> torch.Tensor:
    """ND: the distribution of notes per window (N,) over bins NOTES_BIN apart, each count split
    linearly between its two nearest bins so that the histogram has gradients."""
    centres = torch.arange(0, WINDOW_STEPS + 1, NOTES_BIN, dtype=notes.dtype)
    weights = (1 - (notes[:, None] - centres).abs() / NOTES_BIN).clamp_min(0)
    return weights.sum(0) / len(notes)


def decoded_histograms(tokens: torch.Tensor) -> dict[str, torch.Tensor]:
    """:func:`decoded_dd`, :func:`decoded_npd` and :func:`notes_distribution` of one batch."""
    return {"dd": decoded_dd(tokens), "npd": decoded_npd(tokens),
            "nd": notes_distribution(tokens[..., PITCH_OFFSET:].sum((1, 2)))}


def blend_histograms(windows: list[np.ndarray]) -> dict[str, np.ndarray]:
    """DD, NPD and ND of an even blend of domains: the mean of each domain's histogram."""
    def nd(tokens: np.ndarray) -> np.ndarray:
        return notes_distribution(torch.as_tensor(notes_per_window(tokens), dtype=torch.float32)).numpy()

    return {name: np.mean([histogram(w) for w in windows], axis=0) for name, histogram in
            (("dd", metrics.duration_distribution), ("npd", metrics.normalised_pitch_distribution), ("nd", nd))}


def histogram_gaps(logits: torch.Tensor, targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Squared Euclidean distance between each histogram of ``targets`` (by name) and that of
    the greedy windows of ``logits`` (N, steps, vocab), with straight-through gradients."""
    return squared_gaps(decoded_histograms(straight_through_tokens(logits)), targets)


def squared_gaps(decoded: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Squared Euclidean distance between each histogram of ``targets`` and the same-named one of ``decoded``."""
    return {name: ((decoded[name] - target) ** 2).sum() for name, target in targets.items()}
