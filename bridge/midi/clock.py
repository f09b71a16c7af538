"""Musical time from MIDI clock (24 ticks per quarter note) or from an internal tempo.

Both sources drive the same listener: ``on_start()``, ``on_tick(tick, now)`` and
``on_stop()``, where ``tick`` counts clock ticks from the song's start (tick 0 is the first
clock after Start) and ``now`` is ``time.perf_counter()`` when the tick arrived.
"""
from __future__ import annotations

import threading
import time
from typing import Protocol

import mido

from bridge.midi.realtime import realtime_if_allowed

PPQN = 24  # MIDI clock ticks per quarter note
TICKS_PER_STEP = PPQN // 4  # one 16th note
SPP_TICKS = 6  # Song Position Pointer counts 16ths


class ClockListener(Protocol):
    """What a clock drives."""

    def on_start(self) -> None: ...

    def on_tick(self, tick: int, now: float) -> None: ...

    def on_stop(self) -> None: ...


class TempoEstimate:
    """Tempo from tick intervals, smoothed exponentially; gaps (a paused clock) are ignored."""

    def __init__(self, bpm: float = 120.0, smoothing: float = 0.05) -> None:
        self.interval = 60.0 / (bpm * PPQN)
        self.smoothing = smoothing
        self._last: float | None = None

    @property
    def bpm(self) -> float:
        """The current estimate in beats per minute."""
        return 60.0 / (self.interval * PPQN)

    def tick(self, now: float) -> None:
        """Account for one tick arriving at ``now``."""
        if self._last is not None:
            interval = now - self._last
            if 0 < interval < 4 * self.interval + 0.05:
                self.interval += self.smoothing * (interval - self.interval)
        self._last = now

    def reset(self) -> None:
        """Forget the last tick (after Stop), keeping the tempo."""
        self._last = None


class ClockFollower:
    """Turns clock, Start, Continue, Stop and Song Position Pointer into listener calls."""

    def __init__(self, listener: ClockListener, bpm: float = 120.0) -> None:
        self.listener = listener
        self.tempo = TempoEstimate(bpm)
        self.running = False
        self.next_tick = 0

    def handle(self, message: mido.Message, now: float) -> bool:
        """Follow one message; returns whether it was a clock or transport message."""
        kind = message.type
        if kind == "clock":
            self.tempo.tick(now)
            if self.running:
                tick, self.next_tick = self.next_tick, self.next_tick + 1
                self.listener.on_tick(tick, now)
        elif kind in ("start", "continue"):
            if kind == "start":
                self.next_tick = 0
            self.running = True
            self.listener.on_start()
        elif kind == "stop":
            self.running = False
            self.tempo.reset()
            self.listener.on_stop()
        elif kind == "songpos":
            self.next_tick = message.pos * SPP_TICKS
        else:
            return False
        return True


class InternalClock:
    """Ticks at a set tempo on its own thread, for when no MIDI clock comes in."""

    def __init__(self, follower: ClockFollower, bpm: float) -> None:
        self.follower = follower
        self.interval = 60.0 / (bpm * PPQN)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the clock thread is ticking."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Send Start and tick until :meth:`stop`."""
        if self.running:
            return
        self._stop.clear()
        self.follower.handle(mido.Message("start"), time.perf_counter())
        self._thread = threading.Thread(target=self._run, name="segue-clock", daemon=True)
        self._thread.start()

    def stop(self, send_stop: bool = True) -> None:
        """Stop ticking (and send Stop to the follower unless an external clock takes over)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        self._thread = None
        if send_stop:
            self.follower.handle(mido.Message("stop"), time.perf_counter())

    def _run(self) -> None:
        realtime_if_allowed()
        due = time.perf_counter()
        clock = mido.Message("clock")
        while not self._stop.is_set():
            # Sleep to just before the tick, then spin briefly: sleep alone overshoots by up to a millisecond.
            remaining = due - time.perf_counter()
            if remaining > 0.002:
                self._stop.wait(remaining - 0.0015)
                continue
            while time.perf_counter() < due:
                pass
            self.follower.handle(clock, time.perf_counter())
            due += self.interval
