"""Heartbeat media between real hacore daemons in network namespaces: each medium alone,
two redundant media, and a lossy link (keepalive 100 ms, deadtime 500 ms throughout)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from halab.configs import FAST_TIMING
from halab.lab import LabFactory
from tests.cluster_comm.comm_helpers import (
    StatusCapture,
    deaths,
    links_of,
    template,
    unjustified,
    view_of,
    vip_holders_seen,
    wait_all_active,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.netns
ONLY_NODE1 = {frozenset({"node1"})}


@pytest.mark.parametrize("medium", ["ucast", "bcast", "mcast"])
def test_each_medium_alone_carries_the_cluster(lab_factory: LabFactory, medium: str) -> None:
    lab = lab_factory(timing=FAST_TIMING, medium=medium)
    lab.start()
    lab.wait_serving("node1", timeout=10)
    wait_all_active(lab)
    assert links_of(lab, "node1", "node2") == {"eth1": "up"}


def test_a_cut_link_leaves_the_redundant_one_carrying(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    media = ["ucast eth1 172.16.0.51", "bcast eth0"]
    lab = lab_factory(config=template(tmp_path, media=media), timing=FAST_TIMING)
    lab.start()
    lab.wait_serving("node1", timeout=10)
    wait_all_active(lab)
    sampler = lab.sample_vip()
    lab.cut_link("node2", "eth1")
    eth1_cut = {"eth0": "up", "eth1": "dead"}
    wait_for(lambda: links_of(lab, "node1", "node2") == eth1_cut, 5, "eth1 dead")
    time.sleep(1.0)  # two deadtimes on eth0 alone
    assert view_of(lab, "node1", "node2")["status"] == "active"
    assert links_of(lab, "node2", "node1") == eth1_cut
    lab.restore_link("node2", "eth1")
    wait_all_active(lab, timeout=5)
    assert deaths(lab, "node1", "node2") == deaths(lab, "node2", "node1") == []
    assert vip_holders_seen(sampler) == ONLY_NODE1


@pytest.mark.slow
def test_20_percent_loss_causes_no_false_death(lab_factory: LabFactory) -> None:
    """Loss is random: a run of 5 lost heartbeats (p ~ 5 % per direction in 20 s) is a
    true silence beyond deadtime; only deaths without such a silence are false."""
    lab = lab_factory(timing=FAST_TIMING)
    lab.start()
    lab.wait_serving("node1", timeout=10)
    captures = {name: StatusCapture(lab, name) for name in lab.names}
    sampler = lab.sample_vip()
    for name in lab.names:
        lab.netem(name, "eth1", loss=20)
    time.sleep(20)
    for capture in captures.values():
        capture.stop()
    for me, peer in (("node1", "node2"), ("node2", "node1")):
        assert 0.1 < captures[me].missed_fraction(peer) < 0.35
        assert unjustified(deaths(lab, me, peer), captures[me].fresh_statuses(peer)) == []
    assert vip_holders_seen(sampler) == ONLY_NODE1 or deaths(lab, "node2", "node1")
