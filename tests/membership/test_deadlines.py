"""When the engine needs a tick: ``next_deadline`` and ``timers_changed``, driven the way
the daemon drives them (a tick every keepalive, and one at the deadline when that comes
first), on a fake clock. The promise: a death is seen within deadtime + one keepalive,
and with the deadline timer at deadtime itself."""

from __future__ import annotations

import math
from typing import Any

from hacore.api import NodeStatus
from hacore.membership import Effect, Membership, NodeChanged
from hacore.membership.engine import DEADLINE_MARGIN_S
from hacore.wire.message import Message
from tests.membership.membership_sim import WALL_OFFSET, make_config

SLOW: dict[str, Any] = {
    "keepalive_ms": 2000,
    "deadtime_ms": 5000,
    "warntime_ms": 4000,
    "tick_ms": 2000,
}


class Daemon:
    """node1's engine, ticked as hacore.node ticks it; node2 sends when told."""

    def __init__(self, *, deadline_timer: bool = True, **timing: Any) -> None:
        self.me = Membership(make_config("node1", ("node1", "node2"), **timing))
        self.peer = Membership(make_config("node2", ("node1", "node2"), **timing))
        self.keepalive: float = timing["keepalive_ms"] / 1000
        self.deadline_timer = deadline_timer
        self.now = 0.0
        self.next_beat = 0.0
        self.due: float | None = None
        self.ticks: list[float] = []
        self.effects: list[tuple[float, Effect]] = []

    def _tick(self, at: float) -> None:
        self.ticks.append(at)
        self.effects += [(at, e) for e in self.me.tick(at)]
        self.due = self.me.next_deadline() if self.deadline_timer else None

    def run_until(self, until: float) -> None:
        while True:
            timer = self.due if self.due is not None and self.due < self.next_beat else math.inf
            at = min(self.next_beat, timer)
            if at > until:
                break
            self.now = at
            if at == self.next_beat:
                self.next_beat += self.keepalive
            self._tick(at)
        self.now = until

    def status_from_peer(self, at: float, msg: Message | None = None) -> None:
        self.run_until(at)
        stamped = self.peer.stamp(msg or self.peer.status_message(at), at, WALL_OFFSET + at)
        self.effects += [(at, e) for e in self.me.receive(stamped, "eth1", at)]
        if self.deadline_timer and self.me.timers_changed:
            self.due = self.me.next_deadline()

    def comm_up(self) -> None:
        self.status_from_peer(self.now)
        reply = Message(("dest", "node1"), ("t", "repnodes"), ("nodelist", "node1 node2 "))
        self.status_from_peer(self.now, reply)
        assert self.me.comm_up

    def deaths(self) -> list[float]:
        return [
            t
            for t, e in self.effects
            if isinstance(e, NodeChanged) and e.change.new is NodeStatus.DEAD
        ]


def _peer_stops_after(daemon: Daemon, seconds: float) -> float:
    """node2 sends every keepalive, off node1's heartbeat grid, then falls silent;
    returns when it sent its last status."""
    daemon.comm_up()
    at = daemon.now + 0.3
    while at < seconds:
        daemon.status_from_peer(at)
        at = round(at + daemon.keepalive, 6)
    last = round(at - daemon.keepalive, 6)
    daemon.run_until(last + 20.0)
    return last


def test_with_the_deadline_timer_a_death_is_seen_at_deadtime() -> None:
    daemon = Daemon(**SLOW)
    last = _peer_stops_after(daemon, 10.0)

    [dead] = daemon.deaths()
    assert math.isclose(dead, last + 5.0 + DEADLINE_MARGIN_S)
    assert dead not in {round(t, 6) for t in range(0, 40, 2)}  # not a heartbeat's tick


def test_without_it_the_keepalive_ticks_keep_the_promise() -> None:
    daemon = Daemon(deadline_timer=False, **SLOW)
    last = _peer_stops_after(daemon, 10.0)

    [dead] = daemon.deaths()
    assert last + 5.0 < dead <= last + 5.0 + 2.0  # within deadtime + one keepalive


def test_between_heartbeats_the_engine_is_ticked_only_at_a_deadline() -> None:
    daemon = Daemon(**SLOW)
    _peer_stops_after(daemon, 10.0)

    off_grid = [t for t in daemon.ticks if not math.isclose(t % 2.0, 0.0, abs_tol=1e-9)]
    assert set(daemon.deaths()) <= set(off_grid)
    # the others are deadlines that were pushed back or dropped (the reqnodes retry
    # once comm came up): a few, not a tick every period
    assert len(off_grid) <= 3 < len(daemon.ticks) / 3


def test_a_gap_brings_the_retransmission_request_forward() -> None:
    daemon = Daemon(**SLOW)
    daemon.comm_up()
    daemon.due = daemon.me.next_deadline()
    before = daemon.due
    daemon.peer.stamp(daemon.peer.status_message(1.0), 1.0, WALL_OFFSET + 1.0)  # lost
    daemon.status_from_peer(1.1)

    assert daemon.due is not None and before is not None
    assert daemon.due < before  # the missing seq's request, 50-250 ms away
    assert 1.1 + 0.05 <= daemon.due <= 1.1 + 0.25


def test_a_tick_before_the_deadline_expires_nothing_and_asks_nothing() -> None:
    daemon = Daemon(deadline_timer=False, **SLOW)
    daemon.comm_up()
    deadline = daemon.me.next_deadline()
    assert deadline is not None
    daemon.run_until(deadline - 0.5)  # heartbeat ticks only

    assert daemon.deaths() == []
    assert not daemon.me.timers_changed
    assert [e for e in daemon.me.tick(deadline) if isinstance(e, NodeChanged)]
