"""Metrics: the values each method sets, and what a scrape of them looks like."""

from __future__ import annotations

import os
import shutil

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hacore.api import GroupState, LinkStatus, NodeStatus
from hacore.metrics import Metrics

pytestmark = pytest.mark.timeout(30)


def promtool() -> str:
    """promtool (Debian package `prometheus`); missing it fails in CI, skips elsewhere."""
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("HACORE_REQUIRE_NETNS") == "1":
            pytest.fail("promtool is required in CI (apt-get install prometheus)")
        pytest.skip("promtool not installed (apt-get install prometheus)")
    return path


def populated(local: str = "node1") -> Metrics:
    """A Metrics instance with every method called at least once."""
    m = Metrics(local, version="9.9.9")
    m.heartbeat_sent("eth1")
    m.heartbeat_sent("eth1")
    m.heartbeat_received("node2", "eth1")
    m.late_heartbeat("node2")
    m.packets_lost("node2", 3)
    m.packets_lost("node2", 0)
    m.auth_failure("bad_signature")
    m.packet_dropped("replay")
    m.node_status("node1", NodeStatus.ACTIVE)
    m.node_status("node2", NodeStatus.UP)
    m.node_status("node2", NodeStatus.DEAD)
    m.link_status("node2", "eth1", LinkStatus.UP)
    m.link_status("node1", "eth1", LinkStatus.DEAD)
    m.group_state("IPaddr::10.0.0.60", "node1", GroupState.RUNNING)
    m.group_state("IPaddr::10.0.0.60", "node2", GroupState.STOPPING)
    m.group_state("IPaddr::10.0.0.61", None, GroupState.STOPPED)
    m.resource_action("start", "IPaddr::10.0.0.60", 0.3, ok=True)
    m.resource_action("stop", "IPaddr::10.0.0.60", 7.0, ok=False)
    m.failover("IPaddr::10.0.0.60", "node1", "node2", "standby")
    m.failover("IPaddr::10.0.0.61", None, "node1", "initial")
    m.monitor_defined("IPaddr::10.0.0.60", "httpd")
    m.monitor_check("IPaddr::10.0.0.60", "httpd", "ok", 0.03)
    m.monitor_check("IPaddr::10.0.0.60", "httpd", "not running", 0.02)
    m.resource_restart("IPaddr::10.0.0.60", "httpd", ok=True)
    m.fail_count("IPaddr::10.0.0.60", "httpd", 1)
    m.group_failed_here("IPaddr::10.0.0.60", True)
    m.generation(12)
    m.set_last_heard_source(lambda: {"node2": 0.5, "10.0.0.2": None})
    m.fencing_configured("external/ipmi")
    m.fence_attempt("node2", "bad")
    m.fence_state("node2", "retrying")
    m.self_fenced()
    m.watchdog_open(True)
    m.watchdog_fed(True)
    m.tiebreaker(False)
    m.isolated(True)
    m.realtime(True)
    return m


