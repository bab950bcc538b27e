"""Pure reductions of what the samplers saw: VIP holder changes over time.

``changes`` is a VipSampler's list of ``(monotonic time, holders)``, one entry per change,
the first being the state when sampling began.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

Changes = Sequence[tuple[float, frozenset[str]]]


def holders_at(changes: Changes, t: float) -> frozenset[str]:
    current: frozenset[str] = frozenset()
    for when, holders in changes:
        if when > t:
            break
        current = holders
    return current


def holder_changes(changes: Changes, since: float, until: float) -> int:
    """How many times the set of VIP holders changed within [since, until]."""
    return sum(1 for when, _ in changes[1:] if since <= when <= until)


def split_onset(changes: Changes, after: float) -> float | None:
    """When two or more nodes first held the VIP at once, after ``after``."""
    if len(holders_at(changes, after)) >= 2:
        return after
    return next((t for t, holders in changes if t > after and len(holders) >= 2), None)


def time_with_several_holders(changes: Changes, since: float, until: float) -> float:
    """Seconds within [since, until] during which more than one node held the VIP."""
    points = [(since, holders_at(changes, since))]
    points += [(t, h) for t, h in changes if since < t < until]
    points.append((until, frozenset()))
    return sum(b[0] - a[0] for a, b in itertools.pairwise(points) if len(a[1]) >= 2)


def settled_single_holder(
    changes: Changes, since: float, now: float, stable_s: float
) -> tuple[float, str] | None:
    """(time, node) when the current state - exactly one holder - began, if it has lasted
    ``stable_s`` by ``now``; None while the VIP is still unsettled.

    A state that began before ``since`` counts from ``since``.
    """
    if not changes:
        return None
    began, holders = changes[-1]
    if len(holders) != 1:
        return None
    began = max(began, since)
    if now - began < stable_s:
        return None
    return began, next(iter(holders))


def relative_timeline(changes: Changes, origin: float) -> list[tuple[float, list[str]]]:
    """The changes as (seconds after ``origin``, sorted holders), for JSON and plots."""
    return [(round(t - origin, 3), sorted(h)) for t, h in changes]
