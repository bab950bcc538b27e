"""bcast and mcast over real sockets: three hosts on a bridge, each in its namespace."""

from __future__ import annotations

import pytest

from halab.netns import NetnsSet

from ._peer import PeerError, Received, medium
from .conftest import SpawnPeer

pytestmark = pytest.mark.netns

GROUP = "239.0.0.43"


def test_broadcast_reaches_every_host_on_the_segment(lan: NetnsSet, spawn: SpawnPeer) -> None:
    a, b, c = (spawn(host, medium("bcast", "eth1")) for host in "abc")
    a.send(b"hello all")
    assert b.wait_received(1) == [Received(0, "eth1", b"hello all")]
    assert c.wait_received(1) == [Received(0, "eth1", b"hello all")]


def test_one_line_with_two_interfaces_gives_two_links(pair: NetnsSet, spawn: SpawnPeer) -> None:
    pair.veth("a", "eth2", "b", "eth2")
    pair.addr("a", "eth2", "10.0.1.1/24")
    pair.addr("b", "eth2", "10.0.1.2/24")
    a = spawn("a", medium("bcast", "eth1", "eth2"))
    b = spawn("b", medium("bcast", "eth1", "eth2"))
    a.send(b"twice")
    b.wait_received(2)
    assert sorted((r.index, r.link, r.payload) for r in b.listen(0.2)) == [
        (0, "eth1", b"twice"),
        (1, "eth2", b"twice"),
    ]


def test_ucast_and_bcast_lines_share_udpport(pair: NetnsSet, spawn: SpawnPeer) -> None:
    """Each unicast datagram reaches one of the two sockets; a broadcast reaches both
    (the core drops the copy by sequence number, as Heartbeat does)."""
    a = spawn("a", medium("ucast", "eth1", "10.0.0.2"), medium("bcast", "eth1"))
    b = spawn("b", medium("ucast", "eth1", "10.0.0.1"))
    b.send(b"unicast")
    assert [r.payload for r in a.wait_received(1)] == [b"unicast"]
    assert [r.payload for r in a.listen(0.2)] == [b"unicast"]
    a.send(b"both")  # one unicast from the ucast line, one broadcast from the bcast line
    b.wait_received(2)
    assert [r.payload for r in b.listen(0.2)] == [b"both", b"both"]


def test_broadcast_address_set_in_the_kernel_is_used(lan: NetnsSet, spawn: SpawnPeer) -> None:
    """Here ``brd`` is the limited broadcast; SO_BINDTODEVICE keeps it on eth1."""
    lan.ip("a", "addr", "flush", "dev", "eth1")
    lan.ip("a", "addr", "add", "10.0.0.1/24", "brd", "255.255.255.255", "dev", "eth1")
    a = spawn("a", medium("bcast", "eth1", udpport=5694))
    b = spawn("b", medium("bcast", "eth1", udpport=5694))
    a.send(b"limited")
    assert b.wait_received(1) == [Received(0, "eth1", b"limited")]


def test_bcast_needs_an_ipv4_address(lan: NetnsSet, spawn: SpawnPeer) -> None:
    lan.ip("a", "addr", "flush", "dev", "eth1")
    with pytest.raises(PeerError, match="eth1 has no IPv4 address"):
        spawn("a", medium("bcast", "eth1"))


def test_multicast_group_port_and_loop(lan: NetnsSet, spawn: SpawnPeer) -> None:
    """The port comes from the line (udpport is ignored); loop 1 lets a hear itself,
    loop 0 keeps b's own packets from coming back; c, in another group, hears nothing."""
    a = spawn("a", medium("mcast", "eth1", GROUP, "5405", "1", "1", udpport=694))
    b = spawn("b", medium("mcast", "eth1", GROUP, "5405", "1", "0", udpport=999))
    c = spawn("c", medium("mcast", "eth1", "239.0.0.44", "5405", "1", "1"))
    a.send(b"from a")
    assert b.wait_received(1) == [Received(0, "eth1", b"from a")]
    assert a.wait_received(1) == [Received(0, "eth1", b"from a")]
    b.send(b"from b")
    assert a.wait_received(2) == [Received(0, "eth1", b"from a"), Received(0, "eth1", b"from b")]
    assert b.listen(0.3) == [Received(0, "eth1", b"from a")]
    assert c.listen(0.1) == []


def test_multicast_ttl_zero_stays_on_the_host(lan: NetnsSet, spawn: SpawnPeer) -> None:
    a = spawn("a", medium("mcast", "eth1", GROUP, "694", "0", "1"))
    b = spawn("b", medium("mcast", "eth1", GROUP, "694", "1", "0"))
    a.send(b"ttl 0")
    assert a.wait_received(1) == [Received(0, "eth1", b"ttl 0")]
    assert b.listen(0.5) == []
    b.send(b"ttl 1")
    assert a.wait_received(2)[-1] == Received(0, "eth1", b"ttl 1")
