"""A JACK MIDI client that plays clock and notes into Segue and records what comes back;
used by the tests, benchmarks/midi_timing.py and the self-test.

The probe's own output is also connected back to its input, so its clock ticks and Segue's
notes arrive in one stream, timed by JACK (rtmidi's per-message deltas) rather than by
whenever Python gets around to reading them: a note's offset from its tick is measured on
one clock, free of the interpreter's scheduling.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rtmidi

from bridge.midi.clock import PPQN
from bridge.midi.ports import IN_NAME, OUT_NAME

CLOCK, START, STOP, TUNE_REQUEST = 0xF8, 0xFA, 0xFC, 0xF6
PLAY_CHANNEL = 15  # the probe plays on MIDI channel 16, so its echo is told apart from Segue's notes


@dataclass(frozen=True)
class Received:
    """One message heard by the probe, at ``time`` seconds on JACK's clock (from the first message),
    when the probe had sent ``ticks_sent`` clock ticks since the last Start: an answer to tick t
    can only be heard once t + 1 ticks have gone out, however JACK times the echoes."""

    time: float
    data: tuple[int, ...]
    ticks_sent: int = 0


def jack_connect(source: str, destination: str, connect: bool = True) -> None:
    """Connect (or disconnect) two JACK ports with jack_connect / jack_disconnect (from Debian's jackd2)."""
    tool = "jack_connect" if connect else "jack_disconnect"
    if shutil.which(tool) is None:
        raise RuntimeError(f"{tool} not found; install jackd2")
    subprocess.run([tool, source, destination], check=connect, capture_output=True, timeout=10)


# Ears whose JACK port stays registered after Probe.close, until release_parked(). rtmidi unregisters
# an input port without waiting for JACK's process callback, which may be reading that port at the
# same moment: a rare segfault of the whole test run. Once the server has stopped, nothing reads it.
_PARKED: list[rtmidi.MidiIn] = []
_PROBE_NUMBERS = itertools.count(1)


def release_parked() -> None:
    """Close the ears of closed probes; call after their JACK server has stopped."""
    while _PARKED:
        ear = _PARKED.pop()
        ear.close_port()
        ear.delete()


class Probe:
    """Connects to Segue's ports (found by name) over JACK."""

    def __init__(self, into: str = IN_NAME, back_from: str = OUT_NAME, client: str = "SegueProbe",
                 timeout: float = 10.0) -> None:
        client = f"{client}{next(_PROBE_NUMBERS)}"  # the ears of closed probes are still registered
        self.received: list[Received] = []
        self.sent_ticks = 0  # clock ticks sent since the last Start
        self._lock = threading.Lock()
        self._clock = 0.0
        self.out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=client)
        self.inp = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name=f"{client}Ear")
        self.inp.ignore_types(sysex=False, timing=False, active_sense=True)
        self.out.open_virtual_port("play")
        self.inp.open_virtual_port("listen")
        segue_in = self._wait_for(self.out, into, timeout)
        segue_out = self._wait_for(self.inp, back_from, timeout)
        mine, ear = self._wait_for(self.inp, f"{client}:play", timeout), self._wait_for(self.out, f"{client}Ear:", timeout)
        self._ear, self._ear_sources = ear, (mine, segue_out)
        for source, destination in ((mine, segue_in), (mine, ear), (segue_out, ear)):
            jack_connect(source, destination)
        self._closing = threading.Event()
        self._reader = threading.Thread(target=self._read, name="probe-in", daemon=True)
        self._reader.start()
        self._handshake(timeout)

    def _handshake(self, timeout: float) -> None:
        """Wait until the new connections carry messages (JACK applies them a cycle or more
        later): a Tune Request, which Segue ignores, must come back on the probe's ear."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.send(TUNE_REQUEST)
            time.sleep(0.02)
            if any(r.data[0] == TUNE_REQUEST for r in self.messages()):
                time.sleep(0.02)
                return
        raise TimeoutError("the probe's JACK connections never carried a message")

    @staticmethod
    def _wait_for(client, name: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [port for port in client.get_ports() if name in port]
            if found:
                return found[0]
            time.sleep(0.05)
        raise TimeoutError(f"no JACK MIDI port named {name!r} appeared")

    def _read(self) -> None:
        while not self._closing.is_set():
            event = self.inp.get_message()
            if event is None:
                time.sleep(0.001)
                continue
            data, delta = event
            with self._lock:
                self._clock += delta
                self.received.append(Received(self._clock, tuple(data), self.sent_ticks))

    def send(self, *data: int) -> None:
        """Send one raw MIDI message."""
        self.out.send_message(list(data))

    def play(self, bpm: float, ticks: int, events: dict[int, list[tuple[int, ...]]] | None = None,
             start: bool = True, stop: bool = True) -> None:
        """Start, ``ticks`` clock ticks at ``bpm`` with ``events`` sent right after their tick,
        then Stop. Blocks while playing."""
        events = events or {}
        interval = 60.0 / (bpm * PPQN)
        if start:
            self.send(START)
            self.sent_ticks = 0
        due = time.perf_counter() + interval
        for tick in range(ticks):
            while (remaining := due - time.perf_counter()) > 0.002:
                time.sleep(remaining - 0.0015)
            while time.perf_counter() < due:
                pass
            self.send(CLOCK)
            self.sent_ticks += 1
            for message in events.get(tick, ()):
                self.send(*message)
            due += interval
        if stop:
            self.send(STOP)

    def settle(self, seconds: float = 0.3, longest: float = 5.0) -> None:
        """Wait for messages in flight: until nothing has arrived for ``seconds``, or ``longest``
        seconds in all (a busy host can hold a note-off back longer than any fixed wait)."""
        deadline = time.monotonic() + longest
        heard = -1
        while time.monotonic() < deadline:
            with self._lock:
                count = len(self.received)
            if count == heard:
                return
            heard = count
            time.sleep(seconds)

    def messages(self) -> list[Received]:
        """Everything heard so far."""
        with self._lock:
            return list(self.received)

    def tick_times(self) -> list[float]:
        """Arrival time of each clock tick since the last Start. On a busy host JACK now and then
        drops a tick on its way back to the probe (Segue still hears it), which would shift every
        later tick's place in the song, so missing ticks are put back (:func:`with_dropped_ticks`)."""
        heard = self.messages()
        starts = [i for i, r in enumerate(heard) if r.data[0] == START]
        since = heard[(starts[-1] if starts else 0):]
        times = [r.time for r in since if r.data[0] == CLOCK]
        if not starts or not times or self.sent_ticks <= len(times):
            return times
        stops = [r.time for r in since if r.data[0] == STOP]
        return with_dropped_ticks(times, self.sent_ticks - len(times), since[0].time, stops[0] if stops else None)

    def from_segue(self) -> list[Received]:
        """Channel messages Segue sent (the probe's own echo left out)."""
        return [r for r in self.messages() if 0x80 <= r.data[0] < 0xF0 and r.data[0] & 0x0F != PLAY_CHANNEL]

    def note_ons(self) -> list[Received]:
        """Segue's note-ons."""
        return [r for r in self.from_segue() if r.data[0] & 0xF0 == 0x90 and r.data[2] > 0]

    def hanging(self) -> set[tuple[int, int]]:
        """(channel, pitch) of Segue's notes switched on and never switched off by a note-off of
        their own (All Notes Off does not count: every note_on must get its note_off)."""
        sounding: set[tuple[int, int]] = set()
        for received in self.from_segue():
            status, channel = received.data[0] & 0xF0, received.data[0] & 0x0F
            if status == 0x90 and received.data[2] > 0:
                sounding.add((channel, received.data[1]))
            elif status in (0x80, 0x90):
                sounding.discard((channel, received.data[1]))
        return sounding

    def close(self) -> None:
        """Stop reading, close the output (rtmidi waits for JACK's cycle there) and disconnect the
        ear, which stays registered until :func:`release_parked`."""
        self._closing.set()
        self._reader.join(timeout=1.0)
        for source in self._ear_sources:
            jack_connect(source, self._ear, connect=False)
        self.out.close_port()
        self.out.delete()
        _PARKED.append(self.inp)


