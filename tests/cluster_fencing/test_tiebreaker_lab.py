"""The two-node tiebreaker without STONITH (issue 13: "link and ping nodes lost → the
tiebreaker releases"), on a real cluster in network namespaces.

node1 holds the VIP and loses both its heartbeat link (eth1) and its LAN (eth0, the
path to the ping node 10.0.0.2 that is the tiebreaker). It cannot tell a dead peer from
its own isolation, so it gives the VIP up; node2 still reaches the tiebreaker and takes
the VIP over, but only after the fence delay, by which time node1 has let go. A sampler
reads every 20 ms which nodes have the VIP on eth0: never two.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory
from tests.cluster_fencing.fencing_helpers import STONITH, fence_target, fenced_template, status
from tests.waiting import wait_for

pytestmark = pytest.mark.netns

FENCE_DELAY_S = 3.0  # node2's wait before the takeover: above node1's detection + stop


def _fencing(lab: Lab, node: str) -> dict[str, Any]:
    found: dict[str, Any] = status(lab, node)["fencing"]
    return found


def _reaches_tiebreaker(lab: Lab, node: str) -> bool:
    return bool(_fencing(lab, node)["tiebreaker_reachable"])


def _peer_status(lab: Lab, observer: str, peer: str) -> str:
    nodes = status(lab, observer)["nodes"]
    found: str = next(n for n in nodes if n["name"] == peer)["status"]
    return found


def _started(lab_factory: LabFactory, tmp_path: Path, *extra: str) -> Lab:
    config = fenced_template(tmp_path, *extra, "tiebreaker 10.0.0.2")
    lab = lab_factory(config=config, timing=FAST_TIMING)
    lab.start()
    lab.wait_serving("node1", timeout=15)
    for node in ("node1", "node2"):
        wait_for(partial(_reaches_tiebreaker, lab, node), 5, f"{node}'s tiebreaker")
    return lab


def test_link_and_ping_lost_the_isolated_holder_releases_and_the_other_side_serves(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = _started(lab_factory, tmp_path, f"fence_delay {FENCE_DELAY_S:g}")
    sampler = lab.sample_vip(0.02)
    prober = lab.watch(0.01)

    cut = time.monotonic()
    lab.cut_link("node1", "eth1")
    lab.cut_link("node1", "eth0")
    lab.wait_serving("node2", timeout=20)
    wait_for(lambda: "node2" in {p.result for p in prober.probes()}, 5, "a probe answered by node2")
    prober.stop()
    wait_for(lambda: _fencing(lab, "node1")["isolated"], 5, "node1 to say it is isolated")

    released = next(t for t, holders in sampler.changes if t > cut and "node1" not in holders)
    taken = next(t for t, holders in sampler.changes if "node2" in holders)
    assert released < taken, "node2 took the VIP before node1 had let it go"
    assert taken - cut >= FENCE_DELAY_S, "node2 waits the fence delay before its takeover"
    assert all(len(holders) <= 1 for _, holders in sampler.changes), sampler.changes
    answers = [p.result for p in prober.probes() if p.start > taken]
    assert "node1" not in answers and "node2" in answers

    node1 = _fencing(lab, "node1")
    assert (node1["tiebreaker_reachable"], node1["isolated"]) == (False, True)
    assert node1["isolated_since"] is not None
    assert _fencing(lab, "node2")["isolated"] is False
    assert status(lab, "node1")["resources"][0]["holder"] is None
    text = lab.node("node1").exec("hactl", "status").stdout
    assert "tiebreaker: 10.0.0.2 (unreachable, takeover after 3 s)" in text
    assert "ISOLATED since" in text
    health = lab.node("node1").exec("hactl", "health")
    assert health.returncode == 6 and "node node1 is isolated" in health.stdout
    log1 = lab.log("node1")
    assert "node2 is dead and tiebreaker 10.0.0.2 is unreachable: this node is isolated" in log1
    assert "Giving up all HA resources." in log1
    assert "All HA resources relinquished." in log1
    assert "Delaying the takeover from node1 by 3 s" in lab.log("node2")

    # The links come back, the tiebreaker's first. node1 reaches it again but not node2:
    # it must not take the VIP back (node2 most likely holds it) before node2 is heard
    # or node2's death has waited out the fence delay. The heartbeat link follows well
    # within that delay; the cluster then settles on one holder (auto_failback on: node1).
    lab.restore_link("node1", "eth0")
    pending = "Tiebreaker 10.0.0.2 answers again: waiting for node2 to be heard"
    wait_for(lambda: pending in lab.log("node1"), 5, "node1 to reach the tiebreaker again")
    lab.restore_link("node1", "eth1")
    wait_for(lambda: _peer_status(lab, "node1", "node2") == "active", 10, "node1 to hear node2")
    lab.wait_serving("node1", timeout=20)
    wait_for(lambda: not _fencing(lab, "node1")["isolated"], 5, "node1 to rejoin")
    time.sleep(1.0)
    lab.check_daemons()
    sampler.stop()
    assert lab.vip_holders() == {"node1"}
    assert all(len(holders) <= 1 for _, holders in sampler.changes), sampler.changes
    assert "No longer isolated: node2 is heard again" in lab.log("node1")


def test_with_a_failing_fence_device_the_isolated_holder_releases_and_nobody_takes_over(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """With STONITH node2 takes over only after resetting node1; while the device fails
    nobody serves, and the isolated node1 has let go all the same. When node1 reaches the
    tiebreaker again before node2, it gives way in the fence race (it holds nothing, node2
    most likely everything), so the heartbeat link that follows is heard first."""
    lab = _started(lab_factory, tmp_path, STONITH, "fence_delay 2")
    assert lab.power is not None
    lab.power.failing = True
    sampler = lab.sample_vip(0.02)
    lab.cut_link("node1", "eth1")
    lab.cut_link("node1", "eth0")
    wait_for(lambda: _fencing(lab, "node1")["isolated"], 10, "node1 to say it is isolated")
    wait_for(lambda: not lab.vip_holders(), 10, "node1 to release the VIP")
    wait_for(lambda: fence_target(lab, "node2", "node1")["failures"] >= 1, 10, "a failed reset")
    assert "Giving up all HA resources." in lab.log("node1")

    lab.restore_link("node1", "eth0")
    gives_way = "Delaying STONITH of node2 by 2 s"
    wait_for(lambda: gives_way in lab.log("node1"), 5, "node1 to give way in the fence race")
    lab.restore_link("node1", "eth1")
    lab.wait_serving("node1", timeout=20)
    resets = len(lab.power.resets)
    time.sleep(3.0)  # past node2's retry back-off and node1's fence delay
    lab.check_daemons()
    sampler.stop()
    assert len(lab.power.resets) == resets, "the returned peer is not reset again"
    assert {r.node for r in lab.power.resets} == {"node1"}, "node1 never shot node2"
    assert lab.power.fenced() == []
    assert all("node2" not in holders for _, holders in sampler.changes), sampler.changes
    assert lab.vip_holders() == {"node1"}
    for observer, peer in (("node1", "node2"), ("node2", "node1")):
        assert fence_target(lab, observer, peer)["state"] == "idle"
