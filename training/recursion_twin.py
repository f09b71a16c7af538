"""A narrower encoder and decoder taught to copy the bundle's own, for ``refine``'s recursion.

``refine`` chains up to 8 encode–decode steps, each waiting on the last, so its latency is the
model's step times eight. A VAE of half the width steps about twice as fast, but one trained on
its own has its own latent space and its own fixed points. The twin instead learns the bundle's:
its encoder regresses the bundle encoder's posterior means (error measured in posterior standard
deviations), and its decoder learns to play the bundle decoder's greedy tokens at those latents.
Both see what the recursion sees: training windows, and what the bundle's decoder plays near
their latents (the inputs of every step after the first). The run keeps the checkpoint whose
recursion step plays the bundle's step's token most often on validation windows.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

from engine.bundle import load_bundle
from training.config import ModelConfig, RecursionTwinConfig, TrainConfig
from training.corpus import Corpus
from training.data import BatchSampler, WindowSet
from training.export import torch_model_from_bundle
from training.loop import ResumableRun
from training.models import MelodyVAE

VALIDATION_WINDOWS = 1024
MAX_NOISE = 0.5  # posterior standard deviations: about where the recursion's own encoder errors reach


def recursion_step(model: MelodyVAE, tokens: torch.Tensor) -> torch.Tensor:
    """One step of Compress to Create's recursion in PyTorch: the greedy decoding of the posterior means."""
    with torch.no_grad():
        return model.decode(model.encoder(tokens)[0]).argmax(-1)


class RecursionTwinTraining(ResumableRun):
    """Distils a bundle's encoder and decoder into a model of ``channels`` widths (see the module)."""

    description = "recursion twin"

    def __init__(self, settings: RecursionTwinConfig, bundle_dir: Path, corpus: Corpus, run_dir: Path) -> None:
        manifest = load_bundle(bundle_dir).manifest
        teacher_config = TrainConfig.from_dict(manifest["training"]["config"])
        config = ModelConfig.from_dict({**teacher_config.model.to_dict(), "channels": list(settings.channels)})
        super().__init__(run_dir, settings.steps, 500,
                         {**settings.to_dict(), "teacher_encoder": manifest["files"]["encoder"]["sha256"],
                          "teacher_decoder": manifest["files"]["decoder"]["sha256"]})
        torch.manual_seed(settings.seed)
        self.teacher = torch_model_from_bundle(bundle_dir).requires_grad_(False)
        self.student = MelodyVAE(config)
        if settings.start:  # a VAE of the same widths: its features, not its latent space, carry over
            start = torch.load(settings.start, weights_only=False)
            if "model" not in start or TrainConfig.from_dict(start["train_config"]).model != config:
                raise SystemExit(f"--start: {settings.start} is not a VAE checkpoint with the twin's settings "
                                 f"(channels {list(settings.channels)}); train one with `python -m training train "
                                 f"--channels {','.join(map(str, settings.channels))}`")
            self.student.load_state_dict(start["model"])
        self.config = config
        self.generator = torch.Generator().manual_seed(settings.seed)
        self.sampler = BatchSampler(WindowSet.from_corpus(corpus, "train"), teacher_config.batch_size,
                                    teacher_config.max_shift, self.generator)
        val = WindowSet.from_corpus(corpus, "val").tokens
        self.val_tokens = val[torch.randperm(len(val), generator=torch.Generator().manual_seed(1))[:VALIDATION_WINDOWS]]
        self.val_steps = recursion_step(self.teacher, self.val_tokens)
        self.optimizer = torch.optim.AdamW(self.student.parameters(), settings.learning_rate, weight_decay=1e-4)
        warmup = max(1, settings.steps // 20)
        self.schedule = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda step: min(
            (step + 1) / warmup, 0.02 + 0.49 * (1 + math.cos(math.pi * min(1.0, step / settings.steps)))))

    def train_step(self) -> dict[str, float]:
        """Match the teacher's means on windows and on what it plays, and its tokens near its means."""
        tokens = self.sampler.sample()[0]
        with torch.no_grad():
            mean, logvar = self.teacher.encoder(tokens)
            spread = torch.exp(0.5 * logvar)
            noise = MAX_NOISE * torch.rand(len(tokens), 1, generator=self.generator)
            z = mean + noise * spread * torch.randn(mean.shape, generator=self.generator)
            played = self.teacher.decode(z).argmax(-1)
            played_mean, played_logvar = self.teacher.encoder(played)
        self.student.train()
        inputs = torch.cat([tokens, played])
        targets = torch.cat([mean, played_mean])
        spreads = torch.cat([spread, torch.exp(0.5 * played_logvar)])
        encoder_error = (((self.student.encoder(inputs)[0] - targets) / spreads) ** 2).mean()
        logits = self.student.decode(z)
        decoder_error = F.cross_entropy(logits.transpose(1, 2), played)
        self.optimizer.zero_grad(set_to_none=True)
        (encoder_error + decoder_error).backward()
        torch.nn.utils.clip_grad_norm_(self.student.parameters(), 5.0)
        self.optimizer.step()
        self.schedule.step()
        return {"encoder_error": encoder_error.item(), "decoder_error": decoder_error.item()}

    def validate(self) -> dict[str, float]:
        """How often the twin's recursion step plays the teacher's step's token (the score)."""
        self.student.eval()
        agreement = float((recursion_step(self.student, self.val_tokens) == self.val_steps).float().mean())
        return {"score": agreement, "step_agreement": agreement}

    def state(self) -> dict:
        return {"student": self.student.state_dict(), "optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict(), "generator": self.generator.get_state(),
                "model_config": self.config.to_dict()}

    def restore(self, state: dict) -> None:
        self.student.load_state_dict(state["student"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.generator.set_state(state["generator"])


def train_recursion_twin(settings: RecursionTwinConfig, bundle_dir: Path, corpus: Corpus, run_dir: Path,
                         max_minutes: float | None) -> None:
    """Train (or resume) a recursion twin of the bundle in ``run_dir``."""
    RecursionTwinTraining(settings, bundle_dir, corpus, run_dir).run(max_minutes)


def twin_from_checkpoint(path: Path) -> MelodyVAE:
    """The twin model (eval mode) of a run's checkpoint."""
    saved = torch.load(path, weights_only=False)
    state = saved.get("state") if isinstance(saved, dict) else None
    if not isinstance(state, dict) or "student" not in state:
        raise SystemExit(f"{path} is not a recursion-twin checkpoint (python -m training recursion-twin)")
    model = MelodyVAE(ModelConfig.from_dict(state["model_config"]))
    model.load_state_dict(state["student"])
    return model.eval()
