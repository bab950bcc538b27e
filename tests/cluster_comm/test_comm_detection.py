"""A death is seen within deadtime + one keepalive with a slow keepalive too: the
daemon's loop wakes for heartbeats and deadlines, not on a fixed tick (real daemons in
network namespaces; keepalive 1 s, deadtime 3 s)."""

from __future__ import annotations

import time

import pytest

from halab.configs import Timing
from halab.lab import LabFactory
from tests.cluster_comm.comm_helpers import first_death, view_of, wait_all_active

pytestmark = pytest.mark.netns
SLOW_TIMING = Timing(keepalive="1", deadtime="3", warntime="2", initdead="6")
KEEPALIVE_S, DEADTIME_S = 1.0, 3.0
LOAD_ROOM_S = 0.5  # two cores shared with other tests


def test_a_crashed_peer_is_seen_dead_within_deadtime_and_a_keepalive(
    lab_factory: LabFactory,
) -> None:
    lab = lab_factory(daemon="hacore", timing=SLOW_TIMING)
    lab.start()
    wait_all_active(lab, timeout=20)
    crashed_at = time.time()
    lab.kill("node2")

    dead_at = first_death(lab, "node1", "node2", timeout=DEADTIME_S + KEEPALIVE_S + 5)
    # the last heartbeat came at most a keepalive before the crash
    assert dead_at - crashed_at < DEADTIME_S + KEEPALIVE_S + LOAD_ROOM_S
    assert dead_at - crashed_at > DEADTIME_S - KEEPALIVE_S
    assert view_of(lab, "node1", "node2")["status"] == "dead"
