"""A hand-over on a real pair, as the two logs tell it: node1 releases every resource
(right to left) before node2 hears the message that lets it acquire them (left to right),
and each step is on record with its duration, so bench.handover can split the time
between the scripts, the kernel and hacore itself (figures live in bench/, not here)."""

from __future__ import annotations

import time

import pytest

from bench.handover import LogEvent, breakdown, read_events
from halab.lab import Lab
from tests.cluster_failover.failover_helpers import hactl
from tests.waiting import wait_for

pytestmark = pytest.mark.netns

IP = "IPaddr::10.0.0.60/24/eth0"


def _steps(events: list[LogEvent]) -> list[str]:
    """The hand-over's lines, in log order: events, agent actions as 'action resource'."""
    out = []
    for e in events:
        if e.event == "resource_done":
            out.append(f"{e.fields['action']} {e.fields['resource']}")
        elif e.event not in ("api_call", "resource_run", "peer_stable"):
            out.append(e.event)
    return out


def _logs(lab: Lab, since: float, last: str) -> tuple[list[LogEvent], list[LogEvent]]:
    """Both nodes' lines from ``since``, once node2 has logged ``last``."""

    def done() -> bool:
        return any(e.event == last for e in read_events(lab.log("node2"), since))

    wait_for(done, 10, f"node2 logging {last}")
    return read_events(lab.log("node1"), since), read_events(lab.log("node2"), since)


def _settled(lab: Lab) -> None:
    """node1 runs the group (its start script has returned) and both nodes know it."""

    def running_on_node1() -> bool:
        views = [hactl(lab, node, "resources", "--json")[0] for node in ("node1", "node2")]
        here, there = views
        return (here["state"], here["holder"], there["holder"]) == ("running", "node1", "node1")

    lab.wait_serving("node1", timeout=10)
    wait_for(running_on_node1, 10, "node1 running the group, as both nodes see it")


def _check_breakdown(node1: list[LogEvent], node2: list[LogEvent]) -> None:
    parts = breakdown(node1, node2)
    assert parts is not None
    assert parts["stop_scripts"] > 0 and parts["start_scripts"] > 0  # httpd's stop, start
    assert parts["address_release"] > 0 and parts["address_add"] > 0
    assert parts["kernel"] > 0  # the IP agents report the kernel's part
    assert parts["total"] >= parts["stop_scripts"] + parts["start_scripts"]
    released = max(e.wall for e in node1 if e.event == "resource_done")
    acquiring = min(e.wall for e in node2 if e.event == "group_acquire")
    assert released < acquiring  # break before make: nothing of it runs on both


def test_standby_releases_everything_before_the_peer_acquires(cluster: Lab) -> None:
    _settled(cluster)
    since = time.time()
    moved = cluster.node("node1").exec("hactl", "standby", "all")
    assert moved.returncode == 0, moved.stderr
    node1, node2 = _logs(cluster, since, "standby_acquired")
    assert _steps(node1) == [
        "standby_start",  # `me` sent
        "standby_release",  # node2's `other` came back
        "group_release",
        "stop httpd",
        "ip_removed",
        f"stop {IP}",
        "standby_released",  # `done` sent
        "standby_done",  # node2's `done`
    ]
    assert _steps(node2) == [
        "standby_start",  # node1's `me`, `other` sent
        "standby_acquire",  # node1's `done`
        "group_acquire",
        f"status {IP}",
        "ip_added",
        f"start {IP}",
        "status httpd",
        "start httpd",
        "standby_acquired",
    ]
    _check_breakdown(node1, node2)
    cluster.wait_serving("node2", timeout=5)


def test_a_graceful_stop_hands_over_the_same_way(cluster: Lab) -> None:
    _settled(cluster)
    since = time.time()
    cluster.stop("node1")
    node1, node2 = _logs(cluster, since, "takeover_done")
    steps = _steps(node1)
    assert steps[steps.index("group_release") :] == [
        "group_release",
        "stop httpd",
        "ip_removed",
        f"stop {IP}",
        "shutdown",  # All HA resources relinquished. (shutdone sent)
        "stopped",
    ]
    assert _steps(node2)[:8] == [
        "peer_shutdone",
        "takeover",
        "group_acquire",
        f"status {IP}",
        "ip_added",
        f"start {IP}",
        "status httpd",
        "start httpd",
    ]
    _check_breakdown(node1, node2)
    cluster.wait_serving("node2", timeout=5)
