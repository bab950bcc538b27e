"""Two nodes send their heartbeats in step (``Node._keep_in_step``), so that one wake-up
serves both: ours goes out as the peer's comes in. Seen on the wire, by tcpdump on
node1's eth1 in both directions, at keepalive 100 ms."""

from __future__ import annotations

import time
from itertools import pairwise
from statistics import median

import pytest

from halab.configs import FAST_TIMING
from halab.lab import LabFactory
from tests.cluster_comm.comm_helpers import StatusCapture, wait_all_active

pytestmark = pytest.mark.netns
KEEPALIVE_S = 0.1
IN_STEP_S = 0.01  # the peer's status and ours, apart by wire and wake-up latency only


def test_two_nodes_send_in_step_and_never_twice_in_a_row(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="hacore", timing=FAST_TIMING)
    lab.start()
    wait_all_active(lab)
    time.sleep(1.0)  # statuses sent at once on a change of state are behind us
    capture = StatusCapture(lab, "node1", direction="inout")
    time.sleep(3.0)
    capture.stop()
    sent = {node: capture.fresh_statuses(node) for node in ("node1", "node2")}

    for node, times in sent.items():
        assert len(times) >= 25, (node, len(times))
        gaps = [b - a for a, b in pairwise(times)]
        assert min(gaps) > KEEPALIVE_S / 2, (node, min(gaps))  # never two at once
        assert median(gaps) == pytest.approx(KEEPALIVE_S, abs=0.01), (node, median(gaps))
    apart = [min(abs(t - u) for u in sent["node1"]) for t in sent["node2"]]
    assert median(apart) < IN_STEP_S, sorted(apart)
