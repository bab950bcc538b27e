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
state. An event no row matches is ignored (and traced). ``docs/failover.md`` is
rendered from this module; the descriptions below are its text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class NodeState(enum.StrEnum):
    INIT = "INIT"
    STARTING = "STARTING"
    BOTHSTARTING = "BOTHSTARTING"
    RSCRCVD = "RSCRCVD"
    STABLE = "STABLE"
    SHUTDOWN = "SHUTDOWN"


class StandbyState(enum.StrEnum):
    NOT = "NOT"
    ASKED = "ASKED"
    ME = "ME"
    ME_RELEASING = "ME_RELEASING"
    ME_DONE = "ME_DONE"
    OTHER = "OTHER"
    OTHER_ACQUIRING = "OTHER_ACQUIRING"


@dataclass(frozen=True)
class Row:
    states: tuple[str, ...]  # ("*",) = any state
    event: str
    guard: str | None
    actions: tuple[str, ...]
    next: str | None

    def matches_state(self, state: str) -> bool:
        return self.states == ("*",) or state in self.states


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    state_descriptions: dict[str, str]
    rows: tuple[Row, ...]


def _rows(*specs: tuple[str, str, str | None, list[str], str | None]) -> tuple[Row, ...]:
    return tuple(
        Row(tuple(states.split()), event, guard, tuple(actions), nxt)
        for states, event, guard, actions, nxt in specs
    )


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
        # ---- a group would not start here
        ("*", "group_failed_to_start", "legacy", ["keep_failed_group_down:legacy"], None),
        ("*", "group_failed_to_start", "alone", ["keep_failed_group_down:alone"], None),
        ("*", "group_failed_to_start", "handed_over", ["keep_failed_group_down:handed_over"], None),
        ("*", "group_failed_to_start", None, ["schedule_offer"], None),
        ("*", "offer_timer", None, ["offer_failed_groups"], None),
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
        ("*", "standby_request", "alone", ["refuse_standby:alone"], None),
        (_BUSY_STANDBY, "standby_request", None, ["refuse_standby:in_progress"], None),
        ("NOT", "standby_request", "!peer_stable", ["refuse_standby:peer_in_flux"], None),
        ("NOT", "standby_request", "!local_stable", ["refuse_standby:local_in_flux"], None),
        ("NOT", "standby_request", None, ["send_me"], "ME"),
        ("*", "takeover_request", "legacy", ["refuse_takeover:legacy"], None),
        ("*", "takeover_request", "shutting_down", ["refuse_takeover:shutdown"], None),
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
    "conflict_released": ("node", "groups we lost to the split-brain rule are released"),
    "group_failed_to_start": ("node", "a group failed to start here and is stopped again"),
    "offer_timer": ("node", "time to offer the groups that failed here to the peer"),
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

GUARDS: dict[str, str] = {
    "legacy": "auto_failback legacy (or unset)",
    "alone": "no live peer: none configured, declared dead, or it sent `shutdone`",
    "peer_stable": "the peer's last report said isstable=1 (or it is dead/gone)",
    "became_stable": "this report turned the peer from unstable to stable",
    "hacore_peer": "the peer's status carries `hacore=1`",
    "peer_holds_our_locals": "the peer's rsc_hold includes `foreign` (our local groups)",
    "peer_gave_up": "the peer sent `shutdone`, or it was heard and held nothing",
    "busy": "an Acquire or Release is in flight",
    "local_stable": "node state STABLE and nothing in flight",
    "shutting_down": "our shutdown is in progress or waiting",
    "job_ok": "every group of the finished job reached its target",
    "holds_group": "we hold the group named in the message",
    "handed_over": "the group came to us by a standby handover (the peer just gave it up)",
    "failed_start": "the release cleans up after a failed start",
}

