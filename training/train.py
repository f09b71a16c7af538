"""Training loop for the melody VAE: progress bar, JSONL log, resumable checkpoints."""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch
from tqdm import tqdm

from engine.attributes import ATTRIBUTES
from training import losses
from training.corpus import Corpus
from training.data import BatchSampler, WindowSet
from training.config import TrainConfig
from training.models import MelodyVAE


FADER_INDEX = list(range(len(ATTRIBUTES)))  # the first latent dimensions are the faders


def reconstruction_accuracy(model: MelodyVAE, tokens: torch.Tensor, batch: int = 1024) -> float:
    """Greedy token accuracy from the posterior mean."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(tokens), batch):
            chunk = tokens[start : start + batch]
            mean, _ = model.encoder(chunk)
            correct += (model.decode(mean).argmax(-1) == chunk).sum().item()
    model.train()
    return correct / tokens.numel()


class Trainer:
    """Owns the model, optimiser, sampler and checkpoint of one run directory."""

    def __init__(self, config: TrainConfig, corpus: Corpus, run_dir: Path) -> None:
        if config.swap_reach < 0:
            raise SystemExit(f"--swap-reach must be 0 (off) or more, got {config.swap_reach}")
        torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)
        self.config = config
        self.run_dir = run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        self.train_set = WindowSet.from_corpus(corpus, "train")
        val = WindowSet.from_corpus(corpus, "val")
        self.val_tokens = val.tokens[torch.randperm(len(val), generator=torch.Generator().manual_seed(1))[:2048]]
        self.attribute_mean = self.train_set.attributes.mean(0)
        self.attribute_std = self.train_set.attributes.std(0)
        self.fader_line = losses.fader_line(self.train_set.attributes)
        self.swap_weights = torch.tensor(config.swap_attribute_weights, dtype=torch.float32)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.sampler = BatchSampler(self.train_set, config.batch_size, config.max_shift, self.generator)
        self.model = MelodyVAE(config.model)
        trained = self.model.parameters()
        if config.finetune_decoder:
            if not Path(config.finetune_decoder).is_file():
                raise SystemExit(f"--finetune-decoder: no checkpoint at {config.finetune_decoder}")
            start = torch.load(config.finetune_decoder, weights_only=False)
            if TrainConfig.from_dict(start["train_config"]).model != config.model:
                raise SystemExit(f"{config.finetune_decoder} has another architecture than this run")
            self.model.load_state_dict(start["model"])
            self.model.encoder.requires_grad_(False)
            self.model.prior_means.requires_grad_(False)
            trained = self.model.decoder.parameters()
        self.optimizer = torch.optim.AdamW(trained, lr=config.learning_rate, weight_decay=1e-4)
        self.step = 0
        self.seconds = 0.0
        self.best_accuracy = -1.0
        self._load(run_dir / "last.pt")

    def _load(self, path: Path) -> None:
        if not path.exists():
            return
        state = torch.load(path, weights_only=False)
        if TrainConfig.from_dict(state["train_config"]) != self.config:
            raise SystemExit(f"{path} was trained with other settings; use another --run or --fresh")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        self.step, self.seconds, self.best_accuracy = state["step"], state["seconds"], state["best_accuracy"]
        print(f"resumed {path} at step {self.step}")

    def _save(self, name: str) -> None:
        state = {
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
            "generator": self.generator.get_state(), "torch_rng": torch.get_rng_state(),
            "step": self.step, "seconds": self.seconds, "best_accuracy": self.best_accuracy,
            "train_config": self.config.to_dict(),
            "attribute_mean": self.attribute_mean, "attribute_std": self.attribute_std,
        }
        temporary = self.run_dir / f".{name}.tmp"
        torch.save(state, temporary)
        temporary.replace(self.run_dir / name)

    def _learning_rate(self) -> float:
        warmup = self.config.lr_warmup
        if self.step < warmup:
            return self.config.learning_rate * (self.step + 1) / warmup
        progress = (self.step - warmup) / max(1, self.config.steps - warmup)
        return self.config.learning_rate * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))

    def _train_mode(self) -> None:
        self.model.train()
        if self.config.finetune_decoder:  # a frozen encoder keeps its running statistics, so z stays put
            self.model.encoder.eval()

    def train_step(self) -> dict[str, float]:
        """One optimisation step; returns the loss terms."""
        c = self.config
        self._train_mode()
        tokens, genre, attributes = self.sampler.sample()
        with torch.set_grad_enabled(not c.finetune_decoder):
            mean, logvar = self.model.encoder(tokens)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
        if c.swaps:  # one pass for real and swapped latents: see losses.swap_error
            swapped, target = losses.swap_faders(z, attributes, FADER_INDEX, c.swap_reach, self.fader_line)
            logits, swap_logits = self.model.decode(torch.cat([z, swapped])).split(len(z))
        else:
            logits = self.model.decode(z, tokens)
        beta = c.beta * min(1.0, self.step / max(1, c.beta_warmup))
        terms = {
            "reconstruction": losses.reconstruction(logits, tokens),
            "kl": losses.kl_to_prior(mean, logvar, self.model.prior_means[genre]),
        }
        standard = (attributes - self.attribute_mean) / self.attribute_std
        terms["regularisation"] = sum(
            losses.attribute_regularisation(mean[:, i], attributes[:, i], c.delta) for i in FADER_INDEX
        )
        if c.anchor_clip is not None:  # keeps rare extreme windows from stretching the fader's latent range
            standard = standard.clamp(-c.anchor_clip, c.anchor_clip)
        terms["anchor"] = ((mean[:, FADER_INDEX] - standard) ** 2).mean()
        total = terms["reconstruction"] + beta * terms["kl"] + c.regularisation_weight * terms["regularisation"]
        total = total + c.anchor_weight * terms["anchor"]
        if c.swaps:
            terms["swap"] = losses.swap_error(swap_logits, target, self.attribute_std, self.swap_weights,
                                              c.swap_straight_through, c.swap_temperature)
            total = total + c.swap_weight * terms["swap"]
        for group in self.optimizer.param_groups:
            group["lr"] = self._learning_rate()
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
        self.optimizer.step()
        self.step += 1
        return {name: float(value.detach()) if torch.is_tensor(value) else float(value) for name, value in terms.items()} | {"beta": beta}

    def run(self, max_minutes: float | None = None) -> None:
        """Train to ``config.steps`` (or until ``max_minutes``), checkpointing as it goes."""
        log = (self.run_dir / "log.jsonl").open("a")
        started = time.monotonic() - self.seconds
        progress = tqdm(total=self.config.steps, initial=self.step, desc="training", mininterval=5)
        while self.step < self.config.steps:
            terms = self.train_step()
            self.seconds = time.monotonic() - started
            progress.update(1)
            if self.step % self.config.eval_every == 0 or self.step == self.config.steps:
                terms["val_accuracy"] = reconstruction_accuracy(self.model, self.val_tokens)
                if terms["val_accuracy"] > self.best_accuracy:
                    self.best_accuracy = terms["val_accuracy"]
                    self._save("best.pt")
                progress.set_postfix(acc=f"{terms['val_accuracy']:.3f}", rec=f"{terms['reconstruction']:.2f}")
            if self.step % 50 == 0 or "val_accuracy" in terms:
                log.write(json.dumps({"step": self.step, "seconds": round(self.seconds, 1), **terms}) + "\n")
                log.flush()
            if self.step % self.config.checkpoint_every == 0 or self.step == self.config.steps:
                self._save("last.pt")
            if max_minutes is not None and self.seconds > max_minutes * 60:
                self._save("last.pt")
                break
        progress.close()
