"""One unit case per row of every failover table.

Each case is registered under the row it exercises (table, states, event, guard) and
drives a single engine there with real inputs; the harness checks that the row fired,
and ``test_every_row_has_a_case`` that no row of the tables lacks one.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hacore.api import Scope
from hacore.failover import GroupChanged
from hacore.failover.table import TABLES, Row
from tests.failover.failover_rig import (
    GAMMA,
    VIP,
    Rig,
    acquired,
    announced,
    done,
    quiet,
    recovered,
    released,
    sent,
    shutdown_ready,
)

Case = Callable[[], Rig]
CASES: dict[Row, tuple[str, Case]] = {}


def _find(table: str, states: str, event: str, guard: str | None) -> Row:
    wanted = tuple(states.split())
    for t in TABLES:
        for candidate in t.rows if t.name == table else ():
            if (candidate.states, candidate.event, candidate.guard) == (wanted, event, guard):
                return candidate
    raise LookupError(f"no row {table} {states} {event} {guard}")


def row(table: str, states: str, event: str, guard: str | None = None) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        found = _find(table, states, event, guard)
        assert found not in CASES, f"two cases for {found}"
        CASES[found] = (fn.__name__, fn)
        return fn

    return register


# ============================================================== node: comm-up


@row("node", "INIT", "comm_up", "legacy&alone")
def legacy_alone_takes_everything() -> Rig:
    r = Rig("legacy")
    r.dead()
    out = r.comm_up()
    assert r.node == "STABLE" and acquired(out) == [VIP, GAMMA]
    assert sent(out) == [
        "stonith node=node2 result=n_stnth",
        f"ip-request-resp dest=node1 ipaddr={VIP} weown=yes ok=OK",
    ]
    return r


@row("node", "INIT", "comm_up", "legacy")
def legacy_asks_for_its_groups() -> Rig:
    r = Rig("legacy")
    out = r.comm_up()
    assert sent(out) == [f"ip-request ipaddr={VIP}"] and not acquired(out)
    return r


@row("node", "INIT", "comm_up", "alone")
def alone_at_comm_up_takes_everything() -> Rig:
    r = Rig()
    r.dead()
    out = r.comm_up()
    assert sent(out)[:2] == ["stonith node=node2 result=n_stnth", "starting"]
    assert acquired(out) == [VIP, GAMMA] and r.node == "STABLE"
    return r


@row("node", "INIT", "comm_up")
def comm_up_announces_starting() -> Rig:
    r = Rig()
    out = r.comm_up()
    assert sent(out) == ["starting"] and r.node == "STARTING"
    return r


# ============================================================== node: starting


@row("node", "*", "peer_starting", "legacy")
def legacy_ignores_starting() -> Rig:
    r = Rig("legacy")
    r.comm_up()
    assert sent(r.msg("starting")) == []
    return r


@row("node", "STARTING", "peer_starting")
@row("node", "STARTING BOTHSTARTING", "own_resource")
def crossing_starting_messages() -> Rig:
    r = Rig()
    r.comm_up()
    out = r.msg("starting")
    assert sent(out) == ["resource rsc_hold=none rtype=full isstable=0"]
    assert r.node == "RSCRCVD", "our own reply moves us on, as Heartbeat's loopback copy does"
    return r


@row("node", "BOTHSTARTING RSCRCVD STABLE SHUTDOWN", "peer_starting")
def stable_node_answers_a_starting_peer() -> Rig:
    r = Rig().stable_pair()
    assert sent(r.msg("starting")) == ["resource rsc_hold=local rtype=full isstable=1"]
    assert not r.engine.peer_stable
    return r


# ============================================================== node: peer holdings


@row("node", "*", "peer_resource", "legacy")
def legacy_ignores_resource_reports() -> Rig:
    r = Rig("legacy")
    r.comm_up()
    assert quiet(r.resource("all", "1"))
    return r


@row("node", "STARTING BOTHSTARTING RSCRCVD", "peer_resource", "peer_stable")
def stable_peer_lets_us_take_our_groups() -> Rig:
    r = Rig(hacore=False)
    r.comm_up()
    out = r.resource("local", "1")
    assert sent(out) == [
        "resource rsc_hold=none rtype=full isstable=0",
        "resource rsc_hold=local rtype=full isstable=1",
        f"ip-request-resp dest=node1 ipaddr={VIP} weown=yes ok=OK",
    ]
    assert acquired(out) == [VIP] and r.node == "STABLE"
    assert sent(r.finish())[-1] == (
        "resource rsc_hold=local rtype=full isstable=1 info=req_our_resources()"
    )
    return r


@row(
    "node",
    "STARTING BOTHSTARTING RSCRCVD",
    "peer_resource",
    "hacore_peer&!peer_holds_our_locals",
)
def hacore_fast_path_takes_our_groups_at_once() -> Rig:
    r = Rig()
    r.comm_up()
    r.msg("starting")
    out = r.resource("none", "0")
    assert acquired(out) == [VIP] and r.node == "STABLE"
    assert sent(out)[0] == "resource rsc_hold=local rtype=full isstable=1"
    return r


@row("node", "STARTING BOTHSTARTING", "peer_resource")
def unstable_report_starts_the_breaker() -> Rig:
    r = Rig(hacore=False)
    r.comm_up()
    assert quiet(r.resource("none", "0")) and r.node == "RSCRCVD"
    return r


@row("node", "RSCRCVD", "peer_resource")
def heartbeat_peer_in_flux_means_waiting() -> Rig:
    r = Rig(hacore=False)
    r.comm_up()
    r.msg("starting")
    out = r.resource("none", "0")
    assert quiet(out) and r.node == "RSCRCVD"
    r.tick(9.9)
    assert r.node == "RSCRCVD", "nothing before the 10 s deadlock breaker"
    return r


@row("node", "STABLE", "peer_resource", "became_stable")
def peer_becoming_stable_gets_our_holdings() -> Rig:
    r = Rig().stable_pair()
    r.msg("starting")
    assert sent(r.resource("local", "1")) == ["resource rsc_hold=local rtype=full isstable=1"]
    return r


@row("node", "STABLE", "peer_resource")
def stable_report_from_stable_peer_needs_no_answer() -> Rig:
    r = Rig().stable_pair()
    assert quiet(r.resource("local", "1"))
    return r


@row("node", "INIT SHUTDOWN", "peer_resource")
def report_before_comm_up_is_only_noted() -> Rig:
    r = Rig()
    assert quiet(r.resource("all", "1")) and r.node == "INIT"
    return r


@row("node", "RSCRCVD", "deadlock_timer")
def deadlock_breaker_after_ten_seconds() -> Rig:
    r = heartbeat_peer_in_flux_means_waiting()
    out = r.tick(0.2)
    assert r.node == "STABLE" and acquired(out) == [VIP]
    assert sent(out)[0] == "resource rsc_hold=local rtype=full isstable=1"
    return r


@row("node", "*", "local_acquired")
def local_acquisition_is_reported() -> Rig:
    r = hacore_fast_path_takes_our_groups_at_once()
    assert sent(r.finish()) == [
        "resource rsc_hold=local rtype=full isstable=1 info=req_our_resources()"
    ]
    return r


@row("node", "*", "takeover_done")
def takeover_is_reported_like_mach_down() -> Rig:
    r = alone_at_comm_up_takes_everything()
    assert sent(r.finish()) == [
        "resource rsc_hold=all rtype=full isstable=1 info=req_our_resources()",
        "resource rsc_hold=foreign info=mach_down",
    ]
    return r


@row("node", "STABLE", "failback_timer")
def delayed_failback_retries_after_a_second() -> Rig:
    r = Rig().stable_pair()
    r.dead()  # takeover of gamma starts; it is still in flight when the peer returns
    r.restarted()
    r.alive()
    r.msg("starting")
    assert not any("info=me" in s for s in sent(r.resource("none", "1")))
    r.finish()
    out = r.tick(1.1)
    assert "ask_resources rsc_hold=foreign info=me" in sent(out)
    return r


# ============================================================== node: peer leaves


@row("node", "INIT SHUTDOWN", "peer_shutdone")
def shutdone_before_comm_up_means_alone() -> Rig:
    r = Rig()
    assert quiet(r.msg("shutdone", st="dead"))
    out = r.comm_up()
    assert acquired(out) == [VIP, GAMMA]
    return r


@row("node", "*", "peer_shutdone")
def shutdone_means_immediate_takeover() -> Rig:
    r = Rig().stable_pair()
    out = r.msg("shutdone", st="dead")
    assert acquired(out) == [GAMMA] and sent(out) == []
    assert sent(r.finish())[-1] == "resource rsc_hold=foreign info=mach_down"
    assert sent(r.dead()) == ["stonith node=node2 result=unneeded"]
    return r


@row("node", "INIT SHUTDOWN", "peer_dead")
def death_before_comm_up_is_only_noted() -> Rig:
    r = Rig()
    assert quiet(r.dead())
    return r


@row("node", "*", "peer_dead", "peer_fenced")
def death_after_our_stonith_reset_takes_over_without_a_second_note() -> Rig:
    """The runtime reset the peer and sent `stonith result=OK` itself: the engine takes
    over and says nothing about STONITH (no "No STONITH device configured")."""
    r = Rig().stable_pair()
    out = r.dead(fenced=True)
    assert sent(out) == [] and acquired(out) == [GAMMA]
    return r


@row("node", "*", "peer_dead", "peer_gave_up")
def death_of_an_empty_peer_needs_no_stonith() -> Rig:
    r = Rig().stable_pair()
    r.resource("none", "1")
    out = r.dead()
    assert sent(out) == ["stonith node=node2 result=unneeded"] and acquired(out) == [GAMMA]
    return r


@row("node", "*", "peer_dead")
def death_takes_over_the_peers_groups() -> Rig:
    r = Rig().stable_pair()
    out = r.dead()
    assert sent(out) == ["stonith node=node2 result=n_stnth"] and acquired(out) == [GAMMA]
    return r


@row("node", "INIT SHUTDOWN", "peer_restarted")
def restart_before_comm_up_is_only_noted() -> Rig:
    r = Rig()
    assert quiet(r.restarted())
    return r


@row("node", "*", "peer_restarted")
def restarted_peer_is_unstable_until_it_reports() -> Rig:
    r = Rig().stable_pair()
    assert quiet(r.restarted()) and not r.engine.peer_stable
    return r


# ============================================================== node: split brain


@row("node", "INIT SHUTDOWN", "partition_healed")
def heal_before_comm_up_is_only_noted() -> Rig:
    r = Rig()
    assert quiet(r.healed())
    return r


@row("node", "*", "partition_healed", "legacy")
def legacy_heal_gives_the_peers_groups_back() -> Rig:
    r = Rig("legacy").alone_holding_all()
    r.alive()
    out = r.healed()
    assert released(out) == [GAMMA]
    assert sent(r.finish()) == [f"ip-request-resp dest=node2 ipaddr={GAMMA} weown=yes ok=OK"]
    return r


@row("node", "*", "partition_healed")
@row("node", "*", "conflict_released")
def heal_resolves_dual_ownership_by_the_rule() -> Rig:
    r = Rig().stable_pair()
    r.dead()
    r.finish()
    r.alive()
    assert sent(r.healed()) == ["resource rsc_hold=all rtype=full isstable=1"]
    out = r.resource("all", "1")
    assert released(out) == [GAMMA], "node2 is gamma's preferred node: it keeps it"
    assert sent(r.finish()) == ["resource rsc_hold=local rtype=full isstable=1"]
    assert announced(r.resource("local", "1")) == [VIP]
    return r


@row("node", "INIT SHUTDOWN", "peer_returned")
def return_before_comm_up_is_only_noted() -> Rig:
    r = Rig()
    r.dead()
    assert quiet(r.returned())
    return r


@row("node", "*", "peer_returned", "legacy")
def legacy_peer_that_ran_alone_gets_its_groups_back() -> Rig:
    r = Rig("legacy").alone_holding_all()
    assert released(r.returned()) == [GAMMA]
    return r


@row("node", "*", "peer_returned")
def peer_that_ran_alone_is_audited() -> Rig:
    r = Rig().alone_holding_all()
    assert sent(r.returned()) == ["resource rsc_hold=all rtype=full isstable=1"]
    assert released(r.resource("all", "1")) == [GAMMA]
    return r


@row("node", "INIT SHUTDOWN", "local_stall")
def stall_before_comm_up_is_only_noted() -> Rig:
    r = Rig()
    assert quiet(r.stall())
    return r


@row("node", "*", "local_stall", "legacy")
def legacy_stall_gives_the_peers_groups_back() -> Rig:
    r = Rig("legacy").alone_holding_all()
    assert released(r.stall()) == [GAMMA]
    return r


@row("node", "*", "local_stall")
def stall_reports_our_holdings() -> Rig:
    r = Rig().stable_pair()
    assert sent(r.stall()) == ["resource rsc_hold=local rtype=full isstable=1"]
    return r


# ============================================================== node: tiebreaker


@row("node", "INIT SHUTDOWN ISOLATED", "tiebreaker_lost")
def tiebreaker_lost_before_comm_up_is_only_noted() -> Rig:
    r = Rig()
    assert quiet(r.tiebreaker_lost()) and r.node == "INIT"
    return r


@row("node", "*", "tiebreaker_lost")
@row("node", "*", "isolated_released")
def isolated_node_gives_everything_up_without_a_word_to_the_peer() -> Rig:
    r = Rig().stable_pair()
    out = r.tiebreaker_lost()
    assert released(out) == [VIP] and sent(out) == [] and r.node == "ISOLATED"
    assert r.engine.isolated and r.engine.rsc_hold() == "local", "stopping: still claimed"
    changes = [a.event for a in r.finish() if isinstance(a, GroupChanged)]
    assert [(c.group, c.holder, c.reason) for c in changes] == [
        (VIP, None, "isolated: node2 and tiebreaker 10.0.0.2 unreachable")
    ]
    assert r.engine.rsc_hold() == "none" and r.engine.rscstatus() == "none"
    return r


@row("node", "ISOLATED", "peer_dead", "cut_off")
@row("node", "ISOLATED", "tiebreaker_regained", "alone")
def isolated_node_takes_over_only_once_the_tiebreaker_answers() -> Rig:
    r = Rig().isolated_pair()
    assert quiet(r.dead()) and r.node == "ISOLATED", "no takeover without the tiebreaker"
    out = r.tiebreaker_regained()
    assert acquired(out) == [VIP, GAMMA] and r.node == "STABLE"
    assert sent(out) == [f"ip-request-resp dest=node1 ipaddr={VIP} weown=yes ok=OK"]
    return r


@row("node", "ISOLATED", "tiebreaker_regained")
def tiebreaker_back_while_the_death_is_withheld_waits_for_it() -> Rig:
    r = Rig().isolated_pair()
    assert quiet(r.tiebreaker_regained()) and r.node == "ISOLATED"
    out = r.dead()  # the runtime delivers the death after its delay (or reset)
    assert acquired(out) == [VIP, GAMMA] and r.node == "STABLE"
    assert sent(out)[0] == "stonith node=node2 result=n_stnth"
    return r


@row("node", "*", "tiebreaker_regained")
def tiebreaker_regained_when_not_isolated_changes_nothing() -> Rig:
    r = Rig().stable_pair()
    assert quiet(r.tiebreaker_regained()) and r.node == "STABLE"
    return r


@row("node", "ISOLATED", "peer_heard", "legacy")
def legacy_isolated_node_hearing_the_peer_asks_for_its_groups() -> Rig:
    r = Rig("legacy")
    r.comm_up()
    r.tiebreaker_lost()
    out = r.alive()
    assert sent(out) == [f"ip-request ipaddr={VIP}"] and r.node == "STABLE"
    return r


@row("node", "ISOLATED", "peer_heard")
def isolated_node_hearing_the_peer_negotiates_as_at_start() -> Rig:
    """The peer took the VIP over meanwhile: it keeps it until auto-failback moves it."""
    r = Rig().isolated_pair()
    r.dead()  # its death had reached us before the link came back
    out = r.returned()
    assert sent(out) == ["starting"] and r.node == "STARTING"
    out = r.resource("all", "1")
    assert not acquired(out) and r.node == "STABLE"
    assert sent(out)[-1] == "resource rsc_hold=none rtype=full isstable=1"
    assert r.engine.holder(VIP) == "node2"
    assert sent(r.ask("foreign", "me")) == ["ask_resources rsc_hold=foreign info=other"]
    return r


# ============================================================== node: failed starts


def _failed_start(r: Rig) -> list[str]:
    """Fail the VIP's start; the clean-up release succeeds."""
    out = r.result(VIP, "acquire", False)
    assert released(out) == [VIP]
    return sent(r.result(VIP, "release", True))


