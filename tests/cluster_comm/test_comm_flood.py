"""A flood at a running node's heartbeat port, from inside the lab (bench/flood.py):
50,000 garbage and 50,000 wrongly signed packets, each forged one claiming another
sender (every tenth not UTF-8), then 2,000 statuses signed with the cluster's key (as
anyone can with crc) from invented names, "NODE2" and node1's own name. Nothing may
change: one VIP holder throughout, the peer stays active on a live link, no death; the
log stays rate-limited and holds no traceback; the metrics get no series per invented
name. The CPU figure is bench/'s."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from bench.flood import flood
from hacore.wire.signing import RejectReason
from halab.configs import FAST_TIMING
from halab.lab import LabFactory
from tests.cluster_comm.comm_helpers import template

pytestmark = pytest.mark.netns
METRICS_PORT = 9100
# Paced so that the flood measures what the daemon does with each packet, not whether
# a 2-core machine shared with other test runs has the CPU for 100,000 packets at once
# (bench/flood.py sends them unpaced and reports what happened).
RATE = 5000
REJECT_REASONS = len(RejectReason.__args__)  # type: ignore[attr-defined]
WINDOW_S = 10.0  # hacore.ratelimit.WARN_INTERVAL_S


def _series(text: str, name: str) -> list[str]:
    return re.findall(rf"^{re.escape(name)}({{[^}}]*}})? \S+$", text, re.MULTILINE)


def test_a_flood_of_garbage_and_forged_packets_changes_nothing(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    config = template(tmp_path, extra=[f"metrics_listen 127.0.0.1:{METRICS_PORT}"])
    lab = lab_factory(timing=FAST_TIMING, config=config)
    lab.start()
    lab.wait_serving("node1", 60)
    time.sleep(3)

    result = flood(lab, 50_000, 50_000, rate=RATE, signed=2000, key=b"somekey")

    assert result.vip_holder_sets == [["node1"]]
    assert result.dead_lines == 0, "\n".join(result.lines)
    assert (result.node1_sees_node2, result.node2_sees_node1) == ("active", "active")
    assert result.links_node1_sees == {"eth1": "up"}
    windows = int(result.window_s / WINDOW_S) + 1
    assert 1 <= result.drop_lines <= REJECT_REASONS * windows, "\n".join(result.lines)
    assert result.log_lines <= result.drop_lines + 20, "\n".join(result.lines)
    daemon = lab.node("node1").daemon
    assert daemon is not None and daemon.log is not None
    assert "Traceback" not in daemon.log.read_text(errors="replace")
    metrics = (
        lab.node("node1")
        .exec("curl", "-sf", f"http://127.0.0.1:{METRICS_PORT}/metrics", check=True)
        .stdout
    )
    assert _series(metrics, "hacore_heartbeats_received_total") == ['{link="eth1",node="node2"}']
    for line in ("bad node [", "Duplicate node name: another node also calls itself node1"):
        assert 1 <= sum(line in text for text in result.lines) <= windows, line
    assert len(_series(metrics, "hacore_packets_dropped_total")) <= REJECT_REASONS + 8
