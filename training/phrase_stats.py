"""The five musical statistics of Connective Fusion §3.4 on 8-bar phrases (numpy only).

A phrase is two 4-bar windows side by side, shape (N, 128). Key, mean pitch and mean
duration are measured on each half; pitch and duration transitions on the notes either
side of the join. Each statistic becomes a joint distribution of (left state, right state),
and a set of phrases is scored by the Pearson correlation of its distributions with those
of real test phrases.
"""
from __future__ import annotations

import numpy as np

from engine.codec import PITCH_MIN, WINDOW_STEPS, note_spans
from training.metrics import estimate_key

STATISTICS = ("key", "mean_pitch", "mean_duration", "pitch_transition", "duration_transition")
_PITCH_BIN = 3  # semitones per mean-pitch state
_DURATION_EDGES = np.array([2, 3, 4, 6, 8, 12, 16])  # sixteenths; 8 duration states


def _duration_state(steps: float) -> int:
    return int(np.searchsorted(_DURATION_EDGES, steps, side="right"))


def _mean_pitch_state(window: np.ndarray) -> int:
    pitches = note_spans(window).pitches
    return int((pitches.mean() - PITCH_MIN) // _PITCH_BIN) if pitches.size else 0


def _mean_duration_state(window: np.ndarray) -> int:
    spans = note_spans(window)
    return _duration_state(float((spans.ends - spans.starts).mean())) if spans.starts.size else 0


def _join(phrase: np.ndarray) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(pitch class, duration state) of the last note starting before the join and of the
    first note starting at or after it; None when either side has no note."""
    spans = note_spans(phrase)
    before = np.flatnonzero(spans.starts < WINDOW_STEPS)
    after = np.flatnonzero(spans.starts >= WINDOW_STEPS)
    if not before.size or not after.size:
        return None
    notes = []
    for index in (before[-1], after[0]):
        notes.append((int(spans.pitches[index]) % 12, _duration_state(float(spans.ends[index] - spans.starts[index]))))
    return notes[0], notes[1]


def phrase_states(phrases: np.ndarray) -> dict[str, list[tuple[int, int]]]:
    """Per statistic, the (left state, right state) of every phrase that has one."""
    states: dict[str, list[tuple[int, int]]] = {name: [] for name in STATISTICS}
    for phrase in np.asarray(phrases).reshape(-1, 2 * WINDOW_STEPS):
        left, right = phrase[:WINDOW_STEPS], phrase[WINDOW_STEPS:]
        states["key"].append((estimate_key(left), estimate_key(right)))
        states["mean_pitch"].append((_mean_pitch_state(left), _mean_pitch_state(right)))
        states["mean_duration"].append((_mean_duration_state(left), _mean_duration_state(right)))
        join = _join(phrase)
        if join is not None:
            (pitch_l, duration_l), (pitch_r, duration_r) = join
            states["pitch_transition"].append((pitch_l, pitch_r))
            states["duration_transition"].append((duration_l, duration_r))
    return states


_SIZES = {"key": 24, "mean_pitch": 48 // _PITCH_BIN, "mean_duration": len(_DURATION_EDGES) + 1,
          "pitch_transition": 12, "duration_transition": len(_DURATION_EDGES) + 1}


def transition_matrices(phrases: np.ndarray) -> dict[str, np.ndarray]:
    """Per statistic, the joint distribution of (left state, right state) over the phrases."""
    matrices = {}
    for name, pairs in phrase_states(phrases).items():
        matrix = np.zeros((_SIZES[name], _SIZES[name]))
        for left, right in pairs:
            matrix[left, right] += 1
        matrices[name] = matrix / max(1.0, matrix.sum())
    return matrices


def correlations(reference: dict[str, np.ndarray], phrases: np.ndarray) -> dict[str, float]:
    """Pearson correlation of each statistic's matrix with the reference matrices."""
    produced = transition_matrices(phrases)
    return {name: float(np.corrcoef(reference[name].ravel(), produced[name].ravel())[0, 1]) for name in STATISTICS}
