"""Guards (all tables' shared ones) and node actions: start-up, takeover, our shutdown.

Each function is named by the table (see :mod:`hacore.failover.table` for what each
one means); log lines carry Heartbeat's own text as ``msg=`` where it has one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from hacore.api import GroupState
from hacore.failover import messages
from hacore.failover.actions import ShutdownReady
from hacore.failover.holdings import Hold
from hacore.failover.registry import Ctx, action, guard
from hacore.failover.table import NodeState, StandbyState

if TYPE_CHECKING:
    from hacore.failover.machine import Failover

log = structlog.get_logger("hacore.failover")

DEADLOCK_BREAKER_S = 10.0  # Heartbeat's RQSTDELAY


# ---------------------------------------------------------------------- guards


@guard("legacy")
def _legacy(m: Failover, ctx: Ctx) -> bool:
    return m.legacy


@guard("alone")
def _alone(m: Failover, ctx: Ctx) -> bool:
    return m.alone()


@guard("peer_stable")
def _peer_stable(m: Failover, ctx: Ctx) -> bool:
    return m.peer.stable


@guard("became_stable")
def _became_stable(m: Failover, ctx: Ctx) -> bool:
    return ctx.became_stable


@guard("hacore_peer")
def hacore_peer(m: Failover, ctx: Ctx) -> bool:
    return m.peer.name is not None and m.is_hacore(m.peer.name)


@guard("peer_holds_our_locals")
def _peer_holds_our_locals(m: Failover, ctx: Ctx) -> bool:
    return bool(m.peer.hold & Hold.FOREIGN)


@guard("peer_gave_up")
def _peer_gave_up(m: Failover, ctx: Ctx) -> bool:
    if m.peer.left:
        return True
    return not m.legacy and m.peer.heard and m.peer.hold == Hold.NONE


@guard("busy")
def _busy(m: Failover, ctx: Ctx) -> bool:
    return m.busy()


@guard("local_stable")
def _local_stable(m: Failover, ctx: Ctx) -> bool:
    return m.node == NodeState.STABLE and not m.busy()


@guard("shutting_down")
def _shutting_down(m: Failover, ctx: Ctx) -> bool:
    return m.node == NodeState.SHUTDOWN or m.shutdown_pending


@guard("job_ok")
def _job_ok(m: Failover, ctx: Ctx) -> bool:
    return ctx.ok


@guard("holds_group")
def _holds_group(m: Failover, ctx: Ctx) -> bool:
    return m.claimed(ctx.key)


@guard("handed_over")
def _handed_over(m: Failover, ctx: Ctx) -> bool:
    return ctx.key in m.handed_over


# ---------------------------------------------------------------------- messages out


@action("send_stonith")
def send_stonith(m: Failover, ctx: Ctx, result: str) -> None:
    if m.peer.name is None:
        return
    m.send(messages.stonith(m.peer.name, result))
    if result == messages.STONITH_NOT_CONFIGURED:
        log.warning("no_stonith", msg="No STONITH device configured.")
        log.warning("no_stonith", msg="Shared disks are not protected.")


@action("send_starting")
def send_starting(m: Failover, ctx: Ctx, arg: str) -> None:
    m.send(messages.starting())


@action("send_held")
def send_held(m: Failover, ctx: Ctx, arg: str) -> None:
    m.send(messages.resource(m.held_bits(), stable=m.node == NodeState.STABLE))


@action("send_held_stable")
def send_held_stable(m: Failover, ctx: Ctx, arg: str) -> None:
    m.send(messages.resource(m.held_bits(), stable=True))


@action("send_self_grants")
def send_self_grants(m: Failover, ctx: Ctx, arg: str) -> None:
    for key in m.claimed_now:
        m.send(messages.ip_request_resp(m.me, key, weown=True))
    m.claimed_now = []


# ---------------------------------------------------------------------- start-up


@action("peer_unstable")
def peer_unstable(m: Failover, ctx: Ctx, arg: str) -> None:
    m.peer.stable = False


@action("arm_deadlock_breaker")
def arm_deadlock_breaker(m: Failover, ctx: Ctx, arg: str) -> None:
    if m.timers.deadlock_at is None:
        m.timers.deadlock_at = m.now + DEADLOCK_BREAKER_S


@action("greet_stable_peer")
def greet_stable_peer(m: Failover, ctx: Ctx, arg: str) -> None:
    if not ctx.became_stable:
        return
    log.info("peer_stable", peer=m.peer.name, msg="remote resource transition completed.")
    send_held(m, ctx, arg)


@action("take_our_locals")
def take_our_locals(m: Failover, ctx: Ctx, arg: str) -> None:
    """Heartbeat's req_our_resources(FALSE)."""
    ours = [key for key, rec in m.records.items() if rec.local]
    if m.peer.hold & Hold.FOREIGN or any(m.claimed(key) for key in ours):
        log.info("local_acquisition", msg="Local Resource acquisition completed. (none)")
        return
    m.hold_empty(Hold.LOCAL, True)
    claim_locals(m, ours, "start-up")