@row("node", "*", "group_failed_to_start", "legacy")
def legacy_keeps_a_failed_group_down() -> Rig:
    r = Rig("legacy")
    r.dead()
    r.comm_up()
    assert "info=me" not in " ".join(_failed_start(r))
    return r


@row("node", "*", "group_failed_to_start", "alone")
def alone_keeps_a_failed_group_down() -> Rig:
    r = Rig()
    r.dead()
    r.comm_up()
    assert not any("info=me" in s for s in _failed_start(r))
    return r


@row("node", "*", "group_failed_to_start", "handed_over")
def group_from_a_handover_is_not_offered_back() -> Rig:
    r = Rig().stable_pair()
    r.ask("all", "me")
    r.resource("none", "0", "standby")
    assert acquired(r.ask("all", "done")) == [GAMMA]
    r.result(GAMMA, "acquire", False)
    out = r.finish()
    assert not any("info=me" in s for s in sent(out))
    return r


@row("node", "*", "group_failed_to_start")
@row("node", "*", "offer_timer")
def failed_start_is_offered_to_a_hacore_peer_at_once() -> Rig:
    r = Rig()
    r.comm_up()
    r.msg("starting")
    r.resource("none", "0")
    r.resource("local", "1")
    assert "ask_resources rsc_hold=local info=me" in _failed_start(r)
    return r


