"""Measurement protocols of ../shared/docs/metrics.md on token windows (numpy only)."""
from __future__ import annotations

import numpy as np
from scipy.stats import wasserstein_distance

from engine.codec import HOLD, PITCH_MIN, PITCH_OFFSET
from engine.tonality import MAJOR, MINOR, pitch_class_profile

MAX_DURATION = 32  # durations of 32 sixteenths and longer share the last DD bin


def token_accuracy(reference: np.ndarray, decoded: np.ndarray) -> float:
    """Fraction of steps whose token matches."""
    return float((reference == decoded).mean())


def onset_f1(reference: np.ndarray, decoded: np.ndarray) -> float:
    """F1 of note onsets, an onset matching when step and pitch agree (pooled over windows)."""
    ref_on, dec_on = reference >= PITCH_OFFSET, decoded >= PITCH_OFFSET
    hits = (ref_on & dec_on & (reference == decoded)).sum()
    precision = hits / max(1, dec_on.sum())
    recall = hits / max(1, ref_on.sum())
    return float(2 * precision * recall / max(1e-12, precision + recall))


def note_durations(tokens: np.ndarray) -> np.ndarray:
    """Durations in 16th steps of every note in a batch of windows."""
    durations = []
    for row in tokens.reshape(-1, tokens.shape[-1]):
        length = 0
        for token in row:
            if token >= PITCH_OFFSET:
                if length:
                    durations.append(length)
                length = 1
            elif token == HOLD and length:
                length += 1
            else:
                if length:
                    durations.append(length)
                length = 0
        if length:
            durations.append(length)
    return np.array(durations, dtype=np.int64)


def duration_distribution(tokens: np.ndarray) -> np.ndarray:
    """DD: normalised histogram of note durations, 1..MAX_DURATION sixteenths."""
    counts = np.bincount(np.minimum(note_durations(tokens), MAX_DURATION), minlength=MAX_DURATION + 1)[1:]
    return counts / max(1, counts.sum())


_KEY_PROFILES = np.stack([np.roll(profile, tonic) for tonic in range(12) for profile in (MAJOR, MINOR)])
_KEY_PROFILES = (_KEY_PROFILES - _KEY_PROFILES.mean(-1, keepdims=True)) / _KEY_PROFILES.std(-1, keepdims=True)


def estimate_keys(windows: np.ndarray) -> np.ndarray:
    """Krumhansl-Schmuckler key of each window (N, steps), weighting pitch classes by
    duration: 2 * tonic (0 = C) + 1 for minor; 0 for a window without a key (silent, or every
    pitch class alike)."""
    histograms = pitch_class_profile(np.atleast_2d(windows))
    spread = histograms.std(-1, keepdims=True)
    standardised = (histograms - histograms.mean(-1, keepdims=True)) / np.where(spread > 0, spread, 1)
    return (standardised @ _KEY_PROFILES.T).argmax(-1)


def estimate_key(tokens: np.ndarray) -> int:
    """:func:`estimate_keys` of one window."""
    return int(estimate_keys(tokens)[0])


def estimate_tonic(tokens: np.ndarray) -> int:
    """Tonic (0 = C) of one window's Krumhansl-Schmuckler key."""
    return estimate_key(tokens) // 2


def normalised_pitch_distribution(tokens: np.ndarray) -> np.ndarray:
    """NPD: pitch-class histogram of note onsets after moving each window's tonic to C."""
    rows = tokens.reshape(-1, tokens.shape[-1])
    tonics = estimate_keys(rows)[:, None] // 2
    onsets = rows >= PITCH_OFFSET
    counts = np.bincount(((rows - PITCH_OFFSET + PITCH_MIN - tonics) % 12)[onsets], minlength=12)
    return counts / max(1, counts.sum())


def distribution_distance(p: np.ndarray, q: np.ndarray, kind: str = "euclidean") -> float:
    """Euclidean or earth mover's distance between two histograms over the same bins."""
    if kind == "euclidean":
        return float(np.linalg.norm(p - q))
    bins = np.arange(len(p))
    return float(wasserstein_distance(bins, bins, p + 1e-12, q + 1e-12))


def interpolation_curves(distances: np.ndarray) -> tuple[np.ndarray, float]:
    """Mean Hamming curve and the fraction of curves that never drop by more than 1/64."""
    drops = np.diff(distances, axis=1)
    monotone = (drops >= -1.0 / 64 - 1e-9).all(axis=1)
    return distances.mean(axis=0), float(monotone.mean())


def r_squared(x: np.ndarray, y: np.ndarray) -> float:
    """Coefficient of determination of a least-squares line of y on x."""
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 2 or np.var(y) == 0:
        return 0.0
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    return float(1 - residual.var() / y.var())