def claim_locals(m: Failover, keys: list[str], reason: str) -> None:
    m.want(keys, True, reason)
    m.claimed_now = list(keys)
    m.start_job(keys, True, Ctx("local_acquired"))


@action("log_local_transition")
def log_local_transition(m: Failover, ctx: Ctx, arg: str) -> None:
    log.info("deadlock_breaker", msg="local resource transition completed.")


@action("report_local_acquisition")
def report_local_acquisition(m: Failover, ctx: Ctx, arg: str) -> None:
    if not m.legacy:
        m.send(messages.resource(m.held_bits(), stable=True, info="req_our_resources()"))
    log.info("local_acquired", failed=list(ctx.failed), msg="Local Resource acquisition completed.")
    _initial_acquisition(m, "T_RESOURCES(us)")


def _initial_acquisition(m: Failover, how: str) -> None:
    if not m.initial_done:
        m.initial_done = True
        log.info("initial_acquisition", msg=f"Initial resource acquisition complete ({how})")


@action("try_failback")
def try_failback(m: Failover, ctx: Ctx, arg: str) -> None:
    """Heartbeat's PerformAutoFailback; refusals come back through the standby table."""
    eligible = (
        m.cfg.auto_failback == "on"
        and m.needs_failback
        and m.node != NodeState.SHUTDOWN
        and not m.shutdown_pending
        and m.wants_any(Hold.FOREIGN)
    )
    if not eligible:
        if m.needs_failback and m.cfg.auto_failback == "on" and not m.keys_in(Hold.FOREIGN):
            m.hold_empty(Hold.FOREIGN, False)  # Heartbeat's failback of an empty set
        m.needs_failback = False
        return
    m.post(Ctx("standby_request", hold=Hold.FOREIGN, origin="failback"))


def adopt_our_orphans(m: Failover) -> None:
    """Start our local groups nobody holds, except those that just failed to start here
    and those we gave away by standby (the operator wanted them off this node)."""
    keys = [
        key
        for key, rec in m.records.items()
        if rec.local
        and not m.claimed(key)
        and not m.peer_has(key)
        and key not in m.failed_starts | m.given_away
    ]
    if keys:
        log.warning("adopt_orphans", groups=keys, msg="No one owns our local resources!")
        claim_locals(m, keys, "nobody held it")


# ---------------------------------------------------------------------- takeover


@action("take_over_all")
def take_over_all(m: Failover, ctx: Ctx, arg: str) -> None:
    """Heartbeat's takeover_from_node: req_our_resources(TRUE) + mach_down."""
    m.peer.hold = Hold.NONE
    m.peer.keys.clear()
    m.peer.stable = True
    m.given_away.clear()
    m.hold_empty(Hold.ALL, True)
    if not m.legacy:
        m.needs_failback = True  # Heartbeat's rsc_needs_failback after any recovery
    # Groups being released here (a standby cut short) are wanted back too; a FAILED
    # group stays as it is: it may still run here and nobody else may start it.
    keys = [
        key for key, rec in m.records.items() if not rec.want and rec.state != GroupState.FAILED
    ]
    if not keys:
        return
    peer = m.peer.name
    if peer is not None:
        log.info("takeover", peer=peer, msg=f"Resources being acquired from {peer}.")
    reason = {
        "peer_dead": f"takeover: {peer} dead",
        "peer_shutdone": f"takeover: {peer} shut down",
    }.get(ctx.event, "start-up alone")
    m.want(keys, True, reason)
    for key in keys:
        if m.records[key].local and m.records[key].state == GroupState.STOPPED:
            m.send(messages.ip_request_resp(m.me, key, weown=True))
    m.start_job(keys, True, Ctx("takeover_done"))