# ============================================================== node: monitoring


@row("node", "INIT SHUTDOWN", "monitor_failed")
def monitor_failure_during_shutdown_changes_nothing() -> Rig:
    r = Rig().stable_pair()
    r.shutdown()
    assert quiet(r.monitor_failure(VIP))
    return r


@row("node", "*", "monitor_failed", "!running_here")
def monitor_failure_of_a_group_not_running_here_is_ignored() -> Rig:
    r = Rig().stable_pair()
    assert quiet(r.monitor_failure(GAMMA))
    assert r.engine.failed_on(GAMMA) == ()
    return r


@row("node", "*", "monitor_failed", "moving_group")
def second_failure_while_the_group_moves_is_ignored() -> Rig:
    r = Rig().stable_pair()
    r.monitor_failure(VIP)
    assert quiet(r.monitor_failure(VIP)) and r.standby_state == "ME"
    return r


@row("node", "*", "monitor_failed", "legacy")
def legacy_restarts_a_failing_group_in_place() -> Rig:
    r = grant_makes_the_requester_acquire()
    r.finish()
    out = r.monitor_failure(VIP)
    assert recovered(out) == [VIP] and not sent(out)
    assert r.engine.failed_on(VIP) == ("node1",)
    return r


@row("node", "*", "monitor_failed", "alone")
def alone_restarts_a_failing_group_in_place() -> Rig:
    r = Rig().alone_holding_all()
    out = r.monitor_failure(VIP)
    assert recovered(out) == [VIP] and not released(out)
    return r


