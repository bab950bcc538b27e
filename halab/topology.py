"""The seed tutorial's network, built in namespaces: public LAN, heartbeat link, router, client.

    lan     bridge br0 = public LAN 10.0.0.0/24 (stp off, multicast snooping off)
    nodeN   eth0 10.0.0.5x/24 on br0, eth1 172.16.0.5x/24 = heartbeat link
    router  eth0 10.0.0.2/24  (the ``ping`` node)
    client  eth0 10.0.0.100/24 (where the HTTP prober runs)

Two nodes get a direct veth as heartbeat link (the tutorial's crossover cable); more
nodes share a bridge ``hb0`` in an ``hbnet`` namespace, which also lets a partition
split them into groups by moving bridge ports.  Node LAN addresses skip 10.0.0.60,
the VIP: node1..node10 are .50-.59, node11..node32 are .61-.82.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from halab.netns import NetnsSet

VIP = "10.0.0.60"
LAN_PREFIXLEN = 24
ROUTER_IP = "10.0.0.2"
CLIENT_IP = "10.0.0.100"
MAX_NODES = 32
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")


def lan_ip(index: int) -> str:
    """Public address of the node with 1-based ``index`` (never the VIP)."""
    host = 49 + index
    return f"10.0.0.{host + 1 if host >= 60 else host}"


def hb_ip(index: int) -> str:
    """Heartbeat-link address of the node with 1-based ``index``."""
    return f"172.16.0.{49 + index}"


@dataclass(frozen=True)
class NodeAddr:
    name: str
    index: int

    @property
    def lan_ip(self) -> str:
        return lan_ip(self.index)

    @property
    def hb_ip(self) -> str:
        return hb_ip(self.index)

    @property
    def port(self) -> str:
        """Name of this node's port on the lan / hbnet bridges."""
        return f"p{self.index}"


def node_addrs(names: list[str]) -> list[NodeAddr]:
    if not 2 <= len(names) <= MAX_NODES:
        raise ValueError(f"the lab supports 2..{MAX_NODES} nodes, not {len(names)}")
    reserved = {"lan", "hbnet", "router", "client"}
    for name in names:
        if not _NAME.fullmatch(name) or name in reserved:
            raise ValueError(f"node name {name!r} is not usable as a host and namespace name")
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate node names in {names}")
    return [NodeAddr(name, i) for i, name in enumerate(names, start=1)]


@dataclass
class Topology:
    net: NetnsSet
    nodes: list[NodeAddr]
    partitioned: dict[str, int] = field(default_factory=dict)  # node -> hb bridge number

    @property
    def hb_bridged(self) -> bool:
        return len(self.nodes) > 2

    def namespaces(self) -> list[str]:
        """Every namespace this topology creates, in creation order (for the state file)."""
        extra = ["hbnet"] if self.hb_bridged else []
        shorts = ["lan", *extra, *(n.name for n in self.nodes), "router", "client"]
        return [self.net.name(s) for s in shorts]

    def build(self) -> None:
        net = self.net
        net.add("lan")
        self._bridge("lan", "br0")
        if self.hb_bridged:
            net.add("hbnet")
            self._bridge("hbnet", "hb0")
        for node in self.nodes:
            net.add(node.name)
            net.veth("lan", node.port, node.name, "eth0")
            net.enslave("lan", node.port, "br0")
            net.addr(node.name, "eth0", f"{node.lan_ip}/{LAN_PREFIXLEN}")
            if self.hb_bridged:
                net.veth("hbnet", node.port, node.name, "eth1")
                net.enslave("hbnet", node.port, "hb0")
        if not self.hb_bridged:
            net.veth(self.nodes[0].name, "eth1", self.nodes[1].name, "eth1")
        for node in self.nodes:
            net.addr(node.name, "eth1", f"{node.hb_ip}/24")
        for short, ip in (("router", ROUTER_IP), ("client", CLIENT_IP)):
            net.add(short)
            net.veth("lan", short, short, "eth0")
            net.enslave("lan", short, "br0")
            net.addr(short, "eth0", f"{ip}/{LAN_PREFIXLEN}")

    def _bridge(self, ns: str, br: str) -> None:
        self.net.bridge(ns, br)
        # Heartbeat mcast and VRRP must flood: there is no IGMP querier in the lab.
        self.net.ip(ns, "link", "set", br, "type", "bridge", "mcast_snooping", "0")

    def partition(self, groups: list[list[str]]) -> None:
        """Split the heartbeat network so that only nodes of the same group hear each other.

        With two nodes (direct veth) the first group's eth1 goes down, as in the anchors'
        split-brain test; with a bridge, each group after the first gets its own bridge.
        """
        self.heal()
        known = {n.name for n in self.nodes}
        for group in groups:
            if unknown := set(group) - known:
                raise ValueError(f"partition names unknown nodes: {sorted(unknown)}")
        if not self.hb_bridged:
            self.net.ip(groups[0][0], "link", "set", "eth1", "down")
            self.partitioned[groups[0][0]] = 1
            return
        for number, group in enumerate(groups[1:], start=1):
            bridge = f"hb{number}"
            if self.net.ip("hbnet", "link", "show", bridge, check=False).returncode != 0:
                self._bridge("hbnet", bridge)
            for name in group:
                self.net.enslave("hbnet", self.node(name).port, bridge)
                self.partitioned[name] = number

    def heal(self) -> None:
        for name in list(self.partitioned):
            if self.hb_bridged:
                self.net.enslave("hbnet", self.node(name).port, "hb0")
            else:
                self.net.ip(name, "link", "set", "eth1", "up")
            del self.partitioned[name]

    def node(self, name: str) -> NodeAddr:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no node {name!r} in this lab (nodes: {[n.name for n in self.nodes]})")
