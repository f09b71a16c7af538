"""Output notes against the clock: each note goes out on the tick that starts it, its note-off
on the tick its length ends, and everything still sounding can be silenced at once."""
from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from typing import Callable, Iterable

import mido

ALL_NOTES_OFF = 123


@dataclass(frozen=True, order=True)
class TimedNote:
    """A note on the song's tick grid."""

    on_tick: int
    off_tick: int
    pitch: int
    velocity: int


class NoteScheduler:
    """Thread-safe: the clock thread calls :meth:`on_tick`, the model worker :meth:`schedule`,
    and anyone :meth:`panic`."""

    def __init__(self, send: Callable[[mido.Message], None], channel: int = 0) -> None:
        self.send = send
        self.channel = channel
        self.late = 0  # notes dropped because their tick had passed when they arrived
        self._pending: list[TimedNote] = []
        self._sounding: dict[int, int] = {}  # pitch -> off tick
        self._lock = threading.Lock()
        self._tick = -1

    @property
    def sounding(self) -> dict[int, int]:
        """Pitches sounding now, with the tick each one ends on."""
        with self._lock:
            return dict(self._sounding)

    @property
    def pending(self) -> list[TimedNote]:
        """Notes not yet started, in order."""
        with self._lock:
            return list(self._pending)

    def schedule(self, notes: Iterable[TimedNote], replace_from: int | None = None) -> None:
        """Add notes; with ``replace_from``, first drop every unstarted note due from that tick on.
        Notes whose tick has already passed are dropped, never played late."""
        with self._lock:
            if replace_from is not None:
                self._pending = [n for n in self._pending if n.on_tick < replace_from]
            for note in notes:
                if note.on_tick <= self._tick:
                    self.late += 1
                    continue
                bisect.insort(self._pending, note)

    def on_tick(self, tick: int) -> None:
        """Send the offs and ons due on ``tick`` (offs first, so a repeated pitch restarts)."""
        messages = []
        with self._lock:
            self._tick = tick
            for pitch, off in list(self._sounding.items()):
                if off <= tick:
                    messages.append(mido.Message("note_off", channel=self.channel, note=pitch))
                    del self._sounding[pitch]
            while self._pending and self._pending[0].on_tick <= tick:
                note = self._pending.pop(0)
                if note.on_tick < tick:
                    self.late += 1
                    continue
                if note.pitch in self._sounding:
                    messages.append(mido.Message("note_off", channel=self.channel, note=note.pitch))
                messages.append(mido.Message("note_on", channel=self.channel, note=note.pitch,
                                             velocity=note.velocity))
                self._sounding[note.pitch] = max(note.off_tick, tick + 1)
        for message in messages:
            self.send(message)

    def panic(self) -> None:
        """Note-off for everything sounding, then All Notes Off; forget what was pending."""
        with self._lock:
            sounding, self._sounding, self._pending = list(self._sounding), {}, []
        for pitch in sounding:
            self.send(mido.Message("note_off", channel=self.channel, note=pitch))
        self.send(mido.Message("control_change", channel=self.channel, control=ALL_NOTES_OFF, value=0))

    def reset(self) -> None:
        """Start a new song position (after Start): forget the tick count."""
        with self._lock:
            self._tick = -1
