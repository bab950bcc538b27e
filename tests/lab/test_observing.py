"""The open-loop prober and the VIP sampler against a real web server in the lab."""

from __future__ import annotations

import itertools
import time

import pytest

from halab.lab import LabFactory
from halab.watcher import time_to

pytestmark = pytest.mark.netns


def test_prober_sees_answers_and_refusals(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat")
    node = lab.node("node1")
    node.exec("ip", "addr", "add", "10.0.0.60/24", "dev", "eth0", check=True)
    prober = lab.watch()
    started = time.monotonic()
    node.exec("/etc/init.d/httpd", "start", check=True)
    assert prober.wait_answer("node1", after=started, timeout=3) is not None
    stopped = time.monotonic()
    lab.stop_service("node1")
    assert prober.wait_answer("refused", after=stopped, timeout=1) is not None
    probes = prober.probes()
    assert time_to(probes, "node1", started) is not None
    starts = sorted(p.start for p in probes)
    spacing = sorted(b - a for a, b in itertools.pairwise(starts))
    assert 0.005 < spacing[len(spacing) // 2] < 0.015  # open loop: one probe every 10 ms


def test_vip_sampler_follows_the_address(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat")
    sampler = lab.sample_vip(period=0.01)
    lab.node("node1").exec("ip", "addr", "add", "10.0.0.60/24", "dev", "eth0", check=True)
    time.sleep(0.1)
    lab.node("node1").exec("ip", "addr", "del", "10.0.0.60/24", "dev", "eth0", check=True)
    lab.node("node2").exec("ip", "addr", "add", "10.0.0.60/24", "dev", "eth0", check=True)
    time.sleep(0.1)
    assert lab.vip_holders() == {"node2"}
    sampler.stop()
    seen = [sorted(holders) for _, holders in sampler.changes]
    assert seen[0] == [] and seen[-1] == ["node2"]
    assert ["node1"] in seen[: seen.index(["node2"])]
