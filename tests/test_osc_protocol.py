"""Protocol parsing and reply encoding without sockets, and the server's last-resort paths."""
import socket

import pytest

from bridge.osc import protocol
from bridge.osc.protocol import Code, Hello, OpRequest, Param, Ping, ProtocolError


def test_parse_each_kind_of_message():
    assert protocol.parse_message("/segue/ping", [3]) == Ping(3)
    assert protocol.parse_message("/segue/hello", [9001]) == Hello(9001)
    assert protocol.parse_message("/segue/param/density", [0.5]) == Param("density", 0.5)
    assert protocol.parse_message("/segue/encode", [4, '{"clip": {}}']) == OpRequest(4, "encode", {"clip": {}})
    assert protocol.parse_message("/segue/info", [5]) == OpRequest(5, "info", {})


def test_built_messages_parse_back_with_python_osc_and_other_types_are_refused():
    args = [7, -2**31, 2**40, 0.5, "é" * 3000, b"\x00\x01"]
    assert protocol.parse_datagram(protocol.build("/segue/result", *args)) == [("/segue/result", args)]
    with pytest.raises(TypeError, match="bool is not supported"):
        protocol.build("/segue/ping", True)


@pytest.mark.parametrize("address, args, code, request_id, message", [
    ("/segue/ping", [], Code.BAD_ARGUMENTS, None, "takes one int id"),
    ("/segue/ping", [1.0], Code.BAD_ARGUMENTS, None, "takes one int id"),
    ("/segue/hello", [70000], Code.BAD_ARGUMENTS, None, "reply port"),
    ("/segue/param/density", [], Code.BAD_ARGUMENTS, None, "takes one number or string"),
    ("/other/thing", [8], Code.UNKNOWN_ADDRESS, 8, "not a Segue address"),
    ("/segue/a/b", [8], Code.UNKNOWN_ADDRESS, 8, "unknown op"),
    ("/segue/encode", [True, "{}"], Code.BAD_ARGUMENTS, None, "takes <id:int>"),
    ("/segue/encode", [6, "{}", "extra"], Code.BAD_ARGUMENTS, 6, "takes <id:int>"),
    ("/segue/encode", [6, "[" * 100_000], Code.TOO_LARGE, 6, "the limit is 60000"),
    ("/segue/encode", [6, "[" * 5000 + "]" * 5000], Code.BAD_JSON, 6, "not valid JSON"),
    ("/segue/encode", [6, "[1]"], Code.BAD_JSON, 6, "must be a JSON object"),
])
def test_malformed_messages(address, args, code, request_id, message):
    with pytest.raises(ProtocolError) as caught:
        protocol.parse_message(address, args)
    assert caught.value.code == code and caught.value.request_id == request_id
    assert message in caught.value.message


def test_datagram_limits_and_garbage():
    with pytest.raises(ProtocolError, match="not an OSC packet"):
        protocol.parse_datagram(b"\xff" * 40)
    with pytest.raises(ProtocolError, match="the limit is 65000"):
        protocol.parse_datagram(b"/" * 70_000)


def test_bundles_are_flattened():
    from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
    from pythonosc.osc_message_builder import OscMessageBuilder

    bundle = OscBundleBuilder(IMMEDIATELY)
    for i in (1, 2):
        message = OscMessageBuilder("/segue/ping")
        message.add_arg(i)
        bundle.add_content(message.build())
    assert protocol.parse_datagram(bundle.build().dgram) == [("/segue/ping", [1]), ("/segue/ping", [2])]


def test_a_result_too_large_for_one_datagram_becomes_an_error():
    datagram = protocol.result(9, {"blob": "x" * 70_000})
    address, args = protocol.parse_datagram(datagram)[0]
    assert address == "/segue/error" and args[:2] == [9, Code.REPLY_TOO_LARGE] and "fewer variations" in args[2]


def test_an_exception_in_an_op_becomes_an_internal_error_and_the_server_goes_on(tiny_bundle, monkeypatch):
    import threading

    from bridge import requests
    from bridge.osc.server import OscServer
    from engine import Engine

    def broken(engine, payload):
        raise RuntimeError("boom")

    monkeypatch.setitem(requests.HANDLERS, "info", broken)
    server = OscServer(Engine(tiny_bundle), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(10)
    try:
        client.sendto(protocol.build("/segue/info", 1, "{}"), server.address)
        address, args = protocol.parse_datagram(client.recvfrom(65536)[0])[0]
        assert address == "/segue/error" and args == [1, Code.INTERNAL, "RuntimeError: boom"]
        client.sendto(protocol.build("/segue/ping", 2), server.address)
        assert protocol.parse_datagram(client.recvfrom(65536)[0])[0][0] == "/segue/pong"
    finally:
        client.close()
        server.stop()
        thread.join(timeout=5)
        server.shutdown()


def test_session_params_validate_and_merge():
    from bridge.session import Session
    from engine import ClipError

    session = Session(["density"], ["folk"])
    session.set("density", 0.25)
    session.set("variations", 3.0)
    session.set("genre", "folk")
    assert session.apply("generate", {"faders": {"register": 1}}) == {
        "faders": {"density": 0.25, "register": 1}, "variations": 3, "genre": "folk"}
    session.set("alpha", 0.4)
    assert session.apply("interpolate", {"a": 1})["alpha"] == 0.4
    assert session.apply("interpolate", {"steps": 3}) == {"steps": 3}
    for name, value, message in (("density", 2.0, "must be in 0.0..1.0"), ("genre", "polka", "must be one of"),
                                 ("volume", 1.0, "unknown param 'volume'"), ("seed", "x", "must be a number")):
        with pytest.raises(ClipError, match=message):
            session.set(name, value)
