"""Namespace topologies for the transport tests and a factory for transport processes.

Interfaces inside the namespaces are called ``eth1`` like the tutorial's heartbeat link;
the namespaces are private, so the name collides with nothing on the host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from halab.netns import NetnsSet

from ._peer import Peer

SpawnPeer = Callable[..., Peer]


@pytest.fixture
def spawn(netns: NetnsSet) -> Iterator[SpawnPeer]:
    """``spawn(short, *media)`` starts a transport process in namespace ``short``."""
    started: list[Peer] = []

    def start(short: str, *media: dict[str, Any]) -> Peer:
        peer = Peer(netns, short, *media)
        started.append(peer)
        return peer

    try:
        yield start
    finally:
        for peer in started:
            peer.close()


@pytest.fixture
def solo(netns: NetnsSet) -> NetnsSet:
    """One namespace ``a`` with only its loopback interface."""
    netns.add("a")
    return netns


@pytest.fixture
def pair(netns: NetnsSet) -> NetnsSet:
    """Namespaces ``a`` (10.0.0.1) and ``b`` (10.0.0.2) joined by a veth, eth1 on both."""
    netns.add("a")
    netns.add("b")
    netns.veth("a", "eth1", "b", "eth1")
    netns.addr("a", "eth1", "10.0.0.1/24")
    netns.addr("b", "eth1", "10.0.0.2/24")
    return netns


@pytest.fixture
def lan(netns: NetnsSet) -> NetnsSet:
    """Namespaces ``a``, ``b``, ``c`` (10.0.0.1-3/24 on eth1) on a bridge in ``sw``.

    Multicast snooping is off so that group traffic does not depend on IGMP timing.
    """
    netns.add("sw")
    netns.bridge("sw", "br0")
    netns.ip("sw", "link", "set", "br0", "type", "bridge", "mcast_snooping", "0")
    for number, host in enumerate("abc", start=1):
        netns.add(host)
        netns.veth("sw", f"p{host}", host, "eth1")
        netns.enslave("sw", f"p{host}", "br0")
        netns.addr(host, "eth1", f"10.0.0.{number}/24")
    return netns
