"""A real `segue serve` subprocess answering real UDP requests, including every error path."""
import json
import os
import random
import signal
import socket

import pytest

from engine.attributes import ATTRIBUTES
from bridge.osc.protocol import build
from tests.oscclient import Client, server_log, start_server

CLIP = {"length": 16, "notes": [{"pitch": 60 + i % 7, "start_time": i * 0.5, "duration": 0.5, "velocity": 80 + i}
                                for i in range(32)]}


@pytest.fixture(scope="module")
def server(tiny_pair_bundle):
    process, port = start_server(tiny_pair_bundle)
    yield port
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)


@pytest.fixture
def client(server):
    c = Client(server)
    yield c
    c.close()


def test_ping_pongs_with_version_and_bundle(client):
    client.send("/segue/ping", 7)
    address, args = client.receive()
    assert address == "/segue/pong" and args[0] == 7 and args[2] == "tiny" and isinstance(args[1], str)


def test_info_lists_faders_genres_ops_and_limits(client):
    info = client.result("info", 1, {})
    assert [f["name"] for f in info["faders"]] == list(ATTRIBUTES)
    assert info["genres"] == ["folk", "celtic", "chorale"]
    assert {"interpolate", "fuse", "continue"} <= set(info["ops"]) and info["limits"]["notes"] == 1024
    assert info["fusion"]["similarity"] == [0.1, 10.0]
    assert info["decoder"] == "float", "the test bundle has no int8 decoder"


def test_fuse_and_continue(client):
    fused = client.result("fuse", 8, {"left": CLIP, "right": CLIP, "style": [0, 1], "iterations": 2,
                                      "keep_iterations": True})
    assert fused["clip"]["length"] == 32 and fused["left"]["length"] == 16 and len(fused["iterations"]) == 2
    plain = client.result("continue", 9, {"clip": CLIP, "bars": 8, "variations": 2, "seed": 1})["clips"]
    assert len(plain) == 2 and all(c["length"] == 32 for c in plain)
    shaped = client.result("continue", 10, {"clip": CLIP, "fuse_with": CLIP, "interpolate_to": CLIP, "alpha": 0.2,
                                            "faders": {"density": 0.3}, "style": [1, 1]})["clips"]
    assert len(shaped) == 1 and shaped[0]["length"] == 16


def test_live_op_learn_and_clip_b_without_midi_say_why(tiny_pair_bundle):
    process, port = start_server(tiny_pair_bundle, "--verbose")
    client = Client(port)
    try:
        address, args = client.request("live", 4, {})
        assert address == "/segue/error" and args[1] == "bad_request" and "live MIDI is off" in args[2]
        client.send("/segue/learn", "alpha")
        client.send("/segue/clip/b", json.dumps({"length": 4, "notes": [{"pitch": 200}]}))
        client.send("/segue/clip/b", 5)
        client.send("/segue/ping", 1)
        assert client.receive()[0] == "/segue/pong"
        log = server_log(process)
        assert "MIDI learn from 127.0.0.1" in log and "live MIDI is off" in log
        assert "clip B from 127.0.0.1" in log and "/segue/clip/b takes one clip" in log
    finally:
        client.close()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_restyle_refine_and_optimize(client):
    restyled = client.result("restyle", 20, {"clip": CLIP, "genre": {"folk": 1, "chorale": 1}, "amount": 0.5})
    assert restyled["clip"]["length"] == 16
    refined = client.result("refine", 21, {"clip": CLIP, "max_iterations": 3})
    assert 1 <= len(refined["clips"]) <= 3 and isinstance(refined["fixed_point"], bool)
    found = client.result("optimize", 22, {"objective": "pitch_range", "target": 12, "budget": 16, "seed": 2})
    assert found["evaluations"] == 16 and set(found) >= {"clip", "score", "met"}
    for request_id, op, payload, code, message in (
            (23, "optimize", {"objective": "first_pitch"}, "bad_request", "target MIDI pitch"),
            (24, "optimize", {"objective": "longest_notes", "budget": 5000}, "too_large", "budget must be"),
            (25, "restyle", {"clip": CLIP, "genre": 3}, "bad_request", "genre must be a genre name"),
            (26, "refine", {"clip": CLIP, "max_iterations": 99}, "too_large", "max_iterations")):
        address, args = client.request(op, request_id, payload)
        assert address == "/segue/error" and args[1] == code and message in args[2], args


