"""Soak: mixed ops at a steady request rate for a while, including fader sweeps (latest
wins), against a real server. Prints p50/p99 round trips, how many requests were answered,
superseded or refused, and the server's memory at the start and the end.

    python benchmarks/soak.py --seconds 60 --rate 200
    python benchmarks/soak.py --write docs/performance.md
"""
from __future__ import annotations

import argparse
import json
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
from bridge.osc.protocol import build, parse_datagram  # noqa: E402
from engine.bundle import DEFAULT_BUNDLE  # noqa: E402

START, END = "<!-- soak:start -->", "<!-- soak:end -->"
CLIP = {"length": 16, "notes": [{"pitch": 60 + (i * 7) % 12, "start_time": i * 0.5, "duration": 0.5,
                                 "velocity": 70 + i % 40} for i in range(32)]}


def rss_kb(pid: int) -> int:
    """Resident memory of a process."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def mix(step: int) -> tuple[str, dict]:
    """The request sent at ``step``: mostly fader sweeps (a controller turning a knob), with
    every other op mixed in."""
    kind = step % 10
    if kind < 5:
        return "faders", {"clip": CLIP, "faders": {"density": (step % 50) / 49, "register": 0.5}}
    return [("interpolate", {"a": CLIP, "b": CLIP, "steps": 3}), ("generate", {"variations": 2, "seed": step}),
            ("continue", {"clip": CLIP, "bars": 4, "seed": step}), ("encode", {"clip": CLIP}),
            ("fuse", {"left": CLIP, "right": CLIP})][kind - 5]


def soak(port: int, pid: int, seconds: float, rate: float, settle: float = 5.0) -> dict:
    """Send at ``rate`` requests per second for ``seconds``; collect the replies that arrive
    by ``settle`` seconds after the last request (what is missing then was a backlog)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sock.setblocking(False)
    sent_at: dict[int, float] = {}
    answers: dict[int, tuple[str, float]] = {}

    def drain() -> None:
        while True:
            try:
                data = sock.recv(1 << 16)
            except BlockingIOError:
                return
            address, args = parse_datagram(data)[0]
            if args and args[0] in sent_at:
                answers[args[0]] = (args[1] if address == "/segue/error" else "ok", time.perf_counter())

    rss_start = rss_kb(pid)
    began = time.perf_counter()
    step = 0
    while (now := time.perf_counter()) - began < seconds:
        due = began + step / rate
        if now < due:
            time.sleep(min(due - now, 0.001))
            drain()
            continue
        op, payload = mix(step)
        sent_at[step] = time.perf_counter()
        sock.sendto(build(f"/segue/{op}", step, json.dumps(payload)), ("127.0.0.1", port))
        step += 1
        drain()
    deadline = time.perf_counter() + settle
    while len(answers) < len(sent_at) and time.perf_counter() < deadline:
        time.sleep(0.01)
        drain()
    sock.close()
    served = [answers[i][1] - sent_at[i] for i in sent_at if i in answers and answers[i][0] == "ok"]
    kinds = [answer for answer, _ in answers.values()]
    times = np.array(served) * 1000
    return {"sent": len(sent_at), "answered": len(answers), "ok": kinds.count("ok"),
            "superseded": kinds.count("superseded"), "errors": len(kinds) - kinds.count("ok") - kinds.count("superseded"),
            "rate": len(sent_at) / seconds, "p50_ms": float(np.percentile(times, 50)) if len(times) else float("nan"),
            "p99_ms": float(np.percentile(times, 99)) if len(times) else float("nan"),
            "rss_start_mb": rss_start / 1024, "rss_end_mb": rss_kb(pid) / 1024}


def start_server(bundle: Path) -> tuple[subprocess.Popen, int]:
    """``segue serve`` (OSC only) on a free port."""
    process = subprocess.Popen([sys.executable, "-m", "bridge", "serve", "--bundle", str(bundle), "--osc-port", "0",
                                "--no-midi"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return process, int(re.search(r":(\d+) ", process.stdout.readline()).group(1))


def run(bundle: Path, seconds: float, rate: float, settle: float = 5.0) -> dict:
    """Start a server, soak it, stop it."""
    process, port = start_server(bundle)
    try:
        return soak(port, process.pid, seconds, rate, settle)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--write", type=Path, help="markdown file whose soak section to replace")
    args = parser.parse_args()
    r = run(args.bundle, args.seconds, args.rate)
    text = "\n".join([
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, with "
        f"`python benchmarks/soak.py --seconds {args.seconds:g} --rate {args.rate:g}`: half the requests are fader "
        "sweeps (latest wins), the rest interpolate, generate, continue, encode and fuse on 4-bar clips. "
        "Targets: p99 ≤ 10 ms at 200 requests/s, no backlog.", "",
        "| sent | rate /s | answered | served | superseded | errors | p50 ms | p99 ms | RSS start MB | RSS end MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {r['sent']} | {r['rate']:.0f} | {r['answered']} | {r['ok']} | {r['superseded']} | {r['errors']} | "
        f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['rss_start_mb']:.1f} | {r['rss_end_mb']:.1f} |", ""])
    publish(text, args.write, START, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
