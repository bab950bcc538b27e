"""keepalived on the lab: VRRP fails over and preempts back, as in the anchors."""

from __future__ import annotations

import pytest

from halab.lab import LabFactory

pytestmark = [
    pytest.mark.netns,
    pytest.mark.requires("keepalived"),
]


def test_keepalived_node1_dies_node2_serves_node1_returns(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="keepalived", advert_int=0.1)
    lab.start()
    lab.wait_serving("node1", timeout=5)
    lab.kill("node1")
    lab.wait_serving("node2", timeout=2)
    lab.start("node1")
    lab.wait_serving("node1", timeout=3)
    lab.stop("node1")
    lab.wait_serving("node2", timeout=2)