@row("node", "*", "monitor_failed", "peer_failed_group")
def group_that_failed_on_the_peer_too_stays_here() -> Rig:
    r = Rig().stable_pair()
    r.msg("resource", rsc_hold="local", rtype="full", isstable="1", hacore_failed=VIP)
    assert r.engine.failed_on(VIP) == ("node2",)
    out = r.monitor_failure(VIP)
    assert recovered(out) == [VIP]
    assert sent(out) == [f"resource rsc_hold=local rtype=full isstable=1 hacore_failed={VIP}"]
    assert r.engine.failed_on(VIP) == ("node1", "node2")
    return r


@row("node", "*", "monitor_failed")
def failing_group_goes_to_the_peer_by_standby() -> Rig:
    r = Rig().stable_pair()
    out = r.monitor_failure(VIP)
    assert sent(out) == [
        f"resource rsc_hold=local rtype=full isstable=1 hacore_failed={VIP}",
        "ask_resources rsc_hold=local info=me",
    ]
    assert not recovered(out)
    out = r.ask("local", "other")
    assert released(out) == [VIP]
    assert f"resource rsc_hold=none rtype=full isstable=0 info=standby hacore_failed={VIP}" in (
        sent(out)
    )
    assert "ask_resources rsc_hold=local info=done" in sent(r.finish())
    r.resource("all", "1")
    r.ask("local", "done")
    assert r.engine.holder(VIP) == "node2" and r.standby_state == "NOT"
    assert r.engine.failed_on(VIP) == ("node1",)
    return r