def samples(m: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body, _ = m.render()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


def value(m: Metrics, name: str, **labels: str) -> float | None:
    return samples(m).get((name, frozenset(labels.items())))


def test_counters_and_gauges() -> None:
    m = populated()
    assert value(m, "hacore_heartbeats_sent_total", link="eth1") == 2
    assert value(m, "hacore_heartbeats_received_total", node="node2", link="eth1") == 1
    assert value(m, "hacore_late_heartbeats_total", node="node2") == 1
    assert value(m, "hacore_packets_lost_total", node="node2") == 3
    assert value(m, "hacore_auth_failures_total", reason="bad_signature") == 1
    assert value(m, "hacore_packets_dropped_total", reason="replay") == 1
    assert value(m, "hacore_generation") == 12
    assert value(m, "hacore_info", node="node1", version="9.9.9", cluster="node1") == 1
    assert value(m, "hacore_node_last_heartbeat_age_seconds", node="node2") == 0.5
    assert value(m, "hacore_node_last_heartbeat_age_seconds", node="10.0.0.2") is None


def test_enum_gauges_have_exactly_one_current_word() -> None:
    m = populated()
    node2 = {s: value(m, "hacore_node_status", node="node2", status=s.value) for s in NodeStatus}
    assert node2 == {s: (1 if s is NodeStatus.DEAD else 0) for s in NodeStatus}
    assert value(m, "hacore_link_status", node="node2", link="eth1", status="up") == 1
    assert value(m, "hacore_link_status", node="node2", link="eth1", status="dead") == 0
    # Heartbeat never refreshes a node's own links: they are not exported at all
    assert value(m, "hacore_link_status", node="node1", link="eth1", status="dead") is None
    vip = "IPaddr::10.0.0.60"
    assert value(m, "hacore_group_state", group=vip, state="stopping") == 1
    assert value(m, "hacore_group_state", group=vip, state="running") == 0
    assert value(m, "hacore_group_held_locally", group=vip) == 1
    assert value(m, "hacore_group_held_locally", group="IPaddr::10.0.0.61") == 0


def test_group_holder_series_follows_the_holder() -> None:
    m = populated()
    vip = "IPaddr::10.0.0.60"
    assert value(m, "hacore_group_holder", group=vip, holder="node2") == 1
    assert value(m, "hacore_group_holder", group=vip, holder="node1") is None
    assert not [
        k
        for k in samples(m)
        if k[0] == "hacore_group_holder" and ("group", "IPaddr::10.0.0.61") in k[1]
    ]
    m.group_state(vip, None, GroupState.STOPPED)
    assert not [k for k in samples(m) if k[0] == "hacore_group_holder" and ("group", vip) in k[1]]
    m.group_state(vip, "node1", GroupState.RUNNING)
    assert value(m, "hacore_group_holder", group=vip, holder="node1") == 1


def test_resource_histogram_and_failovers() -> None:
    m = populated()
    labels = {"action": "stop", "resource": "IPaddr::10.0.0.60", "result": "failure"}
    assert value(m, "hacore_resource_action_duration_seconds_count", **labels) == 1
    assert value(m, "hacore_resource_action_duration_seconds_bucket", le="5.0", **labels) == 0
    assert value(m, "hacore_resource_action_duration_seconds_bucket", le="10.0", **labels) == 1
    assert (
        value(
            m,
            "hacore_failovers_total",
            group="IPaddr::10.0.0.60",
            from_node="node1",
            to_node="node2",
            reason="standby",
        )
        == 1
    )
    assert (
        value(
            m,
            "hacore_failovers_total",
            group="IPaddr::10.0.0.61",
            from_node="",
            to_node="node1",
            reason="initial",
        )
        == 1
    )


def test_info_names_the_cluster() -> None:
    assert (
        value(
            Metrics("node1", "1.0", cluster="web"),
            "hacore_info",
            node="node1",
            version="1.0",
            cluster="web",
        )
        == 1
    )
    # without a name the node stands for its own cluster: the label is never empty
    assert (
        value(Metrics("node1", "1.0"), "hacore_info", node="node1", version="1.0", cluster="node1")
        == 1
    )


def test_two_instances_do_not_share_numbers() -> None:
    a, b = Metrics("node1"), Metrics("node2")
    a.heartbeat_sent("eth0")
    assert value(a, "hacore_heartbeats_sent_total", link="eth0") == 1
    assert value(b, "hacore_heartbeats_sent_total", link="eth0") is None


def test_fencing_metrics() -> None:
    m = Metrics("node1", version="9.9.9")
    m.fence_state("node2", "fencing")
    m.fence_state("node2", "fenced")
    m.fence_attempt("node2", "bad")
    m.fence_attempt("node2", "OK")
    m.fencing_configured("powersocket /var/lib/halab/power.sock")
    body = m.render()[0].decode()
    assert 'hacore_fence_state{node="node2",state="fenced"} 1.0' in body
    assert 'hacore_fence_state{node="node2",state="fencing"} 0.0' in body
    assert 'hacore_fence_attempts_total{node="node2",result="bad"} 1.0' in body
    assert 'hacore_fencing_configured{device="powersocket /var/lib/halab/power.sock"} 1.0' in body
