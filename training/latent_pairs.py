"""Latent pairs for Connective Fusion and continuation: consecutive 4-bar windows of one
split, jointly transposed, encoded by the shipped bundle's encoder (so the pair models
live in exactly the latent space that ships)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.codec import PITCH_OFFSET, transposition_room
from training.corpus import Corpus
from training.evaluate import Backend, encode_means

MAX_SHIFT = 6


@dataclass
class LatentPairs:
    """Posterior means of consecutive windows (``left`` then ``right``) and of single windows."""

    left: np.ndarray
    right: np.ndarray
    singles: np.ndarray

    def __len__(self) -> int:
        return len(self.left)


def joint_shifts(left: np.ndarray, right: np.ndarray, copies: int, rng: np.random.Generator) -> np.ndarray:
    """(copies, P) semitone shifts within +-MAX_SHIFT that keep both windows of each pair in
    range; the first copy is untransposed."""
    down_l, up_l = transposition_room(left)
    down_r, up_r = transposition_room(right)
    low = np.maximum(np.maximum(down_l, down_r), -MAX_SHIFT)
    high = np.minimum(np.minimum(up_l, up_r), MAX_SHIFT)
    shifts = low + np.floor(rng.random((copies, len(left))) * (high - low + 1)).astype(np.int64)
    shifts[0] = 0
    return np.minimum(shifts, high)


def transpose(tokens: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Windows with their notes moved by per-window semitone shifts."""
    return np.where(tokens >= PITCH_OFFSET, tokens + shifts[:, None], tokens)


def token_pairs(corpus: Corpus, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Token windows (left, right) of the split's consecutive pairs."""
    left, right = corpus.consecutive_pairs(split)
    return corpus.windows[left].astype(np.int64), corpus.windows[right].astype(np.int64)


def encode_pairs(backend: Backend, corpus: Corpus, split: str, copies: int, seed: int = 0) -> LatentPairs:
    """Encode the split's consecutive pairs in ``copies`` joint transpositions, and its windows."""
    left, right = token_pairs(corpus, split)
    shifts = joint_shifts(left, right, copies, np.random.default_rng(seed)).ravel()
    left, right = np.tile(left, (copies, 1)), np.tile(right, (copies, 1))
    singles = corpus.windows[corpus.select(split)].astype(np.int64)
    return LatentPairs(encode_means(backend, transpose(left, shifts)), encode_means(backend, transpose(right, shifts)),
                       encode_means(backend, singles))
