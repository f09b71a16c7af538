"""Networks that work on pairs of latents: the Connective Fusion generator and pair
discriminator, and the continuation models of p(z_R | z_L): a mixture density network and a
conditional flow."""
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


class ResidualMLPBlock(nn.Module):
    """Pre-norm residual feed-forward block."""

    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.GELU(), nn.Dropout(dropout),
                                  nn.Linear(2 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ContinuationFlow(nn.Module):
    """p(z_R | z_L) as a conditional flow trained by flow matching on the straight path from
    Gaussian noise to the (standardised) right latent. ``forward(left, noise)`` integrates
    the velocity field with ``steps`` midpoint steps, so one graph maps noise to a latent:
    noise scaled by a temperature gives temperature sampling, zero noise the central path.

    Trained with ``condition_dropout``, some rows see the null condition (zeros: the mean left
    latent once standardised), so the same network also learns the unconditional field. Sampling
    then follows classifier-free guidance, free + ``guidance`` * (conditional - free): above 1 it
    leans the continuation harder on what the left window implies."""

    TIME_FEATURES = 8

    def __init__(self, latent_size: int, hidden: int = 512, layers: int = 4, dropout: float = 0.1,
                 steps: int = 8, condition_dropout: float = 0.0, guidance: float = 1.0) -> None:
        super().__init__()
        self.latent_size, self.steps = latent_size, steps
        self.condition_dropout, self.guidance = condition_dropout, guidance
        self.register_buffer("center", torch.zeros(latent_size))
        self.register_buffer("scale", torch.ones(latent_size))
        self.register_buffer("frequencies", torch.exp(torch.linspace(0.0, math.log(100.0), self.TIME_FEATURES)))
        self.inputs = nn.Linear(2 * latent_size + 2 * self.TIME_FEATURES, hidden)
        self.blocks = nn.Sequential(*(ResidualMLPBlock(hidden, dropout) for _ in range(layers)))
        self.output = nn.Sequential(nn.LayerNorm(hidden), nn.Linear(hidden, latent_size))

    def standardise_like(self, latents: torch.Tensor) -> None:
        """Set the standardisation from training latents (before training)."""
        self.center.copy_(latents.mean(0))
        self.scale.copy_(latents.std(0).clamp_min(1e-4))

    def velocity(self, x: torch.Tensor, t: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """The velocity field at standardised point ``x``, time ``t`` (B, 1), standardised ``condition``."""
        angles = t * self.frequencies
        return self.output(self.blocks(self.inputs(torch.cat([x, condition, torch.sin(angles), torch.cos(angles)], -1))))

    def guided_velocity(self, x: torch.Tensor, t: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """The velocity sampling follows: the conditional field, or with guidance other than 1
        the classifier-free mix of the conditional and the unconditional field."""
        if self.guidance == 1.0:
            return self.velocity(x, t, condition)
        both = self.velocity(torch.cat([x, x]), torch.cat([t, t]), torch.cat([condition, torch.zeros_like(condition)]))
        conditional, free = both.chunk(2)
        return free + self.guidance * (conditional - free)

    def forward(self, left: torch.Tensor, noise: torch.Tensor, source: torch.Tensor | None = None,
                start: torch.Tensor | None = None) -> torch.Tensor:
        """Right latents for left latents and noise (B, d). Given ``source`` right latents and
        ``start`` times (B, 1) in 0..1, each row starts partway along the straight path, at
        (1 - start) * noise + start * source (standardised), and flows on from there (SDEdit,
        Meng et al. 2022): a right window re-imagined to follow its left one, the more freely
        the earlier it starts. Start 0 is the plain continuation."""
        condition = (left - self.center) / self.scale
        if start is None:
            x, t, step = noise, torch.zeros_like(noise[:, :1]), torch.full_like(noise[:, :1], 1.0 / self.steps)
        else:
            x = (1 - start) * noise + start * (source - self.center) / self.scale
            t, step = start, (1 - start) / self.steps
        for _ in range(self.steps):
            halfway = x + 0.5 * step * self.guided_velocity(x, t, condition)
            x = x + step * self.guided_velocity(halfway, t + 0.5 * step, condition)
            t = t + step
        return x * self.scale + self.center

    def flow_matching_loss(self, left: torch.Tensor, right: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Mean squared error of the velocity field against the straight path's, at random times."""
        target = (right - self.center) / self.scale
        noise = torch.randn(target.shape, generator=generator)
        t = torch.rand(len(target), 1, generator=generator)
        moved = (1 - t) * noise + t * target
        condition = (left - self.center) / self.scale
        if self.training and self.condition_dropout > 0:
            kept = torch.rand(len(target), 1, generator=generator) >= self.condition_dropout
            condition = condition * kept
        return (self.velocity(moved, t, condition) - (target - noise)).pow(2).mean()
