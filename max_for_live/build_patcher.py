"""Writes Segue.maxpat, the device's patcher, from the layout below, and Segue.amxd, the same
patcher in Live's device container (a MIDI effect), so the patcher in git is reviewable as code
and every patch cord is checked (``--check`` verifies the committed files).

    python max_for_live/build_patcher.py          # rewrite Segue.maxpat and Segue.amxd
    python max_for_live/build_patcher.py --check  # exit 1 if either is out of date

The .amxd container is Max's uncompressed device format: "ampf", version 4, the device type
("mmmm" for a MIDI effect), an empty "meta" chunk, then "ptch" with the patcher JSON.
"""
from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FADERS = ("density", "register", "spread", "motion")
OBJECTIVES = ("first_pitch", "longest_notes", "shortest_notes", "pitch_range", "in_scale")  # segue_live.js's order
FUSE_METHODS = ("fuse: default", "fuse: flow", "fuse: generator", "fuse: both flows")  # segue_live.js's FUSE_METHODS, in order


class Patcher:
    """Boxes and patch cords of one Max patcher."""

    def __init__(self) -> None:
        self.boxes: list[dict] = []
        self.lines: list[dict] = []

    def add(self, maxclass: str, rect: tuple[float, float, float, float], inlets: int, outlets: int,
            presentation: tuple[float, float, float, float] | None = None, **attributes) -> str:
        """A box; returns its id."""
        box_id = f"obj-{len(self.boxes) + 1}"
        box = {"id": box_id, "maxclass": maxclass, "numinlets": inlets, "numoutlets": outlets,
               "outlettype": [""] * outlets, "patching_rect": list(rect), **attributes}
        if presentation is not None:
            box |= {"presentation": 1, "presentation_rect": list(presentation)}
        self.boxes.append({"box": box})
        return box_id

    def obj(self, text: str, rect, inlets: int = 1, outlets: int = 1) -> str:
        """An object box such as [prepend run]."""
        return self.add("newobj", rect, inlets, outlets, text=text)

    def message(self, text: str, rect) -> str:
        """A message box."""
        return self.add("message", rect, 2, 1, text=text)

    def connect(self, source: str, outlet: int, destination: str, inlet: int = 0) -> None:
        """A patch cord."""
        self.lines.append({"patchline": {"source": [source, outlet], "destination": [destination, inlet]}})

    def to_json(self) -> dict:
        """The .maxpat document."""
        return {"patcher": {
            "fileversion": 1,
            "appversion": {"major": 8, "minor": 6, "revision": 0, "architecture": "x64", "modernui": 1},
            "classnamespace": "box", "rect": [100.0, 100.0, 1100.0, 720.0], "openinpresentation": 1,
            "default_fontsize": 10.0, "default_fontname": "Arial Bold", "gridsize": [8.0, 8.0],
            "devicewidth": 760.0,
            "description": "Segue: continue, interpolate, fuse, fade, generate, restyle, refine and optimize clips",
            "boxes": self.boxes, "lines": self.lines, "dependency_cache": [
                {"name": "segue_live.js", "type": "TEXT", "implicit": 1},
                {"name": "segue_osc.js", "type": "TEXT", "implicit": 1},
                {"name": "osc.js", "type": "TEXT", "implicit": 1}],
        }}


def live_parameter(name: str, kind: int, low: float, high: float, initial: float, unit: int = 0,
                   items: tuple[str, ...] = ()) -> dict:
    """saved_attribute_attributes for a live.* object: stored with the Live set, automatable;
    ``items`` names the choices of an enum (a live.menu)."""
    value = {"parameter_longname": f"Segue {name}", "parameter_shortname": name,
             "parameter_type": kind, "parameter_mmin": low, "parameter_mmax": high,
             "parameter_initial_enable": 1, "parameter_initial": [initial], "parameter_unitstyle": unit}
    if items:
        value["parameter_enum"] = list(items)
    return {"valueof": value}


def text_field(p: "Patcher", live: str, name: str, command: str, rect: tuple[float, float], presentation,
               text: str = "") -> None:
    """A one-line text box whose words go to the js object as ``command <words>`` on Enter, restored
    with the Live set (textedit has no Live parameter of its own, so a pattr keeps it)."""
    x, y = rect
    field = p.add("textedit", (x, y, 120, 20), 1, 4, presentation=presentation, text=text, varname=name,
                  keymode=1, lines=1)
    words = p.obj("route text", (x, y + 30, 70, 22), 2, 2)
    prepend = p.obj(f"prepend {command}", (x, y + 60, 130, 22))
    p.obj(f"pattr {name} @bindto {name}", (x + 140, y, 140, 22), 1, 3)
    p.boxes[-1]["box"]["saved_object_attributes"] = {"parameter_enable": 1, "parameter_type": 3}
    p.connect(field, 0, words)
    p.connect(words, 0, prepend)
    p.connect(prepend, 0, live)


