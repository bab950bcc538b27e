"""When the lab watchdog decides to power a lab off."""

from __future__ import annotations

import pytest

from bench.guard import meminfo_kib, trip_reason
from bench.scaling import max_procs

MEMINFO = "MemTotal:       24683520 kB\nMemFree:  100 kB\nMemAvailable:   24000000 kB\n"


def test_meminfo_fields() -> None:
    assert meminfo_kib(MEMINFO, "MemTotal") == 24683520
    assert meminfo_kib(MEMINFO, "MemAvailable") == 24000000
    with pytest.raises(ValueError, match="no Slab"):
        meminfo_kib(MEMINFO, "Slab")


def test_trips_on_a_process_storm_or_low_memory_only() -> None:
    total = 24 * 1024 * 1024
    assert trip_reason(100, 444, total // 2, total, 0.25) is None
    storm = trip_reason(3036, 444, total // 2, total, 0.25)
    assert storm is not None and "3036 processes" in storm and "limit 444" in storm
    low = trip_reason(10, 444, total // 5, total, 0.25)
    assert low is not None and "available" in low


def test_process_limit_leaves_room_for_a_cold_start() -> None:
    # a settled node runs about 10 processes; the cold start briefly adds scripts
    assert max_procs(2) >= 2 * 20
    assert max_procs(32) < 32 * 20
