"""OSCQuery over HTTP from a real server, and the --allow rule for remote hosts."""
import json
import signal
import urllib.error
import urllib.request

import pytest

from bridge.osc.protocol import build
from tests.oscclient import Client, start_server


def get(port: int, path: str):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def query_server(tiny_pair_bundle):
    process, port = start_server(tiny_pair_bundle, "--oscquery-port", "0")
    line = process.stdout.readline()
    assert line.startswith("OSCQuery on http://127.0.0.1:")
    http_port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))
    yield port, http_port
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)


def test_every_parameter_has_type_range_value_description_and_access(query_server):
    _, http_port = query_server
    tree = get(http_port, "/")
    params = tree["CONTENTS"]["segue"]["CONTENTS"]["param"]["CONTENTS"]
    assert {"temperature", "alpha", "mode", "density", "genre", "style_x"} <= set(params)
    for name, node in params.items():
        assert {"TYPE", "RANGE", "VALUE", "DESCRIPTION", "ACCESS", "FULL_PATH"} <= set(node), name
        assert node["FULL_PATH"] == f"/segue/param/{name}" and node["ACCESS"] == 3
    assert params["temperature"]["RANGE"] == [{"MIN": 0.0, "MAX": 2.0}] and params["temperature"]["VALUE"] == [1.0]
    assert params["mode"]["RANGE"] == [{"VALS": ["call-response", "continuous", "fuse", "interpolate"]}]
    ops = tree["CONTENTS"]["segue"]["CONTENTS"]
    assert ops["continue"]["ACCESS"] == 2 and "bars" in ops["continue"]["DESCRIPTION"] and "ping" in ops


def test_values_follow_osc_params_and_single_nodes_and_attributes_can_be_asked(query_server):
    port, http_port = query_server
    client = Client(port)
    client.send("/segue/param/alpha", 0.25)
    client.send("/segue/ping", 1)
    client.receive()  # the ping's pong: the param before it has been applied
    client.close()
    assert get(http_port, "/segue/param/alpha?VALUE") == {"VALUE": [0.25]}
    assert get(http_port, "/segue/param/alpha")["DESCRIPTION"].startswith("how far interpolate")
    info = get(http_port, "/?HOST_INFO")
    assert info["OSC_PORT"] == port and info["OSC_TRANSPORT"] == "UDP"
    for path in ("/segue/nothing", "/segue/param/alpha?COLOR"):
        with pytest.raises(urllib.error.HTTPError) as error:
            get(http_port, path)
        assert error.value.code == 404


def test_remote_hosts_are_served_only_from_the_allow_list(tiny_bundle):
    from bridge.osc.server import OscServer
    from engine import Engine

    server = OscServer(Engine(tiny_bundle), "127.0.0.1", 0, allow=["10.1.2.3"])
    sent = []
    server._send = lambda datagram, sender: sent.append(sender)
    try:
        server.handle_datagram(build("/segue/ping", 1), ("10.9.9.9", 5000))
        assert sent == []
        server.handle_datagram(build("/segue/ping", 2), ("10.1.2.3", 5000))
        server.handle_datagram(build("/segue/ping", 3), ("127.0.0.1", 5000))
        assert sent == [("10.1.2.3", 5000), ("127.0.0.1", 5000)]
    finally:
        server.shutdown()
