"""Segue's MIDI ports through mido's rtmidi backend: its own virtual ports ("Segue In",
"Segue Out") or existing ports by name, on the MIDI system the platform offers."""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from typing import Callable, Iterator

import mido

from bridge.midi.realtime import realtime_if_allowed

IN_NAME, OUT_NAME, CLIENT_NAME = "Segue In", "Segue Out", "Segue"
POLL_INTERVAL = 0.0002  # seconds between reads of an idle input
APIS = {"jack": "UNIX_JACK", "alsa": "LINUX_ALSA", "coremidi": "MACOSX_CORE", "winmm": "WINDOWS_MM"}


class MidiUnavailable(Exception):
    """No MIDI system could be opened, or a named port does not exist."""


def default_api() -> str:
    """The platform's MIDI system: CoreMIDI on macOS, Windows MM on Windows, ALSA elsewhere."""
    if sys.platform == "darwin":
        return "coremidi"
    if sys.platform.startswith("win"):
        return "winmm"
    return "alsa"


@contextlib.contextmanager
def native_stderr_quiet() -> Iterator[None]:
    """Silence what ALSA's and JACK's C libraries print while a port opens: a musician gets
    Segue's one-line message instead of a screenful of library internals."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def backend(api: str) -> mido.Backend:
    """mido's rtmidi backend for ``api`` (one of :data:`APIS`)."""
    try:
        import rtmidi
    except ImportError as error:
        raise MidiUnavailable(f"python-rtmidi is not installed ({error})") from None
    compiled = {rtmidi.get_api_name(a) for a in rtmidi.get_compiled_api()}
    if api not in APIS or api not in compiled:
        raise MidiUnavailable(f"MIDI API {api!r} is not available here; this build has {', '.join(sorted(compiled))}")
    # A JACK client would otherwise start a JACK server with whatever settings it finds.
    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    return mido.Backend(f"mido.backends.rtmidi/{APIS[api]}", load=True)


class PortLister:
    """Lists the ports that exist, reusing one client per direction (opening a client per
    look would make the MIDI system redo its connection graph every time)."""

    def __init__(self, api: str) -> None:
        import rtmidi

        backend(api)
        try:
            with native_stderr_quiet():
                self._in = rtmidi.MidiIn(getattr(rtmidi, f"API_{APIS[api]}"), name=f"{CLIENT_NAME} ports")
                self._out = rtmidi.MidiOut(getattr(rtmidi, f"API_{APIS[api]}"), name=f"{CLIENT_NAME} ports")
        except Exception as error:  # rtmidi raises SystemError and friends when the MIDI system is down
            raise MidiUnavailable(f"{api}: the MIDI system is not running ({error})") from None
        self.api = api

    def names(self) -> tuple[list[str], list[str]]:
        """(inputs, outputs) that exist now."""
        try:
            return self._in.get_ports(), self._out.get_ports()
        except Exception as error:
            raise MidiUnavailable(f"{self.api}: cannot list MIDI ports ({error})") from None

    def close(self) -> None:
        """Release both clients."""
        for client in (self._in, self._out):
            client.delete()


def port_names(api: str) -> tuple[list[str], list[str]]:
    """(inputs, outputs) that exist now."""
    lister = PortLister(api)
    try:
        return lister.names()
    finally:
        lister.close()


def match(name: str, names: list[str]) -> str | None:
    """The port called ``name``, or the only one whose name contains it (case-insensitive)."""
    if name in names:
        return name
    found = [n for n in names if name.lower() in n.lower()]
    return found[0] if len(found) == 1 else None


def _no_virtual_ports(api: str) -> None:
    if api == "winmm":
        raise MidiUnavailable("Windows has no virtual MIDI ports: create loopback ports with loopMIDI or Windows "
                              "MIDI Services and pass --midi-in/--midi-out (see docs/live-midi.md)")


class PolledInput:
    """An rtmidi input read by a thread of its own. rtmidi would otherwise call Python from
    the MIDI system's real-time thread (JACK's process callback), which then waits for the
    interpreter lock whenever the model runs, and JACK drops the cycle; polling keeps that
    thread free of Python at the cost of at most POLL_INTERVAL of latency."""

    def __init__(self, midi_in, name: str, callback: Callable[[mido.Message], None]) -> None:
        self._rt, self.name, self._callback = midi_in, name, callback
        self._rt.ignore_types(sysex=True, timing=False, active_sense=True)
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._read, name="segue-midi-in", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        realtime_if_allowed()
        while not self._closing.is_set():
            event = self._rt.get_message()
            if event is None:
                time.sleep(POLL_INTERVAL)
                continue
            try:
                message = mido.Message.from_bytes(event[0])
            except ValueError:  # junk bytes are ignored without harm
                continue
            self._callback(message)

    def close(self) -> None:
        """Stop reading and close the port."""
        self._closing.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        self._rt.close_port()
        self._rt.delete()


def open_input(api: str, name: str | None, callback: Callable[[mido.Message], None]) -> PolledInput:
    """The virtual port "Segue In" (``name`` None) or the existing input ``name``."""
    import rtmidi

    if name is None:
        _no_virtual_ports(api)
    backend(api)
    try:
        with native_stderr_quiet():
            midi_in = rtmidi.MidiIn(getattr(rtmidi, f"API_{APIS[api]}"), name=CLIENT_NAME)
        if name is None:
            midi_in.open_virtual_port(IN_NAME)
            return PolledInput(midi_in, IN_NAME, callback)
        found = match(name, midi_in.get_ports())
        if found is None:
            midi_in.delete()
            raise MidiUnavailable(f"no MIDI input called {name!r}; `segue ports` lists them")
        midi_in.open_port(midi_in.get_ports().index(found))
        return PolledInput(midi_in, found, callback)
    except MidiUnavailable:
        raise
    except Exception as error:  # rtmidi's errors differ by system and version
        raise MidiUnavailable(f"{api}: cannot open MIDI input ({error})") from None


def open_output(api: str, name: str | None) -> mido.ports.BaseOutput:
    """The virtual port "Segue Out" (``name`` None) or the existing output ``name``."""
    if name is None:
        _no_virtual_ports(api)
    midi = backend(api)
    try:
        if name is None:
            with native_stderr_quiet():
                return midi.open_output(OUT_NAME, virtual=True, client_name=CLIENT_NAME)
        with native_stderr_quiet():
            found = match(name, midi.get_output_names())
        if found is None:
            raise MidiUnavailable(f"no MIDI output called {name!r}; `segue ports` lists them")
        return midi.open_output(found)
    except MidiUnavailable:
        raise
    except Exception as error:
        raise MidiUnavailable(f"{api}: cannot open MIDI output ({error})") from None
