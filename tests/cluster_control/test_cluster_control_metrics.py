"""The metrics endpoint of the real daemons, scraped from the client namespace across a
failover (node1, the holder, crashes), and checked by promtool."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from tests.cluster_control.cluster_control_support import (
    ADDRS,
    METRICS_PORT,
    NODES,
    VIP_GROUP,
    ControlLab,
    sample,
    scrape,
)
from tests.waiting import wait_for

pytestmark = [pytest.mark.netns, pytest.mark.timeout(60)]

PROMTOOL = shutil.which("promtool")


def promtool_check(text: str) -> None:
    if PROMTOOL is None:
        pytest.fail("promtool is required (apt-get install prometheus)")
    check = subprocess.run(
        [PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True, timeout=20
    )
    assert check.returncode == 0 and not (check.stdout + check.stderr).strip(), check


def test_node2_metrics_follow_the_crash_of_node1(control_lab: ControlLab) -> None:
    lab = control_lab.lab
    before = scrape(lab, "node2")
    promtool_check(before)
    assert sample(before, "hacore_info", node="node2") == 1
    assert sample(before, "hacore_node_status", node="node1", status="active") == 1
    assert sample(before, "hacore_link_status", node="node1", link="eth1", status="up") == 1
    assert sample(before, "hacore_group_holder", group=VIP_GROUP, holder="node1") == 1
    assert sample(before, "hacore_failovers_total", to_node="node2") == 0
    heard = sample(before, "hacore_heartbeats_received_total", node="node1", link="eth1")
    sent = sample(before, "hacore_heartbeats_sent_total", link="eth1")
    assert heard > 0 and sent > 0
    wait_for(
        lambda: (
            sample(scrape(lab, "node2"), "hacore_heartbeats_received_total", node="node1") > heard
        ),
        2,
        "heartbeats from node1 counted",
    )

    lab.kill("node1")
    lab.wait_serving("node2", timeout=5)
    wait_for(  # serving comes a moment before the start script has returned
        lambda: sample(scrape(lab, "node2"), "hacore_group_state", state="running") == 1,
        5,
        "group running on node2",
    )
    after = scrape(lab, "node2")
    promtool_check(after)
    assert sample(after, "hacore_node_status", node="node1", status="dead") == 1
    assert sample(after, "hacore_node_status", node="node1", status="active") == 0
    assert sample(after, "hacore_link_status", node="node1", link="eth1", status="dead") == 1
    assert sample(after, "hacore_group_holder", group=VIP_GROUP, holder="node2") == 1
    assert sample(after, "hacore_group_held_locally", group=VIP_GROUP) == 1
    assert (
        sample(after, "hacore_failovers_total", group=VIP_GROUP, from_node="node1", to_node="node2")
        == 1
    )
    assert sample(after, "hacore_heartbeats_sent_total", link="eth1") > sent
    assert sample(after, "hacore_node_last_heartbeat_age_seconds", node="node1") > 0.5
    silent = sample(after, "hacore_heartbeats_received_total", node="node1")
    assert sample(scrape(lab, "node2"), "hacore_heartbeats_received_total", node="node1") == silent


def test_the_standby_node_does_not_claim_the_group(control_lab: ControlLab) -> None:
    standby = scrape(control_lab.lab, "node2")
    assert sample(standby, "hacore_group_held_locally", group=VIP_GROUP) == 0
    assert sample(standby, "hacore_group_state", group=VIP_GROUP, state="stopped") == 1


def test_200_idle_connections_do_not_delay_a_heartbeat(control_lab: ControlLab) -> None:
    """The endpoint's threads wait on 200 silent clients of node1 for 3 s (30
    keepalives of 100 ms, warntime 300 ms): no heartbeat of either node comes late, no
    node is declared dead, and node1 still answers scrapes meanwhile."""
    lab = control_lab.lab
    late = {name: sample(scrape(lab, name), "hacore_late_heartbeats_total") for name in NODES}
    logs = {name: len(lab.log(name)) for name in NODES}
    idle: list[socket.socket] = []
    try:
        for _ in range(200):
            idle.append(lab.net.connect("client", (ADDRS["node1"].lan_ip, METRICS_PORT), 5.0))
        time.sleep(3)
        during = scrape(lab, "node1")
        assert sample(during, "hacore_node_status", node="node2", status="active") == 1
    finally:
        for sock in idle:
            sock.close()
    for name in NODES:
        text = scrape(lab, name)
        assert sample(text, "hacore_late_heartbeats_total") == late[name], name
        assert sample(text, "hacore_node_status", status="dead") == 0, name
        new_log = lab.log(name)[logs[name] :]
        assert "Late heartbeat" not in new_log and "is dead" not in new_log, new_log
    lab.check_daemons()