@row("node", "*", "move_timer")
def refused_move_is_asked_again_until_the_peer_is_stable() -> Rig:
    r = Rig().stable_pair()
    r.msg("starting")
    out = r.monitor_failure(VIP)
    assert "ask_resources rsc_hold=local info=me" not in sent(out)
    assert "ask_resources rsc_hold=local info=me" not in sent(r.tick(1.0)), "still in flux"
    r.resource("local", "1")
    assert "ask_resources rsc_hold=local info=me" in sent(r.tick(1.0))
    return r


@row("node", "*", "cleanup")
def cleanup_tells_the_peer_and_lifts_the_ban() -> Rig:
    r = failing_group_goes_to_the_peer_by_standby()
    out = r.cleanup(VIP)
    assert sent(out) == ["resource rsc_hold=none rtype=full isstable=1"]
    assert r.engine.failed_on(VIP) == ()
    assert quiet(r.cleanup(VIP)), "a second cleanup has nothing to say"
    return r


@row("node", "STABLE", "peer_resource", "peer_cleaned_up")
def failback_waits_for_the_peers_cleanup() -> Rig:
    r = Rig().stable_pair()
    r.dead()
    r.finish()
    assert r.engine.holder(GAMMA) == "node1"
    r.alive()
    r.restarted()
    r.msg("starting")
    out = r.msg("resource", rsc_hold="none", rtype="full", isstable="1", hacore_failed=GAMMA)
    assert "ask_resources rsc_hold=foreign info=me" not in sent(out), "gamma fails there"
    out = r.resource("none", "1")
    assert "ask_resources rsc_hold=foreign info=me" in sent(out)
    return r


# ============================================================== node: our shutdown


@row("node", "SHUTDOWN", "request_shutdown")
def second_sigterm_changes_nothing() -> Rig:
    r = Rig().stable_pair()
    r.shutdown()
    assert quiet(r.shutdown())
    return r


@row("node", "*", "request_shutdown", "busy")
def shutdown_waits_for_the_acquisition_in_flight() -> Rig:
    r = hacore_fast_path_takes_our_groups_at_once()
    assert quiet(r.shutdown()) and r.node == "STABLE"
    out = r.finish()
    assert "resource rsc_hold=none rtype=full isstable=0 info=shutdown" in sent(out)
    assert released(out) == [VIP]
    return r


@row("node", "*", "request_shutdown")
def shutdown_announces_then_releases() -> Rig:
    r = Rig().stable_pair()
    out = r.shutdown()
    assert sent(out) == ["resource rsc_hold=none rtype=full isstable=0 info=shutdown"]
    assert released(out) == [VIP] and r.node == "SHUTDOWN" and not shutdown_ready(out)
    return r


@row("node", "SHUTDOWN", "shutdown_released", "job_ok")
def shutdone_only_after_everything_stopped() -> Rig:
    r = shutdown_announces_then_releases()
    out = r.finish()
    assert sent(out) == ["shutdone st=dead"] and shutdown_ready(out)
    assert done(out)[0].op == "shutdown" and done(out)[0].ok
    return r


@row("node", "SHUTDOWN", "shutdown_released")
def failed_stop_aborts_the_shutdown() -> Rig:
    r = shutdown_announces_then_releases()
    out = r.finish(ok=False)
    assert not shutdown_ready(out) and r.node == "STABLE"
    assert sent(out) == ["resource rsc_hold=local rtype=full isstable=1"]
    assert not done(out)[0].ok and r.engine.local_state(VIP) == "failed"
    return r