def with_dropped_ticks(heard: list[float], missing: int, start: float, stop: float | None) -> list[float]:
    """``heard`` tick times with up to ``missing`` more put back where a gap between ticks
    spans more than one tick (a gap of k + 1 ticks gets k, evenly spaced; the widest gaps
    first). Start comes one tick before the first tick and Stop right after the last one, so
    they bound the first and last gaps; ticks lost after the last one heard, with no Stop to
    show it, cannot be placed and are left out rather than guessed."""
    step = float(np.median(np.diff(heard))) if len(heard) > 1 else 0.0
    if step <= 0:
        return heard
    edges = [start, *heard] + ([stop + step] if stop is not None else [])
    gaps = np.diff(edges)
    fill = np.maximum(0, np.rint(gaps / step).astype(int) - 1)
    for i in np.argsort(-gaps, kind="stable"):  # more gaps than ticks missing: the widest win
        fill[i] = min(fill[i], missing)
        missing -= fill[i]
    times: list[float] = []
    for i, count in enumerate(fill):
        times += [edges[i] + gaps[i] * k / (count + 1) for k in range(1, count + 1)]
        if i < len(heard):
            times.append(heard[i])
    return times


def xruns_in(log: Path) -> int:
    """How many xrun messages a jackd started with ``log`` has written so far (one late cycle
    writes several, one per client it waited for): a late cycle loses its MIDI events."""
    if not log.exists():
        return 0
    return sum("XRun" in line or "Process error" in line for line in log.read_text(errors="replace").splitlines())


