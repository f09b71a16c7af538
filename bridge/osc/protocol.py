"""OSC protocol v1: addresses, request parsing, reply encoding, error codes. No sockets.

    /segue/ping <id:int>                  -> /segue/pong <id> <version:str> <bundle:str>
    /segue/<op> <id:int> <request:json>   -> /segue/result <id> <json> | /segue/error <id> <code> <message>
    /segue/param/<name> <value>           sets a session default (no reply)
    /segue/hello <reply_port:int>         replies to this host go to reply_port from now on (0: to senders again)
    /segue/learn <param:str>              MIDI learn: the next controller moved sets this param
    /segue/clip/b <clip:json>             the clip the live fuse and interpolate modes use
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pythonosc.osc_packet import OscPacket
from pythonosc.parsing import osc_types

PREFIX = "/segue/"
OPS = ("info", "encode", "decode", "interpolate", "faders", "generate", "fuse", "continue", "restyle", "refine",
       "optimize", "live")
MAX_DATAGRAM_BYTES = 65_000
MAX_REQUEST_BYTES = 60_000


class Code:
    """Error codes carried by /segue/error."""

    BAD_ARGUMENTS = "bad_arguments"  # OSC arguments of the wrong number or type
    BAD_JSON = "bad_json"  # the request string is not a JSON object
    BAD_REQUEST = "bad_request"  # a field is missing, of the wrong type or out of range
    UNKNOWN_OP = "unknown_op"
    UNKNOWN_ADDRESS = "unknown_address"
    TOO_LARGE = "too_large"  # over a documented limit (request size, notes, bars, variations)
    REPLY_TOO_LARGE = "reply_too_large"  # the result would not fit in one datagram
    SUPERSEDED = "superseded"  # a fader sweep moved on before this request started: only the latest is served
    INTERNAL = "internal"


class ProtocolError(Exception):
    """A message that cannot be served; ``request_id`` is set when the sender gave one."""

    def __init__(self, code: str, message: str, request_id: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


@dataclass(frozen=True)
class Ping:
    """``/segue/ping <id>``."""

    request_id: int


@dataclass(frozen=True)
class Hello:
    """``/segue/hello <reply_port>``."""

    reply_port: int


@dataclass(frozen=True)
class Param:
    """``/segue/param/<name> <value>``."""

    name: str
    value: Any


@dataclass(frozen=True)
class Learn:
    """``/segue/learn <param>``."""

    param: str


@dataclass(frozen=True)
class ClipB:
    """``/segue/clip/b <json>``, with the JSON already parsed (the clip is validated later)."""

    clip: Any


@dataclass(frozen=True)
class OpRequest:
    """``/segue/<op> <id> <json>``, with the JSON already parsed."""

    request_id: int
    op: str
    payload: dict


Message = Ping | Hello | Param | Learn | ClipB | OpRequest


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_datagram(datagram: bytes) -> list[tuple[str, list]]:
    """(address, arguments) of every message in a datagram (bundles are flattened)."""
    if len(datagram) > MAX_DATAGRAM_BYTES:
        raise ProtocolError(Code.TOO_LARGE, f"datagram of {len(datagram)} bytes; the limit is {MAX_DATAGRAM_BYTES}")
    try:
        packet = OscPacket(datagram)
    except Exception as error:  # python-osc raises ParseError, struct.error, UnicodeDecodeError, ...
        raise ProtocolError(Code.BAD_ARGUMENTS, f"not an OSC packet ({type(error).__name__}: {error})") from None
    return [(timed.message.address, list(timed.message.params)) for timed in packet.messages]


def parse_message(address: str, args: list) -> Message:
    """Turn one OSC message into a typed request, or raise ProtocolError."""
    request_id = args[0] if args and _is_int(args[0]) else None
    if not address.startswith(PREFIX):
        raise ProtocolError(Code.UNKNOWN_ADDRESS, f"{address} is not a Segue address", request_id)
    name = address[len(PREFIX):]
    if name == "ping":
        if len(args) != 1 or request_id is None:
            raise ProtocolError(Code.BAD_ARGUMENTS, "/segue/ping takes one int id", request_id)
        return Ping(request_id)
    if name == "hello":
        if len(args) != 1 or not _is_int(args[0]) or not 0 <= args[0] <= 65535:
            raise ProtocolError(Code.BAD_ARGUMENTS, "/segue/hello takes one int reply port 1..65535 (0 forgets it)")
        return Hello(args[0])
    if name.startswith("param/"):
        if len(args) != 1 or not isinstance(args[0], (int, float, str)) or isinstance(args[0], bool):
            raise ProtocolError(Code.BAD_ARGUMENTS, f"{address} takes one number or string")
        return Param(name[len("param/"):], args[0])
    if name == "learn":
        if len(args) != 1 or not isinstance(args[0], str):
            raise ProtocolError(Code.BAD_ARGUMENTS, "/segue/learn takes one param name")
        return Learn(args[0])
    if name == "clip/b":
        if len(args) != 1 or not isinstance(args[0], str):
            raise ProtocolError(Code.BAD_ARGUMENTS, "/segue/clip/b takes one clip as a JSON string")
        return ClipB(_json_object(args[0], None))
    if name not in OPS:
        raise ProtocolError(Code.UNKNOWN_OP if "/" not in name else Code.UNKNOWN_ADDRESS,
                            f"unknown op {name!r}; ops are {', '.join(OPS)}", request_id)
    if request_id is None or len(args) not in (1, 2) or (len(args) == 2 and not isinstance(args[1], str)):
        raise ProtocolError(Code.BAD_ARGUMENTS, f"{address} takes <id:int> <request:json string>", request_id)
    return OpRequest(request_id, name, _json_object(args[1] if len(args) == 2 else "{}", request_id))


def _json_object(text: str, request_id: int | None) -> dict:
    if len(text.encode("utf-8")) > MAX_REQUEST_BYTES:
        raise ProtocolError(Code.TOO_LARGE, f"request of {len(text)} bytes; the limit is {MAX_REQUEST_BYTES}", request_id)
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise ProtocolError(Code.BAD_JSON, f"request is not valid JSON ({error})", request_id) from None
    if not isinstance(payload, dict):
        raise ProtocolError(Code.BAD_JSON, "request must be a JSON object", request_id)
    return payload


_INT32 = range(-2**31, 2**31)
_ENCODERS = ((lambda a: isinstance(a, int) and a in _INT32, "i", osc_types.write_int),
             (lambda a: isinstance(a, int), "h", osc_types.write_int64),  # ids from hosts that send 64-bit ints
             (lambda a: isinstance(a, float), "f", osc_types.write_float),
             (lambda a: isinstance(a, str), "s", osc_types.write_string),
             (lambda a: isinstance(a, bytes), "b", osc_types.write_blob))


def build(address: str, *args: int | float | str | bytes) -> bytes:
    """Encode one OSC message with python-osc's type encoders. (Its OscMessageBuilder parses every
    message it builds back into a message, a byte-by-byte Python loop over the whole datagram, and
    results run to several kilobytes.)"""
    tags, encoded = ",", []
    for arg in args:
        kind = None if isinstance(arg, bool) else next((k for k in _ENCODERS if k[0](arg)), None)
        if kind is None:
            raise TypeError(f"OSC argument of type {type(arg).__name__} is not supported")
        tags += kind[1]
        encoded.append(kind[2](arg))
    return osc_types.write_string(address) + osc_types.write_string(tags) + b"".join(encoded)


def pong(request_id: int, version: str, bundle: str) -> bytes:
    """/segue/pong reply."""
    return build(PREFIX + "pong", request_id, version, bundle)


def result(request_id: int, payload: dict) -> bytes:
    """/segue/result reply, or a reply_too_large error when it would not fit one datagram."""
    text = json.dumps(payload, separators=(",", ":"))
    datagram = build(PREFIX + "result", request_id, text)
    if len(datagram) > MAX_DATAGRAM_BYTES:
        return error(request_id, Code.REPLY_TOO_LARGE,
                     f"the result is {len(datagram)} bytes, over one datagram; ask for fewer variations or bars")
    return datagram


def error(request_id: int, code: str, message: str) -> bytes:
    """/segue/error reply."""
    return build(PREFIX + "error", request_id, code, message)
