"""Continuation training on consecutive latent pairs: the conditional flow by flow matching,
or the mixture density by maximum likelihood; the checkpoint with the best held-out loss wins.

With a reality weight (mixture only), continuations sampled at temperature 1 are also decoded and judged by
the training-split reality classifier (as the fusion generator's guidance is), because
likelihood alone spends density on latents the decoder plays as unconvincing phrases."""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from training.config import ContinuationConfig
from training.latent_pairs import LatentPairs
from training.loop import ResumableRun
from training.pair_models import ContinuationDensity, ContinuationFlow
from training.reality_guide import RealityGuide


def continuation_model(config: ContinuationConfig, latent_size: int) -> ContinuationDensity | ContinuationFlow:
    """A fresh continuation model of the configured kind."""
    if config.kind == "flow":
        return ContinuationFlow(latent_size, config.hidden, config.layers, config.dropout, config.flow_steps,
                                config.condition_dropout)
    if config.kind == "mixture":
        return ContinuationDensity(latent_size, config.components, config.hidden, config.layers)
    raise ValueError(f"unknown continuation kind {config.kind!r}")


class ContinuationTraining(ResumableRun):
    """Fits a continuation model (:func:`continuation_model`) to (z_L, z_R) pairs."""

    description = "continuation"

    def __init__(self, config: ContinuationConfig, pairs: LatentPairs, val_pairs: LatentPairs, run_dir: Path,
                 space: str = "", guide: RealityGuide | None = None) -> None:
        super().__init__(run_dir, config.steps, config.eval_every, {**config.to_dict(), "encoder_sha256": space})
        torch.manual_seed(config.seed)
        self.config = config
        self.left, self.right = torch.from_numpy(pairs.left), torch.from_numpy(pairs.right)
        self.val_left, self.val_right = torch.from_numpy(val_pairs.left), torch.from_numpy(val_pairs.right)
        self.model = continuation_model(config, pairs.left.shape[1])
        if isinstance(self.model, ContinuationFlow):
            self.model.standardise_like(self.right)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), config.learning_rate, weight_decay=1e-4)
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, config.steps)
        self.rng = torch.Generator().manual_seed(config.seed)
        if config.reality_weight > 0 and (guide is None or config.kind != "mixture"):
            raise ValueError("reality_weight > 0 needs a reality guide and the mixture kind")
        self.guide = guide if config.reality_weight > 0 else None

    def sample(self, left: torch.Tensor) -> torch.Tensor:
        """One continuation per row at temperature 1, differentiable in the chosen component's
        mean and spread (the component itself is drawn from the weights)."""
        log_weights, means, log_std = self.model(left)
        component = torch.multinomial(log_weights.detach().exp(), 1, generator=self.rng).squeeze(1)
        rows = torch.arange(len(left))
        noise = torch.randn(means.shape[0], means.shape[2], generator=self.rng)
        return means[rows, component] + torch.exp(log_std[rows, component]) * noise

    def realness(self, left: torch.Tensor) -> torch.Tensor:
        """The guide's logits for (left, sampled continuation)."""
        return self.guide(left, self.sample(left))

    def loss(self, left: torch.Tensor, right: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The kind's training loss: flow matching, or the mixture's negative log-likelihood."""
        if isinstance(self.model, ContinuationFlow):
            return self.model.flow_matching_loss(left, right, generator)
        return self.model.negative_log_likelihood(left, right)

    def train_step(self) -> dict[str, float]:
        self.model.train()
        index = torch.randint(0, len(self.left), (self.config.batch_size,), generator=self.rng)
        fit = self.loss(self.left[index], self.right[index], self.rng)
        guided = torch.zeros(())
        if self.guide is not None:
            realness = self.realness(self.left[index[:self.config.guided_batch]])
            guided = F.binary_cross_entropy_with_logits(realness, torch.ones_like(realness))
        loss = fit + self.config.reality_weight * guided
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
        self.optimizer.step()
        self.schedule.step()
        return {"loss": fit.item(), "guided": guided.item()}

    def validate(self) -> dict[str, float]:
        self.model.eval()
        with torch.no_grad():  # the same noise and times at every validation, so scores compare
            fit = float(self.loss(self.val_left, self.val_right, torch.Generator().manual_seed(1)))
            guided = {} if self.guide is None else {
                "guide_sampled": float(torch.sigmoid(self.realness(self.val_left[:512])).mean())}
        return {"val_loss": fit, **guided, "score": -fit}

    def state(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict(), "rng": self.rng.get_state()}

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.rng.set_state(state["rng"])
