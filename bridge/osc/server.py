"""UDP transport for protocol v1: routes replies, enforces limits, and never dies.

A receiver thread reads datagrams; pings, hellos and params are answered on the spot, and
ops run on a small worker pool so one slow request never holds up the others.
"""
from __future__ import annotations

import itertools
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bridge import __version__
from bridge.osc import protocol
from bridge.osc.protocol import ClipB, Code, Hello, Learn, OpRequest, Param, Ping, ProtocolError
from bridge.requests import HANDLERS
from bridge.session import Session
from engine import ClipError, Engine, LimitError, parse_clip

log = logging.getLogger("segue.osc")
# Ops a controller sweeps: a newer request from the same sender makes an older, unstarted one moot.
LATEST_WINS = frozenset({"faders"})


class _DropCounter:
    """Logs each dropped message at INFO, and at most one WARNING summary per interval,
    so a flood of junk cannot flood the console too."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._count = 0
        self._last = float("-inf")

    def note(self, what: str) -> None:
        """Count one dropped datagram; log a summary at most once per interval."""
        log.info("dropped %s", what)
        with self._lock:
            self._count += 1
            now = time.monotonic()
            if now - self._last < self.interval:
                return
            count, self._count, self._last = self._count, 0, now
        log.warning("dropped %d malformed message%s (latest: %s)", count, "s" * (count != 1), what)


def is_loopback(address: str) -> bool:
    """Whether an address is this machine's own."""
    return address.startswith("127.") or address in ("::1", "localhost")


class OscServer:
    """Serves one engine on one UDP port."""

    def __init__(self, engine: Engine, host: str = "127.0.0.1", port: int = 9000, workers: int = 4,
                 allow: list[str] | None = None) -> None:
        self.engine = engine
        self.allow = set(allow or ())  # remote addresses served besides this machine's
        self.session = Session([f.name for f in engine.bundle.faders], [g.name for g in engine.bundle.genres])
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self._socket.bind((host, port))
        self._socket.settimeout(0.2)
        self._reply_ports: dict[str, int] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="segue-op")
        self._stopping = threading.Event()
        self._dropped = _DropCounter()
        self._handlers = dict(HANDLERS)
        self._sequence = itertools.count()
        self._latest: dict[tuple, int] = {}  # (sender, op) -> sequence number of its newest sweep request
        self.live = None

    def attach_live(self, live) -> None:
        """Serve ``live`` (a :class:`bridge.midi.live.LiveMidi`): the live op, MIDI learn."""
        self.live = live
        self._handlers["live"] = lambda engine, payload: live.status()

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) actually bound (useful with port 0)."""
        return self._socket.getsockname()

    def serve_forever(self) -> None:
        """Receive and dispatch until :meth:`shutdown`."""
        while not self._stopping.is_set():
            try:
                datagram, sender = self._socket.recvfrom(1 << 16)
            except socket.timeout:
                continue
            except OSError as error:  # e.g. ICMP port unreachable from a vanished client
                if self._stopping.is_set():
                    break
                log.debug("receive failed: %s", error)
                continue
            try:
                self.handle_datagram(datagram, sender)
            except Exception:  # a bug in one message must not stop the server
                log.exception("unexpected failure on a datagram from %s:%s", *sender)

    def stop(self) -> None:
        """Ask :meth:`serve_forever` to return (safe from signal handlers)."""
        self._stopping.set()

    def shutdown(self) -> None:
        """Stop receiving, let running ops finish, close the socket."""
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._socket.close()

    def handle_datagram(self, datagram: bytes, sender: tuple[str, int]) -> None:
        """Parse a datagram and serve each message in it; never raises."""
        if not (is_loopback(sender[0]) or sender[0] in self.allow):
            self._dropped.note(f"datagram from {sender[0]}, which is not in the --allow list")
            return
        try:
            messages = protocol.parse_datagram(datagram)
        except ProtocolError as error:
            self._dropped.note(f"datagram from {sender[0]}:{sender[1]}: {error.message}")
            return
        for address, args in messages:
            try:
                self._dispatch(protocol.parse_message(address, args), sender)
            except ProtocolError as error:
                self._refuse(error, sender, address)

    def _dispatch(self, message: protocol.Message, sender: tuple[str, int]) -> None:
        if isinstance(message, Ping):
            self._send(protocol.pong(message.request_id, __version__, self.engine.bundle.name), sender)
        elif isinstance(message, Hello):
            if message.reply_port:
                self._reply_ports[sender[0]] = message.reply_port
            else:
                self._reply_ports.pop(sender[0], None)
            log.info("replies to %s now go to port %s", sender[0], message.reply_port or "of each sender")
        elif isinstance(message, Param):
            try:
                self.session.set(message.name, message.value)
            except ClipError as error:
                log.warning("param from %s:%s refused: %s", *sender, error)
        elif isinstance(message, Learn):
            if self.live is None:
                log.warning("MIDI learn from %s:%s refused: live MIDI is off", *sender)
                return
            try:
                self.live.control.learn(message.param)
            except ValueError as error:
                log.warning("MIDI learn from %s:%s refused: %s", *sender, error)
        elif isinstance(message, ClipB):
            try:
                self.session.clip_b = parse_clip(message.clip, "clip b")
            except ClipError as error:
                log.warning("clip B from %s:%s refused: %s", *sender, error)
        elif isinstance(message, OpRequest):
            sequence = None
            if message.op in LATEST_WINS:
                sequence = self._latest[(sender, message.op)] = next(self._sequence)
            self._pool.submit(self._run_op, message, sender, sequence)

    def _run_op(self, request: OpRequest, sender: tuple[str, int], sequence: int | None = None) -> None:
        if sequence is not None and self._latest.get((sender, request.op)) != sequence:
            self._send(protocol.error(request.request_id, Code.SUPERSEDED,
                                      f"a newer {request.op} request from this sender replaced this one"), sender)
            return
        try:
            payload = self.session.apply(request.op, request.payload)
            reply = protocol.result(request.request_id, self._handlers[request.op](self.engine, payload))
        except LimitError as error:
            reply = protocol.error(request.request_id, Code.TOO_LARGE, str(error))
        except ClipError as error:
            reply = protocol.error(request.request_id, Code.BAD_REQUEST, str(error))
        except Exception as error:  # the server must survive any bug in one request
            log.exception("op %s (id %s) failed", request.op, request.request_id)
            reply = protocol.error(request.request_id, Code.INTERNAL, f"{type(error).__name__}: {error}")
        self._send(reply, sender)

    def _refuse(self, error: ProtocolError, sender: tuple[str, int], address: str) -> None:
        if error.request_id is None:
            self._dropped.note(f"{address} from {sender[0]}:{sender[1]}: {error.message}")
            return
        self._send(protocol.error(error.request_id, error.code, error.message), sender)

    def _send(self, datagram: bytes, sender: tuple[str, int]) -> None:
        target = (sender[0], self._reply_ports.get(sender[0], sender[1]))
        try:
            self._socket.sendto(datagram, target)
        except OSError as error:
            log.warning("could not reply to %s:%s: %s", *target, error)
