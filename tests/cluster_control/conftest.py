"""The ``control_lab`` fixture: see cluster_control_support for what it configures."""

from __future__ import annotations

from pathlib import Path

import pytest

from halab.configs import FAST_TIMING
from halab.lab import LabFactory
from tests.cluster_control.cluster_control_support import (
    ControlLab,
    control_template,
    hactl_json,
)
from tests.waiting import wait_for


@pytest.fixture
def control_lab(lab_factory: LabFactory, tmp_path: Path) -> ControlLab:
    """The pair, started and settled: node1 serves the VIP, its group is running and
    node2 knows it (serving starts a moment before the start script returns)."""
    pki = control_template(tmp_path)
    lab = lab_factory(daemon="hacore", config=tmp_path / "ha.d", timing=FAST_TIMING)
    lab.start()
    lab.wait_serving("node1", timeout=15)

    def settled() -> bool:
        (here,) = hactl_json(lab.node("node1"), "resources")
        (there,) = hactl_json(lab.node("node2"), "resources")
        return (here["state"], here["holder"], there["holder"]) == ("running", "node1", "node1")

    wait_for(settled, 5, "node1 running the group, as both nodes see it")
    return ControlLab(lab, pki)
