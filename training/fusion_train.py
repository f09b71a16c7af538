"""Connective Fusion training (paper §2.5): the generator against a pair discriminator
whose fake class holds the paper's four negatives (Eq. 3), plus the similarity loss (Eq. 7)
weighted by lambda, all in the shipped VAE's latent space."""
from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F

from training.config import FusionConfig
from training.key_matching import FusionInputs
from training.latent_pairs import LatentPairs
from training.loop import ResumableRun
from training.pair_models import STYLE_SIZE, FusionGenerator, PairDiscriminator
from training.reality_guide import RealityGuide


class PriorSampler:
    """Draws latents from the bundle's genre mixture (each draw picks a genre uniformly)."""

    def __init__(self, means: np.ndarray, stds: np.ndarray) -> None:
        self.means = torch.as_tensor(means, dtype=torch.float32)
        self.stds = torch.as_tensor(stds, dtype=torch.float32)

    def sample(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """``count`` latents."""
        genre = torch.randint(0, len(self.means), (count,), generator=generator)
        noise = torch.randn(count, self.means.shape[1], generator=generator)
        return self.means[genre] + self.stds[genre] * noise


Array = TypeVar("Array", np.ndarray, torch.Tensor)


def z_distance(new: Array, old: Array, inverse_variance: Array) -> Array:
    """Connective Fusion's scaled squared Mahalanobis distance, per row (numpy or torch)."""
    return ((new - old) ** 2 * inverse_variance).mean(-1)


def similarity_loss(new: torch.Tensor, old: torch.Tensor, inverse_variance: torch.Tensor) -> torch.Tensor:
    """Eq. 7 for one side, per row: (1/d) || log(1 + (z' - z)^2) / sigma_bar^2 ||_1."""
    return (torch.log1p((new - old) ** 2) * inverse_variance).mean(-1)


class FusionTraining(ResumableRun):
    """Trains G and D; the last checkpoint is the one exported (GAN losses do not rank
    checkpoints, so ``score`` is the step). With ``config.reality_weight`` > 0, G also
    answers to ``guide`` (see :mod:`training.reality_guide`). Given ``in_one_key`` (shuffled and
    prior pairs already put into one key, as the engine fuses them), G's unrelated inputs come
    from there, and the guide judges each fused side held in its input's key."""

    description = "fusion"

    def __init__(self, config: FusionConfig, pairs: LatentPairs, val_pairs: LatentPairs, prior: PriorSampler,
                 latent_std: np.ndarray, run_dir: Path, space: str = "", guide: RealityGuide | None = None,
                 in_one_key: tuple[FusionInputs, FusionInputs] | None = None) -> None:
        super().__init__(run_dir, config.steps, config.eval_every, {**config.to_dict(), "encoder_sha256": space})
        torch.manual_seed(config.seed)
        self.config = config
        self.pairs = {name: torch.from_numpy(getattr(pairs, name)) for name in ("left", "right", "singles")}
        self.val = {name: torch.from_numpy(getattr(val_pairs, name)) for name in ("left", "right", "singles")}
        self.prior = prior
        self.in_one_key = in_one_key
        if config.reality_weight > 0 and guide is None:
            raise ValueError("reality_weight > 0 needs a reality guide")
        self.guide = guide if config.reality_weight > 0 else None
        self.inverse_variance = torch.as_tensor(1.0 / np.square(latent_std), dtype=torch.float32)
        self.latent_std = torch.as_tensor(latent_std, dtype=torch.float32)
        size = pairs.left.shape[1]
        self.generator_net = FusionGenerator(size, config.hidden, config.layers, config.conditioned)
        self.discriminator = PairDiscriminator(size, config.hidden, config.layers)
        betas = (0.5, 0.9)
        self.optimizer_g = torch.optim.Adam(self.generator_net.parameters(), config.learning_rate, betas=betas)
        self.optimizer_d = torch.optim.Adam(self.discriminator.parameters(), config.learning_rate, betas=betas)
        self.rng = torch.Generator().manual_seed(config.seed)
        if config.start_from:
            if not Path(config.start_from).is_file():
                raise SystemExit(f"no checkpoint at {config.start_from} to start from")
            weights = torch.load(config.start_from, weights_only=False)["state"]
            self.generator_net.load_state_dict(weights["generator"])
            self.discriminator.load_state_dict(weights["discriminator"])

    # -- sampling ----------------------------------------------------------------------
    def _rows(self, data: dict, name: str, count: int) -> torch.Tensor:
        return data[name][torch.randint(0, len(data[name]), (count,), generator=self.rng)]

    def _real(self, data: dict, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.randint(0, len(data["left"]), (count,), generator=self.rng)
        return data["left"][index], data["right"][index]

    def _shuffled(self, data: dict, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self._rows(data, "singles", count), self._rows(data, "singles", count)

    def _from_prior(self, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.prior.sample(count, self.rng), self.prior.sample(count, self.rng)

    @staticmethod
    def _keyed(inputs: FusionInputs, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, tuple]:
        rows = index.numpy()
        return (torch.from_numpy(inputs.left[rows]), torch.from_numpy(inputs.right[rows]),
                (inputs.keys[0][rows], inputs.keys[1][rows]))

    def _unrelated(self, count: int) -> list[tuple[torch.Tensor, torch.Tensor, tuple | None]]:
        """G's inputs, shuffled windows and prior draws, each with the keys its sides are held
        to (None when the run is not key-matched)."""
        if self.in_one_key is None:
            return [(*self._shuffled(self.pairs, count), None), (*self._from_prior(count), None)]
        return [self._keyed(inputs, torch.randint(0, len(inputs.left), (count,), generator=self.rng))
                for inputs in self.in_one_key]

    def _conditions(self, count: int) -> tuple[torch.Tensor, torch.Tensor]:
        style = torch.rand(count, STYLE_SIZE, generator=self.rng)
        low, high = np.log(self.config.similarity[0]), np.log(self.config.similarity[1])
        strength = torch.exp(low + (high - low) * torch.rand(count, 1, generator=self.rng))
        return style, strength

    def _iterated(self, left: torch.Tensor, right: torch.Tensor, style: torch.Tensor,
                  strength: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each row already fused 0..``config.iterated`` times with its own conditions, so G
        also learns from the pairs it meets when a musician asks for several iterations."""
        if not self.config.iterated:  # draws nothing, so runs without it keep their random stream
            return left, right
        depth = torch.randint(0, self.config.iterated + 1, (len(left),), generator=self.rng)[:, None]
        with torch.no_grad():
            for level in range(1, self.config.iterated + 1):
                new_left, new_right = self.generator_net(left, right, style, strength)
                left, right = torch.where(depth >= level, new_left, left), torch.where(depth >= level, new_right, right)
        return left, right

    def _fused(self, left: torch.Tensor, right: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        style, strength = self._conditions(len(left))
        left, right = self._iterated(left, right, style, strength)
        new_left, new_right = self.generator_net(left, right, style, strength)
        similarity = similarity_loss(new_left, left, self.inverse_variance) + similarity_loss(
            new_right, right, self.inverse_variance)
        return new_left, new_right, (strength.squeeze(-1) * similarity).mean()

    def _judge(self, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        """D's logits for pairs seen through the encoder's own noise: differences smaller than
        a posterior standard deviation do not change the melody, so D may not use them."""
        scale = self.config.instance_noise * self.latent_std
        noise = [torch.randn(left.shape, generator=self.rng) * scale for _ in range(2)]
        return self.discriminator(left + noise[0], right + noise[1])

    # -- optimisation ------------------------------------------------------------------
    def train_step(self) -> dict[str, float]:
        batch = self.config.batch_size
        for _ in range(self.config.discriminator_steps):
            real = self._judge(*self._real(self.pairs, batch))
            inputs = [(left, right) for left, right, _ in self._unrelated(batch)]
            with torch.no_grad():
                fused = [self._fused(*pair)[:2] for pair in inputs]
            fakes = torch.cat([self._judge(*pair) for pair in inputs + fused])
            # Eq. 4: the real term plus the sum (not the mean) of the four fake classes' terms.
            loss_d = F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + \
                len(inputs + fused) * F.binary_cross_entropy_with_logits(fakes, torch.zeros_like(fakes))
            self.optimizer_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.optimizer_d.step()
        adversarial, similarity, guided = 0.0, 0.0, torch.zeros(())
        for left, right, keys in self._unrelated(batch):
            new_left, new_right, weighted_similarity = self._fused(left, right)
            logits = self._judge(new_left, new_right)
            adversarial = adversarial + F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
            similarity = similarity + weighted_similarity
            if self.guide is not None:
                realness = self.guide(new_left, new_right, keys)
                guided = guided + F.binary_cross_entropy_with_logits(realness, torch.ones_like(realness))
        loss_g = adversarial + similarity + self.config.reality_weight * guided
        self.optimizer_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.optimizer_g.step()
        return {"discriminator": loss_d.item(), "adversarial": adversarial.item(), "similarity": similarity.item(),
                "guided": guided.item()}

    def validate(self) -> dict[str, float]:
        """On held-out pairs: how sure D is of real and shuffled pairs, and of fused ones at
        lambda = 1 (with its z-distance)."""
        count = min(2048, len(self.val["left"]))
        with torch.no_grad():
            real = torch.sigmoid(self.discriminator(*self._real(self.val, count))).mean()
            left, right = self._shuffled(self.val, count)
            shuffled = torch.sigmoid(self.discriminator(left, right)).mean()
            style = torch.rand(count, STYLE_SIZE, generator=self.rng)
            new_left, new_right = self.generator_net(left, right, style, torch.ones(count, 1))
            fused = torch.sigmoid(self.discriminator(new_left, new_right)).mean()
            distance = 0.5 * (z_distance(new_left, left, self.inverse_variance)
                              + z_distance(new_right, right, self.inverse_variance)).mean()
            guided = {} if self.guide is None else {
                "guide_fused": float(torch.sigmoid(self.guide(new_left, new_right)).mean())}
        return {"d_real": float(real), "d_shuffled": float(shuffled), "d_fused": float(fused),
                "z_distance": float(distance), **guided, "score": float(self.step)}

    def state(self) -> dict:
        return {"generator": self.generator_net.state_dict(), "discriminator": self.discriminator.state_dict(),
                "optimizer_g": self.optimizer_g.state_dict(), "optimizer_d": self.optimizer_d.state_dict(),
                "rng": self.rng.get_state()}

    def restore(self, state: dict) -> None:
        self.generator_net.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.optimizer_g.load_state_dict(state["optimizer_g"])
        self.optimizer_d.load_state_dict(state["optimizer_d"])
        self.rng.set_state(state["rng"])
