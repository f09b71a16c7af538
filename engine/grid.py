"""Clips on and off the model's grid: octave shifts into the model's range, the top line,
64-step segments, and back to notes that keep the input's dynamics.

A note that starts where an input note started takes that note's velocity; any other note
takes the input's mean velocity (or an explicit one for generated material).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import codec
from .clip import Clip, Note


@dataclass(frozen=True)
class Prepared:
    """A clip on the model's grid: segment tokens, the velocity of the input note that
    starts on each step (-1 where none does), octave shift."""

    clip: Clip
    tokens: np.ndarray
    onset_velocity: np.ndarray
    shift: int


def prepare(clip: Clip, warnings: list[str]) -> Prepared:
    """Put a clip on the grid, appending a warning for anything the musician should know."""
    shift = codec.octave_shift([n.pitch for n in clip.notes])
    if shift is None:
        warnings.append("the clip spans more than the model's 4 octaves; notes outside were folded by octaves")
        shift = 0
    elif shift:
        warnings.append(f"the clip was moved {shift:+d} semitones into the model's range and moved back after")
    notes = [{**n.to_dict(), "pitch": n.pitch + shift} for n in clip.notes]
    encoded = codec.notes_to_tokens(notes, codec.steps_for_length(clip.length))
    if encoded.dropped_notes:
        warnings.append(f"polyphonic input reduced to its top line ({encoded.dropped_notes} notes left out)")
    velocities = np.array([n.velocity for n in clip.notes] + [-1], dtype=np.int64)
    return Prepared(clip, codec.segments(encoded.tokens), velocities[encoded.source], shift)


def velocities_at(steps: np.ndarray, like: Sequence[Prepared], fallback: int) -> np.ndarray:
    """Per step, the velocity of the first clip in ``like`` with a note starting there, else ``fallback``."""
    velocities = np.full(len(steps), fallback, dtype=np.int64)
    for prepared in reversed(like):  # earlier clips in ``like`` take precedence
        known = prepared.onset_velocity
        found = np.where(steps < len(known), known[np.minimum(steps, len(known) - 1)], -1)
        velocities = np.where(found >= 0, found, velocities)
    return velocities


def to_clips(rows: np.ndarray, length: float, shifts: Sequence[int], likes: Sequence[Sequence[Prepared]],
             velocity: int | None = None) -> list[Clip]:
    """Decoded token rows (one clip each) as clips of ``length`` beats, row ``r`` moved back by
    ``shifts[r]`` semitones with velocities from the clips in ``likes[r]`` (or ``velocity``,
    or their mean velocity). Rows are converted together: the numpy work is per call, not per clip."""
    steps = max(1, int(round(length * codec.STEPS_PER_BEAT)))
    tokens = codec.normalise_tokens(np.asarray(rows).reshape(len(rows), -1))[:, :steps]
    # Each normalised row starts with a rest or a note, so no note runs on into the next row.
    spans = codec.note_spans(tokens.ravel())
    row = spans.starts // steps
    local = spans.starts - row * steps
    starts = local / codec.STEPS_PER_BEAT
    durations = np.minimum((spans.ends - spans.starts) / codec.STEPS_PER_BEAT, length - starts)
    pitches = np.clip(spans.pitches - np.asarray(shifts, dtype=np.int64)[row], 0, 127)
    bounds = np.searchsorted(row, np.arange(len(tokens) + 1))
    clips = []
    for index, like in enumerate(likes):
        chosen = slice(bounds[index], bounds[index + 1])
        default = velocity if velocity is not None else (
            int(round(np.mean([p.clip.mean_velocity for p in like]))) if like else 100)
        columns = (pitches[chosen], starts[chosen], durations[chosen], velocities_at(local[chosen], like, default))
        clips.append(Clip(length, tuple(Note(*values) for values in zip(*(c.tolist() for c in columns)))))
    return clips


def to_clip(tokens: np.ndarray, length: float, shift: int = 0, like: Sequence[Prepared] = (),
            velocity: int | None = None) -> Clip:
    """One decoded token sequence as a clip (see :func:`to_clips`)."""
    return to_clips(np.asarray(tokens).reshape(1, -1), length, [shift], [like], velocity)[0]
