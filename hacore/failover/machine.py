"""The failover engine: runs the tables of :mod:`hacore.failover.table` on its inputs.

Pure and clock-injected: every input takes ``now`` (monotonic seconds) and returns the
actions the daemon must carry out, in order. Nothing here sleeps, reads a clock or
touches a socket, which is what lets two engines be wired back to back in tests and
driven through deaths, partitions and restarts in milliseconds.

Each input records plain facts (what the peer reported, whether it is alive) and
raises events; a small loop dispatches them one at a time through the tables, then
runs :meth:`~hacore.failover.base.RulesBase.reconcile` (the start/stop safety rule,
which issues Acquire/Release), then completes jobs (a set of groups brought to a
target, e.g. "our local groups started") whose completion is itself an event.
GroupChanged actions are computed last, from the difference between the cluster view
before and after. Everything the rules know lives in one
:class:`~hacore.failover.rules.Rules` object, private to the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import structlog

from hacore import api
from hacore.api import GroupState, NodeStatus, Scope
from hacore.failover.actions import Action, GroupChanged
from hacore.failover.holdings import scope_hold
from hacore.failover.model import Ctx, FailoverConfig, NodeState, StandbyState
from hacore.failover.rules import Rules, action_named, guard_named
from hacore.failover.table import EVENTS, TABLES, Row, Table, Transition
from hacore.wire.message import Message

log = structlog.get_logger("hacore.failover")

_TABLES = {table.name: table for table in TABLES}


class Failover:
    """Heartbeat v1 haresources failover as a pure state machine (see docs/failover.md).

    ``is_hacore(node)`` tells whether a node is a hacore daemon (its status carries
    ``hacore=1``); between hacore nodes the start-up and offers skip Heartbeat's waits.
    ``trace`` (optional) sees every transition, for debugging and tests.
    """

    def __init__(
        self,
        config: FailoverConfig,
        is_hacore: Callable[[str], bool],
        *,
        trace: Callable[[Transition], None] | None = None,
    ) -> None:
        self._rules = Rules(config, is_hacore, fire=self._dispatch)
        self._trace = trace
        self._cause = ""
        self._view = {key: self._rules.view_of(key) for key in self._rules.records}

    # ------------------------------------------------------------------ inputs

    def on_comm_up(self, now: float) -> list[Action]:
        return self._input(now, Ctx("comm_up"))

    def on_message(self, msg: Message, now: float) -> list[Action]:
        """An authenticated, in-order message from the cluster (never our own). One from
        a peer we hold dead is read once its status revives it (see ``wait_for_status``)."""
        if self._rules.wait_for_status(msg):
            return []
        ctx = self._rules.read_message(msg)
        return self._input(now, ctx) if ctx is not None else []

    def on_node_status(
        self, node: str, old: NodeStatus, new: NodeStatus, now: float, *, fenced: bool = False
    ) -> list[Action]:
        """``fenced``: the runtime reset the dead peer through STONITH before telling us
        (and has told the cluster so itself)."""
        events = self._rules.peer_status(node, new, fenced=fenced)
        actions = [] if events is None else self._input(now, *events)
        for msg in self._rules.waited():
            actions += self.on_message(msg, now)
        return actions

    def on_peer_restarted(
        self, node: str, now: float, generation: int | None = None
    ) -> list[Action]:
        """``generation``: the new instance's, so that what the old one said is dropped."""
        if not self._rules.peer_restarted(node, generation):
            return []
        return self._input(now, Ctx("peer_restarted"))

    def on_partition_healed(self, node: str, now: float) -> list[Action]:
        if not self._rules.partition_healed(node):
            return []
        return self._input(now, Ctx("partition_healed"))

    def on_local_stall(self, now: float) -> list[Action]:
        return self._input(now, Ctx("local_stall"))

    def on_tiebreaker_lost(self, tiebreaker: str, now: float) -> list[Action]:
        """The peer is dead (not reset by us, not shut down) and the ``tiebreaker`` ping
        node does not answer: this node may be the isolated one, so it gives all up."""
        self._rules.tiebreaker(lost=True)
        return self._input(now, Ctx("tiebreaker_lost", text=tiebreaker))

    def on_tiebreaker_regained(self, tiebreaker: str, now: float) -> list[Action]:
        """The ``tiebreaker`` answers again while the peer is still silent."""
        self._rules.tiebreaker(lost=False)
        return self._input(now, Ctx("tiebreaker_regained", text=tiebreaker))

    def on_group_result(
        self, key: str, op: Literal["acquire", "release"], ok: bool, now: float
    ) -> list[Action]:
        if key not in self._rules.records:
            log.warning("unknown_group_result", group=key, op=op)
            return []
        if op == "acquire":
            event = "acquired" if ok else "acquire_failed"
        else:
            event = "released" if ok else "release_failed"
        return self._input(now, Ctx(event, key=key, ok=ok))

    def on_monitor_failure(self, key: str, now: float) -> list[Action]:
        """A monitored resource of ``key`` keeps failing here: its restarts are used up."""
        if key not in self._rules.records:
            log.warning("unknown_group_failure", group=key)
            return []
        return self._input(now, Ctx("monitor_failed", key=key))

    def on_cleanup(self, key: str, now: float) -> list[Action]:
        """``hactl cleanup``: the group's resources no longer count as failing here."""
        if key not in self._rules.records:
            log.warning("unknown_group_cleanup", group=key)
            return []
        return self._input(now, Ctx("cleanup", key=key))

    def on_tick(self, now: float) -> list[Action]:
        return self._input(now, *self._rules.due_timers(now))

    def request_standby(self, scope: Scope, now: float) -> list[Action]:
        return self._input(now, Ctx("standby_request", hold=scope_hold(scope), origin="api"))

    def request_takeover(self, scope: Scope, now: float) -> list[Action]:
        return self._input(now, Ctx("takeover_request", hold=scope_hold(scope), word=scope.value))

    def request_shutdown(self, now: float) -> list[Action]:
        return self._input(now, Ctx("request_shutdown"))

    # ------------------------------------------------------------------ queries

    def next_timer(self) -> float | None:
        """When :meth:`on_tick` next has something to do (None: no timer is armed)."""
        return self._rules.next_timer()

    def groups(self) -> tuple[str, ...]:
        """Group keys in haresources order."""
        return tuple(self._rules.records)

    def holder(self, key: str) -> str | None:
        """Who runs the group as far as this node knows (None: nobody)."""
        return self._rules.view_of(key)[0]

    def state(self, key: str) -> GroupState:
        """The group's state on its holder (RUNNING when the peer holds it)."""
        return self._rules.view_of(key)[1]

    def local_state(self, key: str) -> GroupState:
        """The group's state on this node."""
        return self._rules.records[key].state

    def rsc_hold(self) -> str:
        """What we hold, as Heartbeat's word (``none``/``local``/``foreign``/``all``)."""
        return self._rules.rsc_hold()

    def failed_on(self, key: str) -> tuple[str, ...]:
        """The nodes where the group's monitoring gave up (this one until a cleanup here,
        a hacore peer as its reports say), in ha.cf order."""
        rules = self._rules
        nodes = []
        if key in rules.memory.failed_here:
            nodes.append(rules.me)
        if rules.peer.name is not None and key in rules.peer.failed:
            nodes.append(rules.peer.name)
        return tuple(n for n in rules.cfg.nodes if n in nodes)

    @property
    def stable(self) -> bool:
        """Heartbeat's hb_rsc_isstable: no transition here or at the peer."""
        return self._rules.is_stable()

    def rscstatus(self) -> str:
        """``cl_status rscstatus``: what we hold, ``transition`` while anything moves.

        Legacy mode tracks no holdings, so Heartbeat prints ``none`` there. A category
        without groups counts as held as Heartbeat's bits say (``local`` on a node whose
        own haresources lines are empty, once it has "acquired" them). An isolated node
        that has released everything is settled too: it holds ``none`` until it rejoins.
        """
        if self._rules.is_legacy:
            return "transition" if self.busy() else "none"
        settled = self.stable or (self.isolated and not self.busy())
        return self._rules.heartbeat_hold().word if settled else "transition"

    def busy(self) -> bool:
        """An Acquire or Release is in flight."""
        return self._rules.is_busy()

    @property
    def node(self) -> NodeState:
        """The node table's state (Heartbeat's resourcestate)."""
        return self._rules.node

    @property
    def standby(self) -> StandbyState:
        """The standby table's state (Heartbeat's going_standby)."""
        return self._rules.standby

    @property
    def peer_stable(self) -> bool:
        """Heartbeat's other_is_stable."""
        return self._rules.peer.stable

    @property
    def isolated(self) -> bool:
        """Peer and tiebreaker lost: everything given up here, nothing acquired."""
        return self._rules.node == NodeState.ISOLATED

    @property
    def peer_left(self) -> bool:
        """The peer shut down cleanly (it sent shutdone): it left nothing behind to fence."""
        return self._rules.peer.left

    # ------------------------------------------------------------------ the loop

    def _input(self, now: float, *events: Ctx) -> list[Action]:
        rules = self._rules
        self._cause = events[0].event if events else "node status"
        rules.begin(now, events)
        while (ctx := rules.next_event()) is not None:
            self._dispatch(ctx)
            for group_event in rules.reconcile():
                self._dispatch(group_event)
            rules.complete_jobs()
            rules.resume_delayed_shutdown()
        return [*rules.take_actions(), *self._view_changes()]

    def _dispatch(self, ctx: Ctx) -> None:
        rules = self._rules
        table = _TABLES[EVENTS[ctx.event][0]]
        state = rules.table_state(table.name, ctx.key)
        for row in table.rows:
            if row.event != ctx.event or not row.matches_state(state):
                continue
            if not self._guard_holds(row, ctx):
                continue
            self._record(table, state, ctx, row)
            for name, arg in row.calls():
                action_named(name)(rules, ctx, arg)
            if row.next is not None:
                rules.enter(table.name, ctx.key, row.next)
            return
        self._record(table, state, ctx, None)

    def _guard_holds(self, row: Row, ctx: Ctx) -> bool:
        return all(
            guard_named(name)(self._rules, ctx) != negated for name, negated in row.guard_terms()
        )

    def _record(self, table: Table, state: str, ctx: Ctx, row: Row | None) -> None:
        log.debug(
            "transition",
            table=table.name,
            state=state,
            trigger=ctx.event,
            key=ctx.key or None,
            guard=row.guard if row else None,
            next=row.next if row else None,
            ignored=row is None,
        )
        if self._trace is not None:
            self._trace(Transition(table.name, state, ctx.event, row))

    def _view_changes(self) -> list[Action]:
        rules = self._rules
        out: list[Action] = []
        for key in rules.records:
            view = rules.view_of(key)
            before = self._view[key]
            if view == before:
                continue
            self._view[key] = view
            holder, state = view
            ours = rules.me in (holder, before[0])
            reason = rules.records[key].reason if ours else self._cause
            out.append(GroupChanged(api.GroupChanged(key, holder, state, reason)))
        return out
