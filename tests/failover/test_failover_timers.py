"""``next_timer`` says when ``on_tick`` has work: the daemon ticks the engine only then
(and every keepalive), so a timer it does not report would fire late or never."""

from __future__ import annotations

from dataclasses import fields

import pytest

from hacore.failover.model import NodeState, Timers
from tests.failover.failover_rig import Rig


@pytest.mark.parametrize("name", [f.name for f in fields(Timers)])
@pytest.mark.parametrize("node", [NodeState.INIT, NodeState.RSCRCVD, NodeState.STABLE])
def test_a_timer_is_reported_exactly_when_a_tick_would_fire_it(name: str, node: NodeState) -> None:
    rig = Rig()
    rules = rig.engine._rules
    rules.node = node
    setattr(rules.timers, name, 5.0)

    reported = rig.engine.next_timer()
    fired = rules.due_timers(5.0)

    assert (reported == 5.0) == bool(fired)
    assert rig.engine.next_timer() is None  # firing disarmed it


def test_nothing_armed_is_reported_as_nothing() -> None:
    rig = Rig()

    assert rig.engine.next_timer() is None
    assert rig.engine._rules.due_timers(1e9) == []
