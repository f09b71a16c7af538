"""A tiny OSC-over-UDP client and server launcher for the tests."""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from bridge.osc.protocol import build, parse_datagram

ROOT = Path(__file__).resolve().parent.parent


class Client:
    """Sends OSC messages to a server and reads its replies."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> None:
        self.target = (host, port)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(timeout)

    def send(self, address: str, *args) -> None:
        self.socket.sendto(build(address, *args), self.target)

    def send_raw(self, datagram: bytes) -> None:
        self.socket.sendto(datagram, self.target)

    def receive(self) -> tuple[str, list]:
        datagram, _ = self.socket.recvfrom(1 << 16)
        return parse_datagram(datagram)[0]

    def request(self, op: str, request_id: int, payload: dict | str) -> tuple[str, list]:
        """Send an op and wait for the reply with this id (skipping others)."""
        self.send(f"/segue/{op}", request_id, payload if isinstance(payload, str) else json.dumps(payload))
        while True:
            address, args = self.receive()
            if args and args[0] == request_id:
                return address, args

    def result(self, op: str, request_id: int, payload: dict) -> dict:
        address, args = self.request(op, request_id, payload)
        assert address == "/segue/result", args
        return json.loads(args[1])

    def close(self) -> None:
        self.socket.close()


def start_server(bundle: Path, *extra: str, midi: bool = False) -> tuple[subprocess.Popen, int]:
    """Start ``segue serve`` on a free port (OSC only unless ``midi``); returns the process and its port."""
    # stderr goes to a file: a pipe nobody reads would fill up and stall the server.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "bridge", "serve", "--bundle", str(bundle), "--osc-port", "0",
         *extra, *(() if midi else ("--no-midi",))],
        stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
    process.log = log
    line = process.stdout.readline()
    match = re.search(r"osc\.udp://[\d.]+:(\d+)", line)
    if not match:
        process.kill()
        raise RuntimeError(f"server did not start: {line!r} {server_log(process)}")
    return process, int(match.group(1))


def server_log(process: subprocess.Popen) -> str:
    """Everything the server wrote to stderr so far."""
    process.log.seek(0)
    return process.log.read()
