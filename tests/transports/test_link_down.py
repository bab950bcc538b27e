"""A link that goes down must not take the daemon with it, and must work again when up."""

from __future__ import annotations

import time

import pytest

from halab.netns import NetnsSet

from ._peer import Peer, medium
from .conftest import SpawnPeer

pytestmark = pytest.mark.netns

MEDIA = {
    "ucast": (medium("ucast", "eth1", "10.0.0.2"), medium("ucast", "eth1", "10.0.0.1")),
    "bcast": (medium("bcast", "eth1"), medium("bcast", "eth1")),
    "mcast": (medium("mcast", "eth1", "239.0.0.43", "694", "1", "0"),) * 2,
}


def delivered_after_retries(sender: Peer, receiver: Peer, payload: bytes) -> bool:
    """Links take a moment to carry traffic again after ``up``: retry for a while."""
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        sender.send(payload)
        if payload in [r.payload for r in receiver.wait_received(len(receiver.received) + 1, 0.2)]:
            return True
    return False


@pytest.mark.parametrize("keyword", sorted(MEDIA))
def test_link_down_then_up(pair: NetnsSet, spawn: SpawnPeer, keyword: str) -> None:
    line_a, line_b = MEDIA[keyword]
    a = spawn("a", line_a)
    b = spawn("b", line_b)
    assert delivered_after_retries(a, b, b"before")

    pair.ip("a", "link", "set", "eth1", "down")
    for n in range(5):
        a.send(f"while down {n}".encode())  # replies "ok": send did not raise
    assert a.stats()[0]["failures"] == 5, "every lost packet is counted"
    assert a.stderr().count("transport_socket_error") == 1, "and logged once, not 5 times"
    assert not any(r.payload.startswith(b"while down") for r in b.listen(0.3))

    pair.ip("a", "link", "set", "eth1", "up")
    assert delivered_after_retries(a, b, b"after")
    assert a.proc.poll() is None
