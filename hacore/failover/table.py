"""The failover state machine as data: (state, event, guard) → (actions, next state).

Three tables, each over one state variable:

* NODE: Heartbeat's ``resourcestate`` (INIT → STARTING → BOTHSTARTING → RSCRCVD →
  STABLE, SHUTDOWN) and what this node does about start-up, peer death, shutdown,
  split brain and legacy ``ip-request`` negotiation.
* STANDBY: Heartbeat's ``going_standby`` (the ``ask_resources`` protocol,
  docs/protocol.md §9.3), with its ME/DONE states split by role so each row says which
  side it runs on.
* GROUP: one resource group's life on this node (``api.GroupState``).

For an event the engine tries the rows of the event's table in order and runs the
first whose state matches and whose guard holds. A guard is a name, ``!name`` or
``a&b``. An action ``name:arg`` passes ``arg`` to the action. ``next`` None keeps the
state. An event no row matches is ignored (and traced).

Guards and actions are methods of :class:`~hacore.failover.rules.Rules`, named here
as text so the table reads as a table and docs/failover.md can show it as it is. Every
row is checked when this module loads: a state, event, guard or action that does not
exist makes the import fail with :class:`TableError` naming the row.
"""

from __future__ import annotations

from dataclasses import dataclass

from hacore.failover.base import RuleKind
from hacore.failover.rules import find_rule


class TableError(ValueError):
    """A table row names something that does not exist."""


@dataclass(frozen=True)
class Row:
    states: tuple[str, ...]  # ("*",) = any state
    event: str
    guard: str | None
    actions: tuple[str, ...]
    next: str | None

    def matches_state(self, state: str) -> bool:
        return self.states == ("*",) or state in self.states

    def guard_terms(self) -> tuple[tuple[str, bool], ...]:
        """The guard as (name, negated) terms, all of which must hold."""
        if self.guard is None:
            return ()
        return tuple((term.lstrip("!"), term.startswith("!")) for term in self.guard.split("&"))

    def calls(self) -> tuple[tuple[str, str], ...]:
        """The actions as (name, arg) in order; arg is empty without ``:``."""
        return tuple((name, arg) for name, _, arg in (a.partition(":") for a in self.actions))


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    state_descriptions: dict[str, str]
    rows: tuple[Row, ...]

    def __post_init__(self) -> None:
        for row in self.rows:
            problem = self._problem(row)
            if problem:
                states = " ".join(row.states)
                raise TableError(
                    f"failover {self.name} table, row ({states} | {row.event} | "
                    f"{row.guard or '-'}): {problem}"
                )

    def _problem(self, row: Row) -> str | None:
        where = EVENTS.get(row.event, ("", ""))[0]
        if where != self.name:
            return f"event {row.event!r} is not an event of the {self.name} table"
        for state in (*row.states, row.next):
            if state not in (None, "*", *self.state_descriptions):
                return f"unknown state {state!r}"
        named: list[tuple[RuleKind, str]] = [("guard", name) for name, _ in row.guard_terms()]
        named += [("action", name) for name, _ in row.calls()]
        for kind, name in named:
            if find_rule(kind, name) is None:
                return f"{kind} {name!r} is not a @{kind} method of hacore.failover.rules.Rules"
        return None


@dataclass(frozen=True)
class Transition:
    """One row taken (``row`` None: the event matched no row and was ignored)."""

    table: str
    state: str
    event: str
    row: Row | None


def _rows(*specs: tuple[str, str, str | None, list[str], str | None]) -> tuple[Row, ...]:
    return tuple(
        Row(tuple(states.split()), event, guard, tuple(actions), nxt)
        for states, event, guard, actions, nxt in specs
    )


