"""The seed's network in namespaces: who reaches whom, and nothing left afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from halab.netns import NetnsSet
from halab.topology import Topology, node_addrs

pytestmark = pytest.mark.netns


def reaches(net: NetnsSet, src: str, dst_ip: str) -> bool:
    """Three tries: right after a heal the first ping may go to ARP still resolving."""
    ping = ("ping", "-c1", "-W1", "-q", dst_ip)
    return any(net.exec(src, *ping, check=False).returncode == 0 for _ in range(3))


def cut_off(net: NetnsSet, src: str, dst_ip: str) -> bool:
    return net.exec(src, "ping", "-c2", "-W1", "-q", dst_ip, check=False).returncode != 0


def test_two_nodes_seed_topology_and_teardown(netns: NetnsSet) -> None:
    topo = Topology(netns, node_addrs(["node1", "node2"]))
    topo.build()
    assert reaches(netns, "node1", "172.16.0.51")  # heartbeat link (direct veth)
    assert reaches(netns, "node2", "10.0.0.2")  # ping node on the LAN
    assert reaches(netns, "client", "10.0.0.50")
    for ns in ("node1", "client", "router"):
        assert netns.ip(ns, "route", "show", "default").stdout == ""  # nothing leaves the lab
    netns.cleanup()
    assert not [ns for ns in topo.namespaces() if (Path("/run/netns") / ns).exists()]


def test_partition_and_heal_on_the_direct_link(netns: NetnsSet) -> None:
    topo = Topology(netns, node_addrs(["node1", "node2"]))
    topo.build()
    topo.partition([["node1"], ["node2"]])
    assert cut_off(netns, "node2", "172.16.0.50")
    assert reaches(netns, "node2", "10.0.0.50")  # the LAN stays up, as in a split brain
    topo.heal()
    assert reaches(netns, "node2", "172.16.0.50")


def test_three_nodes_share_a_heartbeat_bridge_that_partitions_into_groups(
    netns: NetnsSet,
) -> None:
    topo = Topology(netns, node_addrs(["node1", "node2", "node3"]))
    topo.build()
    assert reaches(netns, "node1", "172.16.0.52")
    topo.partition([["node1"], ["node2", "node3"]])
    assert reaches(netns, "node2", "172.16.0.52")
    assert cut_off(netns, "node1", "172.16.0.51")
    topo.heal()
    assert reaches(netns, "node1", "172.16.0.51")
