"""Never two holders (issue 13), on a real two-node cluster in network namespaces.

The lab's power switch is the STONITH device (``stonith_host * powersocket``): a reset
powers the lab node off. A client probes the VIP every 10 ms and a sampler records who
holds it every 20 ms; the switch records when it powered which node off.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fencing_helpers import STONITH, fence_target, fenced_template, status

from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory

pytestmark = pytest.mark.netns


def _lab(lab_factory: LabFactory, tmp_path: Path, *extra: str) -> Lab:
    lab = lab_factory(config=fenced_template(tmp_path, *extra), timing=FAST_TIMING)
    lab.start()
    lab.wait_serving("node1", timeout=10)
    return lab


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def test_crash_the_peer_is_fenced_before_the_vip_moves(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = _lab(lab_factory, tmp_path, STONITH, "fence_delay 1")
    assert lab.power is not None
    prober = lab.watch(0.01)
    sampler = lab.sample_vip(0.02)
    crashed = time.monotonic()
    lab.kill("node1")
    lab.wait_serving("node2", timeout=15)
    prober.stop()
    resets = [r for r in lab.power.resets if r.node == "node1" and r.ok]
    assert resets, "node1 was never fenced"
    fenced_at = resets[0].at
    assert fenced_at >= crashed + 1.0, "node2 holds nothing: it waits the fence delay"
    first = next(p for p in prober.probes() if p.result == "node2")
    assert first.start > fenced_at, "the VIP answered from node2 before node1 was reset"
    node2_vip = [t for t, holders in sampler.changes if "node2" in holders]
    assert node2_vip and node2_vip[0] > fenced_at
    log = lab.log("node2")
    assert "Resetting node node1 with [powersocket /var/lib/halab/power.sock]" in log
    assert "node node1 now reset." in log
    target = fence_target(lab, "node2", "node1")
    assert (target["state"], target["last_result"]) == ("fenced", "OK")
    # node1 comes back after its reset and rejoins cleanly (auto_failback on).
    lab.start("node1")
    lab.wait_serving("node1", timeout=15)
    _wait(lambda: fence_target(lab, "node2", "node1")["state"] == "idle", 5, "idle again")
    assert lab.vip_holders() == {"node1"}


def test_link_cut_the_holder_survives_and_nothing_moves(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = _lab(lab_factory, tmp_path, STONITH, "fence_delay 2")
    assert lab.power is not None
    prober = lab.watch(0.01)
    sampler = lab.sample_vip(0.02)
    cut = time.monotonic()
    lab.partition()
    _wait(lambda: "node2" in lab.power.fenced(), 10, "node1 to fence node2")  # type: ignore[union-attr]
    time.sleep(3.0)  # past node2's fence delay: it must be dead by then
    prober.stop()
    assert lab.power.fenced() == ["node2"]
    assert [r.node for r in lab.power.resets] == ["node2"], "node2 never got to shoot"
    answers = {p.result for p in prober.probes() if p.start > cut}
    assert answers == {"node1"}, f"the client saw {answers}"
    assert all(holders == {"node1"} for _, holders in sampler.changes), sampler.changes
    assert status(lab, "node1")["resources"][0]["holder"] == "node1"
    lab.heal()
    lab.start("node2")
    _wait(
        lambda: (
            next(n for n in status(lab, "node1")["nodes"] if n["name"] == "node2")["status"]
            == "active"
        ),
        15,
        "node2 to rejoin",
    )
    assert lab.vip_holders() == {"node1"}


def test_failing_fence_device_nobody_takes_over_until_it_works(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = _lab(lab_factory, tmp_path, STONITH, "fence_delay 0")
    assert lab.power is not None
    lab.power.failing = True
    sampler = lab.sample_vip(0.02)
    lab.kill("node1")
    _wait(lambda: fence_target(lab, "node2", "node1")["failures"] >= 2, 10, "two failed resets")
    target = fence_target(lab, "node2", "node1")
    assert target["state"] in ("retrying", "fencing")
    assert target["last_result"] == "bad"
    assert "unreachable" in target["last_error"]
    assert status(lab, "node2")["resources"][0]["holder"] != "node2"
    assert all("node2" not in holders for _, holders in sampler.changes)
    log = lab.log("node2")
    assert "Host node1 not reset!" in log
    assert "STONITH of node1 failed.  Retrying..." in log
    lab.power.failing = False
    repaired = time.monotonic()
    lab.wait_serving("node2", timeout=15)
    node2_vip = [t for t, holders in sampler.changes if "node2" in holders]
    assert node2_vip[0] > repaired
    metrics = lab.node("node2").exec("hactl", "status").stdout
    assert "node1: fenced" in metrics
