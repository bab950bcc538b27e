"""pytest fixtures for whole-cluster tests (load with ``pytest_plugins``).

    @pytest.mark.netns
    def test_node1_dies_node2_serves(cluster):
        cluster.wait_serving("node1", timeout=10)
        cluster.kill("node1")
        cluster.wait_serving("node2", timeout=2)

``lab_factory(**Lab kwargs)`` builds labs (nodes, daemon, config, timing, medium...) that
are always torn down after the test; ``cluster`` is two hacore nodes on the seed config at
the demo's timings, already started.  Mark such tests ``@pytest.mark.netns``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest

from hacore.lab.configs import FAST_TIMING
from hacore.lab.lab import Lab
from hacore.lab.netns import netns_problem

LabFactory = Callable[..., Lab]


@cache
def _netns_problem() -> str | None:
    return netns_problem()


def _require_netns() -> None:
    if problem := _netns_problem():
        if os.environ.get("HACORE_REQUIRE_NETNS") == "1":
            pytest.fail(f"network namespaces required (HACORE_REQUIRE_NETNS=1) but {problem}")
        pytest.skip(f"network namespaces unavailable: {problem}")


@pytest.fixture
def lab_factory() -> Iterator[LabFactory]:
    """Build a lab: ``lab_factory(daemon="heartbeat", timing=FAST_TIMING, nodes=3)``."""
    _require_netns()
    labs: list[Lab] = []

    def make(**kwargs: Any) -> Lab:
        lab = Lab(**kwargs)
        labs.append(lab)
        return lab.build()

    try:
        yield make
    finally:
        for lab in labs:
            lab.close()


@pytest.fixture
def cluster(lab_factory: LabFactory) -> Lab:
    """Two hacore nodes, seed config, demo timings (100ms/500ms/300ms/2), started."""
    lab = lab_factory(daemon="hacore", timing=FAST_TIMING)
    lab.start()
    return lab
