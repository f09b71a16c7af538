"""FusionGAN (paper §III) moved into the VAE's latent space: a fused-domain generator G_F
maps noise to latents between two genres, judged by Wasserstein critics D_A, D_B and D_F
with the paper's balance terms. Latents replace token sequences, so the critics are MLPs,
the generators need no policy gradient, and a gradient penalty keeps the critics Lipschitz.

- D_F maximises Eq. 8 (A, B and their generators are its positives, G_F its negative) less
  the balance term of Eq. 9;
- D_A maximises Eq. 11 (A positive; B, G_A, G_B and G_F negative) less Eq. 13, which asks
  D_A(X_A) >= D_A(G_F) >= D_A(X_B) (Eq. 12) to stay close; D_B likewise;
- G_F is fed back by all three critics (Eq. 2 / Eq. 4);
- G_A and G_B start as the genres' fitted priors and follow Eq. 14 at a small learning rate;
- with histogram weights > 0, G_F is also told the durations, pitch classes and notes per window
  its decoded melodies should have (:mod:`training.decoded_statistics`);
- with a radius weight > 0, G_F pays for samples beyond the reach of both genres' real latents
  (:mod:`training.latent_reach`), where the int8 decoder the engine plays stops agreeing with
  the float decoder G_F learns through;
- blend-conditioned (beyond the paper), G_F also takes the blend's share s of genre B. Each step
  trains one s: 1/2 in ``even_blend_steps`` of the steps, else drawn from [0, 1]. Every term that
  treats A and B alike at an even blend weighs them 2(1 - s) and 2s instead: D_F's positives, the
  balance terms of D_A and D_B, and G_F's feedback from them. Its histogram targets are
  (1 - s) A's + s B's. At s = 1/2 this is the paper's G_F, and one generator serves every blend.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from training.config import GenreFusionConfig
from training.decoded_statistics import histogram_gaps, notes_per_window
from training.latent_gan import Decoder, LatentGeneratorRun, critic_network, gradient_penalty
from training.latent_reach import excess_penalty, radius, reach
from training.pair_models import mlp

VALIDATION_SHARES = (0.25, 0.5, 0.75)  # of genre B, where a blend-conditioned G_F is validated


class GaussianGenerator(nn.Module):
    """G_A / G_B: noise -> mean + std * noise, a genre's prior with trainable parameters."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.mean = nn.Parameter(torch.as_tensor(mean, dtype=torch.float32).clone())
        self.log_std = nn.Parameter(torch.log(torch.as_tensor(std, dtype=torch.float32)).clone())

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        return self.mean + torch.exp(self.log_std) * noise


class FusedGenerator(nn.Module):
    """G_F: noise (B, noise_size) -> latents (B, latent), starting near the genres' midpoint.
    ``conditioned``, it also takes the blend's share of genre B (B, 1) and starts near that
    share's point between the two genres' centres."""

    def __init__(self, noise_size: int, latent_size: int, hidden: int, layers: int, centre_a: np.ndarray,
                 centre_b: np.ndarray, conditioned: bool = False) -> None:
        super().__init__()
        self.conditioned = conditioned
        self.net = mlp(noise_size + int(conditioned), hidden, latent_size, layers)
        centres = [torch.as_tensor(centre, dtype=torch.float32).clone() for centre in (centre_a, centre_b)]
        with torch.no_grad():
            if conditioned:
                self.net[-1].bias.zero_()
                self.register_buffer("centre_a", centres[0])
                self.register_buffer("centre_b", centres[1])
            else:
                self.net[-1].bias.copy_((centres[0] + centres[1]) / 2)

    def forward(self, noise: torch.Tensor, share: torch.Tensor | None = None) -> torch.Tensor:
        if not self.conditioned:
            return self.net(noise)
        return self.net(torch.cat([noise, share], -1)) + (1 - share) * self.centre_a + share * self.centre_b


