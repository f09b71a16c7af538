"""What the musician plays, on the song's tick grid, cut into phrases as clips."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from bridge.midi.clock import PPQN
from engine.clip import Clip, Note


@dataclass
class _Played:
    pitch: int
    velocity: int
    on: float  # song position in ticks (fractional: between clock ticks)
    off: float | None = None


class PhraseRecorder:
    """Thread-safe record of played notes. A note played up to ``lead`` ticks before a
    phrase starts belongs to that phrase: it would quantise onto the phrase's first step."""

    def __init__(self, lead: int) -> None:
        self.lead = lead
        self._notes: list[_Played] = []
        self._open: dict[int, _Played] = {}
        self._lock = threading.Lock()

    def note_on(self, pitch: int, velocity: int, position: float) -> None:
        """A key went down at ``position``."""
        with self._lock:
            self._close(pitch, position)
            played = _Played(pitch, velocity, position)
            self._notes.append(played)
            self._open[pitch] = played

    def note_off(self, pitch: int, position: float) -> None:
        """A key came up at ``position``."""
        with self._lock:
            self._close(pitch, position)

    def _close(self, pitch: int, position: float) -> None:
        played = self._open.pop(pitch, None)
        if played is not None:
            played.off = position

    def first_onset(self, since: float) -> float | None:
        """Position of the first note played at or after ``since``."""
        with self._lock:
            onsets = [n.on for n in self._notes if n.on >= since]
        return min(onsets) if onsets else None

    def clip(self, start: int, end: int) -> Clip:
        """The notes of the phrase [start, end) in ticks, as a clip of that length; notes
        still held are cut at the phrase's end."""
        with self._lock:
            chosen = [n for n in self._notes if start - self.lead <= n.on < end - self.lead]
            notes = tuple(
                Note(n.pitch, max(0.0, n.on - start) / PPQN,
                     max(1.0, min(end, n.off if n.off is not None else end) - max(start, n.on)) / PPQN, n.velocity)
                for n in chosen)
        return Clip((end - start) / PPQN, notes)

    def forget_before(self, position: float) -> None:
        """Drop finished notes that ended before ``position`` (keeps memory flat)."""
        with self._lock:
            self._notes = [n for n in self._notes if n.off is None or n.off >= position]

    def clear(self) -> None:
        """Forget everything (after Stop or Start)."""
        with self._lock:
            self._notes, self._open = [], {}
