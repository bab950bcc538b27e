"""ucast over real sockets: loopback in a private namespace, then two hosts on a veth."""

from __future__ import annotations

import pytest

from halab.netns import NetnsSet

from ._peer import PeerError, Received, medium
from .conftest import SpawnPeer

pytestmark = pytest.mark.netns


def test_line_pointing_at_our_own_address_is_harmless(solo: NetnsSet, spawn: SpawnPeer) -> None:
    a = spawn("a", medium("ucast", "lo", "127.0.0.1"))
    a.send(b"to myself")
    assert a.wait_received(1) == [Received(0, "lo", b"to myself")]
    assert a.listen(0.2) == [Received(0, "lo", b"to myself")]


def test_two_lines_share_the_port_without_duplicates(solo: NetnsSet, spawn: SpawnPeer) -> None:
    """Two ucast lines on one interface share udpport through SO_REUSEPORT; the kernel
    hands each datagram to one of the two sockets, never to both."""
    a = spawn("a", medium("ucast", "lo", "127.0.0.2"), medium("ucast", "lo", "127.0.0.3"))
    sent = [f"packet {n}".encode() for n in range(40)]
    for payload in sent:  # a new socket, hence a new source port, for every packet
        a.sendto("lo", "127.0.0.1", 694, payload)
    a.wait_received(len(sent))
    received = a.listen(0.3)
    assert sorted(r.payload for r in received) == sorted(sent)
    assert {r.link for r in received} == {"lo"}
    assert {r.index for r in received} == {0, 1}, "the kernel spread them over both sockets"


def test_packets_cross_a_link_both_ways(pair: NetnsSet, spawn: SpawnPeer) -> None:
    a = spawn("a", medium("ucast", "eth1", "10.0.0.2"))
    b = spawn("b", medium("ucast", "eth1", "10.0.0.1"))
    a.send(b"from a")
    assert b.wait_received(1) == [Received(0, "eth1", b"from a")]
    b.send(b"from b")
    assert a.wait_received(1) == [Received(0, "eth1", b"from b")]
    assert b.listen(0.2) == [Received(0, "eth1", b"from a")], "b does not hear itself"


def test_udpport_is_used_for_both_ends(pair: NetnsSet, spawn: SpawnPeer) -> None:
    a = spawn("a", medium("ucast", "eth1", "10.0.0.2", udpport=5694))
    b = spawn("b", medium("ucast", "eth1", "10.0.0.1", udpport=5694))
    other = spawn("b", medium("ucast", "eth1", "10.0.0.1", udpport=694))
    a.send(b"on 5694")
    assert b.wait_received(1) == [Received(0, "eth1", b"on 5694")]
    assert other.listen(0.2) == []


def test_socket_only_hears_its_own_interface(pair: NetnsSet, spawn: SpawnPeer) -> None:
    a = spawn("a", medium("ucast", "eth1", "10.0.0.2"))
    b_loopback = spawn("b", medium("ucast", "lo", "127.0.0.1"))
    a.send(b"arrives on eth1")
    assert b_loopback.listen(0.3) == []


def test_missing_interface_fails_at_start_naming_it(solo: NetnsSet, spawn: SpawnPeer) -> None:
    with pytest.raises(PeerError, match="cannot open the heartbeat socket on eth9"):
        spawn("a", medium("ucast", "eth9", "10.0.0.2"))