class GenreFusionTraining(LatentGeneratorRun):
    """Trains G_F (and nudges G_A, G_B) against D_A, D_B, D_F on two genres' latents; given a
    ``decoder`` and ``targets`` (each genre's DD, NPD and ND), G_F also pays
    ``config.histogram_weights`` times the squared distances between its decoded histograms and
    the blend's, and best.pt keeps the checkpoint nearest them (otherwise the last is the one to use)."""

    description = "genre fusion"
    parts = ("g_f", "g_a", "g_b", "critics", "optimizer_g", "optimizer_dual", "optimizer_d")

    def __init__(self, config: GenreFusionConfig, latents_a: np.ndarray, latents_b: np.ndarray,
                 prior_a: tuple[np.ndarray, np.ndarray], prior_b: tuple[np.ndarray, np.ndarray],
                 run_dir: Path, space: str = "", decoder: Decoder | None = None,
                 targets: tuple[dict[str, np.ndarray], dict[str, np.ndarray]] | None = None) -> None:
        super().__init__(config, run_dir, space, decoder, targets is not None)
        self.targets = [{name: torch.as_tensor(value, dtype=torch.float32) for name, value in genre.items()}
                        for genre in (targets or ({}, {}))]
        self.data = {"a": torch.as_tensor(latents_a, dtype=torch.float32),
                     "b": torch.as_tensor(latents_b, dtype=torch.float32)}
        size = latents_a.shape[1]
        self.g_a, self.g_b = GaussianGenerator(*prior_a), GaussianGenerator(*prior_b)
        self.g_f = FusedGenerator(config.noise_size, size, config.hidden, config.layers, prior_a[0], prior_b[0],
                                  config.blend_conditioned)
        self.share = 0.5  # of genre B, for this step
        self.critics = nn.ModuleDict({name: critic_network(size, config.hidden, config.layers) for name in ("a", "b", "f")})
        betas = (0.5, 0.9)
        self.optimizer_g = torch.optim.Adam(self.g_f.parameters(), config.learning_rate, betas=betas)
        self.optimizer_dual = torch.optim.Adam([*self.g_a.parameters(), *self.g_b.parameters()],
                                               config.dual_learning_rate, betas=betas)
        self.optimizer_d = torch.optim.Adam(self.critics.parameters(), config.learning_rate, betas=betas)
        self.latent_size = size
        # The genres' fitted priors, fixed: G_A and G_B move, the yardstick should not.
        self.priors = [tuple(torch.as_tensor(x, dtype=torch.float32) for x in prior) for prior in (prior_a, prior_b)]
        self.reach = torch.stack([reach(self.data[name], *prior) for name, prior in zip("ab", self.priors)])

    def beyond_reach(self, latents: torch.Tensor) -> torch.Tensor:
        """How far each latent's radius exceeds the reach of the nearer genre (negative within it)."""
        return torch.stack([radius(latents, *prior) for prior in self.priors], -1).sub(self.reach).min(-1).values

    def _real(self, name: str) -> torch.Tensor:
        data = self.data[name]
        return data[torch.randint(0, len(data), (self.config.batch_size,), generator=self.rng)]

    def _noise(self, size: int) -> torch.Tensor:
        return torch.randn(self.config.batch_size, size, generator=self.rng)

    def fused(self, noise: torch.Tensor, share: float) -> torch.Tensor:
        """G_F's latents for ``noise`` at a blend with ``share`` of genre B (an even blend unconditioned)."""
        return self.g_f(noise, torch.full((len(noise), 1), share))

    def _generated(self) -> dict[str, torch.Tensor]:
        return {"a": self.g_a(self._noise(self.latent_size)), "b": self.g_b(self._noise(self.latent_size)),
                "f": self.fused(self._noise(self.config.noise_size), self.share)}

    def _genre_weights(self) -> dict[str, float]:
        """How much each genre counts at this step's share: 1 and 1 at an even blend."""
        return {"a": 2 * (1 - self.share), "b": 2 * self.share}

    def critic_loss(self) -> torch.Tensor:
        """Negative of what the critics maximise (Eq. 8 and 11 less Eq. 9 and 13), plus gradient penalties."""
        d, weight = self.critics, self.config.balance_weight
        x_a, x_b = self._real("a"), self._real("b")
        with torch.no_grad():
            g = self._generated()
        inputs = {"x_a": x_a, "x_b": x_b, "g_a": g["a"], "g_b": g["b"], "g_f": g["f"]}
        # Each critic judges all five batches in one pass.
        means = {name: dict(zip(inputs, critic(torch.cat(list(inputs.values()))).view(len(inputs), -1).mean(-1)))
                 for name, critic in d.items()}
        f, counts = means["f"], self._genre_weights()
        positives = sum(counts[g] * (f[f"x_{g}"] + f[f"g_{g}"]) for g in "ab") / 4
        loss_f = -(positives - f["g_f"]) + weight * ((f["g_a"] - f["g_b"]).abs() + (f["x_a"] - f["x_b"]).abs())
        loss = loss_f + self.config.gradient_penalty * gradient_penalty(d["f"], torch.cat([x_a, x_b]), g["f"], self.rng)
        for own, other in (("a", "b"), ("b", "a")):
            m = means[own]
            negatives = (m[f"x_{other}"] + m["g_a"] + m["g_b"] + m["g_f"]) / 4
            balance = counts[own] * (m[f"x_{own}"] - m["g_f"]).abs() + counts[other] * (m["g_f"] - m[f"x_{other}"]).abs()
            loss = loss - (m[f"x_{own}"] - negatives) + weight * balance
            x_own = inputs[f"x_{own}"]
            fakes = torch.cat([inputs[f"x_{other}"], g["a"], g["b"], g["f"]])[
                torch.randperm(4 * len(x_own), generator=self.rng)]
            loss = loss + self.config.gradient_penalty * gradient_penalty(d[own], x_own, fakes, self.rng)
        return loss

    def histogram_gaps(self, latents: torch.Tensor, share: float) -> dict[str, torch.Tensor]:
        """Squared Euclidean distances between the weighted histograms of ``latents`` decoded and
        those of the blend with ``share`` of genre B."""
        a, b = self.targets
        return histogram_gaps(self.decoder(latents), {name: (1 - share) * a[name] + share * b[name]
                                                      for name in self.weights})

    def generator_loss(self) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """G_F's loss (all three critics' feedback, Eq. 4), G_A's plus G_B's (Eq. 14), and G_F's
        penalties by name: its decoded histogram gaps (given histogram weights) and its excess
        over the genres' reach (given a radius weight)."""
        d = self.critics
        g = self._generated()
        counts = self._genre_weights()
        loss_f = -(d["f"](g["f"]).mean() + counts["a"] * d["a"](g["f"]).mean() + counts["b"] * d["b"](g["f"]).mean())
        loss_dual = sum(-d[own](g[own]).mean() - d[other](g[own]).mean() + d["f"](g[own]).mean()
                        for own, other in (("a", "b"), ("b", "a")))
        gaps = self.histogram_gaps(g["f"][: self.config.decoded_batch], self.share) if self.weights else {}
        if self.config.radius_weight:
            gaps["radius"] = excess_penalty(self.beyond_reach(g["f"]))
        return loss_f, loss_dual, gaps

    def train_step(self) -> dict[str, float]:
        if self.config.blend_conditioned:
            even, share = torch.rand(2, generator=self.rng).tolist()
            self.share = 0.5 if even < self.config.even_blend_steps else share
        loss_d = self.train_critics()
        loss_f, loss_dual, gaps = self.generator_loss()
        self.optimizer_g.zero_grad(set_to_none=True)
        self.optimizer_dual.zero_grad(set_to_none=True)
        weights = {**self.weights, "radius": self.config.radius_weight}
        (loss_f + sum(weights[name] * gap for name, gap in gaps.items()) + loss_dual).backward()
        self.optimizer_g.step()
        self.optimizer_dual.step()
        return {"critics": loss_d.item(), "g_fused": loss_f.item(), "g_dual": loss_dual.item(), "share": self.share,
                **{f"{name}_gap": gap.item() ** 0.5 for name, gap in gaps.items()}}

    def sample(self, count: int, seed: int = 0, share: float = 0.5) -> np.ndarray:
        """``count`` fused latents at a blend with ``share`` of genre B."""
        noise = torch.randn(count, self.config.noise_size, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            return self.fused(noise, share).numpy()

    def validate(self) -> dict[str, float]:
        """Where G_F's samples sit: mean distance to each genre's latent mean, and the balance
        (blend-conditioned: also at shares 1/4 and 3/4, which the histogram distances average over)."""
        shares = VALIDATION_SHARES if self.config.blend_conditioned else (0.5,)
        fused = {share: torch.as_tensor(self.sample(1024, share=share)) for share in shares}
        distances = {share: [(z.mean(0) - self.data[g].mean(0)).norm().item() for g in "ab"]
                     for share, z in fused.items()}
        positions = {f"position_{round(100 * share)}": to_a / max(to_a + to_b, 1e-9)
                     for share, (to_a, to_b) in distances.items()}
        decoded, spread = {}, {}
        if self.decoder is not None and self.weights:
            with torch.no_grad():
                gaps = [self.histogram_gaps(z, share) for share, z in fused.items()]
                decoded = {f"{name}_to_target": float(np.mean([gap[name].item() ** 0.5 for gap in gaps]))
                           for name in gaps[0]}
                # Pooled histograms can be matched by melodies that all sound alike: watch the spread.
                data = torch.cat([self.data["a"][:512], self.data["b"][:512]])
                spread = {f"onsets_spread_{name}": notes_per_window(self.decoder(z).argmax(-1)).float().std().item()
                          for name, z in (("fused", fused[0.5]), ("data", data))}
        # GAN losses do not rank checkpoints; the histogram distances do, when G_F is given targets.
        score = -sum(decoded.values()) if decoded else float(self.step)
        return {"centre_to_a": distances[0.5][0], "centre_to_b": distances[0.5][1], "position": positions["position_50"],
                **positions, "beyond_reach": (self.beyond_reach(fused[0.5]) > 0).float().mean().item(),
                **decoded, **spread, "score": score}
