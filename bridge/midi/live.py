"""Live MIDI for ``segue serve``: ports, clock, performer and CC control wired together,
with the guarantee that no note is left hanging and that vanished ports come back."""
from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mido

from bridge.midi import ports
from bridge.midi.clock import ClockFollower, InternalClock
from bridge.midi.control import ControlMap
from bridge.midi.performer import Performer
from bridge.midi.scheduler import NoteScheduler
from engine import Engine

if TYPE_CHECKING:
    from bridge.session import Session

log = logging.getLogger("segue.midi")
WATCH_INTERVAL = 0.5  # seconds between checks for vanished or returning ports


@dataclass(frozen=True)
class LiveOptions:
    """What ``segue serve`` was asked for on its command line."""

    api: str
    midi_in: str | None = None  # None: Segue's own virtual port
    midi_out: str | None = None
    mode: str = "call-response"
    phrase_bars: int = 4
    meter: tuple[int, int] = (4, 4)
    bpm: float = 120.0
    in_channel: int | None = None  # 0-based; None listens to every channel
    out_channel: int = 0
    thru: bool = False


class LiveMidi:
    """Owns the ports; everything that arrives goes to the clock, the controls or the performer."""

    def __init__(self, engine: Engine, session: "Session", options: LiveOptions) -> None:
        self.options = options
        self.session = session
        self._output: mido.ports.BaseOutput | None = None
        self._input: mido.ports.BaseInput | None = None
        self._send_lock = threading.Lock()
        self.scheduler = NoteScheduler(self._send, options.out_channel)
        self.performer = Performer(engine, session, self.scheduler, options.mode, options.phrase_bars,
                                   options.meter, options.in_channel, self._send if options.thru else None)
        self.follower = ClockFollower(self.performer, options.bpm)
        self.internal = InternalClock(self.follower, options.bpm)
        self.control = ControlMap(session, [f.name for f in engine.bundle.faders])
        self.external_clock = False
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._lister: ports.PortLister | None = None
        session.subscribe(self._on_param)

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> str:
        """Open the ports and start the internal clock; returns a line saying where Segue plays.
        Raises :class:`ports.MidiUnavailable`."""
        self.performer.warm_up()
        self._output = ports.open_output(self.options.api, self.options.midi_out)
        try:
            self._input = ports.open_input(self.options.api, self.options.midi_in, self._receive)
        except ports.MidiUnavailable:
            self._output.close()
            raise
        # The input thread must get the interpreter quickly even while the model runs Python.
        sys.setswitchinterval(0.0005)
        self.internal.start()
        if self.options.midi_in is not None or self.options.midi_out is not None:
            self._lister = ports.PortLister(self.options.api)
            self._watcher = threading.Thread(target=self._watch, name="segue-ports", daemon=True)
            self._watcher.start()
        return (f"MIDI ({self.options.api}): in '{self._input.name}', out '{self._output.name}', "
                f"mode {self.performer.mode}, {self.options.phrase_bars}-bar phrases, internal clock "
                f"{self.options.bpm:g} bpm until MIDI clock arrives")

    def close(self) -> None:
        """Silence everything, then close the ports."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=2 * WATCH_INTERVAL)
            self._lister.close()
        self.internal.stop(send_stop=False)
        self.performer.close()
        for port in (self._input, self._output):
            if port is not None:
                port.close()
        self._input = self._output = None

    def status(self) -> dict[str, Any]:
        """What the live side is doing, for the ``live`` op."""
        return {"mode": self.performer.mode, "clock": "external" if self.external_clock else "internal",
                "bpm": round(self.follower.tempo.bpm, 2), "running": self.follower.running,
                "position": self.performer.position(), "readiness_ms": self.performer.readiness(),
                "late_notes": self.scheduler.late, "failed_answers": self.performer.failures,
                "sounding": len(self.scheduler.sounding), "cc": self.control.mapping,
                "params": self.session.snapshot(), "clip_b": self.session.clip_b is not None,
                "ports": {"in": self._input.name if self._input else None,
                          "out": self._output.name if self._output else None}}

    # -- input -----------------------------------------------------------------------------
    def _receive(self, message: mido.Message) -> None:
        now = time.perf_counter()
        try:
            if message.type in ("clock", "start", "continue", "stop", "songpos"):
                if not self.external_clock:
                    self.external_clock = True
                    self.internal.stop(send_stop=False)
                    log.warning("following MIDI clock from now on")
                self.follower.handle(message, now)
            elif message.type == "control_change":
                self.control.handle(message)
            elif message.type in ("note_on", "note_off"):
                self.performer.on_note(message)
            # SysEx, aftertouch, pitch bend and anything else are ignored.
        except Exception:  # nothing that arrives may stop the performance or leave a note hanging
            log.exception("MIDI input %s could not be handled", message)
            self.scheduler.panic()

    def _on_param(self, name: str, value: Any) -> None:
        if name == "mode":
            self.performer.set_mode(value)

    # -- output ----------------------------------------------------------------------------
    def _send(self, message: mido.Message) -> None:
        with self._send_lock:
            port = self._output
            if port is None:
                return
            try:
                port.send(message)
            except Exception as error:  # the port vanished under us; the watcher re-opens it
                log.warning("MIDI output failed: %s", error)

    # -- vanished ports ----------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stopping.wait(WATCH_INTERVAL):
            try:
                inputs, outputs = self._lister.names()
            except ports.MidiUnavailable as error:
                log.warning("%s", error)
                continue
            if self.options.midi_out is not None:
                self._check_output(outputs)
            if self.options.midi_in is not None:
                self._check_input(inputs)

    def _check_output(self, outputs: list[str]) -> None:
        present = ports.match(self.options.midi_out, outputs) is not None
        if self._output is not None and not present:
            log.warning("MIDI output %r vanished; waiting for it to come back", self.options.midi_out)
            self.scheduler.panic()  # forget what was sounding; All Notes Off goes out on reconnection
            with self._send_lock:
                port, self._output = self._output, None
            port.close()
        elif self._output is None and present and not self._stopping.is_set():
            try:
                port = ports.open_output(self.options.api, self.options.midi_out)
            except ports.MidiUnavailable as error:
                log.warning("%s", error)
                return
            with self._send_lock:
                self._output = port
            self.scheduler.panic()
            log.warning("MIDI output %r is back", self.options.midi_out)

    def _check_input(self, inputs: list[str]) -> None:
        present = ports.match(self.options.midi_in, inputs) is not None
        if self._input is not None and not present:
            log.warning("MIDI input %r vanished; waiting for it to come back", self.options.midi_in)
            port, self._input = self._input, None
            port.close()
            self.performer.on_stop()  # the player is gone: nothing keeps sounding
        elif self._input is None and present and not self._stopping.is_set():
            try:
                self._input = ports.open_input(self.options.api, self.options.midi_in, self._receive)
            except ports.MidiUnavailable as error:
                log.warning("%s", error)
                return
            log.warning("MIDI input %r is back", self.options.midi_in)
