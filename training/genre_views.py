"""What FusionGAN's critics judge. In the latent view they judge latents, as in the first
version. In the window view, each latent is decoded by the frozen VAE decoder, and the
critics judge the window it plays. There they also see each window's key-normalised
onset pitch-class histogram, the thing NPD counts. The latent critics could not see it: the
decoder blurs pitch classes within a quarter of the prior's spread, so latents that look
alike to a critic can play in different modes."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from engine.codec import N_TOKENS, transposition_room
from training.latent_pairs import transpose
from training.metrics import estimate_keys
from training.pair_models import mlp
from training.reality import pitch_class_matrix
from training.reality_guide import straight_through_tokens


class LatentView:
    """Critics judge latents: the genres' posterior means against generated latents."""

    def __init__(self, latents_a: np.ndarray, latents_b: np.ndarray) -> None:
        self.data = {"a": torch.as_tensor(latents_a, dtype=torch.float32),
                     "b": torch.as_tensor(latents_b, dtype=torch.float32)}

    def real(self, name: str, count: int, generator: torch.Generator) -> torch.Tensor:
        """``count`` of genre ``name``'s latents."""
        data = self.data[name]
        return data[torch.randint(0, len(data), (count,), generator=generator)]

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return z

    def critic(self, latent_size: int, hidden: int, layers: int) -> nn.Module:
        """An MLP critic on latents."""
        return nn.Sequential(mlp(latent_size, hidden, 1, layers), nn.Flatten(0))


class WindowCritic(nn.Module):
    """Token windows (B, steps, classes), one-hot or straight-through, -> a critic value:
    convolutions over the window, and its onset pitch-class histogram turned so the window's
    estimated tonic is first."""

    def __init__(self, channels: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(N_TOKENS, channels, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(channels, channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(channels, channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2))
        self.head = mlp(channels + 12, hidden, 1, layers)
        self.register_buffer("pitch_classes", pitch_class_matrix().clone())

    def key_normalised_histogram(self, windows: torch.Tensor) -> torch.Tensor:
        """(B, 12): each window's onset pitch classes, as shares, counted up from its tonic."""
        counts = (windows @ self.pitch_classes).sum(1)
        histogram = counts / counts.sum(-1, keepdim=True).clamp_min(1.0)
        # The tonic is read off the greedy window, as NPD reads it; the histogram keeps its gradient.
        tonics = torch.as_tensor(estimate_keys(windows.detach().argmax(-1).numpy()) // 2)
        return torch.gather(histogram, 1, (tonics[:, None] + torch.arange(12)) % 12)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        features = self.conv(windows.transpose(1, 2)).mean(-1)
        return self.head(torch.cat([features, self.key_normalised_histogram(windows)], dim=-1)).squeeze(-1)


class WindowView:
    """Critics judge windows: the genres' token windows (each batch in random transpositions)
    against the windows the frozen decoder plays for generated latents (straight through, so
    gradients reach the generators)."""

    def __init__(self, windows_a: np.ndarray, windows_b: np.ndarray,
                 decode: Callable[[torch.Tensor], torch.Tensor], channels: int = 64) -> None:
        self.data = {"a": windows_a, "b": windows_b}
        self.room = {name: transposition_room(windows) for name, windows in self.data.items()}
        self.decode, self.channels = decode, channels

    def real(self, name: str, count: int, generator: torch.Generator) -> torch.Tensor:
        """``count`` of genre ``name``'s windows, one-hot, each moved by a random shift that fits."""
        rows = torch.randint(0, len(self.data[name]), (count,), generator=generator).numpy()
        down, up = (limit[rows] for limit in self.room[name])
        low, high = np.maximum(down, -6), np.minimum(up, 6)
        shifts = low + (torch.rand(count, generator=generator).numpy() * (high - low + 1)).astype(np.int64)
        windows = transpose(self.data[name][rows], np.minimum(shifts, high))
        return nn.functional.one_hot(torch.as_tensor(windows), N_TOKENS).float()

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return straight_through_tokens(self.decode(z))

    def critic(self, latent_size: int, hidden: int, layers: int) -> nn.Module:
        """A :class:`WindowCritic`."""
        return WindowCritic(self.channels, hidden, layers)
