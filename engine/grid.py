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


def to_clip(tokens: np.ndarray, length: float, shift: int = 0, like: Sequence[Prepared] = (),
            velocity: int | None = None) -> Clip:
    """Decoded tokens as a clip of ``length`` beats, moved back by ``shift`` semitones, with
    velocities from the clips in ``like`` (or ``velocity``, or their mean velocity)."""
    tokens = codec.normalise_tokens(tokens.reshape(-1))[: int(round(length * codec.STEPS_PER_BEAT))]
    if velocity is None:
        velocity = int(round(np.mean([p.clip.mean_velocity for p in like]))) if like else 100
    spans = codec.note_spans(tokens)
    starts = spans.starts / codec.STEPS_PER_BEAT
    durations = np.minimum((spans.ends - spans.starts) / codec.STEPS_PER_BEAT, length - starts)
    columns = (np.clip(spans.pitches - shift, 0, 127), starts, durations, velocities_at(spans.starts, like, velocity))
    return Clip(length, tuple(Note(*values) for values in zip(*(column.tolist() for column in columns))))
