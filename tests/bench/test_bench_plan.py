"""Run plans: what --quick, --reps and --only mean."""

from __future__ import annotations

import pytest

from bench.plan import BENCHES, FAST, SEED, make_plan, resolve_only, seconds


def test_quick_is_short_and_full_caps_the_slow_benchmarks() -> None:
    quick = make_plan(quick=True)
    assert quick.mode == "quick"
    assert (quick.idle_window_s, quick.false_failover_s) == (10.0, 60.0)
    full = make_plan(quick=False, reps=10)
    assert (full.reps, full.slow_reps, full.idle_window_s, full.false_failover_s) == (
        10,
        2,
        30.0,
        300.0,
    )
    assert full.reps_for_size(32) == 1
    assert full.reps_for_size(8) == 2
    assert make_plan(quick=False, reps=1).reps_for_size(32) == 1


def test_only_accepts_names_and_aliases_in_standard_order() -> None:
    assert resolve_only(None) == list(BENCHES)
    assert resolve_only("idle, failover,") == ["lifecycle", "idle"]
    assert resolve_only("slow") == ["failover_slow"]
    with pytest.raises(ValueError, match="unknown benchmark 'bogus'"):
        resolve_only("idle,bogus")


def test_profiles() -> None:
    assert seconds("500ms") == 0.5
    assert seconds("2") == 2.0
    assert FAST.deadtime_s == 0.5
    assert SEED.deadtime_s == 30.0
    assert "advert_int 0.1" in FAST.describe()
