"""What FusionGAN's critics judge. In the latent view they judge latents, as in the first
version. In the window view they judge each latent together with the window the frozen VAE
decoder plays for it, including that window's key-normalised onset pitch-class histogram,
the thing NPD counts. Latent critics alone cannot see it: the decoder blurs pitch classes
within a quarter of the prior's spread, so latents that look alike to a critic can play in
different modes. Windows alone let G_F drift far from the data (tried: 500 steps moved its
centre 17 units from both genres, and NPD got worse)."""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn

from engine.codec import N_TOKENS
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
    """A latent and the token window it plays, side by side in one row (B, latent + steps *
    classes; the window one-hot or straight-through), -> a critic value. It sees the latent
    through an MLP, the window through convolutions, and the window's onset pitch-class
    histogram turned so its estimated tonic is first."""

    def __init__(self, latent_size: int, channels: int, hidden: int, layers: int) -> None:
        super().__init__()
        self.latent_size = latent_size
        self.latent = mlp(latent_size, hidden, hidden, 2)
        self.conv = nn.Sequential(
            nn.Conv1d(N_TOKENS, channels, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(channels, channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(channels, channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2))
        self.head = mlp(hidden + channels + 12, hidden, 1, layers)
        self.register_buffer("pitch_classes", pitch_class_matrix().clone())

    def key_normalised_histogram(self, windows: torch.Tensor) -> torch.Tensor:
        """(B, 12): each window's onset pitch classes, as shares, counted up from its tonic."""
        counts = (windows @ self.pitch_classes).sum(1)
        histogram = counts / counts.sum(-1, keepdim=True).clamp_min(1.0)
        # The tonic is read off the greedy window, as NPD reads it; the histogram keeps its gradient.
        tonics = torch.as_tensor(estimate_keys(windows.detach().argmax(-1).numpy()) // 2)
        return torch.gather(histogram, 1, (tonics[:, None] + torch.arange(12)) % 12)

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        z, windows = rows[:, : self.latent_size], rows[:, self.latent_size:].reshape(len(rows), -1, N_TOKENS)
        features = [self.latent(z), self.conv(windows.transpose(1, 2)).mean(-1), self.key_normalised_histogram(windows)]
        return self.head(torch.cat(features, dim=-1)).squeeze(-1)


class WindowView:
    """Critics judge each latent together with the window it plays: the genres' windows (in
    random transpositions) beside their posterior means, against generated latents beside
    what the frozen decoder plays for them (straight through, so gradients reach the
    generators). The latent keeps G_F near the data, where the decoder is sure of itself; the
    window shows whether the pitch classes survive."""

    def __init__(self, windows_a: np.ndarray, windows_b: np.ndarray, latents_a: np.ndarray, latents_b: np.ndarray,
                 decode: Callable[[torch.Tensor], torch.Tensor], channels: int = 64) -> None:
        self.data = {"a": (windows_a, torch.as_tensor(latents_a, dtype=torch.float32)),
                     "b": (windows_b, torch.as_tensor(latents_b, dtype=torch.float32))}
        self.decode, self.channels = decode, channels

    def real(self, name: str, count: int, generator: torch.Generator) -> torch.Tensor:
        """``count`` of genre ``name``'s windows, each beside its posterior mean."""
        windows, latents = self.data[name]
        rows = torch.randint(0, len(latents), (count,), generator=generator)
        one_hot = nn.functional.one_hot(torch.as_tensor(windows[rows.numpy()]), N_TOKENS).float()
        return torch.cat([latents[rows], one_hot.flatten(1)], dim=1)

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return torch.cat([z, straight_through_tokens(self.decode(z)).flatten(1)], dim=1)

    def critic(self, latent_size: int, hidden: int, layers: int) -> nn.Module:
        """A :class:`WindowCritic`."""
        return WindowCritic(latent_size, self.channels, hidden, layers)
