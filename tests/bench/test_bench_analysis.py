"""VIP-holder timelines reduced to the figures the partition and load benchmarks report."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.analysis import (
    holder_changes,
    holders_at,
    relative_timeline,
    settled_single_holder,
    split_onset,
    time_with_several_holders,
)

N1 = frozenset({"node1"})
N2 = frozenset({"node2"})
BOTH = frozenset({"node1", "node2"})
NONE: frozenset[str] = frozenset()
# The shape Heartbeat shows after a heal: split brain, both give up, node1 takes over.
HEAL_STORY = [(0.0, N1), (0.8, BOTH), (7.2, N1), (7.3, NONE), (21.9, N1)]


def test_holders_at() -> None:
    assert holders_at(HEAL_STORY, -1.0) == NONE
    assert holders_at(HEAL_STORY, 0.8) == BOTH
    assert holders_at(HEAL_STORY, 10.0) == NONE


def test_split_onset() -> None:
    assert split_onset(HEAL_STORY, 0.0) == 0.8
    assert split_onset(HEAL_STORY, 1.0) == 1.0  # already split at that moment
    assert split_onset(HEAL_STORY, 8.0) is None


def test_holder_changes_counts_only_inside_the_window() -> None:
    assert holder_changes(HEAL_STORY, 0.0, 100.0) == 4
    assert holder_changes(HEAL_STORY, 5.0, 10.0) == 2
    assert holder_changes([(0.0, N1)], 0.0, 10.0) == 0


def test_time_with_several_holders() -> None:
    assert time_with_several_holders(HEAL_STORY, 0.0, 30.0) == pytest.approx(6.4)
    assert time_with_several_holders(HEAL_STORY, 5.0, 30.0) == pytest.approx(2.2)
    assert time_with_several_holders(HEAL_STORY, 8.0, 30.0) == 0.0


def test_settled_single_holder_waits_for_stability() -> None:
    heal = 5.0
    assert settled_single_holder(HEAL_STORY, heal, now=22.0, stable_s=5.0) is None
    assert settled_single_holder(HEAL_STORY, heal, now=27.0, stable_s=5.0) == (21.9, "node1")
    assert settled_single_holder(HEAL_STORY[:4], heal, now=30.0, stable_s=5.0) is None  # nobody
    assert settled_single_holder(HEAL_STORY[:2], heal, now=30.0, stable_s=5.0) is None  # both
    assert settled_single_holder([], heal, now=30.0, stable_s=5.0) is None


def test_a_holder_that_never_changed_counts_from_the_heal() -> None:
    assert settled_single_holder([(0.0, N2)], since=5.0, now=10.0, stable_s=5.0) == (5.0, "node2")


def test_relative_timeline() -> None:
    assert relative_timeline(HEAL_STORY[:2], origin=0.5) == [
        (-0.5, ["node1"]),
        (0.3, ["node1", "node2"]),
    ]


holder_sets = st.sampled_from([N1, N2, BOTH, NONE])


@given(
    st.lists(st.tuples(st.floats(0, 100), holder_sets), max_size=30),
    st.floats(0, 50),
    st.floats(0, 50),
)
def test_split_time_never_exceeds_the_window(
    raw: list[tuple[float, frozenset[str]]], since: float, length: float
) -> None:
    changes = sorted(raw, key=lambda c: c[0])
    until = since + length
    spent = time_with_several_holders(changes, since, until)
    assert 0.0 <= spent <= length + 1e-9
    assert holder_changes(changes, since, until) <= len(changes)
