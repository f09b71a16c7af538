"""Live MIDI timing over a real JACK server (dummy driver, 32-frame periods = 0.67 ms at
48 kHz): how soon an answer is ready after its phrase is captured, and how far each
answer note lands from the clock tick it belongs to. Prints a markdown report; ``--write``
puts it into docs/live-midi.md between its markers.

    python benchmarks/midi_timing.py                      # shipped bundle, 16 phrases per mode
    python benchmarks/midi_timing.py --write docs/live-midi.md

A probe client plays MIDI clock and melodies into "Segue In" and listens to "Segue Out"
and to its own clock on one JACK input, so note offsets are measured on JACK's clock.
Needs Debian's jackd2 (jackd, jack_connect); starts a server unless one runs.
"""
from __future__ import annotations

import argparse
import json
import platform
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.markdown import machine, publish  # noqa: E402
from bridge.midi.clock import PPQN, TICKS_PER_STEP  # noqa: E402
from bridge.midi.probe import CLOCK, Probe, note, release_parked, start_dummy_jack  # noqa: E402
from bridge.osc.protocol import build, parse_datagram  # noqa: E402
from engine.bundle import DEFAULT_BUNDLE  # noqa: E402

START, END = "<!-- midi-timing:start -->", "<!-- midi-timing:end -->"
BAR = 4 * PPQN


def melody(rng: np.random.Generator, start_tick: int, bars: int) -> dict[int, list[tuple[int, ...]]]:
    """A random monophonic line on the 16th grid: {tick: messages}."""
    events: dict[int, list[tuple[int, ...]]] = {}
    step, end = 0, bars * 16
    while step < end:
        length = int(rng.choice([1, 2, 2, 4, 4, 6, 8]))
        pitch = int(rng.integers(60, 80))
        on, off = start_tick + step * TICKS_PER_STEP, start_tick + min(end, step + length) * TICKS_PER_STEP - 2
        events.setdefault(on, []).append(note(pitch, int(rng.integers(50, 120))))
        events.setdefault(off, []).append(note(pitch, on=False))
        step += length + int(rng.choice([0, 0, 1, 2]))
    return events


def live_status(port: int) -> dict:
    """The server's ``live`` op result."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(5)
        client.sendto(build("/segue/live", 1, "{}"), ("127.0.0.1", port))
        return json.loads(parse_datagram(client.recvfrom(65536)[0])[0][1][1])


def run_mode(bundle: Path, mode: str, phrases: int, phrase_bars: int, bpm: float, seed: int) -> dict:
    """Play ``phrases`` phrases to a server in ``mode``; return readiness and note offsets."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bridge", "serve", "--bundle", str(bundle), "--osc-port", "0", "--midi-api", "jack",
         "--mode", mode, "--phrase-bars", str(phrase_bars)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(re.search(r":(\d+) ", process.stdout.readline()).group(1))
        if "MIDI (jack)" not in process.stdout.readline():
            raise RuntimeError("the server could not open JACK MIDI ports")
        probe = Probe()
        rng = np.random.default_rng(seed)
        # call-response alternates call and answer; continuous hears a phrase every bar.
        stride = 2 * phrase_bars if mode != "continuous" else phrase_bars
        events: dict[int, list[tuple[int, ...]]] = {}
        for index in range(phrases):
            for tick, messages in melody(rng, index * stride * BAR, phrase_bars).items():
                events.setdefault(tick, []).extend(messages)
        total = (phrases * stride + 2 * phrase_bars) * BAR + TICKS_PER_STEP
        probe.play(bpm, total, events)
        probe.settle(0.5)
        status = live_status(port)
        ticks = np.array(probe.tick_times())  # with any tick the probe's input dropped put back
        heard = sum(r.data[0] == CLOCK for r in probe.messages())
        offsets, on_grid = [], 0
        for received in probe.note_ons():
            index = int(np.searchsorted(ticks, received.time, side="right")) - 1
            offsets.append((received.time - ticks[index]) * 1000)
            on_grid += index % TICKS_PER_STEP == 0
        hanging = probe.hanging()
        probe.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    return {"mode": mode, "readiness": status["readiness_ms"], "offsets": np.array(offsets), "on_grid": on_grid,
            "late": status["late_notes"], "hanging": len(hanging), "ticks": heard, "sent_ticks": total}


def report(bundle: Path, phrases: int, phrase_bars: int, bpm: float) -> str:
    """Run both modes and return the markdown report."""
    jack = start_dummy_jack()
    try:
        results = [run_mode(bundle, mode, phrases, phrase_bars, bpm, seed)
                   for seed, mode in enumerate(("call-response", "continuous"))]
    finally:
        if jack is not None:
            jack.terminate()
            jack.wait()
            release_parked()
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, "
             f"Python {platform.python_version()}, bundle `{bundle.name}`, JACK dummy driver at 48 kHz with "
             f"32-frame periods (0.67 ms), {bpm:g} bpm, {phrase_bars}-bar phrases, with "
             f"`python benchmarks/midi_timing.py --phrases {phrases}`.", "",
             "Answer readiness: from the clock tick that captures a phrase (half a 16th before its last bar line) "
             "to the answer being ready. Target: p99 ≤ 10 ms.", "",
             "| mode | answers | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|"]
    for r in results:
        ready = r["readiness"]
        lines.append(f"| {r['mode']} | {ready['count']} | {ready.get('p50', float('nan')):.2f} | "
                     f"{ready.get('p99', float('nan')):.2f} | {ready.get('max', float('nan')):.2f} |")
    lines += ["", "Note offsets: each answer note-on's arrival after the clock tick it belongs to, both heard "
              "by the probe on one JACK input (so the offset includes two JACK hops). Targets: p99 ≤ 5 ms, "
              "spread (p99 − p1) ≤ 1 ms; no hanging notes.", "",
              "| mode | notes | on a 16th tick | p1 ms | p50 ms | p99 ms | spread ms | late | hanging |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        o = r["offsets"]
        p1, p50, p99 = (np.percentile(o, q) if len(o) else float("nan") for q in (1, 50, 99))
        lines.append(f"| {r['mode']} | {len(o)} | {r['on_grid']} | {p1:.2f} | {p50:.2f} | {p99:.2f} | "
                     f"{p99 - p1:.2f} | {r['late']} | {r['hanging']} |")
    lines += ["", "Clock ticks heard back by the probe (any it missed are put back from the gaps): " + ", ".join(
        f"{r['mode']} {r['ticks']} of {r['sent_ticks']}" for r in results) + "."]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--phrases", type=int, default=16)
    parser.add_argument("--phrase-bars", type=int, default=1)
    parser.add_argument("--bpm", type=float, default=120.0)
    parser.add_argument("--write", type=Path, help="markdown file whose timing section to replace")
    args = parser.parse_args()
    text = report(args.bundle, args.phrases, args.phrase_bars, args.bpm)
    publish(text, args.write, START, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
