"""bench.handover: a hand-over's breakdown read from two real hacored logs (excerpts of a
lab run in tests/data/handover: node1's standby of the seed group to node2, and node1's
graceful stop, kept to its lines about the VIP)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.handover import breakdown, describe, read_events

LOGS = Path(__file__).parents[1] / "data" / "handover"
STANDBY_NODE1, STANDBY_NODE2, GRACEFUL_NODE1, GRACEFUL_NODE2 = (
    (LOGS / f"{name}.log").read_text()
    for name in ("standby-node1", "standby-node2", "graceful-node1", "graceful-node2")
)


def _since(text: str) -> float:
    """The wall time of the log's request line, as the bench records it before asking."""
    return read_events(text, 0)[0].wall - 0.001


def test_standby_splits_into_scripts_address_messages_and_hacore() -> None:
    since = _since(STANDBY_NODE1.splitlines()[1])
    parts = breakdown(read_events(STANDBY_NODE1, since), read_events(STANDBY_NODE2, since))
    assert parts is not None
    assert parts["stop_scripts"] == 43.02
    assert parts["address_release"] == 0.52
    assert parts["messages"] == pytest.approx(1.191, abs=0.01)  # done sent -> received
    assert parts["address_add"] == pytest.approx(0.73)  # status + start of the IPaddr
    assert parts["start_scripts"] == pytest.approx(173.61)  # httpd's status and start
    assert parts["total"] == pytest.approx(221.21, abs=0.01)  # release line -> last start
    assert parts["kernel"] == pytest.approx(0.2)
    assert parts["hacore"] == pytest.approx(221.21 - 43.02 - 173.61 - 0.2, abs=0.02)
    assert parts["glue"] == pytest.approx(221.21 - (43.02 + 0.52 + 1.191 + 0.73 + 173.61), abs=0.02)
    assert parts["negotiation"] == pytest.approx(8.58, abs=0.01)  # api_call -> release
    line = describe("standby", "node1", "node2", parts)
    assert line.startswith("standby node1->node2: total 221.2 ms = stop scripts 43.0 + ")
    assert "hacore's share 4.4 ms" in line


def test_a_graceful_stop_is_read_from_the_shutdown_lines() -> None:
    since = _since(GRACEFUL_NODE1)
    parts = breakdown(read_events(GRACEFUL_NODE1, since), read_events(GRACEFUL_NODE2, since))
    assert parts is not None
    assert (parts["stop_scripts"], parts["start_scripts"]) == (0, 0)  # the VIP alone
    assert parts["messages"] == pytest.approx(0.978, abs=0.01)  # relinquished -> notice
    assert parts["address_add"] == pytest.approx(3.6)
    assert parts["kernel"] == pytest.approx(0.275, abs=0.01)
    assert parts["negotiation"] == pytest.approx(1.21, abs=0.01)  # SIGTERM's first line


def test_a_hand_over_with_a_missing_step_has_no_breakdown() -> None:
    since = _since(GRACEFUL_NODE1)
    cut = "\n".join(line for line in GRACEFUL_NODE2.splitlines() if "takeover_done" not in line)
    assert breakdown(read_events(GRACEFUL_NODE1, since), read_events(cut, since)) is None
    assert breakdown(read_events("", since), read_events(GRACEFUL_NODE2, since)) is None
    later = read_events(GRACEFUL_NODE1, since + 60)  # lines before the request are not read
    assert breakdown(later, read_events(GRACEFUL_NODE2, since)) is None
