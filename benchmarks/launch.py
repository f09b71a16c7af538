"""Starting a Segue server for a benchmark and timing it to its first pong."""
from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from bridge.osc.protocol import build

ROOT = Path(__file__).resolve().parent.parent


def launch_until_pong(command: list[str], timeout: float = 30.0) -> tuple[subprocess.Popen, int, float]:
    """Run ``command`` (a ``serve`` command line) on a free OSC port; return the process, the
    port and the seconds from launch to the first pong."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(0.005)
    began = time.perf_counter()
    process = subprocess.Popen([*command, "--osc-port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - began < timeout:
            client.sendto(build("/segue/ping", 1), ("127.0.0.1", port))
            try:
                client.recvfrom(1 << 16)
                return process, port, time.perf_counter() - began
            except (socket.timeout, ConnectionRefusedError):
                continue
        process.kill()
        raise RuntimeError(f"no pong within {timeout:g} s from {' '.join(command)}")
    finally:
        client.close()
