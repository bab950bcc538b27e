"""FailoverConfig refuses what Heartbeat v1 failover cannot run, naming the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacore.api import ConfigError, SourceLocation
from hacore.config.model import AuthKeys, ClusterConfig, HaCf, ResourceGroup, ResourceSpec
from hacore.failover import Failover, FailoverConfig
from tests.failover.failover_rig import Rig
from tests.failover.failover_sim import GROUPS, Cluster, group


def test_from_cluster_takes_nodes_groups_and_auto_failback() -> None:
    hacf = HaCf(Path("/etc/ha.d/ha.cf"), nodes=["node1", "node2"], auto_failback="off")
    cluster = ClusterConfig(Path("/etc/ha.d"), hacf, list(GROUPS), AuthKeys(1, {}), "node2")
    config = FailoverConfig.from_cluster(cluster)
    assert config == FailoverConfig("node2", ("node1", "node2"), GROUPS, "off")
    engine = Failover(config, lambda _n: True)
    assert engine.groups() == ("10.0.0.60", "hbdummy::gamma")
    assert engine.rsc_hold() == "none" and engine.holder("10.0.0.60") is None


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (("node9", ("node1", "node2"), GROUPS), "local node 'node9' is not among"),
        (("node1", ("node1", "node2", "node3"), GROUPS), "supports two nodes"),
        (("node1", ("node1", "node2"), (group("node7", "10.0.0.9"),)), "unknown node 'node7'"),
        (("node1", ("node1", "node2"), (*GROUPS, group("node2", "10.0.0.60"))), "used twice"),
    ],
)
def test_bad_configurations_are_refused(config: tuple[object, ...], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        FailoverConfig(*config)  # type: ignore[arg-type]


def test_errors_point_at_the_haresources_line() -> None:
    where = SourceLocation(Path("/etc/ha.d/haresources"), 3)
    bad = ResourceGroup("node7", (ResourceSpec("10.0.0.9", "IPaddr", ("10.0.0.9",)),), where)
    with pytest.raises(ConfigError) as caught:
        FailoverConfig("node1", ("node1", "node2"), (bad,))
    assert caught.value.location == where and "haresources:3" in str(caught.value)


def test_rscstatus_says_transition_while_anything_moves() -> None:
    rig = Rig()
    assert rig.engine.rscstatus() == "transition"  # INIT
    rig.stable_pair()
    assert rig.engine.rscstatus() == "local" and rig.engine.stable
    rig.standby()
    assert rig.engine.rscstatus() == "transition"
    legacy = Rig("legacy").alone_holding_all()
    assert legacy.engine.rscstatus() == "none"
    legacy.shutdown()
    assert legacy.engine.rscstatus() == "transition"


def test_three_nodes_without_groups_are_fine() -> None:
    engine = Failover(FailoverConfig("a", ("a", "b", "c"), ()), lambda _n: True)
    assert engine.on_comm_up(0.0) == [] and engine.node == "STABLE"  # legacy: no messages


@pytest.mark.parametrize("hacore_peer", [True, False])
def test_rscstatus_counts_empty_sets_as_heartbeat_does(hacore_peer: bool) -> None:
    """node2 has no haresources line: Heartbeat still says it holds its `local` set once
    it has "acquired" it, and moves the empty sets with standby and takeover."""
    cluster = Cluster(groups=(group("node1", "10.0.0.60"),), hacore=hacore_peer)
    cluster.start("node1")
    cluster.start("node2")

    def words() -> tuple[str, str]:
        return (cluster.engine("node1").rscstatus(), cluster.engine("node2").rscstatus())

    def settle(expected: tuple[str, str]) -> None:
        cluster.run_until(lambda: words() == expected and not cluster.busy(), limit=30)
        cluster.run(1.0)
        assert words() == expected

    settle(("local", "local"))
    cluster.standby("node1")
    settle(("none", "all"))
    cluster.takeover("node1")
    settle(("all", "none"))
    cluster.kill("node2")  # and back before node1 notices: a restart
    cluster.start("node2")
    settle(("local", "local"))  # auto_failback of the (empty) foreign set
    cluster.kill("node2")
    node1 = cluster.engine("node1")
    cluster.run_until(lambda: node1.rscstatus() == "all", limit=10)  # node2 declared dead
    cluster.start("node2")
    settle(("local", "local"))
