"""Continuation training: the mixture density p(z_R | z_L) by maximum likelihood on
consecutive latent pairs; the checkpoint with the best held-out likelihood wins."""
from __future__ import annotations

from pathlib import Path

import torch

from training.config import ContinuationConfig
from training.latent_pairs import LatentPairs
from training.loop import ResumableRun
from training.pair_models import ContinuationDensity


class ContinuationTraining(ResumableRun):
    """Fits :class:`ContinuationDensity` to (z_L, z_R) pairs."""

    description = "continuation"

    def __init__(self, config: ContinuationConfig, pairs: LatentPairs, val_pairs: LatentPairs, run_dir: Path,
                 space: str = "") -> None:
        super().__init__(run_dir, config.steps, config.eval_every, {**config.to_dict(), "encoder_sha256": space})
        torch.manual_seed(config.seed)
        self.config = config
        self.left, self.right = torch.from_numpy(pairs.left), torch.from_numpy(pairs.right)
        self.val_left, self.val_right = torch.from_numpy(val_pairs.left), torch.from_numpy(val_pairs.right)
        self.model = ContinuationDensity(pairs.left.shape[1], config.components, config.hidden, config.layers)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), config.learning_rate, weight_decay=1e-4)
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, config.steps)
        self.rng = torch.Generator().manual_seed(config.seed)

    def train_step(self) -> dict[str, float]:
        index = torch.randint(0, len(self.left), (self.config.batch_size,), generator=self.rng)
        loss = self.model.negative_log_likelihood(self.left[index], self.right[index])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
        self.optimizer.step()
        self.schedule.step()
        return {"nll": loss.item()}

    def validate(self) -> dict[str, float]:
        with torch.no_grad():
            nll = float(self.model.negative_log_likelihood(self.val_left, self.val_right))
        return {"val_nll": nll, "score": -nll}

    def state(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict(), "rng": self.rng.get_state()}

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.rng.set_state(state["rng"])