# ============================================================== node: legacy


@row("node", "*", "ip_request", "!legacy")
def nice_failback_ignores_ip_request() -> Rig:
    r = Rig().stable_pair()
    assert quiet(r.msg("ip-request", ipaddr=VIP))
    return r


@row("node", "*", "ip_request")
@row("node", "*", "given_up")
def legacy_holder_gives_a_requested_group_up() -> Rig:
    r = Rig("legacy").alone_holding_all()
    r.alive()
    out = r.msg("ip-request", ipaddr=GAMMA)
    assert released(out) == [GAMMA] and sent(out) == []
    assert sent(r.finish()) == [f"ip-request-resp dest=node2 ipaddr={GAMMA} weown=yes ok=OK"]
    assert sent(r.msg("ip-request", ipaddr=GAMMA)) == [
        f"ip-request-resp dest=node2 ipaddr={GAMMA} weown=no ok=OK"
    ]
    return r


@row("node", "*", "ip_request_resp", "!legacy")
def nice_failback_ignores_grants() -> Rig:
    r = Rig().stable_pair()
    assert quiet(r.msg("ip-request-resp", dest="node1", ipaddr=GAMMA, weown="yes", ok="OK"))
    return r


@row("node", "SHUTDOWN", "ip_request_resp")
def grant_during_shutdown_is_ignored() -> Rig:
    r = legacy_asks_for_its_groups()
    r.shutdown()
    out = r.msg("ip-request-resp", dest="node1", ipaddr=VIP, weown="yes", ok="OK")
    assert acquired(out) == []
    return r


@row("node", "*", "ip_request_resp", "holds_group")
def grant_of_a_group_we_hold_is_announced() -> Rig:
    r = Rig("legacy").alone_holding_all()
    r.alive()  # a peer's messages are read while it lives
    out = r.msg("ip-request-resp", dest="node1", ipaddr=VIP, weown="yes", ok="OK")
    assert announced(out) == [VIP]
    return r


@row("node", "*", "ip_request_resp")
def grant_makes_the_requester_acquire() -> Rig:
    r = legacy_asks_for_its_groups()
    out = r.msg("ip-request-resp", dest="node1", ipaddr=VIP, weown="yes", ok="OK")
    assert acquired(out) == [VIP]
    return r


# ============================================================== standby: requests here

ALONE = "No live peer to take over the resources; standby refused."
LEGACY = "Standby mode only implemented when nice_failback on"
ISOLATED = "This node is isolated (peer and tiebreaker unreachable); standby refused."


@row("standby", "*", "standby_request", "legacy")
def standby_in_legacy_mode_is_refused() -> Rig:
    r = Rig("legacy")
    r.comm_up()
    assert done(r.standby())[0].detail == LEGACY
    return r


@row("standby", "*", "standby_request", "shutting_down")
def standby_during_shutdown_is_refused() -> Rig:
    r = Rig().stable_pair()
    r.shutdown()
    assert not done(r.standby())[0].ok
    return r


@row("standby", "*", "standby_request", "isolated")
def standby_while_isolated_is_refused() -> Rig:
    r = Rig().isolated_pair()
    assert done(r.standby())[0].detail == ISOLATED
    return r


@row("standby", "*", "standby_request", "alone")
def standby_alone_is_refused() -> Rig:
    r = Rig().alone_holding_all()
    assert done(r.standby())[0].detail == ALONE
    return r


@row("standby", "ASKED ME ME_RELEASING ME_DONE OTHER OTHER_ACQUIRING", "standby_request")
def second_standby_is_refused_while_one_runs() -> Rig:
    r = Rig().stable_pair()
    r.standby()
    detail = done(r.standby())[0].detail
    assert detail == "Standby in progress- new request from node1 ignored [10 seconds left]"
    return r


@row("standby", "NOT", "standby_request", "!peer_stable")
def standby_while_peer_in_flux_is_refused() -> Rig:
    r = Rig().stable_pair()
    r.msg("starting")
    detail = done(r.standby())[0].detail
    assert detail == "standby message [me] from node1 ignored.  Other side is in flux."
    return r


def _busy_with_stable_peer() -> Rig:
    """STABLE with the VIP still starting, the (Heartbeat) peer stable."""
    r = Rig(hacore=False)
    r.comm_up()
    r.resource("local", "1")
    assert r.engine.busy() and r.node == "STABLE"
    return r


@row("standby", "NOT", "standby_request", "!local_stable")
def standby_while_starting_is_refused() -> Rig:
    r = _busy_with_stable_peer()
    assert "local resources in flux" in done(r.standby())[0].detail
    return r


@row("standby", "NOT", "standby_request")
def standby_asks_the_peer() -> Rig:
    r = Rig().stable_pair()
    assert sent(r.standby()) == ["ask_resources rsc_hold=all info=me"]
    assert r.standby_state == "ME"
    return r


