"""The idle benchmark's window holds enough heartbeats to be measured in clock ticks."""

from __future__ import annotations

from bench.idle import MIN_HEARTBEATS, window_for
from bench.plan import FAST, IDLE_1S, SEED, make_plan


def test_a_slow_keepalive_gets_a_longer_window() -> None:
    quick, full = make_plan(quick=True), make_plan(quick=False)

    assert window_for(FAST, quick) == quick.idle_window_s == 10.0
    assert window_for(IDLE_1S, quick) == MIN_HEARTBEATS * 1.0
    assert window_for(SEED, quick) == MIN_HEARTBEATS * 2.0 == 30.0
    assert window_for(SEED, full) == full.idle_window_s == 30.0
