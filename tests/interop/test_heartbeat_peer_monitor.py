"""A monitored group in a mixed cluster: hacore (node1, `monitor apache2`) beside a real
Heartbeat 3.0.6 (node2, whose ha.cf the lab keeps free of hacore-only lines).

hacore gives the failing group away with Heartbeat's own standby protocol, exactly what
`hb_standby local` on node1 would send, so Heartbeat takes it without knowing why.
"""

from __future__ import annotations

import json
import time

import pytest

from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory
from halab.watcher import longest_gap

pytestmark = [pytest.mark.netns, pytest.mark.slow]

GROUP = "IPaddr::10.0.0.60/24/eth0"


def _monitor(lab: Lab) -> dict[str, object]:
    result = lab.node("node1").exec("hactl", "status", "--json")
    assert result.returncode == 0, result.stderr
    (group,) = json.loads(result.stdout)["resources"]
    (monitor,) = group["monitors"]
    return {**monitor, "failed_on": group["failed_on"]}


def _wait(predicate: object, timeout: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_failing_group_goes_to_the_heartbeat_peer_by_standby(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat", timing=FAST_TIMING)
    template = lab.setup.template
    template["haresources"] = f"node1 {GROUP} apache2\n"
    template["ha.cf"] += "monitor apache2 interval=1 timeout=5 restarts=1 window=600\n"
    for name in lab.names:
        node = lab.node(name)
        node.path("/etc/apache2/ports.conf").write_text("Listen 10.0.0.60:80\n")
        node.path("/var/log/apache2").mkdir(exist_ok=True)
    lab.start("node2")
    lab.start("node1", daemon="hacore")
    lab.wait_serving("node1", timeout=40)
    assert "monitor" not in lab.node("node2").path("/etc/ha.d/ha.cf").read_text()
    _wait(lambda: _monitor(lab)["last_result"] == "ok", 10, "a first check")

    lab.kill_service("node1")  # restarts=1: restarted in place
    _wait(lambda: _monitor(lab)["restarts"] == 1, 20, "the restart")
    lab.wait_serving("node1", timeout=5)

    prober = lab.watch()
    lab.kill_service("node1")  # the second crash: the group goes to Heartbeat
    crashed = time.monotonic()
    lab.wait_serving("node2", timeout=30)
    gap = longest_gap(prober.probes(), crashed, time.monotonic())
    print(f"\nHeartbeat's node2 serves after a client gap of {gap:.2f}s")
    done = "Standby resource acquisition done [local]."
    _wait(lambda: done in lab.log("node2"), 20, "Heartbeat to finish its standby acquisition")
    assert "node1 wants to go standby [local]" in lab.log("node2")
    assert _monitor(lab)["failed_on"] == ["node1"]
    time.sleep(5)  # auto_failback on: still nothing moves back to node1
    assert lab.vip_holders() == {"node2"} and lab.client.serving_node() == "node2"
