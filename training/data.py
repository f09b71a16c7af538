"""Training batches: genre-balanced sampling, transposition augmentation, attributes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.attributes import ATTRIBUTES, measure
from engine.codec import transposition_room
from training.corpus import Corpus

_REGISTER = ATTRIBUTES.index("register")


@dataclass
class WindowSet:
    """Windows of one split as tensors, with their attributes and genres."""

    tokens: torch.Tensor
    genre: torch.Tensor
    attributes: torch.Tensor
    room_down: torch.Tensor
    room_up: torch.Tensor

    @classmethod
    def from_corpus(cls, corpus: Corpus, split: str) -> "WindowSet":
        """Collect one split of the corpus."""
        index = corpus.select(split)
        tokens = corpus.windows[index].astype(np.int64)
        down, up = transposition_room(tokens)
        return cls(
            tokens=torch.from_numpy(tokens),
            genre=torch.from_numpy(corpus.genre[index].astype(np.int64)),
            attributes=torch.from_numpy(measure(tokens).astype(np.float32)),
            room_down=torch.from_numpy(down), room_up=torch.from_numpy(up),
        )

    def __len__(self) -> int:
        return len(self.tokens)


class BatchSampler:
    """Draws batches with genres balanced by inverse square-root frequency and each window
    transposed by a random shift within +-``max_shift`` that keeps it in range."""

    def __init__(self, windows: WindowSet, batch_size: int, max_shift: int, generator: torch.Generator) -> None:
        self.windows = windows
        self.batch_size = batch_size
        self.max_shift = max_shift
        self.generator = generator
        counts = torch.bincount(windows.genre).float()
        self.weights = (1.0 / counts.sqrt())[windows.genre]

    def sample(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(tokens, genre, attributes) of one augmented batch."""
        w = self.windows
        index = torch.multinomial(self.weights, self.batch_size, replacement=True, generator=self.generator)
        low = torch.clamp(w.room_down[index], min=-self.max_shift)
        high = torch.clamp(w.room_up[index], max=self.max_shift)
        shift = low + (torch.rand(self.batch_size, generator=self.generator) * (high - low + 1)).long().clamp(max=high - low)
        tokens = w.tokens[index]
        tokens = torch.where(tokens >= 2, tokens + shift[:, None], tokens)
        attributes = w.attributes[index].clone()
        attributes[:, _REGISTER] += shift.float()
        return tokens, w.genre[index], attributes
