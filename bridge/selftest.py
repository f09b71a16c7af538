"""``segue --self-test``: load the bundle, run every op once, open and close the OSC socket,
and a MIDI port where a MIDI system is available; print a summary; exit 0 when all passed."""
from __future__ import annotations

import socket
import threading
import time
from typing import Callable

CLIP = {"length": 16, "notes": [{"pitch": 60 + (i * 5) % 12, "start_time": i * 0.5, "duration": 0.5,
                                 "velocity": 70 + i} for i in range(32)]}
REQUESTS = {
    "info": {}, "encode": {"clip": CLIP}, "interpolate": {"a": CLIP, "b": CLIP, "steps": 3},
    "faders": {"clip": CLIP, "faders": {"density": 0.7}}, "generate": {"variations": 2, "seed": 1},
    "fuse": {"left": CLIP, "right": CLIP}, "continue": {"clip": CLIP, "bars": 4, "seed": 1},
    "restyle": {"clip": CLIP, "genre": "folk"}, "refine": {"clip": CLIP, "max_iterations": 3},
    "optimize": {"objective": "longest_notes", "budget": 8, "seed": 1},
}


def _timed(check: Callable[[], str]) -> tuple[bool, str, float]:
    began = time.perf_counter()
    try:
        detail = check()
        return True, detail, (time.perf_counter() - began) * 1000
    except Exception as error:  # the summary names what failed, and why
        return False, f"{type(error).__name__}: {error}", (time.perf_counter() - began) * 1000


def self_test(bundle: str | None = None) -> int:
    """Run the checks, print one line each, return the exit status."""
    from bridge.requests import HANDLERS
    from engine import Engine, parse_clip

    results: list[tuple[str, bool, str, float]] = []
    engine_box: list = []

    def load() -> str:
        engine_box.append(Engine(bundle))
        return f"bundle '{engine_box[0].bundle.name}' ({engine_box[0].bundle.path})"

    results.append(("load bundle", *_timed(load)))
    if engine_box:
        engine = engine_box[0]
        requests = {**REQUESTS, "decode": {"z": engine.encode(parse_clip(CLIP))[0].tolist(), "seed": 1}}
        for op, payload in requests.items():
            needs = {"fuse": "fusion", "continue": "continuation"}.get(op)
            if needs and not engine.model.has(needs):
                results.append((f"op {op}", True, "skipped: the bundle has no " + needs + " model", 0.0))
                continue
            results.append((f"op {op}", *_timed(lambda: f"{len(str(HANDLERS[op](engine, payload)))} bytes of result")))
        results.append(("OSC socket", *_timed(lambda: _osc_round_trip(engine))))
    results.append(("MIDI port", *_timed(_midi_port)))
    width = max(len(name) for name, *_ in results)
    for name, ok, detail, ms in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name:<{width}}  {ms:7.1f} ms  {detail}")
    failed = [name for name, ok, *_ in results if not ok]
    print(f"self-test: {len(results) - len(failed)} of {len(results)} passed" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _osc_round_trip(engine) -> str:
    from bridge.osc.protocol import build, parse_datagram
    from bridge.osc.server import OscServer

    server = OscServer(engine, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(5)
            client.sendto(build("/segue/ping", 7), server.address)
            address, args = parse_datagram(client.recvfrom(1 << 16)[0])[0]
        if address != "/segue/pong" or args[0] != 7:
            raise RuntimeError(f"unexpected reply {address} {args}")
        return f"ping answered on 127.0.0.1:{server.address[1]}"
    finally:
        server.stop()
        thread.join(timeout=5)
        server.shutdown()


def _midi_port() -> str:
    from bridge.midi.ports import MidiUnavailable, default_api, open_output

    reasons = []
    for api in dict.fromkeys([default_api(), "jack"]):
        try:
            port = open_output(api, None)
        except MidiUnavailable as error:
            reasons.append(str(error))
            continue
        port.close()
        return f"opened and closed 'Segue Out' on {api}"
    return "no MIDI system available here (not a failure): " + "; ".join(reasons)