@row("standby", "*", "takeover_request", "legacy")
def takeover_in_legacy_mode_is_refused() -> Rig:
    r = Rig("legacy")
    r.comm_up()
    assert done(r.takeover())[0].detail == LEGACY
    return r


@row("standby", "*", "takeover_request", "shutting_down")
def takeover_during_shutdown_is_refused() -> Rig:
    r = Rig().stable_pair()
    r.shutdown()
    assert done(r.takeover())[0].op == "takeover"
    return r


@row("standby", "*", "takeover_request", "isolated")
def takeover_while_isolated_is_refused() -> Rig:
    r = Rig().isolated_pair()
    assert done(r.takeover())[0].detail == ISOLATED
    return r


@row("standby", "*", "takeover_request", "alone")
def takeover_alone_is_refused() -> Rig:
    r = Rig().alone_holding_all()
    assert done(r.takeover())[0].detail == ALONE
    return r


@row("standby", "ASKED ME ME_RELEASING ME_DONE OTHER OTHER_ACQUIRING", "takeover_request")
def takeover_during_a_standby_is_refused() -> Rig:
    r = Rig().stable_pair()
    r.standby()
    assert "Standby in progress" in done(r.takeover())[0].detail
    return r


@row("standby", "NOT", "takeover_request", "!peer_stable")
def takeover_while_peer_in_flux_is_refused() -> Rig:
    r = Rig().stable_pair()
    r.msg("starting")
    assert "Other side is in flux" in done(r.takeover())[0].detail
    return r


@row("standby", "NOT", "takeover_request", "!local_stable")
def takeover_while_starting_is_refused() -> Rig:
    r = _busy_with_stable_peer()
    assert "local resources in flux" in done(r.takeover())[0].detail
    return r


@row("standby", "NOT", "takeover_request")
def takeover_asks_the_peer_to_go_standby() -> Rig:
    r = Rig().stable_pair()
    assert sent(r.takeover(Scope.LOCAL)) == ["hb_takeover rsc_hold=local"]
    assert r.standby_state == "ASKED"
    return r


@row("standby", "*", "peer_hb_takeover")
def peer_takeover_runs_our_standby_mirrored() -> Rig:
    r = Rig().stable_pair()
    assert sent(r.msg("hb_takeover", rsc_hold="local")) == [
        "ask_resources rsc_hold=foreign info=me"
    ]
    return r


# ============================================================== standby: peer messages


@row("standby", "*", "peer_me", "legacy")
def legacy_ignores_standby_messages() -> Rig:
    r = Rig("legacy")
    r.comm_up()
    assert quiet(r.ask("all", "me"))
    return r


@row("standby", "*", "peer_me", "shutting_down")
def standby_request_during_our_shutdown_is_ignored() -> Rig:
    r = Rig().stable_pair()
    r.shutdown()
    assert quiet(r.ask("all", "me"))
    return r


@row("standby", "ME ME_RELEASING ME_DONE OTHER OTHER_ACQUIRING", "peer_me")
def crossing_standby_request_is_ignored() -> Rig:
    r = Rig().stable_pair()
    r.standby()
    assert quiet(r.ask("all", "me")) and r.standby_state == "ME"
    return r


@row("standby", "ASKED", "peer_me", "!peer_stable")
def takeover_fails_when_the_peer_is_in_flux() -> Rig:
    r = Rig().stable_pair()
    r.takeover()
    r.resource("local", "0")
    out = r.ask("all", "me")
    assert sent(out) == [] and not done(out)[0].ok and r.standby_state == "NOT"
    return r


@row("standby", "ASKED", "peer_me", "!local_stable")
def takeover_fails_when_we_are_in_flux() -> Rig:
    r = Rig(hacore=False)
    r.comm_up()
    r.resource("all", "1")  # the peer holds everything, ours included
    r.takeover()
    assert acquired(r.resource("local", "1")) == [VIP], "orphaned VIP adopted"
    out = r.ask("all", "me")
    assert sent(out) == [] and done(out)[0].op == "takeover" and not done(out)[0].ok
    return r


@row("standby", "NOT", "peer_me", "!peer_stable")
def standby_request_while_peer_in_flux_is_ignored() -> Rig:
    r = Rig().stable_pair()
    r.msg("starting")
    assert quiet(r.ask("all", "me"))
    return r


@row("standby", "NOT", "peer_me", "!local_stable")
def standby_request_while_we_start_is_ignored() -> Rig:
    r = _busy_with_stable_peer()
    assert quiet(r.ask("all", "me"))
    return r


@row("standby", "NOT ASKED", "peer_me")
def peer_standby_request_is_accepted() -> Rig:
    r = Rig().stable_pair()
    assert sent(r.ask("all", "me")) == ["ask_resources rsc_hold=all info=other"]
    assert r.standby_state == "OTHER"
    return r


@row("standby", "ME", "peer_other")
def other_makes_us_release_the_set() -> Rig:
    r = standby_asks_the_peer()
    out = r.ask("all", "other")
    assert sent(out) == ["resource rsc_hold=none rtype=full isstable=0 info=standby"]
    assert released(out) == [VIP] and r.standby_state == "ME_RELEASING"
    return r


