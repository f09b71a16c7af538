"""Session defaults set by /segue/param/<name> or by MIDI CC, so plain controllers can drive
Segue without JSON, and the clip B the live modes fuse with or morph toward. A request's own
fields always win over the session's."""
from __future__ import annotations

import threading
from typing import Any, Callable

from bridge.midi import MODES
from engine.clip import Clip, ClipError

_NUMERIC = {  # name: (low, high, whole number)
    "temperature": (0.0, 2.0, False),
    "alpha": (0.0, 1.0, False),
    "steps": (2, 33, True),
    "variations": (1, 16, True),
    "seed": (0, 2**31 - 1, True),
    "velocity": (1, 127, True),
    "style_x": (0.0, 1.0, False),
    "style_y": (0.0, 1.0, False),
}
_TEXT = {"method": ("linear", "slerp"), "mode": MODES}
_DESCRIPTIONS = {
    "temperature": ("how adventurous decoding, generation and live answers are", 1.0),
    "alpha": ("how far interpolate (and the live interpolate mode) moves from A toward B", 0.5),
    "steps": ("how many clips interpolate returns, both ends included", 5),
    "variations": ("how many clips generate returns", 1),
    "seed": ("makes decode and generate repeatable", 0),
    "velocity": ("velocity of generated notes", 100),
    "style_x": ("fuse mode's style pad, x", 0.5),
    "style_y": ("fuse mode's style pad, y", 0.5),
    "method": ("interpolation path: linear or spherical", "linear"),
    "mode": ("what live MIDI plays back", MODES[0]),
    "genre": ("the genre generate samples from", None),
}
# Which defaults each op takes.
_APPLIES = {
    "decode": ("temperature", "seed", "velocity"),
    "interpolate": ("method",),
    "generate": ("temperature", "seed", "variations", "velocity", "genre"),
}


class Session:
    """Thread-safe parameter store shared by every client of one server."""

    def __init__(self, fader_names: list[str], genre_names: list[str]) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        self._fader_names = set(fader_names)
        self._genre_names = set(genre_names)
        self._listeners: list[Callable[[str, Any], None]] = []
        self.clip_b: Clip | None = None

    @property
    def names(self) -> list[str]:
        """Every parameter name this session accepts."""
        return sorted(set(_NUMERIC) | set(_TEXT) | {"genre"} | self._fader_names)

    def describe(self) -> list[dict[str, Any]]:
        """Every parameter: name, OSC type tag ("f", "i" or "s"), range or allowed values, current
        value (or the default that applies when unset) and a description (for OSCQuery)."""
        values = self.snapshot()
        described = []
        for name in self.names:
            if name in self._fader_names:
                spec = {"type": "f", "range": (0.0, 1.0), "description": f"the {name} fader (0..1 of its range)"}
            elif name in _NUMERIC:
                low, high, whole = _NUMERIC[name]
                spec = {"type": "i" if whole else "f", "range": (low, high)}
            else:
                spec = {"type": "s", "values": _TEXT.get(name) or tuple(sorted(self._genre_names))}
            description, default = _DESCRIPTIONS.get(name, (spec.pop("description", ""), None))
            described.append({"name": name, **spec, "description": description,
                              "value": values.get(name, default)})
        return described

    def subscribe(self, listener: Callable[[str, Any], None]) -> None:
        """Call ``listener(name, value)`` after every accepted change."""
        self._listeners.append(listener)

    def set(self, name: str, value: Any) -> None:
        """Validate and store one parameter; raises ClipError with a clear message."""
        if name in self._fader_names or name in ("alpha", "temperature"):
            low, high = (0.0, 1.0) if name != "temperature" else _NUMERIC["temperature"][:2]
            value = _number(name, value, low, high, whole=False)
        elif name in _NUMERIC:
            low, high, whole = _NUMERIC[name]
            value = _number(name, value, low, high, whole)
        elif name in _TEXT or name == "genre":
            allowed = _TEXT.get(name) or tuple(sorted(self._genre_names))
            if value not in allowed:
                raise ClipError(f"param {name} must be one of {', '.join(allowed)}, got {value!r}")
        else:
            raise ClipError(f"unknown param {name!r}; params are {', '.join(self.names)}")
        with self._lock:
            self._values[name] = value
        for listener in self._listeners:
            listener(name, value)

    def snapshot(self) -> dict[str, Any]:
        """A copy of every parameter set so far."""
        with self._lock:
            return dict(self._values)

    def faders(self) -> dict[str, float]:
        """The fader values set so far."""
        return {k: v for k, v in self.snapshot().items() if k in self._fader_names}

    def apply(self, op: str, payload: dict) -> dict:
        """The payload with session defaults filled in where the request is silent."""
        values = self.snapshot()
        merged = dict(payload)
        for name in _APPLIES.get(op, ()):
            if name in values:
                merged.setdefault(name, values[name])
        if op == "interpolate" and "steps" not in merged and "alpha" not in merged:
            if "alpha" in values:
                merged["alpha"] = values["alpha"]
            elif "steps" in values:
                merged["steps"] = values["steps"]
        if op in ("faders", "generate"):
            session_faders = self.faders()
            request_faders = payload.get("faders", {})
            if session_faders and isinstance(request_faders, dict):
                merged["faders"] = {**session_faders, **request_faders}
        return merged


def _number(name: str, value: Any, low: float, high: float, whole: bool) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ClipError(f"param {name} must be a number, got {value!r}")
    if whole:
        value = int(round(value))
    if not low <= value <= high:
        raise ClipError(f"param {name} must be in {low}..{high}, got {value!r}")
    return value