EVENTS: dict[str, tuple[str, str]] = {
    # event: (table, description)
    "comm_up": ("node", "membership confirmed communications (`on_comm_up`)"),
    "peer_starting": ("node", "the peer's `starting`"),
    "own_resource": ("node", "we sent a `resource` report (Heartbeat's loopback copy)"),
    "peer_resource": (
        "node",
        "the peer's `resource` report (its holdings recorded first; a shutdown notice "
        "leaves them as they were until `shutdone`)",
    ),
    "deadlock_timer": ("node", "10 s in RSCRCVD without a stable peer"),
    "local_acquired": ("node", "our local acquisition (req_our_resources) finished"),
    "takeover_done": ("node", "the takeover of every unheld group (mach_down) finished"),
    "failback_timer": ("node", "the 1 s auto-failback retry is due"),
    "peer_shutdone": ("node", "the peer's `shutdone`: it released everything"),
    "peer_dead": ("node", "membership declared the peer dead"),
    "peer_restarted": ("node", "the peer came back with a new generation"),
    "partition_healed": ("node", "a peer we had declared dead speaks again (same generation)"),
    "peer_returned": (
        "node",
        "a peer we declared dead is back and already active: it started alone (initdead) "
        "during a cut, so it may hold anything",
    ),
    "local_stall": ("node", "our own loop stalled longer than deadtime"),
    "tiebreaker_lost": (
        "node",
        "the runtime finds the peer dead (not reset by us, not shut down) and the tiebreaker "
        "unreachable (`on_tiebreaker_lost`; ha.cf `tiebreaker`, hacore extension)",
    ),
    "isolated_released": ("node", "the release of every group on isolation finished"),
    "tiebreaker_regained": (
        "node",
        "the tiebreaker answers again while the peer is still silent (`on_tiebreaker_regained`)",
    ),
    "peer_heard": (
        "node",
        "a live status of the peer while ISOLATED (in place of `peer_returned`): it is "
        "reachable again",
    ),
    "conflict_released": ("node", "groups we lost to the split-brain rule are released"),
    "group_failed_to_start": ("node", "a group failed to start here and is stopped again"),
    "offer_timer": ("node", "time to offer the groups that failed here to the peer"),
    "monitor_failed": (
        "node",
        "a monitored resource of the group keeps failing here: its restarts are used up "
        "(ha.cf `monitor`, hacore extension)",
    ),
    "move_timer": ("node", "time to ask again for the standby of groups failing here"),
    "cleanup": ("node", "`hactl cleanup`: the group may run here again"),
    "request_shutdown": ("node", "graceful shutdown requested (SIGTERM, `request_shutdown`)"),
    "shutdown_released": ("node", "the shutdown release of every group finished"),
    "ip_request": ("node", "legacy: the peer asks for a group (`ip-request`)"),
    "given_up": ("node", "legacy: a group asked for by the peer is released"),
    "ip_request_resp": ("node", "legacy: `ip-request-resp` addressed to us"),
    "standby_request": (
        "standby",
        "hb_standby here (operator, peer's hb_takeover, failback, offer)",
    ),
    "takeover_request": ("standby", "hb_takeover here (operator)"),
    "peer_hb_takeover": ("standby", "the peer's `hb_takeover`: it wants our groups"),
    "peer_me": ("standby", "the peer's `ask_resources info=me`"),
    "peer_other": ("standby", "the peer's `ask_resources info=other`"),
    "peer_done": ("standby", "the peer's `ask_resources info=done`"),
    "standby_released": ("standby", "role A: the standby set is released"),
    "standby_acquired": ("standby", "role B: the complement is acquired"),
    "standby_timer": ("standby", "the standby deadline passed (10 s before `other`, then 1 h)"),
    "cancel": ("standby", "the standby cannot go on (peer dead/restarted/shutdown, split brain)"),
    "start": ("group", "this node wants the group running"),
    "stop": ("group", "this node wants the group stopped (also retries a failed stop)"),
    "acquired": ("group", "Acquire succeeded"),
    "acquire_failed": ("group", "Acquire failed"),
    "released": ("group", "Release succeeded"),
    "release_failed": ("group", "Release failed: the group may still run here"),
}


_NEGOTIATING = "STARTING BOTHSTARTING RSCRCVD"
_BUSY_STANDBY = "ASKED ME ME_RELEASING ME_DONE OTHER OTHER_ACQUIRING"
_RUNNING_STANDBY = "ME ME_RELEASING ME_DONE OTHER OTHER_ACQUIRING"