ACTIONS: dict[str, str] = {
    # node table
    "send_stonith": "send `stonith node=<peer> result=<arg>` (n_stnth also logs Heartbeat's "
    "two STONITH warnings); nothing without a peer",
    "send_starting": "send `starting`",
    "take_over_all": "Heartbeat's takeover_from_node + mach_down: log `Resources being "
    "acquired from X.`, forget the peer's holdings, want every group running here (those "
    "being released too; FAILED ones stay as they are), self-grant our local ones, mark "
    "failback as due",
    "request_our_groups": "legacy: send `ip-request ipaddr=<key>` for each of our local groups "
    "(until it answers, the peer counts as holding every group)",
    "peer_unstable": "mark the peer unstable",
    "send_held": "send `resource rsc_hold=<ours> rtype=full isstable=<1 if STABLE>`",
    "send_held_stable": "send `resource rsc_hold=<ours> rtype=full isstable=1`",
    "arm_deadlock_breaker": "start the 10 s deadlock breaker (once)",
    "greet_stable_peer": "if the peer just became stable: log `remote resource transition "
    "completed.` and send our holdings (isstable=1 only if STABLE)",
    "take_our_locals": "req_our_resources: unless the peer holds our local groups or we hold "
    "some, acquire our local groups (`Local Resource acquisition completed. (none)` otherwise)",
    "send_self_grants": "send Heartbeat's self-addressed `ip-request-resp` for each local "
    "group just claimed (wire fidelity; nobody acts on it)",
    "try_failback": "auto_failback on, failback due and foreign groups held: start a "
    "`foreign` standby (`Auto failback delayed.` and retry in 1 s while not possible)",
    "audit_holdings": "split-brain rule on groups both sides claim (the preferred node "
    "keeps, else the smaller name): release what we lose, report if we keep; announce a kept "
    "group once the peer's report drops it; adopt our local groups that a stable peer does "
    "not hold (not those that just failed to start here or that we gave away by standby)",
    "log_local_transition": "log `local resource transition completed.`",
    "report_local_acquisition": "send `resource … isstable=1 info=req_our_resources()`",
    "report_takeover": "send `resource … isstable=1 info=req_our_resources()` and "
    "`resource rsc_hold=foreign info=mach_down`; log `mach_down takeover complete.`",
    "forget_peer_holdings": "the peer holds nothing and is gone (it will be declared dead later)",
    "log_shutdown_notice": "log `Received shutdown notice from 'X'.`",
    "cancel_standby": "cancel a standby in progress (standby table event `cancel`)",
    "end_abandoned_standby": "a stable report from the peer while we wait for its next "
    "standby step means it dropped the standby (it declared us dead, or restarted): cancel "
    "ours",
    "log_gave_up": "log `Dead node X gave up resources.`",
    "expect_returning_peer": "the peer is new: unstable until it reports; failback is due if we "
    "hold its groups",
    "report_holdings_after_split": "mark the peer unstable and send our full holdings so both "
    "sides audit them",
    "report_holdings_after_stall": "send our full holdings (a peer that declared us dead "
    "audits them and reports its own; one that did not notice has nothing to say)",
    "legacy_resolve": "legacy split brain: release the groups the peer keeps by the rule, then "
    "tell it with `ip-request-resp weown=yes`",
    "keep_failed_group_down": "log that the group stays down (<arg>: no peer to offer it to, "
    "legacy, or it just came from the peer)",
    "schedule_offer": "offer the group's category to the peer by standby: at once to a hacore "
    "peer, after 30 s (Heartbeat's delay) to a Heartbeat peer",
    "offer_failed_groups": "start the standby of the failed groups' category",
    "delay_shutdown": "log `Shutdown delayed until current resource activity finishes.`",
    "announce_shutdown": "send `resource rsc_hold=none rtype=full isstable=0 info=shutdown` "
    "(not in legacy); log Heartbeat's shutdown lines",
    "release_everything": "release every group, FAILED ones included",
    "finish_shutdown": "log `All HA resources relinquished.`, send `shutdone st=dead`, "
    "ShutdownReady, OperationDone(shutdown, ok)",
    "abort_shutdown": "a stop failed: stay up claiming the FAILED groups, restart our other "
    "local groups, OperationDone(shutdown, failed)",
    "give_up_group": "legacy: release the asked-for group (reply when stopped) or reply "
    "`weown=no` at once",
    "grant_group": "legacy: send `ip-request-resp dest=<peer> ipaddr=<key> weown=yes ok=OK`",
    "announce_group": "the peer let go of a group we hold: Announce it",
    "take_granted_group": "legacy: acquire the granted group",
    # standby table
    "refuse_standby": "refuse with Heartbeat's reason (<arg>); operator: OperationDone failed; "
    "failback/offer: retry in 1 s when it may pass later (a failback refused for want of a "
    "live peer stays due until the peer is back and stable)",
    "send_me": "send `ask_resources rsc_hold=<set> info=me`, log `X wants to go standby "
    "[set]`, mark the peer unstable, 10 s deadline",
    "refuse_takeover": "refuse the operator's hb_takeover (<arg>)",
    "send_hb_takeover": "send `hb_takeover rsc_hold=<scope>`; 10 s for the peer's `me`",
    "standby_for_peer": "run hb_standby for the peer (all→all, local→foreign, foreign→local, "
    "failback→all)",
    "ignore_standby_message": "log Heartbeat's text for an ignored standby message (<arg>)",
    "fail_takeover": "our hb_takeover failed (<arg>): OperationDone(takeover, failed)",
    "send_other": "log `X wants to go standby [set]`, mark the peer unstable, send "
    "`ask_resources info=other`, 1 h deadline",
    "release_standby_set": "log `standby: X can take our <set> resources`, send `resource "
    "<ours minus set> isstable=0 info=standby`, release the set",
    "send_done_released": "send `ask_resources info=done` for what was released (a category "
    "with a FAILED group is withheld), log `Local standby process completed [set].`",
    "acquire_standby_set": "log `standby: acquire [set] resources from X`, acquire the "
    "complement (A's local = our foreign)",
    "finish_standby": "log `Other node completed standby takeover of <set> resources.`, send "
    "our holdings (isstable=1), OperationDone(standby)",
    "finish_acquisition": "send `ask_resources info=done`, log `Standby resource acquisition "
    "done [set].`, send our holdings (isstable=1), OperationDone(takeover) if we asked",
    "standby_timed_out": "log `No reply to standby request.  Standby request cancelled.`, the "
    "peer counts as stable again, the operation fails; send our holdings so a peer that "
    "acts on the request late drops it",
    "abandon_standby": "log `Cancelling pending standby operation`, the operation fails; "
    "role A before `done` went out wants back the groups it was giving up (after `done`, "
    "the peer's next stable report decides: we adopt what it does not hold)",
    # group table
    "emit_acquire": "Acquire(key)",
    "emit_release": "Release(key)",
    "note_started": "forget earlier start failures (and standby give-aways) of the group",
    "clean_up_failed_start": "Release(key) to make sure nothing of it runs (stop must succeed "
    "when stopped)",
    "report_start_failure": "node event `group_failed_to_start`",
    "report_stop_failure": "log CRIT `Resource STOP failure`; the group stays claimed until a "
    "later release succeeds",
}
