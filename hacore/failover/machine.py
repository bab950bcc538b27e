"""The failover engine: runs the tables of :mod:`hacore.failover.table` on its inputs.

Pure and clock-injected: every input takes ``now`` (monotonic seconds) and returns the
actions the daemon must carry out, in order. Nothing here sleeps, reads a clock or
touches a socket, which is what lets two engines be wired back to back in tests and
driven through deaths, partitions and restarts in milliseconds.

Each input records plain facts (what the peer reported, whether it is alive) and
posts events; a small loop dispatches them one at a time through the tables, then
reconciles every group with what the node now wants (issuing Acquire/Release), then
completes jobs (a set of groups brought to a target, e.g. "our local groups started")
whose completion is itself an event. GroupChanged actions are computed last, from the
difference between the cluster view before and after.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Literal

import structlog

from hacore import api
from hacore.api import GroupState, NodeStatus, Scope
from hacore.failover import group_rules, node_rules, recovery_rules, standby_rules
from hacore.failover.actions import Action, GroupChanged, Operation, OperationDone, SendMessage
from hacore.failover.holdings import Hold, mirror, scope_hold, takeover_standby_hold
from hacore.failover.messages import read_ask_resources, read_resource
from hacore.failover.model import (
    FailoverConfig,
    GroupRecord,
    Job,
    PeerView,
    StandbyProgress,
    Timers,
    Transition,
)
from hacore.failover.registry import ACTION_FUNCTIONS, GUARD_FUNCTIONS, Ctx
from hacore.failover.table import EVENTS, GROUP, NODE, STANDBY, NodeState, Row, StandbyState, Table
from hacore.wire.message import Message

log = structlog.get_logger("hacore.failover")

# The rule modules register their guards and actions on import.
_RULES = (node_rules, recovery_rules, standby_rules, group_rules)

_TABLES = {table.name: table for table in (NODE, STANDBY, GROUP)}
_IN_FLIGHT = (GroupState.STARTING, GroupState.STOPPING)


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
        self.cfg = config
        self.me = config.local_node
        others = [n for n in config.nodes if n != self.me]
        self.peer = PeerView(others[0] if len(others) == 1 else None)
        self.legacy = config.auto_failback == "legacy"
        self.is_hacore = is_hacore
        self.trace = trace
        self.node = NodeState.INIT
        self.standby = StandbyState.NOT
        self.records = {g.key: GroupRecord(g, local=g.node == self.me) for g in config.groups}
        self.timers = Timers()
        self.sb = StandbyProgress()
        self.needs_failback = False
        self.offer_hold = Hold.NONE
        self.shutdown_pending = False
        self.handed_over: set[str] = set()  # acquired as role B: not offered back
        self.failed_starts: set[str] = set()  # not adopted again automatically
        self.given_away: set[str] = set()  # released by our own standby: not adopted
        self.kept: set[str] = set()  # split-brain groups we keep: announce once peer lets go
        self.last_conflicts: frozenset[str] = frozenset()
        self.claimed_now: list[str] = []  # local groups claimed by take_our_locals
        self.initial_done = False
        # Heartbeat's i_hold_resources bits for a category without any group here: it
        # still reports who "has" the empty set (see rscstatus).
        self.empty_hold = Hold.NONE
        self.now = 0.0
        self.jobs: list[Job] = []
        self._out: list[Action] = []
        self._queue: deque[Ctx] = deque()
        self._cause = ""
        self._view = {key: self._view_of(key) for key in self.records}

    # ------------------------------------------------------------------ inputs

    def on_comm_up(self, now: float) -> list[Action]:
        return self._input(now, Ctx("comm_up"))

    def on_message(self, msg: Message, now: float) -> list[Action]:
        """An authenticated, in-order message from the cluster (never our own)."""
        self.now = now
        src = msg.get("src")
        if src is None or src != self.peer.name:
            return []
        self.peer.heard = True
        ctx = self._read(msg)
        return self._input(now, ctx) if ctx is not None else []

    def on_node_status(
        self, node: str, old: NodeStatus, new: NodeStatus, now: float
    ) -> list[Action]:
        if node != self.peer.name:
            return []
        if new == NodeStatus.DEAD:
            if not self.peer.alive:
                return []
            self.peer.alive = False
            return self._input(now, Ctx("peer_dead"))
        returned: tuple[Ctx, ...] = ()
        if not self.peer.alive:
            self.peer.alive = True
            self.peer.left = False
            self.peer.stable = False
            if new == NodeStatus.ACTIVE:
                # Already past comm-up without us: it ran alone and may hold anything.
                returned = (Ctx("peer_returned"),)
        self.peer.heard = True
        return self._input(now, *returned)

    def on_peer_restarted(self, node: str, now: float) -> list[Action]:
        if node != self.peer.name:
            return []
        self.peer.left = False
        return self._input(now, Ctx("peer_restarted"))

    def on_partition_healed(self, node: str, now: float) -> list[Action]:
        if node != self.peer.name:
            return []
        self.peer.alive = True
        self.peer.left = False
        return self._input(now, Ctx("partition_healed"))

    def on_local_stall(self, now: float) -> list[Action]:
        return self._input(now, Ctx("local_stall"))

    def on_group_result(
        self, key: str, op: Literal["acquire", "release"], ok: bool, now: float
    ) -> list[Action]:
        if key not in self.records:
            log.warning("unknown_group_result", group=key, op=op)
            return []
        if op == "acquire":
            event = "acquired" if ok else "acquire_failed"
        else:
            event = "released" if ok else "release_failed"
        return self._input(now, Ctx(event, key=key, ok=ok))

    def on_tick(self, now: float) -> list[Action]:
        t = self.timers
        due: list[Ctx] = []
        if self.node == NodeState.RSCRCVD and t.deadlock_at is not None and now >= t.deadlock_at:
            t.deadlock_at = None
            due.append(Ctx("deadlock_timer"))
        if t.standby_deadline is not None and now >= t.standby_deadline:
            t.standby_deadline = None
            due.append(Ctx("standby_timer"))
        if t.failback_at is not None and now >= t.failback_at:
            t.failback_at = None
            due.append(Ctx("failback_timer"))
        if t.offer_at is not None and now >= t.offer_at:
            t.offer_at = None
            due.append(Ctx("offer_timer"))
        return self._input(now, *due)

    def request_standby(self, scope: Scope, now: float) -> list[Action]:
        return self._input(now, Ctx("standby_request", hold=scope_hold(scope), origin="api"))

    def request_takeover(self, scope: Scope, now: float) -> list[Action]:
        return self._input(now, Ctx("takeover_request", hold=scope_hold(scope), word=scope.value))

    def request_shutdown(self, now: float) -> list[Action]:
        return self._input(now, Ctx("request_shutdown"))

    # ------------------------------------------------------------------ queries

    def groups(self) -> tuple[str, ...]:
        """Group keys in haresources order."""
        return tuple(self.records)

    def holder(self, key: str) -> str | None:
        """Who runs the group as far as this node knows (None: nobody)."""
        return self._view_of(key)[0]

    def state(self, key: str) -> GroupState:
        """The group's state on its holder (RUNNING when the peer holds it)."""
        return self._view_of(key)[1]

    def local_state(self, key: str) -> GroupState:
        """The group's state on this node."""
        return self.records[key].state

    def rsc_hold(self) -> str:
        """What we hold, as Heartbeat's word (``none``/``local``/``foreign``/``all``)."""
        return self.held_bits().word

    @property
    def stable(self) -> bool:
        """Heartbeat's hb_rsc_isstable: no transition here or at the peer."""
        return (
            self.node == NodeState.STABLE
            and self.standby == StandbyState.NOT
            and (self.peer.stable or self.alone())
            and not self.busy()
        )

    def rscstatus(self) -> str:
        """``cl_status rscstatus``: what we hold, ``transition`` while anything moves.

        Legacy mode tracks no holdings, so Heartbeat prints ``none`` there. A category
        without groups counts as held as Heartbeat's bits say (``local`` on a node whose
        own haresources lines are empty, once it has "acquired" them).
        """
        if self.legacy:
            return "transition" if self.busy() else "none"
        if not self.stable:
            return "transition"
        empty = Hold.NONE
        for category in (Hold.LOCAL, Hold.FOREIGN):
            if not self.keys_in(category):
                empty |= category
        return (self.held_bits() | (self.empty_hold & empty)).word

    def hold_empty(self, bits: Hold, held: bool) -> None:
        """Track Heartbeat's holding bits for categories that have no group here: it
        sets them when it acquires a category and clears them when it gives one up,
        whether or not any group is in it (``cl_status rscstatus`` prints them)."""
        self.empty_hold = (self.empty_hold | bits) if held else (self.empty_hold & ~bits)

    # ------------------------------------------------------------------ helpers for rules

    def send(self, msg: Message) -> None:
        self._out.append(SendMessage(msg))
        if msg.type == "resource":
            self.post(Ctx("own_resource"))

    def emit(self, action: Action) -> None:
        self._out.append(action)

    def post(self, ctx: Ctx) -> None:
        self._queue.append(ctx)

    def fire(self, ctx: Ctx) -> None:
        """Dispatch an event now, before the rest of the current row's actions."""
        self._dispatch(ctx)

    def op_done(self, op: Operation, ok: bool, detail: str, *, refused: bool = False) -> None:
        self.emit(OperationDone(op, ok, detail, refused))

    def want(self, keys: Iterable[str], running: bool, reason: str) -> None:
        for key in keys:
            self.records[key].want = running
            self.records[key].reason = reason

    def start_job(self, keys: Sequence[str], running: bool, ctx: Ctx) -> None:
        self.jobs.append(Job(tuple(keys), running, ctx))

    def drop_jobs(self, *events: str) -> None:
        self.jobs = [job for job in self.jobs if job.ctx.event not in events]

    def claimed(self, key: str) -> bool:
        """We hold the group or are about to: the peer must not start it."""
        rec = self.records[key]
        return rec.want or rec.state != GroupState.STOPPED

    def held_bits(self) -> Hold:
        bits = Hold.NONE
        for key in self.records:
            if self.claimed(key):
                bits |= self.category(key)
        return bits

    def category(self, key: str) -> Hold:
        """The group's bit relative to us."""
        return Hold.LOCAL if self.records[key].local else Hold.FOREIGN

    def keys_in(self, hold: Hold) -> list[str]:
        """Groups in a bit set relative to us, in haresources order."""
        return [key for key in self.records if self.category(key) & hold]

    def peer_has(self, key: str) -> bool:
        if self.legacy:
            return key in self.peer.keys
        return bool(self.peer.hold & mirror(self.category(key)))

    def keeper(self, key: str) -> str:
        """Who keeps a group both sides hold: its preferred node, else the smaller name."""
        preferred = self.records[key].group.node
        pair = (self.me, self.peer.name or self.me)
        return preferred if preferred in pair else min(pair)

    def alone(self) -> bool:
        return self.peer.name is None or not self.peer.alive or self.peer.left

    def busy(self) -> bool:
        return any(rec.state in _IN_FLIGHT for rec in self.records.values())

    def wants_any(self, hold: Hold) -> bool:
        """Some group of that category is (to be) running here."""
        return any(self.records[key].want for key in self.keys_in(hold))

    def standby_seconds_left(self) -> int:
        deadline = self.timers.standby_deadline
        return 0 if deadline is None else max(0, int(deadline - self.now + 0.999))

    # ------------------------------------------------------------------ the loop

    def _input(self, now: float, *events: Ctx) -> list[Action]:
        self.now = now
        self._cause = events[0].event if events else "node status"
        self._queue.extend(events)
        while self._queue:
            self._dispatch(self._queue.popleft())
            self._reconcile()
            self._complete_jobs()
            if self.shutdown_pending and not self.busy() and not self._queue:
                self.post(Ctx("request_shutdown"))
        self._emit_view_changes()
        out, self._out = self._out, []
        return out

    def _read(self, msg: Message) -> Ctx | None:
        """Turn a peer message into an event, recording the facts it carries."""
        kind = msg.type
        if kind == "starting":
            return Ctx("peer_starting")
        if kind == "shutdone":
            return Ctx("peer_shutdone")
        if kind == "resource":
            report = read_resource(msg)
            if report is None:
                return _bad(msg)
            became = False
            if not self.legacy:
                # A shutdown notice comes before the release: the peer holds what it
                # held until its shutdone says the release is over.
                if report.info != "shutdown":
                    self.peer.hold = report.merge(self.peer.hold)
                if report.stable is True and not self.peer.stable:
                    self.peer.stable = became = True
                elif report.stable is False:
                    self.peer.stable = False
            return Ctx("peer_resource", hold=report.hold, became_stable=became)
        if kind == "ask_resources":
            standby = read_ask_resources(msg)
            if standby is None:
                return _bad(msg)
            return Ctx(f"peer_{standby.info}", hold=standby.hold)
        if kind == "hb_takeover":
            word = msg.get("rsc_hold") or "all"
            hold = takeover_standby_hold(word)
            return _bad(msg) if hold is None else Ctx("peer_hb_takeover", hold=hold, word=word)
        if kind in ("ip-request", "ip-request-resp"):
            key = msg.get("ipaddr")
            if key not in self.records:
                return _bad(msg)
            if kind == "ip-request":
                return Ctx("ip_request", key=key)
            if msg.get("dest") != self.me or msg.get("ok") != "OK":
                return None
            return Ctx("ip_request_resp", key=key, word=msg.get("weown") or "")
        return None

    def _dispatch(self, ctx: Ctx) -> None:
        table = _TABLES[EVENTS[ctx.event][0]]
        state = self._state(table, ctx)
        for row in table.rows:
            if row.event != ctx.event or not row.matches_state(state):
                continue
            if row.guard is not None and not self._check(row.guard, ctx):
                continue
            self._record(table, state, ctx, row)
            for name in row.actions:
                base, _, arg = name.partition(":")
                ACTION_FUNCTIONS[base](self, ctx, arg)
            if row.next is not None:
                self._set_state(table, ctx, row.next)
            return
        self._record(table, state, ctx, None)

    def _check(self, expression: str, ctx: Ctx) -> bool:
        for term in expression.split("&"):
            negate = term.startswith("!")
            if GUARD_FUNCTIONS[term.lstrip("!")](self, ctx) == negate:
                return False
        return True

    def _state(self, table: Table, ctx: Ctx) -> str:
        if table is NODE:
            return self.node.value
        if table is STANDBY:
            return self.standby.value
        return self.records[ctx.key].state.value

    def _set_state(self, table: Table, ctx: Ctx, state: str) -> None:
        if table is NODE:
            self.node = NodeState(state)
        elif table is STANDBY:
            self.standby = StandbyState(state)
        else:
            self.records[ctx.key].state = GroupState(state)

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
        if self.trace is not None:
            self.trace(Transition(table.name, state, ctx.event, row))

    def _reconcile(self) -> None:
        """Issue the Acquire/Release that bring each group to what the node wants."""
        for key, rec in self.records.items():
            if rec.want and rec.state == GroupState.STOPPED:
                if self.peer_has(key) and not self.alone():
                    log.error(
                        "acquire_blocked",
                        group=key,
                        peer=self.peer.name,
                        msg=f"Not starting {key}: {self.peer.name} still holds it",
                    )
                    rec.want = False
                    continue
                self._dispatch(Ctx("start", key=key))
            elif not rec.want and (
                rec.state == GroupState.RUNNING or (rec.state == GroupState.FAILED and rec.retry)
            ):
                rec.retry = False
                self._dispatch(Ctx("stop", key=key))

    def _complete_jobs(self) -> None:
        for job in list(self.jobs):
            states = [self.records[key].state for key in job.keys]
            if any(state in _IN_FLIGHT for state in states):
                continue
            target = GroupState.RUNNING if job.running else GroupState.STOPPED
            failed = tuple(k for k, s in zip(job.keys, states, strict=True) if s != target)
            self.jobs.remove(job)
            self.post(replace(job.ctx, ok=not failed, failed=failed))

    def _view_of(self, key: str) -> tuple[str | None, GroupState]:
        rec = self.records[key]
        if rec.state != GroupState.STOPPED:
            return self.me, rec.state
        if not self.alone() and self.peer_has(key):
            return self.peer.name, GroupState.RUNNING
        return None, GroupState.STOPPED

    def _emit_view_changes(self) -> None:
        for key in self.records:
            view = self._view_of(key)
            before = self._view[key]
            if view == before:
                continue
            self._view[key] = view
            holder, state = view
            ours = self.me in (holder, before[0])
            reason = self.records[key].reason if ours else self._cause
            self.emit(GroupChanged(api.GroupChanged(key, holder, state, reason)))


def _bad(msg: Message) -> Ctx | None:
    """Log a malformed failover message; it is ignored (it must never move a group)."""
    log.warning(
        "bad_failover_message",
        type=msg.type,
        message=repr(msg),
        msg=f"Ignoring malformed {msg.type} message from {msg.get('src')}",
    )
    return None
