"""A real Heartbeat 3.0.6 node as hacore's peer: one cluster, one VIP.

node1 runs hacore, node2 the Debian heartbeat package, both on the seed configuration
(sha1 auth, ucast on eth1, auto_failback on). hacore follows Heartbeat's protocol with
it, including its ~10 s start-up negotiation, so these tests wait longer.
"""

from __future__ import annotations

import json

import pytest

from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory

pytestmark = [pytest.mark.netns, pytest.mark.slow]


def _status(lab: Lab, name: str) -> dict[str, object]:
    result = lab.node(name).exec("hactl", "status", "--json")
    assert result.returncode == 0, result.stderr
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def test_hacore_and_heartbeat_form_one_cluster(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat", timing=FAST_TIMING)
    lab.start("node2")
    lab.start("node1", daemon="hacore")
    lab.wait_serving("node1", timeout=30)
    nodes = {n["name"]: n["status"] for n in _status(lab, "node1")["nodes"]}  # type: ignore[attr-defined]
    assert nodes["node2"] == "active"
    assert "node1" in lab.node("node2").exec("/usr/bin/cl_status", "listnodes").stdout
    assert (
        lab.node("node2").exec("/usr/bin/cl_status", "nodestatus", "node1").stdout.strip()
        == "active"
    )
    # Heartbeat asks hacore about its API clients over the wire (query-cstatus), and back.
    asked = lab.node("node2").exec("/usr/bin/cl_status", "clientstatus", "node1", "ipfail")
    assert (asked.returncode, asked.stdout) == (1, "offline\n"), asked.stderr
    back = lab.node("node1").exec("cl_status", "clientstatus", "node2", "ipfail", "3000")
    assert (back.returncode, back.stdout) == (1, "offline\n"), back.stderr

    # hacore stops gracefully: the Heartbeat peer takes over the service.
    lab.stop("node1")
    lab.wait_serving("node2", timeout=15)

    # hacore comes back: auto_failback through Heartbeat's standby protocol.
    lab.start("node1", daemon="hacore")
    lab.wait_serving("node1", timeout=40)
    assert lab.vip_holders() == {"node1"}


def test_hacore_takes_over_when_the_heartbeat_node_dies(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat", timing=FAST_TIMING)
    lab.start("node1")
    lab.start("node2", daemon="hacore")
    lab.wait_serving("node1", timeout=30)
    lab.kill("node1")
    lab.wait_serving("node2", timeout=5)
    log = lab.log("node2")
    assert "node node1: is dead" in log
