"""Musical attributes of token windows: the quantities Segue's faders control.

Shared by training (regularisation targets, evaluation) and the engine (fader
calibration). Every function takes tokens of shape (..., steps) and returns one value
per window.
"""
from __future__ import annotations

import numpy as np

from .codec import PITCH_MIN, PITCH_OFFSET, STEPS_PER_BAR

ATTRIBUTES = ("density", "register", "spread", "motion")


def _onset_pitches(tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    onsets = tokens >= PITCH_OFFSET
    pitches = np.where(onsets, tokens - PITCH_OFFSET + PITCH_MIN, 0).astype(np.float64)
    return onsets, pitches


def density(tokens: np.ndarray) -> np.ndarray:
    """Note onsets per bar."""
    bars = tokens.shape[-1] / STEPS_PER_BAR
    return (tokens >= PITCH_OFFSET).sum(axis=-1) / bars


def register(tokens: np.ndarray) -> np.ndarray:
    """Mean MIDI pitch of the notes (NaN for a window without notes)."""
    onsets, pitches = _onset_pitches(tokens)
    count = onsets.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, pitches.sum(axis=-1) / count, np.nan)


def spread(tokens: np.ndarray) -> np.ndarray:
    """Standard deviation in semitones of the notes' pitches (0 without notes).

    It stands in for the pitch span (highest minus lowest note): one passing note can
    double a span, while the spread weighs every note, so a fader on it moves smoothly.
    """
    onsets, pitches = _onset_pitches(tokens)
    count = np.maximum(onsets.sum(axis=-1), 1)
    mean = pitches.sum(axis=-1) / count
    second = (pitches ** 2).sum(axis=-1) / count
    return np.sqrt(np.maximum(second - mean ** 2, 0.0))


def motion(tokens: np.ndarray) -> np.ndarray:
    """Mean absolute interval in semitones between consecutive notes (0 below two notes)."""
    flat = tokens.reshape(-1, tokens.shape[-1])
    out = np.zeros(flat.shape[0])
    for row_index, row in enumerate(flat):
        pitches = row[row >= PITCH_OFFSET].astype(np.float64)
        if pitches.size > 1:
            out[row_index] = np.abs(np.diff(pitches)).mean()
    return out.reshape(tokens.shape[:-1])


_FUNCTIONS = {"density": density, "register": register, "spread": spread, "motion": motion}


def measure(tokens: np.ndarray) -> np.ndarray:
    """All attributes, stacked on a new last axis in the order of ``ATTRIBUTES``."""
    return np.stack([_FUNCTIONS[name](tokens) for name in ATTRIBUTES], axis=-1)