def note(pitch: int, velocity: int = 100, on: bool = True) -> tuple[int, int, int]:
    """A note message on the probe's channel."""
    return ((0x90 if on else 0x80) | PLAY_CHANNEL, pitch, velocity if on else 0)


def jack_running() -> bool:
    """Whether a JACK server answers."""
    if shutil.which("jack_lsp") is None:
        return False
    env = {**os.environ, "JACK_NO_START_SERVER": "1"}
    return subprocess.run(["jack_lsp"], capture_output=True, env=env, timeout=10).returncode == 0


# A fresh dummy-driver server misses cycles (xruns) for its first moments, which drops MIDI events.
SETTLE_SECONDS = 3.0


def start_dummy_jack(period: int = 32, rate: int = 48000, timeout: float = 10.0,
                     log: Path | None = None) -> subprocess.Popen | None:
    """Start Debian's jackd2 with the dummy driver (no sound card needed) unless a server
    already runs; returns the process to stop afterwards, or None if one was running. With
    ``log``, jackd's messages (its xruns among them: see :func:`xruns_in`) go to that file.

    Real-time scheduling is used where the system allows it, as on stage: without it, any
    busy process on the machine makes JACK miss its 0.67 ms cycles and drop MIDI events."""
    if jack_running():
        return None
    if shutil.which("jackd") is None:
        raise RuntimeError("jackd not found; install Debian's jackd2")
    for scheduling in (["-R", "-P", "70"], ["--no-realtime"]):
        with open(log, "ab") if log is not None else contextlib.nullcontext(subprocess.DEVNULL) as output:
            process = subprocess.Popen(["jackd", *scheduling, "-d", "dummy", "-r", str(rate), "-p", str(period)],
                                       stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while process.poll() is None and not jack_running() and time.monotonic() < deadline:
            time.sleep(0.1)
        if jack_running():
            time.sleep(SETTLE_SECONDS)
            return process
        process.kill()
        process.wait()
    raise RuntimeError("jackd did not start")
