"""Guards (all tables' shared ones) and node actions: start-up, takeover, our shutdown.

Log lines carry Heartbeat's own text as ``msg=`` where it has one.
"""

from __future__ import annotations

import structlog

from hacore.api import GroupState
from hacore.failover import messages
from hacore.failover.actions import ShutdownReady
from hacore.failover.base import RulesBase, action, guard
from hacore.failover.holdings import Hold
from hacore.failover.model import Ctx, NodeState, StandbyState

log = structlog.get_logger("hacore.failover")

DEADLOCK_BREAKER_S = 10.0  # Heartbeat's RQSTDELAY


class NodeRules(RulesBase):
    # ------------------------------------------------------------------ guards

    @guard
    def legacy(self, ctx: Ctx) -> bool:
        """auto_failback legacy (or unset)"""
        return self.is_legacy

    @guard
    def alone(self, ctx: Ctx) -> bool:
        """no live peer: none configured, declared dead, or it sent `shutdone`"""
        return self.is_alone()

    @guard
    def peer_stable(self, ctx: Ctx) -> bool:
        """the peer's last report said isstable=1 (or it is dead/gone)"""
        return self.peer.stable

    @guard
    def became_stable(self, ctx: Ctx) -> bool:
        """this report turned the peer from unstable to stable"""
        return ctx.became_stable

    @guard
    def hacore_peer(self, ctx: Ctx) -> bool:
        """the peer's status carries `hacore=1`"""
        return self.peer_is_hacore()

    @guard
    def peer_holds_our_locals(self, ctx: Ctx) -> bool:
        """the peer's rsc_hold includes `foreign` (our local groups)"""
        return bool(self.peer.hold & Hold.FOREIGN)

    @guard
    def peer_gave_up(self, ctx: Ctx) -> bool:
        """the peer sent `shutdone`, or it was heard and held nothing"""
        if self.peer.left:
            return True
        return not self.is_legacy and self.peer.heard and self.peer.hold == Hold.NONE

    @guard
    def busy(self, ctx: Ctx) -> bool:
        """an Acquire or Release is in flight"""
        return self.is_busy()

    @guard
    def local_stable(self, ctx: Ctx) -> bool:
        """node state STABLE and nothing in flight"""
        return self.node == NodeState.STABLE and not self.is_busy()

    @guard
    def shutting_down(self, ctx: Ctx) -> bool:
        """our shutdown is in progress or waiting"""
        return self.node == NodeState.SHUTDOWN or self.shutdown_pending

    @guard
    def job_ok(self, ctx: Ctx) -> bool:
        """every group of the finished job reached its target"""
        return ctx.ok

    @guard
    def holds_group(self, ctx: Ctx) -> bool:
        """we hold the group named in the message"""
        return self.claimed(ctx.key)

    @guard
    def peer_fenced(self, ctx: Ctx) -> bool:
        """the dead peer was reset by our STONITH device first (the runtime already sent
        `stonith result=OK`)"""
        return ctx.fenced

    @guard
    def handed_over(self, ctx: Ctx) -> bool:
        """the group came to us by a standby handover (the peer just gave it up)"""
        return ctx.key in self.memory.handed_over

    # ------------------------------------------------------------------ messages out

    @action
    def send_stonith(self, ctx: Ctx, result: str) -> None:
        """send `stonith node=<peer> result=<arg>` (n_stnth also logs Heartbeat's two
        STONITH warnings); nothing without a peer"""
        if self.peer.name is None:
            return
        self.send(messages.stonith(self.peer.name, result))
        if result == messages.STONITH_NOT_CONFIGURED:
            log.warning("no_stonith", msg="No STONITH device configured.")
            log.warning("no_stonith", msg="Shared disks are not protected.")

    @action
    def send_starting(self, ctx: Ctx, arg: str) -> None:
        """send `starting`"""
        self.send(messages.starting())

    @action
    def send_held(self, ctx: Ctx, arg: str) -> None:
        """send `resource rsc_hold=<ours> rtype=full isstable=<1 if STABLE>`"""
        self.send_holdings(stable=self.node == NodeState.STABLE)

    @action
    def send_held_stable(self, ctx: Ctx, arg: str) -> None:
        """send `resource rsc_hold=<ours> rtype=full isstable=1`"""
        self.send_holdings(stable=True)

    @action
    def send_self_grants(self, ctx: Ctx, arg: str) -> None:
        """send Heartbeat's self-addressed `ip-request-resp` for each local group just
        claimed (wire fidelity; nobody acts on it)"""
        for key in self.memory.claimed_now:
            self.send(messages.ip_request_resp(self.me, key, weown=True))
        self.memory.claimed_now = []

    # ------------------------------------------------------------------ start-up

    @action
    def peer_unstable(self, ctx: Ctx, arg: str) -> None:
        """mark the peer unstable"""
        self.peer.stable = False

    @action
    def arm_deadlock_breaker(self, ctx: Ctx, arg: str) -> None:
        """start the 10 s deadlock breaker (once)"""
        if self.timers.deadlock_at is None:
            self.timers.deadlock_at = self.now + DEADLOCK_BREAKER_S

    @action
    def greet_stable_peer(self, ctx: Ctx, arg: str) -> None:
        """if the peer just became stable: log `remote resource transition completed.` and
        send our holdings (isstable=1 only if STABLE)"""
        if not ctx.became_stable:
            return
        log.info("peer_stable", peer=self.peer.name, msg="remote resource transition completed.")
        self.send_holdings(stable=self.node == NodeState.STABLE)

    @action
    def take_our_locals(self, ctx: Ctx, arg: str) -> None:
        """req_our_resources: unless the peer holds our local groups or we hold some,
        acquire our local groups (`Local Resource acquisition completed. (none)` otherwise);
        the `local` set counts as held from then on, even without groups"""
        ours = [key for key, rec in self.records.items() if rec.local]
        if self.peer.hold & Hold.FOREIGN or any(self.claimed(key) for key in ours):
            log.info("local_acquisition", msg="Local Resource acquisition completed. (none)")
            return
        self.hold_empty(Hold.LOCAL, True)
        self.claim_locals(ours, "start-up")

    @action
    def log_local_transition(self, ctx: Ctx, arg: str) -> None:
        """log `local resource transition completed.`"""
        log.info("deadlock_breaker", msg="local resource transition completed.")

    @action
    def report_local_acquisition(self, ctx: Ctx, arg: str) -> None:
        """send `resource … isstable=1 info=req_our_resources()`"""
        if not self.is_legacy:
            self.send_report(
                messages.resource(self.held_bits(), stable=True, info="req_our_resources()")
            )
        log.info(
            "local_acquired", failed=list(ctx.failed), msg="Local Resource acquisition completed."
        )
        self._initial_acquisition("T_RESOURCES(us)")

    def _initial_acquisition(self, how: str) -> None:
        if not self.initial_done:
            self.initial_done = True
            log.info("initial_acquisition", msg=f"Initial resource acquisition complete ({how})")

    @action
    def try_failback(self, ctx: Ctx, arg: str) -> None:
        """auto_failback on, failback due and foreign groups held: start a `foreign` standby
        (`Auto failback delayed.` and retry in 1 s while not possible); not while one of
        them keeps failing on the peer (`hacore_failed`): it stays due until a cleanup there;
        without foreign groups, a due failback just gives up the empty `foreign` set, as
        Heartbeat does"""
        # Heartbeat's PerformAutoFailback; refusals come back through the standby table.
        eligible = (
            self.cfg.auto_failback == "on"
            and self.needs_failback
            and self.node != NodeState.SHUTDOWN
            and not self.shutdown_pending
            and self.wants_any(Hold.FOREIGN)
        )
        if not eligible:
            if (
                self.needs_failback
                and self.cfg.auto_failback == "on"
                and not self.keys_in(Hold.FOREIGN)
            ):
                self.hold_empty(Hold.FOREIGN, False)
            self.needs_failback = False
            return
        failed_there = [
            key
            for key in self.keys_in(Hold.FOREIGN)
            if self.records[key].want and key in self.peer.failed
        ]
        if failed_there:  # failback stays due: the peer's cleanup report retries it
            log.info(
                "failback_held",
                groups=failed_there,
                msg=f"Auto failback waits: {' '.join(failed_there)} keeps failing on "
                f"{self.peer.name} (until a cleanup there)",
            )
            return
        self.post(Ctx("standby_request", hold=Hold.FOREIGN, origin="failback"))

    # ------------------------------------------------------------------ takeover

    @action
    def take_over_all(self, ctx: Ctx, arg: str) -> None:
        """Heartbeat's takeover_from_node + mach_down: log `Resources being acquired from
        X.`, forget the peer's holdings, want every group running here (those being released
        too; FAILED ones stay as they are), self-grant our local ones, mark failback as due;
        both sets count as held, even without groups"""
        self.peer.hold = Hold.NONE
        self.peer.keys.clear()
        self.peer.stable = True
        self.memory.given_away.clear()
        self.hold_empty(Hold.ALL, True)
        if not self.is_legacy:
            self.needs_failback = True  # Heartbeat's rsc_needs_failback after any recovery
        # Groups being released here (a standby cut short) are wanted back too; a FAILED
        # group stays as it is: it may still run here and nobody else may start it.
        keys = [
            key
            for key, rec in self.records.items()
            if not rec.want and rec.state != GroupState.FAILED
        ]
        if not keys:
            return
        peer = self.peer.name
        if peer is not None:
            log.info("takeover", peer=peer, msg=f"Resources being acquired from {peer}.")
        reason = {
            "peer_dead": f"takeover: {peer} dead",
            "peer_shutdone": f"takeover: {peer} shut down",
            "tiebreaker_regained": f"takeover: tiebreaker reachable again, {peer} dead",
        }.get(ctx.event, "start-up alone")
        self.want(keys, True, reason)
        for key in keys:
            if self.records[key].local and self.records[key].state == GroupState.STOPPED:
                self.send(messages.ip_request_resp(self.me, key, weown=True))
        self.start_job(keys, True, Ctx("takeover_done"))

    @action
    def report_takeover(self, ctx: Ctx, arg: str) -> None:
        """send `resource … isstable=1 info=req_our_resources()` and `resource
        rsc_hold=foreign info=mach_down`; log `mach_down takeover complete.`"""
        if not self.is_legacy:
            self.send_report(
                messages.resource(self.held_bits(), stable=True, info="req_our_resources()")
            )
            self.send_report(messages.mach_down())
        log.info("takeover_done", failed=list(ctx.failed), msg="mach_down takeover complete.")
        self._initial_acquisition("mach_down")

    @action
    def forget_peer_holdings(self, ctx: Ctx, arg: str) -> None:
        """the peer holds nothing and is gone (it will be declared dead later)"""
        self.peer.hold = Hold.NONE
        self.peer.keys.clear()
        self.peer.stable = True
        self.peer.left = True

    @action
    def log_shutdown_notice(self, ctx: Ctx, arg: str) -> None:
        """log `Received shutdown notice from 'X'.`"""
        peer = self.peer.name
        log.info("peer_shutdone", peer=peer, msg=f"Received shutdown notice from '{peer}'.")

    @action
    def cancel_standby(self, ctx: Ctx, why: str) -> None:
        """cancel a standby in progress (standby table event `cancel`, at once)"""
        if self.standby != StandbyState.NOT:
            self.fire(Ctx("cancel", text=why))

    @action
    def end_abandoned_standby(self, ctx: Ctx, arg: str) -> None:
        """a stable report from the peer while we wait for its next standby step means it
        dropped the standby (it declared us dead, or restarted): cancel ours"""
        waiting = (
            StandbyState.ME_RELEASING,
            StandbyState.ME_DONE,
            StandbyState.OTHER,
            StandbyState.OTHER_ACQUIRING,
        )
        if self.standby in waiting and self.peer.stable:
            self.fire(Ctx("cancel", text="peer_abandoned"))

    @action
    def log_gave_up(self, ctx: Ctx, arg: str) -> None:
        """log `Dead node X gave up resources.`"""
        peer = self.peer.name
        log.info("peer_gave_up", peer=peer, msg=f"Dead node {peer} gave up resources.")

    @action
    def expect_returning_peer(self, ctx: Ctx, arg: str) -> None:
        """the peer is new: unstable until it reports; failback is due if we hold its
        groups (or its empty set)"""
        self.peer.stable = False
        self.memory.given_away.clear()  # the new instance holds nothing we gave the old one
        empty_foreign = not self.keys_in(Hold.FOREIGN) and self.empty_hold & Hold.FOREIGN
        if not self.is_legacy and (self.wants_any(Hold.FOREIGN) or empty_foreign):
            self.needs_failback = True

    # ------------------------------------------------------------------ our shutdown

    @action
    def delay_shutdown(self, ctx: Ctx, arg: str) -> None:
        """log `Shutdown delayed until current resource activity finishes.`"""
        if not self.shutdown_pending:
            log.warning(
                "shutdown_delayed",
                msg="Shutdown delayed until current resource activity finishes.",
            )
        self.shutdown_pending = True

    @action
    def announce_shutdown(self, ctx: Ctx, arg: str) -> None:
        """send `resource rsc_hold=none rtype=full isstable=0 info=shutdown` (not in
        legacy); log Heartbeat's shutdown lines"""
        self.shutdown_pending = False
        self.needs_failback = False
        self.timers.failback_at = self.timers.offer_at = None
        self.hold_empty(Hold.ALL, False)
        if not self.is_legacy:
            self.send_report(messages.resource(Hold.NONE, stable=False, info="shutdown"))
        log.info("shutdown", msg="Heartbeat shutdown in progress.")
        log.info("shutdown", msg="Giving up all HA resources.")

    @action
    def release_everything(self, ctx: Ctx, arg: str) -> None:
        """release every group, FAILED ones included"""
        keys = list(self.records)
        for key in keys:
            if self.records[key].state == GroupState.FAILED:
                self.records[key].retry = True
        self.want(keys, False, "shutdown")
        self.start_job(keys, False, Ctx("shutdown_released"))

    @action
    def finish_shutdown(self, ctx: Ctx, arg: str) -> None:
        """log `All HA resources relinquished.`, send `shutdone st=dead`, ShutdownReady,
        OperationDone(shutdown, ok)"""
        log.info("shutdown", msg="All HA resources relinquished.")
        self.send(messages.shutdone())
        self.emit(ShutdownReady())
        self.op_done("shutdown", True, "All HA resources relinquished.")

    @action
    def abort_shutdown(self, ctx: Ctx, arg: str) -> None:
        """a stop failed: stay up claiming the FAILED groups, restart our other local
        groups, OperationDone(shutdown, failed)"""
        stuck = ", ".join(ctx.failed)
        detail = (
            f"could not stop {stuck}: it may still run here, so it stays claimed and the peer "
            f"will not take it; stop it by hand, then shut down again"
        )
        log.critical("shutdown_aborted", groups=list(ctx.failed), msg=f"Shutdown aborted: {detail}")
        self.send_holdings(stable=True)
        self.adopt_our_orphans()
        self.op_done("shutdown", False, detail)
