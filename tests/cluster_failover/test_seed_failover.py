"""The seed tutorial's promises, on a real two-node cluster in network namespaces.

node1 and node2 share VIP 10.0.0.60 serving "This is nodeN" (IPaddr + an LSB httpd),
heartbeat over ucast on eth1, ping node 10.0.0.2, keepalive 100 ms / deadtime 500 ms.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory
from tests.cluster_failover.failover_helpers import (
    hactl,
    holder,
    node_status,
    single_holder_for,
    template,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.netns


def test_cold_start_node1_serves(cluster: Lab) -> None:
    cluster.wait_serving("node1", timeout=5)
    assert cluster.vip_holders() == {"node1"}
    assert holder(cluster, "node2") == "node1"


def test_node1_dies_node2_serves_then_fails_back(cluster: Lab) -> None:
    cluster.wait_serving("node1", timeout=5)
    cluster.kill("node1")
    cluster.wait_serving("node2", timeout=3)
    cluster.start("node1")
    cluster.wait_serving("node1", timeout=5)
    assert single_holder_for(cluster, 1.0) == "node1"


def test_auto_failback_off_keeps_the_service_on_node2(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = lab_factory(config=template(tmp_path, auto_failback="off"), timing=FAST_TIMING)
    lab.start()
    lab.wait_serving("node1", timeout=5)
    lab.kill("node1")
    lab.wait_serving("node2", timeout=3)
    lab.start("node1")
    wait_for(lambda: node_status(lab, "node2", "node1") == "active", 5, "node1 active again")
    assert single_holder_for(lab, 2.0) == "node2"
    assert holder(lab, "node1") == "node2"


def test_standby_and_takeover_move_the_service(cluster: Lab) -> None:
    cluster.wait_serving("node1", timeout=5)
    assert hactl(cluster, "node1", "standby", "all").returncode == 0
    assert cluster.client.serving_node() == "node2"
    assert hactl(cluster, "node1", "takeover", "all").returncode == 0
    assert cluster.client.serving_node() == "node1"


def test_sigterm_hands_the_service_over(cluster: Lab) -> None:
    cluster.wait_serving("node1", timeout=5)
    prober = cluster.watch()
    cluster.stop("node1")
    cluster.wait_serving("node2", timeout=2)
    time.sleep(0.3)
    prober.stop()
    assert cluster.vip_holders() == {"node2"}
    assert "Heartbeat shutdown complete" in cluster.log("node1")


def test_partition_heals_to_a_single_holder(cluster: Lab) -> None:
    cluster.wait_serving("node1", timeout=5)
    cluster.partition()
    wait_for(lambda: cluster.vip_holders() == {"node1", "node2"}, 5, "both sides to take the VIP")
    cluster.heal()
    assert single_holder_for(cluster, 1.0) == "node1"
    cluster.wait_serving("node1", timeout=2)


def test_frozen_active_node_resumes_without_dual_ownership(cluster: Lab) -> None:
    cluster.wait_serving("node1", timeout=5)
    cluster.freeze("node1")
    cluster.wait_serving("node2", timeout=3)
    cluster.thaw("node1")
    owner = single_holder_for(cluster, 1.0)
    cluster.wait_serving(owner, timeout=2)


def test_a_resource_that_fails_to_start_is_offered_to_the_peer(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = lab_factory(config=template(tmp_path), timing=FAST_TIMING)
    broken = lab.node("node1").path("/etc/init.d/httpd")
    broken.write_text("#!/bin/sh\ncase $1 in start) exit 1;; status) echo stopped; exit 3;; esac\n")
    lab.start()
    lab.wait_serving("node2", timeout=8)
    assert lab.vip_holders() == {"node2"}
    assert "failure of" in lab.log("node1")


STUCK_HTTPD = """#!/bin/sh
state=/run/stuck-httpd
case $1 in
  start) touch $state ;;
  stop) exit 1 ;;
  status) if [ -e $state ]; then echo running; exit 0; fi; echo stopped; exit 3 ;;
esac
"""


def test_a_resource_that_fails_to_stop_is_never_started_elsewhere(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = lab_factory(config=template(tmp_path), timing=FAST_TIMING)
    lab.node("node1").path("/etc/init.d/httpd").write_text(STUCK_HTTPD)
    lab.start()
    wait_for(lambda: lab.vip_holders() == {"node1"}, 8, "node1 to hold the VIP")
    lab.stop("node1", wait=False)
    wait_for(lambda: "Shutdown aborted" in lab.log("node1"), 15, "node1 to refuse to exit")
    assert "node2" not in lab.vip_holders()
    assert holder(lab, "node2") != "node2"
    assert lab.node("node1").exec("hactl", "status").returncode == 0  # still up, still watched
