"""The client-side measurements, on synthetic probe records."""

from __future__ import annotations

import pytest

from halab.watcher import (
    Probe,
    format_timeline,
    longest_gap,
    parse_line,
    time_to,
    timeline,
)


def probes(*spec: tuple[float, str]) -> list[Probe]:
    """Probes started at t, each taking 5 ms (timeouts: 100 ms)."""
    return [Probe(t, t + (0.1 if r == "timeout" else 0.005), r) for t, r in spec]


# node1 answers until 1.0, is dead until 1.8, node2 answers from 1.8
FAILOVER = probes(
    *((0.9 + i * 0.01, "node1") for i in range(10)),
    *((1.0 + i * 0.01, "timeout") for i in range(80)),
    *((1.8 + i * 0.01, "node2") for i in range(10)),
)


def test_time_to_is_measured_from_the_event_to_the_first_answer_completing() -> None:
    assert time_to(FAILOVER, "node2", after=1.0) == pytest.approx(0.805)
    assert time_to(FAILOVER, "node3", after=1.0) is None


def test_longest_gap_starts_at_the_last_answer_before_the_event() -> None:
    # last node1 answer completes at 0.995, first node2 answer at 1.805
    assert longest_gap(FAILOVER, after=1.0, until=2.0) == pytest.approx(0.81)


def test_longest_gap_runs_to_until_when_nothing_answers_again() -> None:
    only_node1 = [p for p in FAILOVER if p.result != "node2"]
    assert longest_gap(only_node1, after=1.0, until=3.0) == pytest.approx(3.0 - 0.995)


def test_timeline_merges_runs_of_the_same_result() -> None:
    segments = timeline(FAILOVER, since=0.0, until=5.0)
    assert [(s.result, s.count) for s in segments] == [
        ("node1", 10),
        ("timeout", 80),
        ("node2", 10),
    ]
    text = format_timeline(segments, origin=1.0)
    assert "(timeout)" in text and "node2" in text and "+0.800s" in text


def test_probe_lines_round_trip_and_garbage_is_skipped() -> None:
    assert parse_line("1.5 1.6 node1\n") == Probe(1.5, 1.6, "node1")
    assert parse_line("1.5 garbage") is None
    assert parse_line("x y z") is None
    assert not Probe(0, 1, "refused").ok and not Probe(0, 1, "http503").ok