@action("report_takeover")
def report_takeover(m: Failover, ctx: Ctx, arg: str) -> None:
    if not m.legacy:
        m.send(messages.resource(m.held_bits(), stable=True, info="req_our_resources()"))
        m.send(messages.mach_down())
    log.info("takeover_done", failed=list(ctx.failed), msg="mach_down takeover complete.")
    _initial_acquisition(m, "mach_down")


@action("forget_peer_holdings")
def forget_peer_holdings(m: Failover, ctx: Ctx, arg: str) -> None:
    m.peer.hold = Hold.NONE
    m.peer.keys.clear()
    m.peer.stable = True
    m.peer.left = True


@action("log_shutdown_notice")
def log_shutdown_notice(m: Failover, ctx: Ctx, arg: str) -> None:
    log.info(
        "peer_shutdone", peer=m.peer.name, msg=f"Received shutdown notice from '{m.peer.name}'."
    )


@action("cancel_standby")
def cancel_standby(m: Failover, ctx: Ctx, why: str) -> None:
    if m.standby != StandbyState.NOT:
        m.fire(Ctx("cancel", text=why))


@action("end_abandoned_standby")
def end_abandoned_standby(m: Failover, ctx: Ctx, arg: str) -> None:
    waiting = (
        StandbyState.ME_RELEASING,
        StandbyState.ME_DONE,
        StandbyState.OTHER,
        StandbyState.OTHER_ACQUIRING,
    )
    if m.standby in waiting and m.peer.stable:
        m.fire(Ctx("cancel", text="peer_abandoned"))


@action("log_gave_up")
def log_gave_up(m: Failover, ctx: Ctx, arg: str) -> None:
    log.info("peer_gave_up", peer=m.peer.name, msg=f"Dead node {m.peer.name} gave up resources.")


@action("expect_returning_peer")
def expect_returning_peer(m: Failover, ctx: Ctx, arg: str) -> None:
    m.peer.stable = False
    m.given_away.clear()  # the new instance holds nothing, whatever we gave the old one
    empty_foreign = not m.keys_in(Hold.FOREIGN) and m.empty_hold & Hold.FOREIGN
    if not m.legacy and (m.wants_any(Hold.FOREIGN) or empty_foreign):
        m.needs_failback = True


# ---------------------------------------------------------------------- our shutdown


@action("delay_shutdown")
def delay_shutdown(m: Failover, ctx: Ctx, arg: str) -> None:
    if not m.shutdown_pending:
        log.warning(
            "shutdown_delayed", msg="Shutdown delayed until current resource activity finishes."
        )
    m.shutdown_pending = True


@action("announce_shutdown")
def announce_shutdown(m: Failover, ctx: Ctx, arg: str) -> None:
    m.shutdown_pending = False
    m.needs_failback = False
    m.timers.failback_at = m.timers.offer_at = None
    m.hold_empty(Hold.ALL, False)
    if not m.legacy:
        m.send(messages.resource(Hold.NONE, stable=False, info="shutdown"))
    log.info("shutdown", msg="Heartbeat shutdown in progress.")
    log.info("shutdown", msg="Giving up all HA resources.")


@action("release_everything")
def release_everything(m: Failover, ctx: Ctx, arg: str) -> None:
    keys = list(m.records)
    for key in keys:
        if m.records[key].state == GroupState.FAILED:
            m.records[key].retry = True
    m.want(keys, False, "shutdown")
    m.start_job(keys, False, Ctx("shutdown_released"))


@action("finish_shutdown")
def finish_shutdown(m: Failover, ctx: Ctx, arg: str) -> None:
    log.info("shutdown", msg="All HA resources relinquished.")
    m.send(messages.shutdone())
    m.emit(ShutdownReady())
    m.op_done("shutdown", True, "All HA resources relinquished.")


@action("abort_shutdown")
def abort_shutdown(m: Failover, ctx: Ctx, arg: str) -> None:
    stuck = ", ".join(ctx.failed)
    detail = (
        f"could not stop {stuck}: it may still run here, so it stays claimed and the peer "
        f"will not take it; stop it by hand, then shut down again"
    )
    log.critical("shutdown_aborted", groups=list(ctx.failed), msg=f"Shutdown aborted: {detail}")
    m.send(messages.resource(m.held_bits(), stable=True))
    adopt_our_orphans(m)
    m.op_done("shutdown", False, detail)
