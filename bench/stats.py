"""Medians of repeated runs, ratios to hacore, and whether hacore is behind.

Every metric here is "lower is better" unless its :class:`~bench.metrics.Metric` says
otherwise.  "Behind" needs a margin over measurement noise: the prober's resolution
for times, one clock tick for CPU, a MiB for memory.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from bench.metrics import Metric

# Differences smaller than this are resolution or noise, whatever the ratio says.
NOISE_FLOOR = {"s": 0.02, "%": 0.1, "MiB": 1.0, "count": 0.5}
RELATIVE_MARGIN = 0.10


@dataclass(frozen=True)
class Summary:
    median: float
    low: float
    high: float
    n: int


def summarize(values: Iterable[float | None]) -> Summary | None:
    """Median, min and max of the values that were measured (None = not measured)."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return Summary(statistics.median(present), min(present), max(present), len(present))


def ratio(other: Summary | None, base: Summary | None) -> float | None:
    """other's median / base's median; None when either is missing or base is zero."""
    if other is None or base is None or base.median == 0:
        return None
    return other.median / base.median


def is_behind(metric: Metric, hacore: Summary | None, other: Summary | None) -> bool:
    """Whether hacore's median is worse than ``other``'s by more than noise and 10 %."""
    if hacore is None or other is None or not metric.compare:
        return False
    worse = (
        other.median - hacore.median if metric.higher_is_better else hacore.median - other.median
    )
    floor = NOISE_FLOOR.get(metric.unit, 0.0)
    return worse > floor and worse > RELATIVE_MARGIN * abs(other.median)


def format_value(value: float, unit: str) -> str:
    if unit == "count":
        return f"{value:g}"
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    if unit == "s":
        return f"{value:.3f} s" if value < 100 else f"{value:.1f} s"
    if unit == "µs":
        return f"{value:.1f} µs"
    return f"{value:g} {unit}"


def format_summary(summary: Summary | None, unit: str) -> str:
    """``median (min-max, n=N)``; a single value is shown alone."""
    if summary is None:
        return "-"
    text = format_value(summary.median, unit)
    if summary.n == 1:
        return f"{text} (n=1)"
    return f"{text} ({_bare(summary.low, unit)}-{_bare(summary.high, unit)}, n={summary.n})"


def _bare(value: float, unit: str) -> str:
    return format_value(value, unit).removesuffix(f" {unit}")


def format_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value < 10 else f"{value:.0f}x"
