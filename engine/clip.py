"""Clips as musicians' hosts send them: Live's note-dict fields, times in beats.

Parsing validates every field and gives one clear message for the first problem found.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MAX_NOTES = 1024  # 64 bars of 16ths; also keeps a full request inside one datagram
MAX_BEATS = 256.0  # 64 bars of 4/4


class ClipError(ValueError):
    """A clip (or a note in it, or an operation's argument) is malformed."""


class LimitError(ClipError):
    """A request is over one of the documented limits."""


@dataclass(frozen=True)
class Note:
    """One note: MIDI pitch, start and duration in beats, velocity 1..127."""

    pitch: int
    start_time: float
    duration: float
    velocity: int = 100
    extra: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        """Live note dict, with any extra fields the host sent (probability, mute, ...)."""
        return {**self.extra, "pitch": self.pitch, "start_time": self.start_time,
                "duration": self.duration, "velocity": self.velocity}


@dataclass(frozen=True)
class Clip:
    """A clip: its length in beats and its notes."""

    length: float
    notes: tuple[Note, ...]

    def to_dict(self) -> dict:
        """The protocol's JSON form."""
        return {"length": self.length, "notes": [note.to_dict() for note in self.notes]}

    def then(self, other: "Clip") -> "Clip":
        """This clip followed by ``other``, which starts at this clip's end."""
        moved = tuple(Note(n.pitch, n.start_time + self.length, n.duration, n.velocity, n.extra) for n in other.notes)
        return Clip(self.length + other.length, self.notes + moved)

    @property
    def mean_velocity(self) -> int:
        """Rounded mean velocity of the notes (100 for an empty clip)."""
        if not self.notes:
            return 100
        return int(round(sum(n.velocity for n in self.notes) / len(self.notes)))


def _number(value: Any, what: str, index: int | None = None) -> float:
    # The message is built only on error: clips arrive note by note, many times a second.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        where = what if index is None else f"note {index} {what}"
        raise ClipError(f"{where} must be a finite number, got {value!r}")
    return float(value)


_NOTE_FIELDS = ("pitch", "start_time", "duration", "velocity")


def parse_note(data: Any, index: int) -> Note:
    """Validate one note dict."""
    if not isinstance(data, dict):
        raise ClipError(f"note {index} must be an object with pitch, start_time, duration, velocity")
    for key in _NOTE_FIELDS[:3]:
        if key not in data:
            raise ClipError(f"note {index} lacks {key!r}")
    pitch = _number(data["pitch"], "pitch", index)
    if pitch != int(pitch) or not 0 <= pitch <= 127:
        raise ClipError(f"note {index} pitch must be a whole number 0..127, got {data['pitch']!r}")
    start = _number(data["start_time"], "start_time", index)
    duration = _number(data["duration"], "duration", index)
    if start < 0:
        raise ClipError(f"note {index} start_time must not be negative")
    if duration <= 0:
        raise ClipError(f"note {index} duration must be positive")
    velocity = _number(data.get("velocity", 100), "velocity", index)
    if not 1 <= velocity <= 127:
        raise ClipError(f"note {index} velocity must be 1..127, got {data['velocity']!r}")
    extra = {k: v for k, v in data.items() if k not in _NOTE_FIELDS}
    return Note(int(pitch), start, duration, int(round(velocity)), extra)


def parse_clip(data: Any, name: str = "clip") -> Clip:
    """Validate a protocol clip ``{"length": beats, "notes": [...]}``."""
    if not isinstance(data, dict):
        raise ClipError(f"{name} must be an object with length and notes")
    if "notes" not in data:
        raise ClipError(f"{name} lacks 'notes'")
    notes_data = data["notes"]
    if not isinstance(notes_data, list):
        raise ClipError(f"{name} notes must be a list")
    if len(notes_data) > MAX_NOTES:
        raise LimitError(f"{name} has {len(notes_data)} notes; the limit is {MAX_NOTES}")
    notes = tuple(parse_note(note, i) for i, note in enumerate(notes_data))
    end = max((n.start_time + n.duration for n in notes), default=0.0)
    length = _number(data["length"], f"{name} length") if "length" in data else max(16.0, math.ceil(end / 4) * 4)
    if length > MAX_BEATS:
        raise LimitError(f"{name} is {length:g} beats long; the limit is {MAX_BEATS:g} beats")
    if length <= 0:
        raise ClipError(f"{name} length must be positive, got {length:g}")
    if any(n.start_time >= length for n in notes):
        raise ClipError(f"{name} has notes starting at or after its length ({length:g} beats)")
    return Clip(length, notes)
