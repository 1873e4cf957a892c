"""Policy server and client over a real localhost websocket; fuzzing the decoder."""

import json
import pickle
import random
import sys
import urllib.error
import urllib.request

import msgpack
import numpy as np
import pytest
from actloop.control import ControlLoop, Observation, SimClock, get_embodiment
from actloop.hardware.scripted import SinePolicy
from actloop.hardware.server import CodecError, PolicyServer, RemotePolicy, packb, unpackb
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

SPEC = get_embodiment("so101")
TOKEN = "t0ken"
PICKLE_EVENTS = []


def _audit(event, args):
    if event.startswith("pickle."):
        PICKLE_EVENTS.append(event)


sys.addaudithook(_audit)


@pytest.fixture
def server():
    with PolicyServer(SinePolicy(SPEC), port=0, token=TOKEN, max_message_bytes=1 << 20) as srv:
        yield srv


def authorised(server):
    """A raw authorised websocket, past the metadata greeting."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    ws = connect(server.url, additional_headers=headers, open_timeout=5).__enter__()
    ws.recv(timeout=5)
    return ws


def observation(image=True):
    images = {"front": np.zeros((8, 8, 3), np.uint8)} if image else {}
    return Observation(images, np.zeros(6), "wave", "so101", 12.5)


def test_remote_policy_is_a_policy_with_metadata_and_server_timing(server):
    client = RemotePolicy(server.url, token=TOKEN)
    try:
        assert client.metadata["embodiment"] == "so101" and client.metadata["horizon"] == 16
        chunk = client.infer(observation())
        local = SinePolicy(SPEC).infer(observation())
        assert np.allclose(chunk.actions, local.actions)
        assert set(client.last_server_timing) == {"decode_ms", "handle_ms", "total_ms"}
        robot_result = ControlLoop(
            _Robot(), client, clock=SimClock(SPEC.dt), disconnect_on_exit=False
        ).run(max_ticks=10)
        assert robot_result.ticks == 10 and robot_result.stats["inferences"] >= 1
    finally:
        client.close()


class _Robot:
    spec = SPEC

    def connect(self):
        pass

    def observe(self):
        return observation(image=False)

    def send_action(self, action):
        return np.asarray(action)

    def disconnect(self):
        pass


def test_health_endpoint_needs_no_token_but_everything_else_does(server):
    health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz").read())
    assert health["status"] == "ok"
    for headers in (None, {"Authorization": "Bearer wrong"}):
        with (
            pytest.raises(InvalidStatus, match="401"),
            connect(server.url, additional_headers=headers, open_timeout=5),
        ):
            pass
    assert server.counts["refused"] == 2


def test_oversized_messages_close_the_connection_and_the_server_lives_on(server):
    with authorised(server) as ws:
        ws.send(b"\x00" * (2 << 20))
        with pytest.raises(ConnectionClosed, match="1009"):  # message too big
            ws.recv(timeout=5)
    client = RemotePolicy(server.url, token=TOKEN)
    assert client.infer(observation()).actions.shape == (16, 6)
    client.close()


def test_codec_refuses_object_dtypes_and_mismatched_sizes():
    with pytest.raises(CodecError, match="dtype object"):
        packb({"a": np.array([object()], dtype=object)})
    evil = msgpack.packb({"__ndarray__": 1, "dtype": "|O", "shape": [1], "data": b"\x00" * 8})
    with pytest.raises(CodecError, match="refusing array dtype"):
        unpackb(evil)
    short = msgpack.packb({"__ndarray__": 1, "dtype": "<f4", "shape": [4], "data": b"\x00" * 8})
    with pytest.raises(CodecError, match="needs 16"):
        unpackb(short)
    with pytest.raises(CodecError, match="extension type"):
        unpackb(msgpack.packb(msgpack.ExtType(1, pickle.dumps([1]))))


def _malformed(rng: random.Random) -> bytes:
    """Random bytes, truncated/bit-flipped valid messages, hostile array headers."""
    valid = packb(
        {
            "type": "infer",
            "observation": {
                "images": {"front": np.zeros((4, 4, 3), np.uint8)},
                "state": np.zeros(6),
                "instruction": "x",
                "embodiment": "so101",
                "timestamp": 0.0,
            },
        }
    )
    kind = rng.randrange(5)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 64))
    if kind == 1:
        return valid[: rng.randrange(1, len(valid))]
    if kind == 2:
        flipped = bytearray(valid)
        for _ in range(rng.randrange(1, 6)):
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        return bytes(flipped)
    if kind == 3:
        header = {
            "__ndarray__": 1,
            "dtype": rng.choice(["|O", "<f8", "V8", "<U3", "zz", 5]),
            "shape": rng.choice([[1], [-1], [2**40], "x", [1.5]]),
            "data": rng.randbytes(rng.randrange(0, 16)),
        }
        return msgpack.packb({"type": "infer", "observation": {"state": header}})
    return msgpack.packb(
        rng.choice(
            [
                [],
                1,
                "infer",
                {"type": 5},
                {"type": "infer"},
                {"type": "infer", "observation": {"state": 1}},
            ]
        )
    )


def test_fuzzing_ten_thousand_malformed_messages_never_crashes_or_unpickles(server):
    rng = random.Random(7)
    PICKLE_EVENTS.clear()
    decoded = 0
    for _ in range(10_000):  # direct decoder calls: the server's first stage
        try:
            unpackb(_malformed(rng))
            decoded += 1
        except CodecError:
            pass
    ws = authorised(server)
    replies = []
    for _ in range(500):  # over the wire, one connection
        ws.send(_malformed(rng))
        replies.append(unpackb(ws.recv(timeout=5)))
    ws.send("a text frame")
    replies.append(unpackb(ws.recv(timeout=5)))
    ws.close()
    assert all(r["type"] in ("error", "chunk") for r in replies)
    assert sum(r["type"] == "error" for r in replies) >= 450
    assert PICKLE_EVENTS == []  # no code path ever reached the unpickler
    health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz").read())
    assert health["status"] == "ok" and health["errors"] >= 450
    client = RemotePolicy(server.url, token=TOKEN)
    assert client.infer(observation()).actions.shape == (16, 6)  # still serving
    client.close()