def test_encode_decode_round_trip(client):
    z = client.result("encode", 2, {"clip": CLIP})["z"]
    clip = client.result("decode", 3, {"z": z, "seed": 1})["clip"]
    assert clip["length"] == 16 and isinstance(clip["notes"], list)


def test_interpolate_faders_generate(client):
    assert len(client.result("interpolate", 4, {"a": CLIP, "b": CLIP, "steps": 3})["clips"]) == 3
    assert len(client.result("interpolate", 5, {"a": CLIP, "b": CLIP, "alpha": 0.5})["clips"]) == 1
    assert "clip" in client.result("faders", 6, {"clip": CLIP, "faders": {"density": 0.9}})
    clips = client.result("generate", 7, {"variations": 2, "seed": 3, "genre": "celtic"})["clips"]
    assert len(clips) == 2


def test_params_set_session_defaults(client):
    first = client.result("generate", 8, {"seed": 11})["clips"]
    client.send("/segue/param/variations", 3.0)
    client.send("/segue/param/density", 0.2)
    client.send("/segue/ping", 9)
    client.receive()  # the ping follows the params, so they have been applied
    second = client.result("generate", 10, {"seed": 11})["clips"]
    assert len(first) == 1 and len(second) == 3
    client.send("/segue/param/variations", 1)


def test_hello_redirects_replies_to_another_port(client, server):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(10)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sender.sendto(build("/segue/hello", listener.getsockname()[1]), ("127.0.0.1", server))
        sender.sendto(build("/segue/ping", 99), ("127.0.0.1", server))
        datagram, _ = listener.recvfrom(65536)
        assert b"/segue/pong" in datagram
    finally:
        # Hello is per host: hello 0 hands 127.0.0.1's replies back to each sender's own port.
        sender.sendto(build("/segue/hello", 0), ("127.0.0.1", server))
        sender.close()
        listener.close()


@pytest.mark.parametrize("op, args, code, message", [
    ("encode", (20, "{not json"), "bad_json", "not valid JSON"),
    ("encode", (21, "[1, 2]"), "bad_json", "must be a JSON object"),
    ("encode", (22, 3.5), "bad_arguments", "takes <id:int> <request:json string>"),
    ("encode", (23, "{}"), "bad_request", "request lacks 'clip'"),
    ("encode", (24, json.dumps({"clip": {"notes": "x"}})), "bad_request", "clip notes must be a list"),
    ("faders", (25, json.dumps({"clip": CLIP, "faders": {"loudness": 1}})), "bad_request", "unknown fader"),
    ("generate", (26, json.dumps({"variations": 99})), "too_large", "variations must be 1..16"),
    ("generate", (27, json.dumps({"temperature": "hot"})), "bad_request", "temperature must be a number"),
    ("generate", (28, json.dumps({"genre": "polka"})), "bad_request", "unknown genre"),
    ("decode", (29, json.dumps({"z": ["a"]})), "bad_request", "z must be a list"),
    ("interpolate", (30, json.dumps({"a": CLIP, "b": CLIP, "steps": 3, "alpha": 0.5})), "bad_request", "not both"),
    ("fuse", (31, json.dumps({"left": CLIP})), "bad_request", "request lacks 'right'"),
    ("fuse", (32, json.dumps({"left": CLIP, "right": CLIP, "style": "up"})), "bad_request", "style must be a list"),
    ("fuse", (33, json.dumps({"left": CLIP, "right": CLIP, "iterations": 99})), "too_large", "iterations must be 1..8"),
    ("continue", (34, json.dumps({"clip": CLIP, "bars": 999})), "too_large", "bars must be 1..64"),
    ("continue", (35, json.dumps({"clip": CLIP, "fuse_with": [1]})), "bad_request", "fuse_with must be a clip object"),
    ("fuse", (36, json.dumps({"left": CLIP, "right": CLIP, "keep_key": "yes"})), "bad_request",
     "keep_key must be true or false"),
    ("continue", (37, json.dumps({"clip": CLIP, "keep_key": 1})), "bad_request", "keep_key must be true or false"),
    ("fuse", (38, json.dumps({"left": CLIP, "right": CLIP, "method": "jazz"})), "bad_request",
     "method must be one of generator, flow, flow-both, got 'jazz'"),
    ("continue", (39, json.dumps({"clip": CLIP, "method": "jazz"})), "bad_request",
     "method must be one of generator, flow"),
    ("continue", (40, json.dumps({"clip": CLIP, "fuse_with": CLIP, "method": "flow-both"})), "bad_request",
     "method flow-both changes the input clip, which a continuation keeps"),
    ("transmogrify", (31, "{}"), "unknown_op", "unknown op 'transmogrify'"),
])
def test_error_paths_reply_with_code_and_message(client, op, args, code, message):
    client.send(f"/segue/{op}", *args)
    address, reply = client.receive()
    assert address == "/segue/error" and reply[0] == args[0] and reply[1] == code and message in reply[2]


