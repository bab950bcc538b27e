"""ipfail's decisions: the node that sees fewer ping nodes gives its resources up."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest
from hacore_plugins.helpers import ipfail

from hacore.api import ClusterMessage, NodeStatus, NodeStatusChanged, Scope
from hacore.plugins import load_plugins


class TwoNodeCluster:
    """The Cluster handle as the daemon gives it to helpers, over a scripted state."""

    def __init__(self, pings: Mapping[str, NodeStatus], auto_failback: str = "on") -> None:
        self.local_node = "node1"
        self.statuses = {"node1": NodeStatus.ACTIVE, "node2": NodeStatus.ACTIVE, **pings}
        self.params = {"keepalive": "10ms", "auto_failback": auto_failback}
        self.sent: list[tuple[str, dict[str, str], str | None]] = []
        self.standbys: list[Scope] = []

    def nodes(self) -> Sequence[str]:
        return list(self.statuses)

    def node_status(self, node: str) -> NodeStatus:
        return self.statuses[node]

    def node_type(self, node: str) -> str:
        return "normal" if node.startswith("node") else "ping"

    def parameter(self, name: str) -> str | None:
        return self.params.get(name)

    def send(self, msg_type: str, fields: Mapping[str, str], dest: str | None = None) -> None:
        self.sent.append((msg_type, dict(fields), dest))

    async def standby(self, scope: Scope) -> None:
        self.standbys.append(scope)


def _from_peer(msg_type: str, **fields: str) -> ClusterMessage:
    items = (("t", msg_type), ("to_id", "ipfail"), *fields.items())
    return ClusterMessage(msg_type, "node2", tuple(items))


def test_ipfail_is_a_helper_type_named_like_the_binary() -> None:
    (helper,) = ipfail.hacore_helper_types()
    assert helper.name == "ipfail"
    assert load_plugins().helper_types["ipfail"] is not None


async def test_announces_reachable_ping_count_to_the_peer() -> None:
    cluster = TwoNodeCluster({"10.0.0.2": NodeStatus.PING, "10.0.0.3": NodeStatus.DEAD})
    helper = ipfail.IpFail(cluster)
    helper.announce()
    msg_type, fields, dest = cluster.sent[-1]
    assert (msg_type, fields["num_ping"], dest) == ("num_ping_nodes", "1", "node2")
    assert fields["from_id"] == fields["to_id"] == "ipfail"


async def test_fewer_ping_nodes_gives_everything_up_after_two_keepalives() -> None:
    cluster = TwoNodeCluster({"10.0.0.2": NodeStatus.DEAD})
    helper = ipfail.IpFail(cluster)
    helper.on_message(_from_peer("num_ping_nodes", num_ping="1"))
    assert cluster.standbys == []
    await asyncio.sleep(0.05)
    assert cluster.standbys == [Scope.ALL]


async def test_more_ping_nodes_tells_the_peer_it_is_dead() -> None:
    cluster = TwoNodeCluster({"10.0.0.2": NodeStatus.PING})
    helper = ipfail.IpFail(cluster)
    helper.on_message(_from_peer("num_ping_nodes", num_ping="0"))
    assert cluster.sent[-1][0] == "you_are_dead"


async def test_balanced_counts_abort_a_pending_giveup() -> None:
    cluster = TwoNodeCluster({"10.0.0.2": NodeStatus.PING})
    helper = ipfail.IpFail(cluster)
    helper.on_message(_from_peer("you_are_dead"))
    helper.on_message(_from_peer("num_ping_nodes", num_ping="1"))
    assert cluster.sent[-1][0] == "abort_giveup"
    await asyncio.sleep(0.05)
    assert cluster.standbys == []


async def test_hooks_route_messages_and_ping_changes_to_the_running_helper() -> None:
    cluster = TwoNodeCluster({"10.0.0.2": NodeStatus.PING})
    task = asyncio.ensure_future(ipfail.run(cluster))
    await asyncio.sleep(0)
    ipfail.hacore_on_node_status(NodeStatusChanged("10.0.0.2", NodeStatus.PING, NodeStatus.DEAD))
    ipfail.hacore_on_message(_from_peer("you_are_dead"))
    await asyncio.sleep(0.05)
    task.cancel()
    assert [m[0] for m in cluster.sent].count("num_ping_nodes") == 2
    assert cluster.standbys == [Scope.ALL]


async def test_legacy_auto_failback_exits_100_like_ipfail() -> None:
    with pytest.raises(SystemExit) as stop:
        await ipfail.run(TwoNodeCluster({}, auto_failback="legacy"))
    assert stop.value.code == 100
