"""What the latent-space GANs (G_F in :mod:`training.genre_fusion`, the genre prior in
:mod:`training.genre_prior`) share: the gradient penalty that keeps a Wasserstein critic
Lipschitz, and a resumable run told, when its config has histogram weights, the decoded
statistics its samples should have."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from training.config import GenreFusionConfig, GenrePriorConfig
from training.loop import ResumableRun
from training.pair_models import mlp

Decoder = Callable[[torch.Tensor], torch.Tensor]  # latents -> token logits, frozen


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     generator: torch.Generator) -> torch.Tensor:
    """WGAN-GP: (|grad D| - 1)^2 on points between real and generated latents."""
    count = min(len(real), len(fake))
    mix = torch.rand(count, 1, generator=generator)
    points = (mix * real[:count] + (1 - mix) * fake[:count]).requires_grad_(True)
    grad, = torch.autograd.grad(critic(points).sum(), points, create_graph=True)
    return ((grad.norm(dim=1) - 1) ** 2).mean()


class LatentGeneratorRun(ResumableRun):
    """A latent generator's run: settings saved with the latent space they belong to, a
    frozen ``decoder`` required whenever a histogram weight is set, critics trained several
    steps per generator step by ``self.optimizer_d``, and checkpoints made of the ``parts``
    (modules and optimizers, by attribute name) and ``self.rng``."""

    parts: tuple[str, ...] = ()

    def __init__(self, config: GenreFusionConfig | GenrePriorConfig, run_dir: Path, space: str,
                 decoder: Decoder | None, has_targets: bool) -> None:
        super().__init__(run_dir, config.steps, config.eval_every, {**config.to_dict(), "encoder_sha256": space})
        torch.manual_seed(config.seed)
        self.config = config
        self.weights = config.histogram_weights
        if self.weights and (decoder is None or not has_targets):
            raise ValueError("a histogram weight > 0 needs a decoder and target histograms")
        self.decoder = decoder
        self.rng = torch.Generator().manual_seed(config.seed)

    def critic_loss(self) -> torch.Tensor:
        """What the critics minimise on one batch."""
        raise NotImplementedError

    def train_critics(self) -> torch.Tensor:
        """``config.critic_steps`` updates of the critics (``self.optimizer_d``); the last loss."""
        for _ in range(self.config.critic_steps):
            loss = self.critic_loss()
            self.optimizer_d.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer_d.step()
        return loss

    def state(self) -> dict:
        return {**{name: getattr(self, name).state_dict() for name in self.parts}, "rng": self.rng.get_state()}

    def restore(self, state: dict) -> None:
        for name in self.parts:
            getattr(self, name).load_state_dict(state[name])
        self.rng.set_state(state["rng"])


def critic_network(inputs: int, hidden: int, layers: int) -> nn.Module:
    """An MLP critic: (N, inputs) -> (N,) scores."""
    return nn.Sequential(mlp(inputs, hidden, 1, layers), nn.Flatten(0))