def setting(p: "Patcher", live: str, maxclass: str, name: str, parameter: dict, rect, presentation,
            command: str, **attributes) -> None:
    """A live.* control whose value goes to the js object as ``command <value>``."""
    box = p.add(maxclass, rect, 1, 2 if maxclass != "live.toggle" else 1, presentation=presentation,
                parameter_enable=1, saved_attribute_attributes=parameter, varname=name, **attributes)
    prepend = p.obj(f"prepend {command}", (rect[0], rect[1] + 30, 150, 22))
    p.connect(box, 0, prepend)
    p.connect(prepend, 0, live)


def label(p: "Patcher", text: str, presentation: tuple[float, float, float, float]) -> None:
    """A caption shown in the device."""
    p.add("comment", (0, 0, presentation[2], presentation[3]), 1, 0, presentation=presentation, text=text)


def build() -> dict:
    """The whole device."""
    p = Patcher()
    midi_in = p.obj("midiin", (20, 20, 40, 22), 1, 1)
    midi_out = p.obj("midiout", (20, 60, 48, 22), 1, 0)
    p.connect(midi_in, 0, midi_out)  # a MIDI effect passes what it gets

    live = p.obj("js segue_live.js", (420, 560, 120, 22), 1, 2)
    network = p.obj("node.script segue_osc.js @autostart 1 @watch 0", (420, 620, 260, 22), 1, 2)
    p.connect(live, 0, network)
    p.connect(network, 0, live)
    status = p.add("textedit", (600, 560, 300, 40), 1, 4, presentation=(8, 150, 744, 20), readonly=1,
                   text="not connected: start `segue serve`", varname="status")
    p.connect(live, 1, status)

    buttons = [("Pick A", "pick_a"), ("Pick B", "pick_b"), ("Continue", "run continue"),
               ("Interpolate", "run interpolate"), ("Fuse", "run fuse"), ("Faders", "run faders"),
               ("Generate", "run generate"), ("Write", "write_pending"),
               ("Restyle", "run restyle"), ("Refine", "run refine"), ("Optimize", "run optimize")]
    for index, (caption, command) in enumerate(buttons):
        x = 20 + 110 * index
        button = p.add("live.text", (x, 120, 60, 20), 1, 2, presentation=(8 + 68 * index, 8, 64, 18),
                       text=caption, texton=caption, mode=0, parameter_enable=1,
                       saved_attribute_attributes=live_parameter(caption, 2, 0, 1, 0), varname=f"button {caption}")
        sel = p.obj("sel 1", (x, 150, 36, 22), 2, 2)
        msg = p.message(command, (x, 180, 90, 22))
        p.connect(button, 0, sel)
        p.connect(sel, 0, msg)
        p.connect(msg, 0, live)

    numbers = [("bars", 1, 64, 4), ("variations", 1, 16, 1), ("steps", 2, 33, 5), ("iterations", 1, 8, 1)]
    for index, (name, low, high, initial) in enumerate(numbers):
        setting(p, live, "live.numbox", name, live_parameter(name, 1, low, high, initial), (20 + 110 * index, 240, 44, 15),
                (8 + 60 * index, 40, 52, 15), f"param {name}")

    dials = [("temperature", "param temperature", 0.0, 2.0, 1.0)] + [
        (name, f"fader {name}", 0.0, 1.0, 0.5) for name in FADERS]
    for index, (name, command, low, high, initial) in enumerate(dials):
        setting(p, live, "live.dial", name, live_parameter(name, 0, low, high, initial), (20 + 110 * index, 320, 44, 48),
                (260 + 58 * index, 60, 44, 48), command)
    setting(p, live, "live.toggle", "use faders", live_parameter("use faders", 2, 0, 1, 0), (600, 320, 15, 15),
            (260, 115, 15, 15), "param use_faders")
    setting(p, live, "live.menu", "fuse method", live_parameter("fuse method", 2, 0, len(FUSE_METHODS) - 1, 0,
                                                                items=FUSE_METHODS),
            (600, 360, 100, 15), (100, 115, 110, 15), "param fuse_method")

    pad = p.add("pictslider", (20, 430, 80, 80), 2, 2, presentation=(8, 62, 80, 80), varname="style pad",
                bottomvalue=0, topvalue=127, leftvalue=0, rightvalue=127)
    for axis, name in enumerate(("style_x", "style_y")):
        scale = p.obj("scale 0 127 0. 1.", (120 + 140 * axis, 450, 110, 22), 6, 1)
        prepend = p.obj(f"prepend param {name}", (120 + 140 * axis, 480, 130, 22))
        p.connect(pad, axis, scale)
        p.connect(scale, 0, prepend)
        p.connect(prepend, 0, live)

    for index, which in enumerate(("a", "b")):  # a clip by its slot: track and slot as Live numbers them
        x = 420 + 180 * index
        track = p.add("live.numbox", (x, 430, 44, 15), 1, 2, presentation=(100 + 80 * index, 62, 36, 15),
                      parameter_enable=1, saved_attribute_attributes=live_parameter(f"{which} track", 1, 1, 128, 1),
                      varname=f"{which} track")
        slot = p.add("live.numbox", (x + 50, 430, 44, 15), 1, 2, presentation=(140 + 80 * index, 62, 36, 15),
                     parameter_enable=1, saved_attribute_attributes=live_parameter(f"{which} slot", 1, 1, 128, 1),
                     varname=f"{which} slot")
        pack = p.obj("pak 1 1", (x, 460, 60, 22), 2, 1)
        prepend = p.obj(f"prepend slot_{which}", (x, 490, 100, 22))
        p.connect(track, 0, pack, 0)
        p.connect(slot, 0, pack, 1)
        p.connect(pack, 0, prepend)
        p.connect(prepend, 0, live)

    text_field(p, live, "host", "host", (20, 560), (100, 90, 110, 18), "127.0.0.1")
    setting(p, live, "live.numbox", "port", live_parameter("port", 1, 1, 65535, 9000), (300, 560, 50, 15),
            (214, 90, 40, 15), "port")

    # The latent tools (issue 7), right of the rest: the genre box feeds generate, restyle and optimize.
    label(p, "genre", (560, 30, 40, 18))
    text_field(p, live, "genre", "param genre", (720, 120), (600, 30, 152, 18))
    setting(p, live, "live.dial", "amount", live_parameter("amount", 0, 0.0, 2.0, 1.0), (720, 240, 44, 48),
            (560, 52, 44, 48), "param amount")
    label(p, "refine steps", (608, 52, 64, 18))
    setting(p, live, "live.numbox", "refine steps", live_parameter("refine steps", 1, 1, 32, 8), (720, 320, 44, 15),
            (612, 72, 40, 15), "param max_iterations")
    setting(p, live, "live.menu", "objective", live_parameter("objective", 2, 0, len(OBJECTIVES) - 1, 0,
                                                              items=OBJECTIVES),
            (860, 120, 100, 15), (660, 52, 92, 15), "param objective")
    label(p, "target", (660, 72, 36, 18))
    text_field(p, live, "target", "param target", (860, 240), (696, 72, 56, 18))
    label(p, "budget", (660, 94, 36, 18))
    setting(p, live, "live.numbox", "budget", live_parameter("budget", 1, 4, 1024, 64), (860, 320, 50, 15),
            (700, 94, 52, 15), "param budget")
    return p.to_json()


def device_container(patcher_json: bytes) -> bytes:
    """The .amxd bytes of a MIDI-effect device holding ``patcher_json``."""
    return (b"ampf" + struct.pack("<I", 4) + b"mmmm" + b"meta" + struct.pack("<I", 4) + bytes(4)
            + b"ptch" + struct.pack("<I", len(patcher_json)) + patcher_json)


def main() -> int:
    """Write or check Segue.maxpat and Segue.amxd."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only verify that both files are up to date")
    args = parser.parse_args()
    text = (json.dumps(build(), indent=1) + "\n").encode("utf-8")
    outputs = {HERE / "Segue.maxpat": text, HERE / "Segue.amxd": device_container(text)}
    if args.check:
        stale = [path.name for path, data in outputs.items() if not path.exists() or path.read_bytes() != data]
        if stale:
            print(f"{', '.join(stale)} out of date: run python max_for_live/build_patcher.py", file=sys.stderr)
            return 1
        return 0
    for path, data in outputs.items():
        path.write_bytes(data)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
