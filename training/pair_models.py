"""Networks that work on pairs of latents: the Connective Fusion generator and pair
discriminator, and the continuation density model p(z_R | z_L)."""
from __future__ import annotations

import math

import torch
from torch import nn

STYLE_SIZE = 2  # the style pad musicians move
GATE_BIAS = -2.0  # gates start mostly closed, so an untrained generator barely moves z


def mlp(inputs: int, hidden: int, outputs: int, layers: int) -> nn.Sequential:
    """``layers`` linear layers with LeakyReLU between them."""
    sizes = [inputs] + [hidden] * (layers - 1)
    body: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        body += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
    return nn.Sequential(*body, nn.Linear(sizes[-1], outputs))


class FusionGenerator(nn.Module):
    """G(z_L, z_R, s, lambda) -> (z_L', z_R'), each side gated as in Latent Constraints:
    z' = (1 - g) z + g delta. The similarity strength lambda is an input, so one network
    serves every strength (``conditioned=False`` trains one network per strength)."""

    def __init__(self, latent_size: int, hidden: int = 512, layers: int = 5, conditioned: bool = True) -> None:
        super().__init__()
        self.conditioned = conditioned
        self.net = mlp(2 * latent_size + STYLE_SIZE + int(conditioned), hidden, 4 * latent_size, layers)

    def forward(self, left: torch.Tensor, right: torch.Tensor, style: torch.Tensor,
                similarity: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        parts = [left, right, style] + ([torch.log(similarity)] if self.conditioned else [])
        delta_l, gate_l, delta_r, gate_r = self.net(torch.cat(parts, dim=-1)).chunk(4, dim=-1)
        gate_l, gate_r = torch.sigmoid(gate_l + GATE_BIAS), torch.sigmoid(gate_r + GATE_BIAS)
        return (1 - gate_l) * left + gate_l * delta_l, (1 - gate_r) * right + gate_r * delta_r


class PairDiscriminator(nn.Module):
    """D(z_L, z_R) -> logit that the pair is two consecutive windows of one tune."""

    def __init__(self, latent_size: int, hidden: int = 512, layers: int = 5) -> None:
        super().__init__()
        self.net = mlp(2 * latent_size, hidden, 1, layers)

    def forward(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([left, right], dim=-1)).squeeze(-1)


class ContinuationDensity(nn.Module):
    """p(z_R | z_L) as a mixture of diagonal Gaussians (a mixture density network)."""

    def __init__(self, latent_size: int, components: int = 8, hidden: int = 512, layers: int = 4) -> None:
        super().__init__()
        self.components, self.latent_size = components, latent_size
        self.net = mlp(latent_size, hidden, components * (1 + 2 * latent_size), layers)

    def forward(self, left: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Component log-weights (B, K), means (B, K, d) and log-stds (B, K, d)."""
        out = self.net(left)
        k, d = self.components, self.latent_size
        logits, params = out[:, :k], out[:, k:].view(-1, k, 2 * d)
        means, log_std = params.chunk(2, dim=-1)
        return torch.log_softmax(logits, dim=-1), means, log_std.clamp(-7.0, 2.0)

    def negative_log_likelihood(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        """Mean NLL of ``right`` given ``left``, in nats per latent dimension."""
        log_weights, means, log_std = self(left)
        z = (right[:, None, :] - means) / torch.exp(log_std)
        log_normal = -0.5 * z.pow(2) - log_std - 0.5 * math.log(2 * math.pi)
        return -torch.logsumexp(log_weights + log_normal.sum(-1), dim=-1).mean() / self.latent_size
