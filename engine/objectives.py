"""What `optimize` can aim for, scored on decoded token windows (higher is better).

Each objective returns a score per row and whether the row meets the target, so a search can
rank candidates and report success.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import codec
from .clip import ClipError

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)

Scorer = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def _pitches(row: np.ndarray) -> np.ndarray:
    return codec.note_spans(row).pitches


def first_pitch(target: int) -> Scorer:
    """The first note is ``target`` (a MIDI pitch): closeness in semitones."""
    def score(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        firsts = np.array([(_pitches(r)[:1].tolist() or [-1000])[0] for r in rows])
        distance = np.abs(firsts - target)
        return 0.0 - distance.astype(float), distance == 0
    return score


def holds(longest: bool) -> Scorer:
    """The most (``longest``) or the fewest held steps: long or short notes."""
    def score(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        count = (rows == codec.HOLD).sum(-1).astype(float)
        return (count if longest else -count), np.ones(len(rows), dtype=bool)
    return score


def pitch_range(target: int) -> Scorer:
    """The span from lowest to highest note is at most ``target`` semitones; among those, more notes win."""
    def score(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        spans, notes = [], []
        for r in rows:
            pitches = _pitches(r)
            spans.append(int(np.ptp(pitches)) if len(pitches) else 0)
            notes.append(len(pitches))
        spans, notes = np.array(spans), np.array(notes)
        met = (spans <= target) & (notes > 0)
        return np.where(met, notes / 64.0, -(spans - target).astype(float)), met
    return score


def scale_of(key: str) -> tuple[int, ...]:
    """Pitch classes of a key such as "C major", "F# minor" or "Bb"."""
    words = key.strip().split()
    if not words:
        raise ClipError("in_scale needs a key, e.g. \"D minor\"")
    name = words[0][0].upper() + words[0][1:]
    flats = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#"}
    name = flats.get(name, name)
    if name not in NOTE_NAMES or (len(words) > 1 and words[1].lower() not in ("major", "minor")) or len(words) > 2:
        raise ClipError(f"unknown key {key!r}; use a note name and major or minor, e.g. \"Bb major\"")
    tonic = NOTE_NAMES.index(name)
    steps = MINOR if len(words) > 1 and words[1].lower() == "minor" else MAJOR
    return tuple((tonic + s) % 12 for s in steps)


def in_scale(key: str) -> Scorer:
    """The share of notes in ``key``'s scale (all of them meets the target)."""
    scale = np.array(scale_of(key))
    def score(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shares = []
        for r in rows:
            pitches = _pitches(r)
            shares.append(np.isin(pitches % 12, scale).mean() if len(pitches) else 0.0)
        shares = np.array(shares)
        return shares, shares >= 1.0
    return score


def objective(name: str, target) -> Scorer:
    """The scorer for an objective name and its target, or a ClipError saying what is wrong."""
    if name == "first_pitch":
        if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target <= 127:
            raise ClipError("first_pitch needs a target MIDI pitch 0..127")
        return first_pitch(target)
    if name in ("longest_notes", "shortest_notes"):
        return holds(name == "longest_notes")
    if name == "pitch_range":
        if isinstance(target, bool) or not isinstance(target, int) or target < 0:
            raise ClipError("pitch_range needs a target span in semitones (a whole number >= 0)")
        return pitch_range(target)
    if name == "in_scale":
        if not isinstance(target, str):
            raise ClipError("in_scale needs a target key, e.g. \"D minor\"")
        return in_scale(target)
    raise ClipError(f"unknown objective {name!r}; objectives are first_pitch, longest_notes, shortest_notes, "
                    "pitch_range, in_scale")
