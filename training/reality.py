"""The "reality" classifier of Connective Fusion §3.4: real consecutive 8-bar phrases
against shuffled ones. An evaluation model: trained on the split reserved for evaluation
models (a second copy, trained on the training split, drives the Latent Perturb baseline)."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.codec import N_TOKENS, PITCH_MIN, PITCH_OFFSET, STEPS_PER_BEAT, WINDOW_STEPS
from training.config import RealityConfig
from training.corpus import Corpus
from training.latent_pairs import joint_shifts, token_pairs, transpose
from training.loop import ResumableRun
from training.models import ResidualBlock


@functools.cache
def _pitch_class_matrix() -> torch.Tensor:
    """(N_TOKENS, 12): which pitch class each token starts (rests and holds start none)."""
    matrix = torch.zeros(N_TOKENS, 12)
    for token in range(PITCH_OFFSET, N_TOKENS):
        matrix[token, (PITCH_MIN + token - PITCH_OFFSET) % 12] = 1.0
    return matrix


@functools.cache
def _rotations() -> torch.Tensor:
    """(12, 12) with entry [j, k] = (j + k) % 12."""
    return (torch.arange(12)[:, None] + torch.arange(12)[None, :]) % 12


def key_agreement(one_hot: torch.Tensor) -> torch.Tensor:
    """(B, 128, classes) -> (B, 12): circular cross-correlation of the two halves' onset
    pitch-class histograms. Entry k is how well the right half fits the left one moved up k
    semitones, so it hears whether both halves sit in one key and is unchanged by
    transposing the whole phrase."""
    histograms = one_hot @ _pitch_class_matrix().to(one_hot)
    left, right = (half.sum(1) for half in histograms.split(WINDOW_STEPS, dim=1))
    left, right = (h / h.sum(-1, keepdim=True).clamp_min(1.0) for h in (left, right))
    # right[..., (j + k) % 12] as one gather, so the exported graph has two ops where twelve rolls made dozens
    return (left.unsqueeze(-2) @ right[..., _rotations()]).squeeze(-2)


class RealityClassifier(nn.Module):
    """Tokens (B, 128) -> logit that the phrase is two consecutive windows of one tune.

    With ``hears_key`` the head also gets :func:`key_agreement`: the convolution sees
    absolute pitches, and on a few thousand tunes it barely learns that two halves in
    different keys do not belong together."""

    def __init__(self, channels: int = 96, dropout: float = 0.0, hears_key: bool = False) -> None:
        super().__init__()
        self.embed = nn.Embedding(N_TOKENS, 32)
        layers: list[nn.Module] = [nn.Conv1d(32, channels, 3, padding=1)]
        for _ in range(4):  # 128 -> 8 steps, so each output sees both halves
            layers += [ResidualBlock(channels), nn.Conv1d(channels, channels, 4, stride=2, padding=1)]
        self.body = nn.Sequential(*layers, ResidualBlock(channels), nn.GELU())
        features = channels * (2 * WINDOW_STEPS >> 4)
        self.key = nn.Sequential(nn.Linear(12, channels), nn.GELU()) if hears_key else None
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(features + (channels if hears_key else 0), 1))
        self.planar = False  # set by models.to_planar for export: the body then runs on (B, C, 1, steps)

    def forward(self, phrases: torch.Tensor) -> torch.Tensor:
        """Logits for token ids (B, 128), or for token distributions (B, 128, classes), which
        lets a generator be trained through the classifier."""
        one_hot = phrases if phrases.is_floating_point() else F.one_hot(phrases, N_TOKENS).float()
        embedded = (one_hot @ self.embed.weight).transpose(1, 2)
        features = self.body(embedded.unsqueeze(2) if self.planar else embedded).flatten(1)
        if self.key is not None:
            features = torch.cat([features, self.key(key_agreement(one_hot))], dim=1)
        return self.head(features).squeeze(-1)


class TransformerRealityClassifier(nn.Module):
    """The paper's classifier: a small transformer encoder, here over beats (each beat's four
    token embeddings joined by a strided convolution, so attention spans 32 positions, not
    128), with learned positions, mean-pooled. Same inputs as :class:`RealityClassifier`."""

    def __init__(self, channels: int = 128, dropout: float = 0.1, layers: int = 2, heads: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(N_TOKENS, channels)
        self.beats = nn.Conv1d(channels, channels, STEPS_PER_BEAT, stride=STEPS_PER_BEAT)
        self.position = nn.Parameter(torch.randn(2 * WINDOW_STEPS // STEPS_PER_BEAT, channels) * 0.02)
        layer = nn.TransformerEncoderLayer(channels, heads, 4 * channels, dropout, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.body = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(channels), nn.Dropout(dropout), nn.Linear(channels, 1))

    def forward(self, phrases: torch.Tensor) -> torch.Tensor:
        embedded = phrases @ self.embed.weight if phrases.is_floating_point() else self.embed(phrases)
        beats = self.beats(embedded.transpose(1, 2)).transpose(1, 2)
        return self.head(self.body(beats + self.position).mean(1)).squeeze(-1)


Classifier = RealityClassifier | TransformerRealityClassifier


def build_classifier(architecture: str, channels: int, dropout: float) -> Classifier:
    """A fresh reality classifier of one of :data:`training.config.REALITY_ARCHITECTURES`."""
    if architecture == "transformer":
        return TransformerRealityClassifier(channels, dropout)
    return RealityClassifier(channels, dropout, hears_key=architecture == "conv-key")


def reality(model: Classifier, phrases: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Probability of being real for each (N, 128) phrase."""
    model.eval()
    with torch.no_grad():
        parts = [torch.sigmoid(model(torch.from_numpy(phrases[i : i + batch].astype(np.int64))))
                 for i in range(0, len(phrases), batch)]
    return torch.cat(parts).numpy() if parts else np.zeros(0)


