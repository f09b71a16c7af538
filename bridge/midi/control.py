"""MIDI CC control of the session's parameters, with a default map and MIDI learn."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

import mido

from bridge.midi import MODES

if TYPE_CHECKING:
    from bridge.session import Session

log = logging.getLogger("segue.midi")

# CC 21-24 drive the four faders in the order the bundle lists them; see docs/live-midi.md.
FADER_CCS = (21, 22, 23, 24)
DEFAULT_CCS = {25: "alpha", 26: "temperature", 27: "style_x", 28: "style_y", 29: "mode"}
LEARNABLE = ("alpha", "temperature", "style_x", "style_y", "mode")


def scaled(param: str, value: int) -> float | str:
    """A 0..127 controller value as the parameter's value."""
    if param == "mode":
        return MODES[min(len(MODES) - 1, value * len(MODES) // 128)]
    if param == "temperature":
        return round(2.0 * value / 127, 4)
    return round(value / 127, 4)


class ControlMap:
    """Which controller number sets which parameter; thread-safe."""

    def __init__(self, session: "Session", fader_names: list[str]) -> None:
        self.session = session
        self.params = tuple(fader_names) + LEARNABLE
        self._map = {cc: name for cc, name in zip(FADER_CCS, fader_names)} | DEFAULT_CCS
        self._learning: str | None = None
        self._lock = threading.Lock()

    @property
    def mapping(self) -> dict[int, str]:
        """Controller number -> parameter."""
        with self._lock:
            return dict(self._map)

    def learn(self, param: str) -> None:
        """Bind the next controller that moves to ``param``."""
        if param not in self.params:
            raise ValueError(f"cannot learn {param!r}; learnable params are {', '.join(self.params)}")
        with self._lock:
            self._learning = param
        log.warning("MIDI learn: move a control for %s", param)

    def handle(self, message: mido.Message) -> None:
        """Apply one control change (unmapped controllers are ignored)."""
        with self._lock:
            if self._learning is not None:
                self._map = {cc: name for cc, name in self._map.items() if name != self._learning}
                self._map[message.control] = self._learning
                log.warning("MIDI learn: CC %d now sets %s", message.control, self._learning)
                self._learning = None
            param = self._map.get(message.control)
        if param is not None:
            self.session.set(param, scaled(param, message.value))
