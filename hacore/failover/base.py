"""What every failover rule stands on: the engine's knowledge and the ways rules act.

Guards and actions are methods of one object, :class:`hacore.failover.rules.Rules`,
assembled from one mixin per topic on top of :class:`RulesBase`. The tables name them
(:func:`guard`, :func:`action` mark which methods they may name); the names are checked
against the class when :mod:`hacore.failover.table` loads.

Actions never call one another: steps several of them share live here. An action that
needs another row's reaction raises an event instead, visibly: :meth:`RulesBase.post`
queues it behind the current one, :meth:`RulesBase.fire` runs it at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Literal, TypeVar, cast

import structlog

from hacore.api import GroupState
from hacore.failover import messages
from hacore.failover.actions import Action, Operation, OperationDone, Recover, SendMessage
from hacore.failover.holdings import Hold, mirror
from hacore.failover.model import (
    Ctx,
    FailoverConfig,
    GroupRecord,
    Job,
    Memory,
    NodeState,
    PeerView,
    StandbyProgress,
    StandbyState,
    Timers,
)
from hacore.wire.message import Message

log = structlog.get_logger("hacore.failover")

RuleKind = Literal["guard", "action"]
F = TypeVar("F", bound=Callable[..., object])

_MARK = "_failover_rule"
_IN_FLIGHT = (GroupState.STARTING, GroupState.STOPPING)


def guard(fn: F) -> F:
    """A method ``(self, ctx) -> bool`` that table rows may name as a guard.

    Its docstring is its entry in docs/failover.md, so it is required.
    """
    return _mark(fn, "guard")


def action(fn: F) -> F:
    """A method ``(self, ctx, arg) -> None`` that table rows may name as an action.

    ``arg`` is what follows ``:`` in the row (empty without one). Its docstring is its
    entry in docs/failover.md, so it is required.
    """
    return _mark(fn, "action")


def _mark(fn: F, kind: RuleKind) -> F:
    if not (fn.__doc__ or "").strip():
        raise TypeError(
            f"failover {kind} {fn.__name__!r} has no docstring: docs/failover.md shows it"
        )
    setattr(fn, _MARK, kind)
    return fn


def rule_kind(member: object) -> RuleKind | None:
    """``guard`` or ``action`` for a marked method, else None."""
    return cast(RuleKind | None, getattr(member, _MARK, None))


class RulesBase:
    """The engine's knowledge, owned by the rules; the engine reaches it through the
    few methods under "for the engine" and the queries.

    ``fire`` dispatches an event through the tables at once (the engine's dispatcher).
    """

    def __init__(
        self,
        config: FailoverConfig,
        is_hacore: Callable[[str], bool],
        fire: Callable[[Ctx], None],
    ) -> None:
        self.cfg = config
        self.me = config.local_node
        others = [n for n in config.nodes if n != self.me]
        self.peer = PeerView(others[0] if len(others) == 1 else None)
        self.is_legacy = config.auto_failback == "legacy"
        self.is_hacore = is_hacore
        self.node = NodeState.INIT
        self.standby = StandbyState.NOT
        self.records = {g.key: GroupRecord(g, local=g.node == self.me) for g in config.groups}
        self.timers = Timers()
        self.sb = StandbyProgress()
        self.memory = Memory()
        self.needs_failback = False
        self.offer_hold = Hold.NONE
        self.shutdown_pending = False
        self.initial_done = False
        self.tiebreaker_lost = False  # the runtime's last word on the tiebreaker
        # Heartbeat's i_hold_resources bits for a category without any group here: it
        # still reports who "has" the empty set (see heartbeat_hold).
        self.empty_hold = Hold.NONE
        self.now = 0.0
        self.jobs: list[Job] = []
        self._fire = fire
        self._events: deque[Ctx] = deque()
        self._out: list[Action] = []

    # ------------------------------------------------------------------ for the engine

    def begin(self, now: float, events: Iterable[Ctx]) -> None:
        """An input arrives at ``now`` with its events."""
        self.now = now
        self._events.extend(events)

    def next_event(self) -> Ctx | None:
        return self._events.popleft() if self._events else None

    def take_actions(self) -> list[Action]:
        """What the rules asked for since the last call, in order."""
        out, self._out = self._out, []
        return out

    def table_state(self, table: str, key: str) -> str:
        """The state a table's rows are matched against (``key``: the group table's group)."""
        if table == "node":
            return self.node.value
        if table == "standby":
            return self.standby.value
        return self.records[key].state.value

    def enter(self, table: str, key: str, state: str) -> None:
        """A row's ``next``: the table's state variable becomes ``state``."""
        if table == "node":
            self.node = NodeState(state)
        elif table == "standby":
            self.standby = StandbyState(state)
        else:
            self.records[key].state = GroupState(state)

    def reconcile(self) -> Iterator[Ctx]:
        """Run after each event taken from the queue, whatever row ran: rows only decide
        what this node *wants*; this step alone turns wants into group-table `start` and
        `stop` events (hence Acquire and Release), and it enforces the start/stop safety
        rule.

        **Safety rule:** a group wanted here but claimed by the live peer is never
        started, whatever row asked for it: the start is dropped (the group is no longer
        wanted) and logged as `acquire_blocked`, `Not starting <key>: <peer> still holds
        it`. Otherwise a wanted, stopped group gets `start`; a group no longer wanted that
        runs here (or is FAILED and its release was asked for again) gets `stop`.
        """
        for key, rec in self.records.items():
            if rec.want and rec.state == GroupState.STOPPED:
                if self.peer_has(key) and not self.is_alone():
                    log.error(
                        "acquire_blocked",
                        group=key,
                        peer=self.peer.name,
                        msg=f"Not starting {key}: {self.peer.name} still holds it",
                    )
                    rec.want = False
                    continue
                yield Ctx("start", key=key)
            elif not rec.want and (
                rec.state == GroupState.RUNNING or (rec.state == GroupState.FAILED and rec.retry)
            ):
                rec.retry = False
                yield Ctx("stop", key=key)

    def complete_jobs(self) -> None:
        """Post the event of every job whose groups have all settled."""
        for job in list(self.jobs):
            states = [self.records[key].state for key in job.keys]
            if any(state in _IN_FLIGHT for state in states):
                continue
            target = GroupState.RUNNING if job.running else GroupState.STOPPED
            failed = tuple(k for k, s in zip(job.keys, states, strict=True) if s != target)
            self.jobs.remove(job)
            self.post(replace(job.ctx, ok=not failed, failed=failed))

    def resume_delayed_shutdown(self) -> None:
        """A shutdown delayed by an operation in flight is asked for again once all is quiet."""
        if self.shutdown_pending and not self.is_busy() and not self._events:
            self.post(Ctx("request_shutdown"))

    # ------------------------------------------------------------------ effects

    def send(self, msg: Message) -> None:
        """Send a message other than a ``resource`` report (see :meth:`send_report`)."""
        if msg.type == "resource":
            raise ValueError("a resource report goes through send_report (own_resource)")
        self._out.append(SendMessage(msg))

    def send_report(self, msg: Message) -> None:
        """Send a ``resource`` report and post ``own_resource``: Heartbeat processes its
        own copy of every report it sends, and a starting node moves on by it. A hacore
        peer also learns which groups keep failing here (``hacore_failed``); a Heartbeat
        peer gets Heartbeat's message, field for field."""
        if msg.type != "resource":
            raise ValueError(f"not a resource report: {msg.type}")
        if self.peer_is_hacore():
            messages.add_failed(msg, self.memory.failed_here)
        self._out.append(SendMessage(msg))
        self.post(Ctx("own_resource"))

    def send_holdings(self, *, stable: bool) -> None:
        """Report everything we claim (``rtype=full``)."""
        self.send_report(messages.resource(self.held_bits(), stable=stable))

    def emit(self, action: Action) -> None:
        self._out.append(action)

    def post(self, ctx: Ctx) -> None:
        """Raise an event, dispatched after the current one (and its reconciliation)."""
        self._events.append(ctx)

    def fire(self, ctx: Ctx) -> None:
        """Raise an event, dispatched now, before the rest of the current row's actions."""
        self._fire(ctx)

    def op_done(self, op: Operation, ok: bool, detail: str, *, refused: bool = False) -> None:
        self.emit(OperationDone(op, ok, detail, refused))

    def want(self, keys: Iterable[str], running: bool, reason: str) -> None:
        """What this node wants for the groups; :meth:`reconcile` carries it out."""
        for key in keys:
            self.records[key].want = running
            self.records[key].reason = reason

    def start_job(self, keys: Sequence[str], running: bool, ctx: Ctx) -> None:
        """Post ``ctx`` once every group of ``keys`` has settled (with ok and failed set)."""
        self.jobs.append(Job(tuple(keys), running, ctx))

    def drop_jobs(self, *events: str) -> None:
        self.jobs = [job for job in self.jobs if job.ctx.event not in events]

    def hold_empty(self, bits: Hold, held: bool) -> None:
        """Heartbeat sets a category's holding bit when it acquires the category and
        clears it when it gives it up, whether or not any group is in it; for the
        categories without a group here only this remembers it."""
        self.empty_hold = (self.empty_hold | bits) if held else (self.empty_hold & ~bits)

    def claim_locals(self, keys: list[str], reason: str) -> None:
        """Start our local groups ``keys``; ``local_acquired`` follows."""
        self.want(keys, True, reason)
        self.memory.claimed_now = list(keys)
        self.start_job(keys, True, Ctx("local_acquired"))

    def adopt_our_orphans(self) -> None:
        """Start our local groups nobody holds, except those that just failed to start here,
        those we gave away by standby (the operator wanted them off this node) and those
        whose monitoring gave up here: those are offered to a peer that may run them."""
        memory = self.memory
        orphans = [
            key
            for key, rec in self.records.items()
            if rec.local and not self.claimed(key) and not self.peer_has(key)
        ]
        keys = [k for k in orphans if k not in memory.failed_starts | memory.given_away]
        self._offer_failing([k for k in keys if k in memory.failed_here])
        keys = [k for k in keys if k not in memory.failed_here]
        if keys:
            log.warning("adopt_orphans", groups=keys, msg="No one owns our local resources!")
            self.claim_locals(keys, "nobody held it")

    def _offer_failing(self, keys: list[str]) -> None:
        """Orphans that keep failing here go to a peer that may run them (an offer, as for
        a failed start), rather than staying down until a cleanup."""
        keys = [key for key in keys if key not in self.peer.failed and not self.is_alone()]
        idle = self.standby == StandbyState.NOT and self.timers.offer_at is None
        if keys and idle and self.offer_hold == Hold.NONE:  # one offer at a time
            for key in keys:
                self.offer_hold |= self.category(key)
            log.warning("offer_group", groups=keys, peer=self.peer.name, reason="failing here")
            self.timers.offer_at = self.now

    def recover(self, keys: Iterable[str], why: str) -> None:
        """Groups that keep failing here stay here (``why``): those still running here get
        Recover (restart in place); none of them is moving any longer."""
        for key in sorted(keys):
            self.memory.moving.discard(key)
            if self.runs_here(key):
                log.critical(
                    "monitor_cannot_move",
                    group=key,
                    reason=why,
                    msg=f"Resource group {key} keeps failing and stays here ({why}): "
                    "restarting it here",
                )
                self.emit(Recover(key))
        if not self.memory.moving:
            self.timers.move_at = None

    # ------------------------------------------------------------------ queries

    def runs_here(self, key: str) -> bool:
        """The group is running here and meant to."""
        rec = self.records[key]
        return rec.want and rec.state == GroupState.RUNNING

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

    def rsc_hold(self) -> str:
        """What we hold, as Heartbeat's word (``none``/``local``/``foreign``/``all``)."""
        return self.held_bits().word

    def heartbeat_hold(self) -> Hold:
        """Heartbeat's i_hold_resources as ``cl_status rscstatus`` prints it: what we
        claim, plus each category without groups here as Heartbeat's bits say (``local``
        on a node whose own haresources lines are empty, once it has "acquired" them)."""
        empty = Hold.NONE
        for category in (Hold.LOCAL, Hold.FOREIGN):
            if not self.keys_in(category):
                empty |= category
        return self.held_bits() | (self.empty_hold & empty)

    def category(self, key: str) -> Hold:
        """The group's bit relative to us."""
        return Hold.LOCAL if self.records[key].local else Hold.FOREIGN

    def keys_in(self, hold: Hold) -> list[str]:
        """Groups in a bit set relative to us, in haresources order."""
        return [key for key in self.records if self.category(key) & hold]

    def peer_has(self, key: str) -> bool:
        if self.is_legacy:
            return key in self.peer.keys
        return bool(self.peer.hold & mirror(self.category(key)))

    def peer_is_hacore(self) -> bool:
        return self.peer.name is not None and self.is_hacore(self.peer.name)

    def keeper(self, key: str) -> str:
        """Who keeps a group both sides hold: its preferred node, else the smaller name."""
        preferred = self.records[key].group.node
        pair = (self.me, self.peer.name or self.me)
        return preferred if preferred in pair else min(pair)

    def is_alone(self) -> bool:
        return self.peer.name is None or not self.peer.alive or self.peer.left

    def is_busy(self) -> bool:
        """An Acquire or Release is in flight."""
        return any(rec.state in _IN_FLIGHT for rec in self.records.values())

    def is_stable(self) -> bool:
        """Heartbeat's hb_rsc_isstable: no transition here or at the peer."""
        return (
            self.node == NodeState.STABLE
            and self.standby == StandbyState.NOT
            and (self.peer.stable or self.is_alone())
            and not self.is_busy()
        )

    def wants_any(self, hold: Hold) -> bool:
        """Some group of that category is (to be) running here."""
        return any(self.records[key].want for key in self.keys_in(hold))

    def standby_seconds_left(self) -> int:
        deadline = self.timers.standby_deadline
        return 0 if deadline is None else max(0, int(deadline - self.now + 0.999))

    def view_of(self, key: str) -> tuple[str | None, GroupState]:
        """Who runs the group as this node sees the cluster, and in which state."""
        rec = self.records[key]
        if rec.state != GroupState.STOPPED:
            return self.me, rec.state
        if not self.is_alone() and self.peer_has(key):
            return self.peer.name, GroupState.RUNNING
        return None, GroupState.STOPPED
