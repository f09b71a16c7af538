"""OSCQuery (the Vidvox proposal): Segue's OSC address space as JSON over HTTP, so
controllers and patchers can discover the parameters and ops on their own.

    GET /                       the whole tree
    GET /segue/param/alpha      one node
    GET /segue/param/alpha?VALUE  one attribute: {"VALUE": [0.5]}
    GET /?HOST_INFO             the server's name, OSC port and transport

Parameters carry TYPE, RANGE, VALUE (the current value), DESCRIPTION and ACCESS (3: read and
write); ops are write-only nodes (ACCESS 2) whose DESCRIPTION gives the request. Served on
127.0.0.1 only, with no zeroconf announcement.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from bridge.osc.protocol import OPS, PREFIX
from bridge.session import Session

READ_WRITE, WRITE_ONLY = 3, 2
OP_DESCRIPTIONS = {
    "info": "bundle summary: faders, genres, ops, limits",
    "encode": '{"clip"} -> {"z"}',
    "decode": '{"z", "length"?, "temperature"?, "seed"?} -> {"clip"}',
    "interpolate": '{"a", "b", "steps" | "alpha", "method"?} -> {"clips"}',
    "faders": '{"clip", "faders": {name: 0..1}} -> {"clip"}',
    "generate": '{"variations"?, "temperature"?, "seed"?, "faders"?, "genre"?} -> {"clips"}',
    "fuse": '{"left", "right", "style"?, "iterations"?, "similarity"?, "candidates"?} -> {"clip", "left", "right"}',
    "continue": '{"clip", "bars"?, "variations"?, "temperature"?, "seed"?, "fuse_with"?, "interpolate_to"?, '
                '"alpha"?, "faders"?, "candidates"?} -> {"clips"}',
    "restyle": '{"clip", "genre", "amount"?} -> {"clip"}',
    "refine": '{"clip", "max_iterations"?} -> {"clips", "fixed_point"}',
    "optimize": '{"objective", "target"?, "budget"?, "seed"?} -> {"clip", "score", "met", "evaluations"}',
    "live": "{} -> live MIDI status",
}


def _parameter_node(spec: dict[str, Any]) -> dict[str, Any]:
    node = {"FULL_PATH": f"{PREFIX}param/{spec['name']}", "TYPE": spec["type"], "ACCESS": READ_WRITE,
            "DESCRIPTION": spec["description"],
            "VALUE": [] if spec["value"] is None else [spec["value"]]}
    if "range" in spec:
        node["RANGE"] = [{"MIN": spec["range"][0], "MAX": spec["range"][1]}]
    else:
        node["RANGE"] = [{"VALS": list(spec["values"])}]
    return node


def address_space(session: Session) -> dict[str, Any]:
    """The whole OSCQuery tree, with the session's current values."""
    params = {spec["name"]: _parameter_node(spec) for spec in session.describe()}
    ops = {op: {"FULL_PATH": f"{PREFIX}{op}", "TYPE": "is", "ACCESS": WRITE_ONLY,
                "DESCRIPTION": f"<id:int> <request:json> {OP_DESCRIPTIONS[op]}; replies /segue/result or /segue/error"}
           for op in OPS}
    ops["ping"] = {"FULL_PATH": f"{PREFIX}ping", "TYPE": "i", "ACCESS": WRITE_ONLY,
                   "DESCRIPTION": "<id:int>; replies /segue/pong <id> <version> <bundle>"}
    segue = {"FULL_PATH": PREFIX.rstrip("/"), "CONTENTS": {
        **ops, "param": {"FULL_PATH": f"{PREFIX}param", "CONTENTS": params,
                         "DESCRIPTION": "session defaults; a request's own fields win"}}}
    return {"FULL_PATH": "/", "CONTENTS": {"segue": segue}}


def find(tree: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The node at an OSC path, or None."""
    node = tree
    for part in [p for p in path.split("/") if p]:
        node = node.get("CONTENTS", {}).get(part)
        if node is None:
            return None
    return node


class OscQueryServer:
    """The HTTP side, on its own thread."""

    def __init__(self, session: Session, osc_port: int, port: int, host: str = "127.0.0.1") -> None:
        self.session, self.osc_port = session, osc_port
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                status, body = server.answer(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:  # requests are not logged: a patcher may poll often
                pass

        self.http = ThreadingHTTPServer((host, port), Handler)
        self.http.daemon_threads = True
        self._thread = threading.Thread(target=self.http.serve_forever, name="segue-oscquery", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) actually bound."""
        return self.http.server_address[:2]

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        """HTTP status and JSON body for a GET of ``path`` (with an optional attribute query)."""
        parts = urlsplit(path)
        if parts.query == "HOST_INFO":
            return 200, {"NAME": "Segue", "OSC_PORT": self.osc_port, "OSC_TRANSPORT": "UDP",
                         "EXTENSIONS": {"ACCESS": True, "VALUE": True, "RANGE": True, "DESCRIPTION": True,
                                        "TYPE": True}}
        node = find(address_space(self.session), parts.path)
        if node is None:
            return 404, {"error": f"no OSC node at {parts.path}"}
        if parts.query:
            if parts.query not in node:
                return 404, {"error": f"{parts.path} has no attribute {parts.query}"}
            return 200, {parts.query: node[parts.query]}
        return 200, node

    def start(self) -> None:
        """Serve in the background."""
        self._thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.http.shutdown()
        self.http.server_close()