def test_too_many_notes_and_oversized_requests_are_refused(client):
    notes = [{"pitch": 60, "start_time": 0, "duration": 1}] * 1025
    client.send("/segue/encode", 40, json.dumps({"clip": {"length": 16, "notes": notes}}, separators=(",", ":")))
    address, reply = client.receive()
    assert (address, reply[1]) == ("/segue/error", "too_large")
    client.send("/segue/encode", 41, "x" * 61_000)
    address, reply = client.receive()
    assert (address, reply[1]) == ("/segue/error", "too_large") and "60000" in reply[2]


def test_a_flood_of_random_datagrams_leaves_the_server_answering(client):
    rng = random.Random(0)
    for _ in range(2000):
        client.send_raw(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200))))
    for _ in range(300):  # well-formed OSC with junk arguments and addresses
        client.send(rng.choice(["/segue/encode", "/segue/ping", "/segue/param/x", "/other"]),
                    rng.choice([1.5, "s", b"\x00"]))
    client.send("/segue/ping", 1234)
    while True:
        address, args = client.receive()
        if address == "/segue/pong" and args[0] == 1234:
            break


def test_junk_is_summarised_not_logged_line_by_line(tiny_bundle):
    process, port = start_server(tiny_bundle)
    junk = Client(port)
    for _ in range(500):
        junk.send_raw(b"junk")
    junk.send("/segue/ping", 1)
    junk.receive()
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)
    junk.close()
    assert server_log(process).count("dropped") <= 2


def test_server_binds_to_loopback_by_default(tiny_bundle):
    process, port = start_server(tiny_bundle)
    try:
        # The kernel's socket table shows the bound address: 0100007F is 127.0.0.1, 00000000 any.
        listening = open(f"/proc/{process.pid}/net/udp").read()
        assert f"0100007F:{port:04X}" in listening
        assert f"00000000:{port:04X}" not in listening
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_ctrl_c_stops_the_server_cleanly(tiny_bundle):
    process, port = start_server(tiny_bundle)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    assert "Traceback" not in server_log(process)


def test_missing_bundle_fails_with_one_line(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "bridge", "serve", "--bundle", str(tmp_path / "none")],
                            capture_output=True, text=True, timeout=30, env={**os.environ})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no such directory" in result.stderr


def test_a_port_in_use_fails_with_one_line(tiny_bundle):
    import subprocess
    import sys

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "bridge", "serve", "--bundle", str(tiny_bundle),
                                 "--osc-port", str(port)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
