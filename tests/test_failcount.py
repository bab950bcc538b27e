"""Restart budget and fail counts: the rule behind "restart it, then fail over"."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hacore.failcount import Decision, Health, RestartBudget

restarts = st.integers(min_value=0, max_value=6)
windows = st.floats(min_value=0.5, max_value=100.0, allow_nan=False)
gaps = st.lists(st.floats(min_value=0.0, max_value=60.0, allow_nan=False), max_size=60)


def failures_at(increments: list[float]) -> list[float]:
    times, now = [], 0.0
    for gap in increments:
        now += gap
        times.append(now)
    return times


@given(restarts, windows, gaps)
def test_a_failure_restarts_exactly_while_fewer_restarts_are_recent(
    allowed: int, window: float, increments: list[float]
) -> None:
    budget = RestartBudget(allowed, window)
    restarted: list[float] = []
    for now in failures_at(increments):
        recent = [t for t in restarted if now - t < window]
        decision = budget.decide(now)
        assert decision is (Decision.RESTART if len(recent) < allowed else Decision.GIVE_UP)
        if decision is Decision.RESTART:
            restarted.append(now)
        assert budget.used(now) == len([t for t in restarted if now - t < window])


@given(restarts, windows, gaps)
def test_never_more_restarts_than_allowed_within_any_window(
    allowed: int, window: float, increments: list[float]
) -> None:
    budget = RestartBudget(allowed, window)
    restarted = [now for now in failures_at(increments) if budget.decide(now) is Decision.RESTART]
    for start in restarted:
        assert len([t for t in restarted if start <= t < start + window]) <= allowed


def test_n_failures_restart_then_the_next_gives_up() -> None:
    budget = RestartBudget(restarts=2, window=60.0)
    assert [budget.decide(t) for t in (0.0, 10.0, 20.0)] == [
        Decision.RESTART,
        Decision.RESTART,
        Decision.GIVE_UP,
    ]
    assert budget.decide(60.0) is Decision.RESTART, "the first restart left the window"
    budget.reset()
    assert budget.used(61.0) == 0 and budget.decide(61.0) is Decision.RESTART


def test_zero_restarts_gives_up_at_the_first_failure() -> None:
    assert RestartBudget(0, 1.0).decide(0.0) is Decision.GIVE_UP


@pytest.mark.parametrize(("allowed", "window"), [(-1, 1.0), (1, 0.0)])
def test_nonsense_budget_is_refused(allowed: int, window: float) -> None:
    with pytest.raises(ValueError):
        RestartBudget(allowed, window)


@given(st.lists(st.sampled_from(["ok", "fail", "cleanup"]), max_size=80))
def test_fail_count_counts_failures_since_the_last_cleanup(steps: list[str]) -> None:
    health = Health()
    since_cleanup = total = checks = 0
    for step in steps:
        if step == "cleanup":
            assert health.cleanup() == since_cleanup
            since_cleanup = 0
            assert health.last_failure == "" and health.last_failure_wall is None
            continue
        checks += 1
        health.checked(float(checks), 0.01, "ok" if step == "ok" else "not running")
        if step == "fail":
            health.failed(float(checks), "not running")
            since_cleanup += 1
            total += 1
    assert (health.fail_count, health.failures, health.checks) == (since_cleanup, total, checks)
