"""The live modes: what Segue plays back, and when.

- call-response: the musician plays N bars (starting on the bar line where they start),
  Segue answers with their continuation in the next N bars, then listens again;
- continuous: after every bar, Segue continues from the last N bars, replacing whatever
  it has not played yet;
- fuse: like call-response, but the answer is clip B, fused to connect to the phrase;
- interpolate: like call-response, but the answer is the phrase morphed toward clip B by alpha.

A phrase is captured half a 16th before its last bar line (any later onset would quantise
into the next bar), and the model runs on a worker thread, so the answer is ready before
its first note is due and the clock thread never waits for the model.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable

import mido
import numpy as np

from bridge.midi.clock import PPQN, TICKS_PER_STEP
from bridge.midi.recorder import PhraseRecorder
from bridge.midi.scheduler import NoteScheduler, TimedNote
from engine import Engine
from engine.clip import Clip, Note

if TYPE_CHECKING:
    from bridge.session import Session

log = logging.getLogger("segue.midi")

from bridge.midi import MODES
CAPTURE_LEAD = TICKS_PER_STEP // 2  # ticks before a phrase's end at which it is captured


class Performer:
    """Clock listener that records the musician and schedules Segue's answers."""

    def __init__(self, engine: Engine, session: "Session", scheduler: NoteScheduler, mode: str = "call-response",
                 phrase_bars: int = 4, meter: tuple[int, int] = (4, 4), in_channel: int | None = None,
                 thru: Callable[[mido.Message], None] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.engine, self.session, self.scheduler = engine, session, scheduler
        self.mode = mode
        self.bar_ticks = meter[0] * PPQN * 4 // meter[1]
        self.phrase_ticks = phrase_bars * self.bar_ticks
        self.in_channel, self.thru = in_channel, thru
        self.recorder = PhraseRecorder(CAPTURE_LEAD)
        self.readiness_ms: deque[float] = deque(maxlen=1000)
        self.failures = 0
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="segue-answer")
        self._lock = threading.Lock()
        self._tick, self._tick_time, self._interval = -1, time.perf_counter(), 60.0 / (120 * PPQN)
        self._call_start: int | None = None
        self._listen_from = 0  # no new call starts before this tick (the current answer's end)
        self._generation = 0  # bumped on Stop and mode changes, so stale answers are dropped

    # -- clock ---------------------------------------------------------------------------
    def on_start(self) -> None:
        """Transport (re)started: a new song position, nothing recorded or sounding."""
        self._reset()
        self.scheduler.panic()
        self.scheduler.reset()

    def on_stop(self) -> None:
        """Transport stopped: silence everything."""
        self._reset()
        self.scheduler.panic()

    def on_tick(self, tick: int, now: float) -> None:
        """Play what is due, then capture a phrase if one ends half a 16th from now."""
        with self._lock:
            if self._tick >= 0:
                self._interval = max(1e-4, now - self._tick_time)
            self._tick, self._tick_time = tick, now
        self.scheduler.on_tick(tick)
        boundary = tick + CAPTURE_LEAD
        if self.mode == "continuous":
            if boundary % self.bar_ticks == 0 and boundary >= self.bar_ticks:
                self._answer(max(0, boundary - self.phrase_ticks), boundary, now, replace=True)
            return
        if self._call_start is None:
            onset = self.recorder.first_onset(self._listen_from - CAPTURE_LEAD)
            if onset is not None:
                self._call_start = max(self._listen_from, int(math.floor((onset + CAPTURE_LEAD) / self.bar_ticks))
                                       * self.bar_ticks)
        if self._call_start is not None and boundary >= self._call_start + self.phrase_ticks:
            end = self._call_start + self.phrase_ticks
            self._answer(self._call_start, end, now, replace=False)
            self._listen_from = end + self.phrase_ticks
            self._call_start = None
            self.recorder.forget_before(end - self.phrase_ticks)

    # -- input ---------------------------------------------------------------------------
    def on_note(self, message: mido.Message) -> None:
        """A note from the musician (other channels are ignored when a channel is set)."""
        if self.in_channel is not None and message.channel != self.in_channel:
            return
        if self.thru is not None:
            self.thru(message)
        position = self.position()
        if message.type == "note_on" and message.velocity > 0:
            self.recorder.note_on(message.note, message.velocity, position)
        else:
            self.recorder.note_off(message.note, position)

    def position(self) -> float:
        """The song position now, in ticks, between the last tick and the next."""
        with self._lock:
            if self._tick < 0:
                return 0.0
            return self._tick + min(0.999, (time.perf_counter() - self._tick_time) / self._interval)

    def set_mode(self, mode: str) -> None:
        """Switch modes: whatever was playing stops, and the next phrase starts fresh."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if mode != self.mode:
            self.mode = mode
            with self._lock:
                self._generation += 1
                self._call_start, self._listen_from = None, self._tick + 1
            self.scheduler.panic()
            log.info("mode: %s", mode)

    def warm_up(self) -> None:
        """Run every op the modes use once now, so the first phrase on stage does not pay
        for ONNX Runtime's first-run allocations."""
        phrase = Clip(self.phrase_ticks / PPQN, (Note(60, 0.0, 1.0, 90), Note(64, 1.0, 1.0, 90)))
        bars = max(1, math.ceil(phrase.length / 4))
        self.engine.continuation(phrase, bars=bars)
        self.engine.interpolate(phrase, phrase, alpha=0.5)
        if self.engine.model.has("fusion"):
            self.engine.continuation(phrase, bars=bars, fuse_with=phrase)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until every answer asked for so far is scheduled (for tests and the self-test)."""
        self._worker.submit(lambda: None).result(timeout)

    def close(self) -> None:
        """Stop answering and silence everything."""
        with self._lock:
            self._generation += 1
        self._worker.shutdown(wait=True, cancel_futures=True)
        self.scheduler.panic()

    def _reset(self) -> None:
        with self._lock:
            self._generation += 1
            self._tick, self._call_start, self._listen_from = -1, None, 0
        self.recorder.clear()

    # -- answering -----------------------------------------------------------------------
    def _answer(self, start: int, end: int, captured: float, replace: bool) -> None:
        phrase = self.recorder.clip(start, end)
        if not phrase.notes:
            return
        with self._lock:
            generation = self._generation
        self._worker.submit(self._make_answer, phrase, end, captured, generation, replace)

    def _make_answer(self, phrase: Clip, answer_start: int, captured: float, generation: int, replace: bool) -> None:
        try:
            answer = self.respond(phrase)
        except Exception:  # a failed answer must not stop the performance
            self.failures += 1
            log.exception("could not answer the phrase")
            return
        self.readiness_ms.append((time.perf_counter() - captured) * 1000)
        with self._lock:
            if generation != self._generation:
                return
        end = answer_start + self.phrase_ticks
        notes = []
        for note in answer.notes:
            on = answer_start + int(round(note.start_time * PPQN))
            if on >= end:
                continue
            off = min(end, on + max(1, int(round(note.duration * PPQN))))
            notes.append(TimedNote(on, off, note.pitch, note.velocity))
        self.scheduler.schedule(notes, replace_from=answer_start if replace else None)

    def respond(self, phrase: Clip) -> Clip:
        """Segue's answer to a phrase in the current mode, with the session's faders,
        temperature, alpha, style and clip B."""
        values = self.session.snapshot()
        clip_b = self.session.clip_b
        beats = self.phrase_ticks / PPQN
        bars = max(1, math.ceil(beats / 4))
        options = {"bars": bars, "temperature": values.get("temperature", 1.0), "faders": self.session.faders()}
        style = [values.get("style_x", 0.5), values.get("style_y", 0.5)]
        if self.mode == "interpolate" and clip_b is not None:
            return self.engine.interpolate(phrase, clip_b, alpha=values.get("alpha", 0.5)).clips[0]
        if self.mode == "fuse" and clip_b is not None:
            options |= {"fuse_with": clip_b, "style": style}
        elif self.mode in ("fuse", "interpolate"):
            log.warning("%s mode needs clip B (/segue/clip/b); answering with a plain continuation", self.mode)
        return self.engine.continuation(phrase, **options).clips[0]

    def readiness(self) -> dict:
        """Time from capturing a phrase to its answer being ready, in milliseconds."""
        times = np.array(self.readiness_ms)
        if not len(times):
            return {"count": 0}
        return {"count": int(len(times)), "p50": float(np.percentile(times, 50)),
                "p99": float(np.percentile(times, 99)), "max": float(times.max())}