NODE = Table(
    "node",
    "Node table (Heartbeat's resourcestate)",
    {
        "INIT": "communications not up yet; nothing is acquired",
        "STARTING": "`starting` sent at comm-up, waiting for the peer's holdings",
        "BOTHSTARTING": "the peer's `starting` crossed ours (left as soon as our reply is out)",
        "RSCRCVD": "a `resource` report seen; waiting for a stable peer or the 10 s breaker",
        "STABLE": "our share is acquired (or known to be held by the peer)",
        "SHUTDOWN": "graceful shutdown: releasing everything, then `shutdone`",
        "ISOLATED": "peer and tiebreaker lost: everything released, nothing acquired until "
        "the peer is heard or its death is confirmed with the tiebreaker back (hacore "
        "extension)",
    },
    _rows(
        # ---- comm-up
        ("INIT", "comm_up", "legacy&alone", ["send_stonith:n_stnth", "take_over_all"], "STABLE"),
        ("INIT", "comm_up", "legacy", ["request_our_groups"], "STABLE"),
        (
            "INIT",
            "comm_up",
            "alone",
            ["send_stonith:n_stnth", "send_starting", "take_over_all"],
            "STABLE",
        ),
        ("INIT", "comm_up", None, ["send_starting"], "STARTING"),
        # ---- the peer's start-up announcement
        ("*", "peer_starting", "legacy", [], None),
        ("STARTING", "peer_starting", None, ["peer_unstable", "send_held"], "BOTHSTARTING"),
        (
            "BOTHSTARTING RSCRCVD STABLE SHUTDOWN",
            "peer_starting",
            None,
            ["peer_unstable", "send_held"],
            None,
        ),
        # ---- Heartbeat processes its own resource messages; we do it explicitly
        ("STARTING BOTHSTARTING", "own_resource", None, ["arm_deadlock_breaker"], "RSCRCVD"),
        # ---- the peer's holdings
        ("*", "peer_resource", "legacy", [], None),
        (
            _NEGOTIATING,
            "peer_resource",
            "peer_stable",
            [
                "greet_stable_peer",
                "take_our_locals",
                "send_held_stable",
                "send_self_grants",
                "try_failback",
            ],
            "STABLE",
        ),
        (
            _NEGOTIATING,
            "peer_resource",
            "hacore_peer&!peer_holds_our_locals",
            ["take_our_locals", "send_held_stable", "send_self_grants"],
            "STABLE",
        ),
        ("STARTING BOTHSTARTING", "peer_resource", None, ["arm_deadlock_breaker"], "RSCRCVD"),
        ("RSCRCVD", "peer_resource", None, [], None),
        (
            "STABLE",
            "peer_resource",
            "became_stable",
            ["end_abandoned_standby", "greet_stable_peer", "audit_holdings", "try_failback"],
            None,
        ),
        (
            "STABLE",
            "peer_resource",
            "peer_cleaned_up",
            ["end_abandoned_standby", "audit_holdings", "try_failback"],
            None,
        ),
        ("STABLE", "peer_resource", None, ["end_abandoned_standby", "audit_holdings"], None),
        ("INIT SHUTDOWN", "peer_resource", None, [], None),
        # ---- the 10 s deadlock breaker
        (
            "RSCRCVD",
            "deadlock_timer",
            None,
            ["log_local_transition", "take_our_locals", "send_held_stable", "send_self_grants"],
            "STABLE",
        ),
        # ---- acquisitions finished (never in SHUTDOWN: it starts only when nothing is
        # in flight, and by then every job has completed)
        ("*", "local_acquired", None, ["report_local_acquisition"], None),
        ("*", "takeover_done", None, ["report_takeover"], None),
        ("STABLE", "failback_timer", None, ["try_failback"], None),
        # ---- the peer shuts down gracefully
        ("INIT SHUTDOWN", "peer_shutdone", None, ["forget_peer_holdings"], None),
        (
            "*",
            "peer_shutdone",
            None,
            [
                "log_shutdown_notice",
                "forget_peer_holdings",
                "cancel_standby:peer_shutdown",
                "take_over_all",
            ],
            "STABLE",
        ),
        # ---- the peer dies
        ("INIT SHUTDOWN", "peer_dead", None, [], None),
        ("ISOLATED", "peer_dead", "cut_off", [], None),
        ("*", "peer_dead", "peer_fenced", ["cancel_standby:peer_dead", "take_over_all"], "STABLE"),
        (
            "*",
            "peer_dead",
            "peer_gave_up",
            ["cancel_standby:peer_dead", "log_gave_up", "send_stonith:unneeded", "take_over_all"],
            "STABLE",
        ),
        (
            "*",
            "peer_dead",
            None,
            ["cancel_standby:peer_dead", "send_stonith:n_stnth", "take_over_all"],
            "STABLE",
        ),
        # ---- restart, split brain, our own stall
        ("INIT SHUTDOWN", "peer_restarted", None, [], None),
        (
            "*",
            "peer_restarted",
            None,
            ["cancel_standby:peer_restarted", "expect_returning_peer"],
            None,
        ),
        ("INIT SHUTDOWN", "partition_healed", None, [], None),
        ("*", "partition_healed", "legacy", ["legacy_resolve"], None),
        (
            "*",
            "partition_healed",
            None,
            ["cancel_standby:partition", "report_holdings_after_split"],
            None,
        ),
        ("INIT SHUTDOWN", "peer_returned", None, [], None),
        ("*", "peer_returned", "legacy", ["legacy_resolve"], None),
        (
            "*",
            "peer_returned",
            None,
            ["cancel_standby:peer_returned", "report_holdings_after_split"],
            None,
        ),
        ("INIT SHUTDOWN", "local_stall", None, [], None),
        ("*", "local_stall", "legacy", ["legacy_resolve"], None),
        ("*", "local_stall", None, ["cancel_standby:stall", "report_holdings_after_stall"], None),
        ("*", "conflict_released", None, ["send_held"], None),
        # ---- the tiebreaker (hacore extension): cut off from the peer and the tiebreaker
        ("INIT SHUTDOWN ISOLATED", "tiebreaker_lost", None, [], None),
        (
            "*",
            "tiebreaker_lost",
            None,
            ["cancel_standby:isolated", "give_up_isolated"],
            "ISOLATED",
        ),
        ("*", "isolated_released", None, ["report_isolated_release"], None),
        (
            "ISOLATED",
            "tiebreaker_regained",
            "alone",
            ["log_tiebreaker_regained:tiebreaker", "take_over_all"],
            "STABLE",
        ),
        ("ISOLATED", "tiebreaker_regained", None, ["log_tiebreaker_regained:pending"], None),
        ("*", "tiebreaker_regained", None, [], None),
        (
            "ISOLATED",
            "peer_heard",
            "legacy",
            ["log_tiebreaker_regained:peer", "request_our_groups"],
            "STABLE",
        ),
        (
            "ISOLATED",
            "peer_heard",
            None,
            ["log_tiebreaker_regained:peer", "send_starting"],
            "STARTING",
        ),
        # ---- a group would not start here
        ("*", "group_failed_to_start", "legacy", ["keep_failed_group_down:legacy"], None),
        ("*", "group_failed_to_start", "alone", ["keep_failed_group_down:alone"], None),
        ("*", "group_failed_to_start", "handed_over", ["keep_failed_group_down:handed_over"], None),
        ("*", "group_failed_to_start", None, ["schedule_offer"], None),
        ("*", "offer_timer", None, ["offer_failed_groups"], None),
        # ---- a monitored resource keeps failing here (hacore extension)
        ("INIT SHUTDOWN", "monitor_failed", None, [], None),
        ("*", "monitor_failed", "!running_here", [], None),
        ("*", "monitor_failed", "moving_group", [], None),
        ("*", "monitor_failed", "legacy", ["note_monitor_failure", "recover_here:legacy"], None),
        ("*", "monitor_failed", "alone", ["note_monitor_failure", "recover_here:alone"], None),
        (
            "*",
            "monitor_failed",
            "peer_failed_group",
            ["note_monitor_failure", "recover_here:peer_failed"],
            None,
        ),
        ("*", "monitor_failed", None, ["note_monitor_failure", "move_failed_group"], None),
        ("*", "move_timer", None, ["retry_monitor_move"], None),
        ("*", "cleanup", None, ["forget_monitor_failure"], None),
        # ---- graceful shutdown of this node
        ("SHUTDOWN", "request_shutdown", None, [], None),
        ("*", "request_shutdown", "busy", ["delay_shutdown"], None),
        (
            "*",
            "request_shutdown",
            None,
            ["cancel_standby:shutdown", "announce_shutdown", "release_everything"],
            "SHUTDOWN",
        ),
        ("SHUTDOWN", "shutdown_released", "job_ok", ["finish_shutdown"], None),
        ("SHUTDOWN", "shutdown_released", None, ["abort_shutdown"], "STABLE"),
        # ---- legacy negotiation (auto_failback legacy)
        ("*", "ip_request", "!legacy", [], None),
        ("*", "ip_request", None, ["give_up_group"], None),
        ("*", "given_up", None, ["grant_group"], None),
        ("*", "ip_request_resp", "!legacy", [], None),
        ("SHUTDOWN", "ip_request_resp", None, [], None),
        ("*", "ip_request_resp", "holds_group", ["announce_group"], None),
        ("*", "ip_request_resp", None, ["take_granted_group"], None),
    ),
)

