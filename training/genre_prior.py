"""A genre-conditioned latent generator for ``generate``: G(noise, genre) = mean_g + std_g *
noise + net(noise, genre), so it starts as the bundle's Gaussian prior of genre g (MusAE's
genre-aware prior) and learns where that genre's decodable latents are.

A Gaussian fitted to a genre's posterior means puts most samples between the real latents,
where the decoder blurs pitch classes toward a mode-mixed profile nearest chorale's (see
``off_data_decoding`` in :mod:`training.genre_eval`). G is trained like G_F in
:mod:`training.genre_fusion`: a conditional Wasserstein critic on each genre's latents, and the
squared distances between each genre's decoded DD, NPD and notes per window and those of its
own training windows.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from training.config import GenrePriorConfig
from training.decoded_statistics import decoded_histograms, squared_gaps
from training.latent_gan import Decoder, LatentGeneratorRun, critic_network, gradient_penalty
from training.latent_reach import excess_penalty, radius, reach
from training.pair_models import mlp
from training.reality_guide import straight_through_tokens


class GenrePrior(nn.Module):
    """G: noise (B, latent) and genre one-hots (B, genres) -> latents (B, latent)."""

    def __init__(self, means: np.ndarray, stds: np.ndarray, hidden: int, layers: int) -> None:
        super().__init__()
        genres, latent_size = means.shape
        self.register_buffer("means", torch.as_tensor(means, dtype=torch.float32))
        self.register_buffer("stds", torch.as_tensor(stds, dtype=torch.float32))
        self.net = mlp(latent_size + genres, hidden, latent_size, layers)
        with torch.no_grad():  # the correction starts at zero: G starts as the Gaussian priors
            self.net[-1].weight.zero_()
            self.net[-1].bias.zero_()

    def forward(self, noise: torch.Tensor, genre: torch.Tensor) -> torch.Tensor:
        return genre @ self.means + (genre @ self.stds) * noise + self.net(torch.cat([noise, genre], -1))


class GenrePriorTraining(LatentGeneratorRun):
    """Trains G against a critic D(z, genre) on every genre's latents; given a ``decoder`` and
    per-genre ``targets`` (DD, NPD and ND of each genre's training windows), G also pays
    ``config.histogram_weights`` times each genre's squared distances to its own targets, and
    best.pt keeps the checkpoint whose samples sit nearest their own genre's targets."""

    description = "genre prior"
    parts = ("generator", "critic", "optimizer_g", "optimizer_d")

    def __init__(self, config: GenrePriorConfig, latents: list[np.ndarray], priors: list[tuple[np.ndarray, np.ndarray]],
                 run_dir: Path, space: str = "", decoder: Decoder | None = None,
                 targets: list[dict[str, np.ndarray]] | None = None) -> None:
        super().__init__(config, run_dir, space, decoder, targets is not None)
        self.targets = [{name: torch.as_tensor(t[name], dtype=torch.float32) for name in self.weights}
                        for t in targets or []]
        self.data = [torch.as_tensor(x, dtype=torch.float32) for x in latents]
        self.genres = len(latents)
        self.latent_size = latents[0].shape[1]
        self.generator = GenrePrior(np.stack([m for m, _ in priors]), np.stack([s for _, s in priors]),
                                    config.hidden, config.layers)
        self.critic = critic_network(self.latent_size + self.genres, config.hidden, config.layers)
        betas = (0.5, 0.9)
        self.optimizer_g = torch.optim.Adam(self.generator.parameters(), config.learning_rate, betas=betas)
        self.optimizer_d = torch.optim.Adam(self.critic.parameters(), config.learning_rate, betas=betas)
        self.reach = torch.stack([reach(x, self.generator.means[g], self.generator.stds[g])
                                  for g, x in enumerate(self.data)])

    def _radius(self, z: torch.Tensor, genre: int | torch.Tensor) -> torch.Tensor:
        return radius(z, self.generator.means[genre], self.generator.stds[genre])

    def radius_penalty(self, fake: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean squared excess of each sample's radius over the reach of its genre's real latents."""
        return excess_penalty(self._radius(fake, labels) - self.reach[labels])

    def _labels(self, count: int) -> torch.Tensor:
        return torch.arange(count) % self.genres

    def _real(self, labels: torch.Tensor) -> torch.Tensor:
        rows = [data[torch.randint(0, len(data), (int((labels == g).sum()),), generator=self.rng)]
                for g, data in enumerate(self.data)]
        return torch.cat(rows)[torch.argsort(torch.argsort(labels, stable=True))]

    def generate(self, labels: torch.Tensor) -> torch.Tensor:
        """One latent per genre index in ``labels``."""
        noise = torch.randn(len(labels), self.latent_size, generator=self.rng)
        return self.generator(noise, self._one_hot(labels))

    def _one_hot(self, labels: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(labels, self.genres).float()

    def critic_loss(self) -> torch.Tensor:
        """WGAN-GP's critic loss, with each latent judged beside its genre."""
        labels = self._labels(self.config.batch_size)
        condition = self._one_hot(labels)
        real = self._real(labels)
        with torch.no_grad():
            fake = self.generate(labels)

        def critic(z: torch.Tensor) -> torch.Tensor:
            return self.critic(torch.cat([z, condition], -1))

        return critic(fake).mean() - critic(real).mean() + \
            self.config.gradient_penalty * gradient_penalty(critic, real, fake, self.rng)

    def histogram_gaps(self, latents: list[torch.Tensor]) -> list[list[dict[str, torch.Tensor]]]:
        """Per genre g, per genre t: the squared distances between g's samples' decoded histograms
        and t's targets."""
        decoded = [decoded_histograms(straight_through_tokens(self.decoder(z))) for z in latents]
        return [[squared_gaps(histograms, target) for target in self.targets] for histograms in decoded]

    def separation(self, gaps: list[list[dict[str, torch.Tensor]]]) -> torch.Tensor:
        """Hinge on each genre's samples being ``config.margin`` nearer their own targets than any
        other genre's, per statistic: asks for what "nearer its own domain" measures."""
        def distance(gap: torch.Tensor) -> torch.Tensor:
            return (gap + 1e-8).sqrt()

        return sum(torch.relu(distance(row[g][name]) - distance(row[o][name]) + self.config.margin)
                   for g, row in enumerate(gaps) for o in range(len(row)) if o != g for name in self.weights)

    def train_step(self) -> dict[str, float]:
        loss_d = self.train_critics()
        labels = self._labels(self.config.batch_size)
        fake = self.generate(labels)
        loss_g = -self.critic(torch.cat([fake, self._one_hot(labels)], -1)).mean()
        radius = self.radius_penalty(fake, labels)
        terms = {"critic": loss_d.item(), "generator": loss_g.item(), "radius": radius.item()}
        loss_g = loss_g + self.config.radius_weight * radius
        if self.weights:
            gaps = self.histogram_gaps([fake[labels == g][: self.config.decoded_batch] for g in range(self.genres)])
            separation = self.separation(gaps)
            loss_g = loss_g + self.config.separation_weight * separation + sum(
                self.weights[name] * row[g][name] for g, row in enumerate(gaps) for name in self.weights)
            terms |= {"separation": separation.item(),
                      **{f"{name}_gap_{g}": row[g][name].item() ** 0.5 for g, row in enumerate(gaps) for name in self.weights}}
        self.optimizer_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizer_g.step()
        return terms

    def sample(self, genre: int, count: int, seed: int = 0) -> np.ndarray:
        """``count`` latents of genre index ``genre``."""
        noise = torch.randn(count, self.latent_size, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            return self.generator(noise, self._one_hot(torch.full((count,), genre))).numpy()

    def validate(self) -> dict[str, float]:
        """Each genre's decoded distances to its own targets and to the nearest other genre's, and
        how far its samples' centre moved from the Gaussian prior's mean. The score is minus the
        sum of the distances to each genre's own targets and of any overlap (own minus nearest other)."""
        out: dict[str, float] = {}
        samples = [torch.as_tensor(self.sample(g, 1024)) for g in range(self.genres)]
        for g, z in enumerate(samples):
            out[f"centre_shift_{g}"] = (z.mean(0) - self.generator.means[g]).norm().item()
            out[f"beyond_reach_{g}"] = (self._radius(z, g) > self.reach[g]).float().mean().item()
        if not (self.decoder is not None and self.weights):
            return {**out, "score": float(self.step)}
        with torch.no_grad():
            gaps = self.histogram_gaps(samples)
        for g, row in enumerate(gaps):
            for name in self.weights:
                out[f"{name}_own_{g}"] = row[g][name].item() ** 0.5
                out[f"{name}_nearest_other_{g}"] = min(row[o][name].item() ** 0.5 for o in range(self.genres) if o != g)
        own = sum(value for key, value in out.items() if "_own_" in key)
        # A genre nearer another genre's statistics than its own misses what generate is for: count it twice.
        overlap = sum(max(0.0, out[f"{name}_own_{g}"] - out[f"{name}_nearest_other_{g}"])
                      for g in range(self.genres) for name in self.weights)
        out["score"] = -own - overlap
        return out
