"""The packet-path microbenchmark: Heartbeat's own packets, through a real node."""

from __future__ import annotations

from bench.packet_path import VECTOR, heartbeat_statuses, measure
from hacore.wire.codec import decode


def test_the_stream_is_heartbeats_capture_with_each_seq_signed_anew() -> None:
    captured = VECTOR.read_bytes()
    packets = heartbeat_statuses(7, 3)

    assert [decode(p).get("seq") for p in packets] == ["7", "8", "9"]
    assert packets[1] == captured  # the captured seq gives back the captured bytes
    assert len(set(packets)) == 3


def test_a_tiny_run_reports_every_part() -> None:
    result = measure(batch=20, reps=1)

    assert result.packets == 20
    parts = (result.open_us, result.membership_us, result.effects_us, result.send_us)
    assert all(part > 0 for part in (result.path_us, *parts))