class PhraseSampler:
    """Balanced batches of real pairs (label 1) and shuffled pairs (label 0) of one split,
    each phrase jointly transposed."""

    def __init__(self, corpus: Corpus, split: str, rng: np.random.Generator) -> None:
        self.left, self.right = token_pairs(corpus, split)
        self.rng = rng

    def sample(self, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(phrases (count, 128), labels) with half of each class."""
        half = count // 2
        real = self.rng.integers(0, len(self.left), half)
        left = np.concatenate([self.left[real], self.left[self.rng.integers(0, len(self.left), count - half)]])
        right = np.concatenate([self.right[real], self.right[self.rng.integers(0, len(self.right), count - half)]])
        shifts = joint_shifts(left, right, 2, self.rng)[1]
        phrases = np.concatenate([transpose(left, shifts), transpose(right, shifts)], axis=1)
        labels = np.concatenate([np.ones(half), np.zeros(count - half)]).astype(np.float32)
        return phrases, labels


class RealityTraining(ResumableRun):
    """Trains a :class:`RealityClassifier` on one split, validated on another."""

    description = "reality"

    def __init__(self, config: RealityConfig, corpus: Corpus, split: str, val_split: str, run_dir: Path) -> None:
        super().__init__(run_dir, config.steps, config.eval_every, {**config.to_dict(), "split": split})
        torch.manual_seed(config.seed)
        self.config = config
        self.sampler = PhraseSampler(corpus, split, np.random.default_rng(config.seed))
        self.val_phrases, self.val_labels = PhraseSampler(corpus, val_split, np.random.default_rng(1)).sample(4096)
        self.model = build_classifier(config.architecture, config.channels, config.dropout)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), config.learning_rate,
                                           weight_decay=config.weight_decay)
        self.schedule = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, config.steps)

    def train_step(self) -> dict[str, float]:
        self.model.train()
        phrases, labels = self.sampler.sample(self.config.batch_size)
        loss = F.binary_cross_entropy_with_logits(self.model(torch.from_numpy(phrases)), torch.from_numpy(labels))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.schedule.step()
        return {"loss": loss.item()}

    def validate(self) -> dict[str, float]:
        probability = reality(self.model, self.val_phrases)
        accuracy = float(((probability > 0.5) == (self.val_labels > 0.5)).mean())
        return {"val_accuracy": accuracy, "val_real_reality": float(probability[self.val_labels > 0.5].mean()),
                "score": accuracy}

    def state(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "schedule": self.schedule.state_dict(), "rng": self.sampler.rng.bit_generator.state}

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.sampler.rng.bit_generator.state = state["rng"]
