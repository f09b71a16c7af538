"""Unrelated latent pairs put into one key, as the engine's ``keep_key`` does before fusing:
the right window moved into the left window's key and register, and re-encoded. Both the
fusion evaluation and key-matched fusion training use it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import tonality
from training.evaluate import Backend, decode_greedy, encode_means


@dataclass
class FusionInputs:
    """Latent pairs to fuse and, when the key is kept, the profiles each side is held to."""

    left: np.ndarray
    right: np.ndarray
    keys: tuple[np.ndarray, np.ndarray] | None = None


def in_one_key(backend: Backend, left_tokens: np.ndarray, right_tokens: np.ndarray, left: np.ndarray,
               right: np.ndarray) -> FusionInputs:
    """The engine's ``keep_key`` on window pairs: each right window moved into its left
    window's key and register (re-encoded where it moved)."""
    left_keys = tonality.pitch_class_profile(left_tokens)
    moved = tonality.in_key_of(right_tokens, left_keys, tonality.mean_pitch(left_tokens))
    changed = (moved != right_tokens).any(-1)
    if changed.any():
        right = right.copy()
        right[changed] = encode_means(backend, moved[changed])
    return FusionInputs(left, right, (left_keys, tonality.pitch_class_profile(moved)))


def shuffled_in_one_key(backend: Backend, tokens: np.ndarray, latents: np.ndarray, count: int,
                        rng: np.random.Generator) -> FusionInputs:
    """``count`` random pairs of windows (tokens with their posterior means), put into one key."""
    picked = rng.integers(0, len(tokens), (2, count))
    return in_one_key(backend, tokens[picked[0]], tokens[picked[1]], latents[picked[0]], latents[picked[1]])


def prior_in_one_key(backend: Backend, left: np.ndarray, right: np.ndarray) -> FusionInputs:
    """Pairs of prior draws, put into one key by their greedy decodings."""
    return in_one_key(backend, decode_greedy(backend, left), decode_greedy(backend, right), left, right)
