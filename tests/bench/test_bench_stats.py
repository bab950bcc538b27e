"""Summaries, ratios and the "hacore is behind" rule of the benchmark report."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.metrics import Metric
from bench.stats import (
    Summary,
    format_ratio,
    format_summary,
    is_behind,
    ratio,
    summarize,
)

SECONDS = Metric("t", "time", "s")
CPU = Metric("cpu", "cpu", "%")


def test_summary_ignores_unmeasured_values() -> None:
    assert summarize([3.0, None, 1.0, 2.0]) == Summary(2.0, 1.0, 3.0, 3)
    assert summarize([None, None]) is None
    assert summarize([]) is None


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1))
def test_median_lies_between_min_and_max(values: list[float]) -> None:
    s = summarize(values)
    assert s is not None
    assert s.low <= s.median <= s.high
    assert s.n == len(values)


def test_ratio_is_other_over_hacore() -> None:
    hacore = Summary(0.5, 0.4, 0.6, 3)
    heartbeat = Summary(1.0, 0.9, 1.1, 3)
    assert ratio(heartbeat, hacore) == pytest.approx(2.0)
    assert ratio(heartbeat, None) is None
    assert ratio(heartbeat, Summary(0.0, 0.0, 0.0, 1)) is None


def test_behind_needs_more_than_noise_and_ten_percent() -> None:
    other = Summary(1.0, 1.0, 1.0, 1)
    assert is_behind(SECONDS, Summary(1.2, 1.2, 1.2, 1), other)
    assert not is_behind(SECONDS, Summary(1.05, 1.05, 1.05, 1), other)  # within 10 %
    tiny = Summary(0.010, 0.010, 0.010, 1)
    assert not is_behind(SECONDS, Summary(0.025, 0.025, 0.025, 1), tiny)  # below 20 ms
    assert not is_behind(SECONDS, Summary(0.5, 0.5, 0.5, 1), other)  # ahead
    assert not is_behind(SECONDS, None, other)


def test_behind_respects_higher_is_better() -> None:
    throughput = Metric("q", "queries", "count", higher_is_better=True)
    assert is_behind(throughput, Summary(5, 5, 5, 1), Summary(10, 10, 10, 1))
    assert not is_behind(throughput, Summary(10, 10, 10, 1), Summary(5, 5, 5, 1))


def test_formatting() -> None:
    assert format_summary(Summary(0.8, 0.74, 1.09, 5), "s") == "0.800 s (0.740-1.090, n=5)"
    assert format_summary(Summary(0.3, 0.3, 0.3, 1), "%") == "0.30 % (n=1)"
    assert format_summary(None, "s") == "-"
    assert format_ratio(2.345) == "2.35x"
    assert format_ratio(16.2) == "16x"
    assert format_ratio(None) == "-"
    assert CPU.unit == "%"