@row("standby", "*", "peer_other")
def unexpected_other_is_ignored() -> Rig:
    r = Rig().stable_pair()
    assert quiet(r.ask("all", "other"))
    return r


@row("standby", "ME_RELEASING", "standby_released")
def done_is_sent_only_after_the_release() -> Rig:
    r = other_makes_us_release_the_set()
    assert sent(r.finish()) == ["ask_resources rsc_hold=all info=done"]
    assert r.standby_state == "ME_DONE"
    return r


@row("standby", "OTHER", "peer_done")
def peer_done_makes_us_acquire_the_complement() -> Rig:
    r = peer_standby_request_is_accepted()
    r.resource("none", "0", "standby")
    out = r.ask("all", "done")
    assert acquired(out) == [GAMMA] and r.standby_state == "OTHER_ACQUIRING"
    return r


@row("standby", "ME_DONE", "peer_done")
def peer_done_completes_our_standby() -> Rig:
    r = done_is_sent_only_after_the_release()
    out = r.ask("all", "done")
    assert sent(out) == ["resource rsc_hold=none rtype=full isstable=1"]
    assert done(out)[0].ok and r.standby_state == "NOT"
    return r


@row("standby", "*", "peer_done")
def unexpected_done_is_ignored() -> Rig:
    r = Rig().stable_pair()
    assert quiet(r.ask("all", "done"))
    return r


@row("standby", "OTHER_ACQUIRING", "standby_acquired")
def acquisition_done_is_reported() -> Rig:
    r = peer_done_makes_us_acquire_the_complement()
    assert sent(r.finish()) == [
        "ask_resources rsc_hold=all info=done",
        "resource rsc_hold=all rtype=full isstable=1",
    ]
    assert r.standby_state == "NOT"
    return r


@row("standby", "ASKED", "standby_timer")
def unanswered_takeover_fails_after_ten_seconds() -> Rig:
    r = takeover_asks_the_peer_to_go_standby()
    assert quiet(r.tick(9.9))
    out = r.tick(0.2)
    assert done(out)[0].op == "takeover" and not done(out)[0].ok
    return r


@row("standby", "ME ME_RELEASING ME_DONE OTHER OTHER_ACQUIRING", "standby_timer")
def unanswered_standby_is_cancelled() -> Rig:
    r = standby_asks_the_peer()
    out = r.tick(10.1)
    assert done(out)[0].detail == "No reply to standby request.  Standby request cancelled."
    assert r.engine.peer_stable, "Heartbeat counts the peer as stable again"
    return r


@row("standby", "ASKED ME ME_RELEASING ME_DONE OTHER OTHER_ACQUIRING", "cancel")
def peer_death_cancels_our_standby() -> Rig:
    r = other_makes_us_release_the_set()
    out = r.dead()
    assert done(out)[0].detail == "standby cancelled: peer dead"
    r.finish()
    assert acquired(r.log) == [GAMMA, VIP], "everything comes back after the release"
    return r


# ============================================================== group table


@row("group", "stopped", "start")
@row("group", "starting", "acquired")
def group_starts() -> Rig:
    r = hacore_fast_path_takes_our_groups_at_once()
    assert r.engine.local_state(VIP) == "starting"
    r.finish()
    assert r.engine.local_state(VIP) == "running"
    return r


@row("group", "running", "stop")
@row("group", "stopping", "released")
def group_stops() -> Rig:
    r = shutdone_only_after_everything_stopped()
    assert r.engine.local_state(VIP) == "stopped"
    return r


@row("group", "starting", "acquire_failed")
@row("group", "stopping", "released", "failed_start")
def failed_start_is_cleaned_up() -> Rig:
    r = failed_start_is_offered_to_a_hacore_peer_at_once()
    assert r.engine.local_state(VIP) == "stopped" and r.engine.holder(VIP) is None
    return r


@row("group", "stopping", "release_failed")
@row("group", "failed", "stop")
def failed_stop_is_retried_on_request() -> Rig:
    r = other_makes_us_release_the_set()
    out = r.finish(ok=False)
    assert r.engine.local_state(VIP) == "failed"
    assert sent(out)[0] == "ask_resources rsc_hold=foreign info=done", "local withheld"
    r.ask("foreign", "done")
    r.resource("foreign", "1")
    assert released(r.standby()) == [], "the retry waits for the peer's `other`"
    assert released(r.ask("all", "other")) == [VIP]
    return r


# ============================================================== the harness


@pytest.mark.parametrize("target", list(CASES), ids=[name for name, _ in CASES.values()])
def test_row(target: Row) -> None:
    _, case = CASES[target]
    rig = case()
    assert any(t.row == target for t in rig.trace), f"the case never took {target}"


def test_every_row_has_a_case() -> None:
    missing = [r for table in TABLES for r in table.rows if r not in CASES]
    assert not missing, "rows without a unit case:\n" + "\n".join(map(str, missing))
