"""The yardstick: the real Heartbeat 3.0.6 runs the seed's cluster on the lab."""

from __future__ import annotations

import pytest

from halab.configs import FAST_TIMING
from halab.lab import LabFactory

pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.requires("/usr/libexec/heartbeat/heartbeat"),
]


def test_heartbeat_node1_serves_then_node1_dies_and_node2_serves(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat", timing=FAST_TIMING)
    lab.start()
    lab.wait_serving("node1", timeout=30)  # Heartbeat's cold start takes ~11 s
    assert lab.vip_holders() == {"node1"}
    lab.kill("node1")
    # deadtime 500ms (+2 s during Heartbeat's first 5 s up) + resource start
    assert lab.wait_serving("node2", timeout=5) < 5
    assert "node node1: is dead" in lab.log("node2")