STANDBY = Table(
    "standby",
    "Standby table (Heartbeat's going_standby, docs/protocol.md §9.3)",
    {
        "NOT": "no standby in progress",
        "ASKED": "we sent `hb_takeover`; waiting for the peer's `me` (10 s)",
        "ME": "role A: we sent `me`; waiting for the peer's `other` (10 s)",
        "ME_RELEASING": "role A: releasing the set (Heartbeat: ME after `other`)",
        "ME_DONE": "role A: released, `done` sent; waiting for the peer's `done` (Heartbeat: DONE)",
        "OTHER": "role B: `other` sent; waiting for the peer's `done`",
        "OTHER_ACQUIRING": "role B: acquiring the complement (Heartbeat: DONE)",
    },
    _rows(
        ("*", "standby_request", "legacy", ["refuse_standby:legacy"], None),
        ("*", "standby_request", "shutting_down", ["refuse_standby:shutdown"], None),
        ("*", "standby_request", "isolated", ["refuse_standby:isolated"], None),
        ("*", "standby_request", "alone", ["refuse_standby:alone"], None),
        (_BUSY_STANDBY, "standby_request", None, ["refuse_standby:in_progress"], None),
        ("NOT", "standby_request", "!peer_stable", ["refuse_standby:peer_in_flux"], None),
        ("NOT", "standby_request", "!local_stable", ["refuse_standby:local_in_flux"], None),
        ("NOT", "standby_request", None, ["send_me"], "ME"),
        ("*", "takeover_request", "legacy", ["refuse_takeover:legacy"], None),
        ("*", "takeover_request", "shutting_down", ["refuse_takeover:shutdown"], None),
        ("*", "takeover_request", "isolated", ["refuse_takeover:isolated"], None),
        ("*", "takeover_request", "alone", ["refuse_takeover:alone"], None),
        (_BUSY_STANDBY, "takeover_request", None, ["refuse_takeover:in_progress"], None),
        ("NOT", "takeover_request", "!peer_stable", ["refuse_takeover:peer_in_flux"], None),
        ("NOT", "takeover_request", "!local_stable", ["refuse_takeover:local_in_flux"], None),
        ("NOT", "takeover_request", None, ["send_hb_takeover"], "ASKED"),
        ("*", "peer_hb_takeover", None, ["standby_for_peer"], None),
        ("*", "peer_me", "legacy", ["ignore_standby_message:legacy"], None),
        ("*", "peer_me", "shutting_down", ["ignore_standby_message:shutdown"], None),
        (_RUNNING_STANDBY, "peer_me", None, ["ignore_standby_message:in_progress"], None),
        (
            "ASKED",
            "peer_me",
            "!peer_stable",
            ["ignore_standby_message:peer_in_flux", "fail_takeover:peer_in_flux"],
            "NOT",
        ),
        (
            "ASKED",
            "peer_me",
            "!local_stable",
            ["ignore_standby_message:local_in_flux", "fail_takeover:local_in_flux"],
            "NOT",
        ),
        ("NOT", "peer_me", "!peer_stable", ["ignore_standby_message:peer_in_flux"], None),
        ("NOT", "peer_me", "!local_stable", ["ignore_standby_message:local_in_flux"], None),
        ("NOT ASKED", "peer_me", None, ["send_other"], "OTHER"),
        ("ME", "peer_other", None, ["release_standby_set"], "ME_RELEASING"),
        ("*", "peer_other", None, ["ignore_standby_message:unexpected"], None),
        ("ME_RELEASING", "standby_released", None, ["send_done_released"], "ME_DONE"),
        ("OTHER", "peer_done", None, ["acquire_standby_set"], "OTHER_ACQUIRING"),
        ("ME_DONE", "peer_done", None, ["finish_standby"], "NOT"),
        ("*", "peer_done", None, ["ignore_standby_message:unexpected"], None),
        ("OTHER_ACQUIRING", "standby_acquired", None, ["finish_acquisition"], "NOT"),
        ("ASKED", "standby_timer", None, ["fail_takeover:no_reply"], "NOT"),
        (_RUNNING_STANDBY, "standby_timer", None, ["standby_timed_out"], "NOT"),
        (_BUSY_STANDBY, "cancel", None, ["abandon_standby"], "NOT"),
    ),
)

GROUP = Table(
    "group",
    "Group table (one resource group on this node, api.GroupState)",
    {
        "stopped": "not running here",
        "starting": "Acquire issued, result pending",
        "running": "started here",
        "stopping": "Release issued, result pending",
        "failed": "a stop failed: it may still run here; never started elsewhere",
    },
    _rows(
        ("stopped", "start", None, ["emit_acquire"], "starting"),
        ("running", "stop", None, ["emit_release"], "stopping"),
        ("failed", "stop", None, ["emit_release"], "stopping"),
        ("starting", "acquired", None, ["note_started"], "running"),
        ("starting", "acquire_failed", None, ["clean_up_failed_start"], "stopping"),
        ("stopping", "released", "failed_start", ["report_start_failure"], "stopped"),
        ("stopping", "released", None, [], "stopped"),
        ("stopping", "release_failed", None, ["report_stop_failure"], "failed"),
    ),
)

TABLES = (NODE, STANDBY, GROUP)
