"""Clip <-> token grid codec, shared by training and the engine.

A 4-bar window is 64 tokens on a 16th-note grid. Token 0 is a rest, token 1 holds the
previous note, and tokens 2.. start a note at pitch ``PITCH_MIN + token - 2``.
Polyphonic input is reduced to its top voice (a skyline), pitches outside the model's
range are folded by octaves into it, and clips of any length become 64-step segments.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, NamedTuple, Sequence

import numpy as np

REST = 0
HOLD = 1
PITCH_MIN = 48  # C3
PITCH_MAX = 95  # B6
PITCH_OFFSET = 2
N_TOKENS = PITCH_OFFSET + PITCH_MAX - PITCH_MIN + 1
STEPS_PER_BEAT = 4
STEPS_PER_BAR = 16
BARS_PER_WINDOW = 4
WINDOW_STEPS = STEPS_PER_BAR * BARS_PER_WINDOW


@dataclass(frozen=True)
class Encoded:
    """Tokens of a clip, with what the reduction did to the input.

    ``source`` maps each step that starts a note to the index of the input note it came
    from (-1 elsewhere), so callers can carry velocities and other note fields through.
    """

    tokens: np.ndarray
    source: np.ndarray
    dropped_notes: int
    folded_notes: int


def octave_shift(pitches: Sequence[int]) -> int | None:
    """Semitones (a multiple of 12) that bring all pitches into the model's range, keeping
    their contour; 0 when they already fit, None when their span is too wide for any shift."""
    if not len(pitches):
        return 0
    low, high = min(pitches), max(pitches)
    if high - low > PITCH_MAX - PITCH_MIN:
        return None
    if low < PITCH_MIN:
        return 12 * int(np.ceil((PITCH_MIN - low) / 12))
    if high > PITCH_MAX:
        return -12 * int(np.ceil((high - PITCH_MAX) / 12))
    return 0


def pitch_to_token(pitch: int) -> int:
    """Token for a MIDI pitch, folding by octaves into the model's range."""
    while pitch < PITCH_MIN:
        pitch += 12
    while pitch > PITCH_MAX:
        pitch -= 12
    return PITCH_OFFSET + pitch - PITCH_MIN


def steps_for_length(length_beats: float) -> int:
    """Number of 64-step-aligned grid steps that cover a clip of ``length_beats`` beats."""
    steps = max(1, int(np.ceil(round(length_beats * STEPS_PER_BEAT, 6))))
    return int(np.ceil(steps / WINDOW_STEPS) * WINDOW_STEPS)


def notes_to_tokens(notes: Sequence[Mapping[str, float]], n_steps: int) -> Encoded:
    """Quantise Live-style note dicts to 16ths and reduce them to one top voice.

    The note dicts need ``pitch``, ``start_time`` and ``duration`` (beats); values are
    assumed valid (clip validation happens before the codec).

    A note starting on the same step as a higher one, or while a higher note still
    sounds, is dropped; a new higher (or later, equal-or-higher-than-sounding) note cuts
    the sounding one short. Notes starting at or after ``n_steps`` are dropped.
    """
    tokens = np.full(n_steps, REST, dtype=np.int64)
    source = np.full(n_steps, -1, dtype=np.int64)
    quantised = []
    for index, note in enumerate(notes):
        # Start and length are quantised separately, as Live's quantise does, so lengths survive.
        start = int(round(float(note["start_time"]) * STEPS_PER_BEAT))
        length = max(1, int(round(float(note["duration"]) * STEPS_PER_BEAT)))
        quantised.append((start, -int(note["pitch"]), start + length, index))
    quantised.sort()
    dropped = folded = 0
    sounding_pitch, sounding_end = None, -1
    last_start = None
    for start, neg_pitch, end, index in quantised:
        pitch = -neg_pitch
        if start < 0 or start >= n_steps or start == last_start:
            dropped += 1
            continue
        if sounding_pitch is not None and start < sounding_end and pitch < sounding_pitch:
            dropped += 1
            continue
        if not PITCH_MIN <= pitch <= PITCH_MAX:
            folded += 1
        stop = min(end, n_steps)
        tokens[start] = pitch_to_token(pitch)
        tokens[start + 1 : stop] = HOLD
        # A later onset cuts this note; clear holds a previous longer note left behind.
        if sounding_end > stop:
            tokens[stop:sounding_end] = np.where(
                tokens[stop:sounding_end] == HOLD, REST, tokens[stop:sounding_end]
            )
        source[start] = index
        sounding_pitch, sounding_end, last_start = pitch, stop, start
    return Encoded(tokens=tokens, source=source, dropped_notes=dropped, folded_notes=folded)


class NoteSpans(NamedTuple):
    """The notes of a token sequence as parallel arrays, in grid steps."""

    starts: np.ndarray
    ends: np.ndarray
    pitches: np.ndarray


def note_spans(tokens: Sequence[int]) -> NoteSpans:
    """Onset step, end step (exclusive) and MIDI pitch of every note in ``tokens``.

    A note lasts through the holds after its onset; a hold with nothing sounding is a rest.
    """
    tokens = np.asarray(tokens, dtype=np.int64)
    starts = np.flatnonzero(tokens >= PITCH_OFFSET)
    breaks = np.append(np.flatnonzero(tokens != HOLD), len(tokens))
    ends = breaks[np.searchsorted(breaks, starts, side="right")]
    return NoteSpans(starts, ends, tokens[starts] - PITCH_OFFSET + PITCH_MIN)


def tokens_to_notes(
    tokens: Sequence[int],
    velocities: Sequence[int] | None = None,
    default_velocity: int = 100,
) -> list[dict]:
    """Turn a token sequence into Live-style note dicts (times in beats).

    ``velocities`` gives a velocity per step (used at each note's start step).
    """
    spans = note_spans(tokens)
    return [
        {
            "pitch": int(pitch),
            "start_time": start / STEPS_PER_BEAT,
            "duration": (end - start) / STEPS_PER_BEAT,
            "velocity": default_velocity if velocities is None else int(velocities[start]),
        }
        for start, end, pitch in zip(spans.starts.tolist(), spans.ends.tolist(), spans.pitches.tolist())
    ]


def normalise_tokens(tokens: np.ndarray) -> np.ndarray:
    """Replace holds that follow a rest (or open a sequence) by rests, along the last axis."""
    tokens = np.asarray(tokens, dtype=np.int64)
    steps = np.arange(tokens.shape[-1])
    # For every step, the index of the latest token that is not a hold (or -1).
    anchor = np.maximum.accumulate(np.where(tokens != HOLD, steps, -1), axis=-1)
    anchored = np.take_along_axis(tokens, np.maximum(anchor, 0), axis=-1)
    orphan = (tokens == HOLD) & ((anchor < 0) | (anchored < PITCH_OFFSET))
    return np.where(orphan, REST, tokens)


def segments(tokens: np.ndarray) -> np.ndarray:
    """Split a token sequence whose length is a multiple of 64 into (n, 64) windows."""
    if tokens.shape[-1] % WINDOW_STEPS:
        raise ValueError(f"token length {tokens.shape[-1]} is not a multiple of {WINDOW_STEPS}")
    return tokens.reshape(-1, WINDOW_STEPS)


def transposition_room(tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, how far down and up the notes can move and stay in range."""
    notes = tokens >= PITCH_OFFSET
    low = np.where(notes, tokens, N_TOKENS).min(axis=-1)
    high = np.where(notes, tokens, -1).max(axis=-1)
    return PITCH_OFFSET - low, (N_TOKENS - 1) - high
