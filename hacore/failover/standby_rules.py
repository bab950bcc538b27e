"""Actions of the standby table: Heartbeat's ``ask_resources`` protocol.

Role A gives a set of groups away (``me`` → ``other`` → release → ``done``), role B
takes the complement (``other`` → ``done`` → acquire → ``done``). Sets travel relative
to A; B mirrors them (A's ``local`` is B's ``foreign``). Heartbeat reacts to its own
``me``/``done`` copies; here the same steps run when we send them.
"""

from __future__ import annotations

import structlog

from hacore.api import GroupState
from hacore.failover import messages
from hacore.failover.base import RulesBase, action
from hacore.failover.holdings import Hold, mirror
from hacore.failover.model import Ctx, NodeState, StandbyState

log = structlog.get_logger("hacore.failover")

STANDBY_REPLY_TIMEOUT_S = 10.0  # Heartbeat's STANDBY_INIT_TO_MS
STANDBY_RESOURCE_TIMEOUT_S = 3600.0  # HB_STANDBY_RSC_TO_MS
RETRY_S = 1.0
_STANDBY_JOBS = ("standby_released", "standby_acquired")


class StandbyRules(RulesBase):
    def _refusal(self, why: str, sender: str) -> str:
        return {
            "legacy": "Standby mode only implemented when nice_failback on",
            "shutdown": "standby message ignored during shutdown",
            "alone": "No live peer to take over the resources; standby refused.",
            "isolated": "This node is isolated (peer and tiebreaker unreachable); standby refused.",
            "in_progress": f"Standby in progress- new request from {sender} ignored "
            f"[{self.standby_seconds_left()} seconds left]",
            "peer_in_flux": f"standby message [me] from {sender} ignored.  Other side is in flux.",
            "local_in_flux": f"standby message [me] from {sender} ignored.  "
            "local resources in flux.",
            "no_reply": "No reply to takeover request.  Takeover request cancelled.",
        }[why]

    def _reset(self) -> None:
        self.timers.standby_deadline = None
        self.sb.hold = Hold.NONE
        self.sb.origin = "api"
        self.sb.problem = ""

    # ------------------------------------------------------------------ requests here

    @action
    def refuse_standby(self, ctx: Ctx, why: str) -> None:
        """refuse with Heartbeat's reason (<arg>); operator: OperationDone failed;
        failback/offer/monitor: retry in 1 s when it may pass later (a failback refused for
        want of a live peer stays due until the peer is back and stable; a monitor move
        that cannot happen restarts the groups here instead, except during a shutdown)"""
        text = self._refusal(why, self.me)
        retry_later = why in ("in_progress", "peer_in_flux", "local_in_flux")
        if ctx.origin == "api":
            log.warning("standby_refused", reason=why, msg=text)
            self.op_done("standby", False, text, refused=True)
        elif ctx.origin == "failback":
            if retry_later:
                log.info("failback_delayed", reason=why, msg="Auto failback delayed.")
                self.timers.failback_at = self.now + RETRY_S
            elif why != "alone":  # a dead peer may come back: failback stays due
                self.needs_failback = False
        elif ctx.origin == "offer":
            log.info("offer_delayed", reason=why, msg=text)
            if retry_later:
                self.offer_hold |= ctx.hold
                self.timers.offer_at = self.now + RETRY_S
        elif ctx.origin == "monitor":
            log.info("monitor_move_delayed", reason=why, msg=text)
            if retry_later:
                self.timers.move_at = self.now + RETRY_S
            elif why == "shutdown":
                self.memory.moving.clear()  # the shutdown releases them anyway
            else:
                self.recover(list(self.memory.moving), text)
        else:
            log.warning("peer_takeover_refused", peer=self.peer.name, reason=why, msg=text)

    @action
    def send_me(self, ctx: Ctx, arg: str) -> None:
        """send `ask_resources rsc_hold=<set> info=me`, log `X wants to go standby [set]`,
        mark the peer unstable, 10 s deadline"""
        self.sb.hold = ctx.hold
        self.sb.origin = ctx.origin
        self.sb.problem = ""
        self.send(messages.ask_resources(ctx.hold, "me"))
        log.info(
            "standby_start",
            msg=f"{self.me} wants to go standby [{ctx.hold.word}]",
            origin=ctx.origin,
        )
        self.peer.stable = False
        self.timers.standby_deadline = self.now + STANDBY_REPLY_TIMEOUT_S
        if ctx.origin == "failback":
            self.needs_failback = False

    @action
    def refuse_takeover(self, ctx: Ctx, why: str) -> None:
        """refuse the operator's hb_takeover (<arg>)"""
        text = self._refusal(why, self.me)
        log.warning("takeover_refused", reason=why, msg=text)
        self.op_done("takeover", False, text, refused=True)

    @action
    def send_hb_takeover(self, ctx: Ctx, arg: str) -> None:
        """send `hb_takeover rsc_hold=<scope>`; 10 s for the peer's `me`"""
        self.send(messages.hb_takeover(ctx.word))
        log.info("takeover_asked", peer=self.peer.name, scope=ctx.word)
        self.sb.origin = "takeover"
        self.timers.standby_deadline = self.now + STANDBY_REPLY_TIMEOUT_S

    @action
    def standby_for_peer(self, ctx: Ctx, arg: str) -> None:
        """run hb_standby for the peer (all→all, local→foreign, foreign→local,
        failback→all)"""
        log.info("peer_takeover", peer=self.peer.name, scope=ctx.word, give=ctx.hold.word)
        self.post(Ctx("standby_request", hold=ctx.hold, origin="peer"))

    @action
    def fail_takeover(self, ctx: Ctx, why: str) -> None:
        """our hb_takeover failed (<arg>): OperationDone(takeover, failed)"""
        text = self._refusal(why, self.peer.name or "?")
        log.warning("takeover_failed", reason=why, msg=text)
        self.op_done("takeover", False, text)
        self._reset()

    # ------------------------------------------------------------------ peer messages

    @action
    def ignore_standby_message(self, ctx: Ctx, why: str) -> None:
        """log Heartbeat's text for an ignored standby message (<arg>)"""
        sender = self.peer.name or "?"
        if why == "unexpected":
            info = ctx.event.removeprefix("peer_")
            log.error(
                "standby_ignored",
                msg=f"Ignored standby message '{info}' from {sender} in state {self.standby.value}",
            )
        elif why == "shutdown":
            log.debug("standby_ignored", msg=self._refusal(why, sender))
        elif why == "legacy":
            log.info("standby_ignored", msg=self._refusal(why, sender))
        else:
            log.warning("standby_ignored", reason=why, msg=self._refusal(why, sender))

    @action
    def send_other(self, ctx: Ctx, arg: str) -> None:
        """log `X wants to go standby [set]`, mark the peer unstable, send `ask_resources
        info=other`, 1 h deadline"""
        self.sb.origin = "takeover" if self.standby == StandbyState.ASKED else "peer"
        self.sb.hold = ctx.hold
        self.sb.problem = ""
        # The peer now wants these here: an earlier give-away of ours no longer stands.
        self.memory.given_away.difference_update(self.keys_in(mirror(ctx.hold)))
        log.info("standby_start", msg=f"{self.peer.name} wants to go standby [{ctx.hold.word}]")
        self.peer.stable = False
        self.send(messages.ask_resources(ctx.hold, "other"))
        self.timers.standby_deadline = self.now + STANDBY_RESOURCE_TIMEOUT_S

    @action
    def release_standby_set(self, ctx: Ctx, arg: str) -> None:
        """log `standby: X can take our <set> resources`, send `resource <ours minus set>
        isstable=0 info=standby`, release the set (an empty one no longer counts as held)"""
        hold = self.sb.hold = ctx.hold
        peer = self.peer.name
        log.info("standby_release", msg=f"standby: {peer} can take our {hold.word} resources")
        self.timers.standby_deadline = self.now + STANDBY_RESOURCE_TIMEOUT_S
        self.peer.stable = False
        self.hold_empty(hold, False)
        self.send_report(messages.resource(self.held_bits() & ~hold, stable=False, info="standby"))
        keys = [key for key in self.keys_in(hold) if self.claimed(key)]
        for key in keys:
            if self.records[key].state == GroupState.FAILED:
                self.records[key].retry = True
        cause = "resource failure: " if self.sb.origin == "monitor" else ""
        self.want(keys, False, f"{cause}standby to {peer}")
        self.memory.given_away.update(keys)
        self.start_job(keys, False, Ctx("standby_released", hold=hold))

    @action
    def send_done_released(self, ctx: Ctx, arg: str) -> None:
        """send `ask_resources info=done` for what was released (a category with a FAILED
        group is withheld), log `Local standby process completed [set].`"""
        hold = self.sb.hold
        withheld = Hold.NONE
        for key in ctx.failed:
            withheld |= self.category(key)
        if withheld:
            self.sb.problem = (
                f"could not stop {', '.join(ctx.failed)}; its groups ({withheld.word}) stay here"
            )
            log.critical("standby_incomplete", groups=list(ctx.failed), msg=self.sb.problem)
        self.send(messages.ask_resources(hold & ~withheld, "done"))
        log.info("standby_released", msg=f"Local standby process completed [{hold.word}].")
        self.timers.standby_deadline = self.now + STANDBY_RESOURCE_TIMEOUT_S

    @action
    def acquire_standby_set(self, ctx: Ctx, arg: str) -> None:
        """log `standby: acquire [set] resources from X`, acquire the complement (A's local
        = our foreign)"""
        self.sb.hold = ctx.hold
        peer = self.peer.name
        log.info("standby_acquire", msg=f"standby: acquire [{ctx.hold.word}] resources from {peer}")
        keys = [key for key in self.keys_in(mirror(ctx.hold)) if not self.claimed(key)]
        self.want(keys, True, f"standby of {peer}")
        self.memory.handed_over.update(keys)
        self.start_job(keys, True, Ctx("standby_acquired", hold=ctx.hold))
        self.timers.standby_deadline = self.now + STANDBY_RESOURCE_TIMEOUT_S

    @action
    def finish_standby(self, ctx: Ctx, arg: str) -> None:
        """log `Other node completed standby takeover of <set> resources.`, send our
        holdings (isstable=1), OperationDone(standby)"""
        hold = self.sb.hold
        log.info(
            "standby_done", msg=f"Other node completed standby takeover of {hold.word} resources."
        )
        self.send_holdings(stable=True)
        problem = self.sb.problem
        if not problem:
            # The peer's `done` means it runs them now; its `resource` report follows, but
            # the operator's standby returns here and must already show the new holder.
            self.peer.hold |= mirror(hold)
        if self.sb.origin == "api":
            detail = problem or f"{self.peer.name} took over our {hold.word} resources"
            self.op_done("standby", not problem, detail)
        elif self.sb.origin == "monitor":
            moved = sorted(self.memory.moving & set(self.keys_in(hold)))
            self.memory.moving.difference_update(moved)
            log.warning(
                "monitor_moved",
                groups=moved,
                peer=self.peer.name,
                msg=f"Resource groups {' '.join(moved)} given to {self.peer.name} after "
                "repeated failures here",
            )
        self._reset()

    @action
    def finish_acquisition(self, ctx: Ctx, arg: str) -> None:
        """send `ask_resources info=done`, log `Standby resource acquisition done [set].`,
        send our holdings (isstable=1), OperationDone(takeover) if we asked; the acquired
        set counts as held, even without groups"""
        hold = self.sb.hold
        self.hold_empty(mirror(hold), True)
        self.send(messages.ask_resources(hold, "done"))
        log.info("standby_acquired", msg=f"Standby resource acquisition done [{hold.word}].")
        self.send_holdings(stable=True)
        if self.sb.origin == "takeover":
            if ctx.failed:
                self.op_done("takeover", False, f"could not start {', '.join(ctx.failed)}")
            else:
                detail = f"took over {self.peer.name}'s {hold.word} resources"
                self.op_done("takeover", True, detail)
        self._reset()

    # ------------------------------------------------------------------ ending early

    def _fail_operation(self, text: str) -> None:
        if self.sb.origin == "api":
            self.op_done("standby", False, text)
        elif self.sb.origin == "takeover":
            self.op_done("takeover", False, text)
        elif self.sb.origin == "failback":
            self.needs_failback = True
            self.timers.failback_at = self.now + RETRY_S
        elif self.sb.origin == "monitor":
            self.recover(list(self.memory.moving), text)
        elif self.sb.origin == "offer" and any(
            not self.claimed(key) and not self.peer_has(key) for key in self.keys_in(self.sb.hold)
        ):  # the peer was busy: groups nobody runs are offered again
            self.offer_hold |= self.sb.hold
            self.timers.offer_at = self.now + RETRY_S

    @action
    def standby_timed_out(self, ctx: Ctx, arg: str) -> None:
        """log `No reply to standby request.  Standby request cancelled.`, the peer counts
        as stable again, the operation fails (an offer of groups nobody runs is made again
        in 1 s; a monitor move restarts its groups here); send our holdings so a peer that
        acts on the request late drops it"""
        text = "No reply to standby request.  Standby request cancelled."
        log.warning("standby_timeout", msg=text)
        self.peer.stable = True
        self.drop_jobs(*_STANDBY_JOBS)
        # Tell a peer that may still act on our request that we are done with it.
        self.send_holdings(stable=self.node == NodeState.STABLE)
        self._fail_operation(text)
        self._reset()

    @action
    def abandon_standby(self, ctx: Ctx, arg: str) -> None:
        """log `Cancelling pending standby operation`, the operation fails; role A before
        `done` went out wants back the groups it was giving up (after `done`, the peer's
        next stable report decides: we adopt what it does not hold)"""
        log.info("standby_cancelled", reason=ctx.text, msg="Cancelling pending standby operation")
        self.drop_jobs(*_STANDBY_JOBS)
        if self.standby in (StandbyState.ME, StandbyState.ME_RELEASING, StandbyState.ME_DONE):
            # The give-away did not complete: what the peer does not hold may be adopted.
            self.memory.given_away.difference_update(self.keys_in(self.sb.hold))
        if self.standby == StandbyState.ME_RELEASING:
            # `done` never went out, so the peer will not take what we were giving up. After
            # `done` it may be starting them: then only its report (the audit) can tell.
            back = [
                key
                for key in self.keys_in(self.sb.hold)
                if not self.records[key].want
                and self.records[key].state != GroupState.FAILED
                and not self.peer_has(key)
            ]
            self.want(back, True, "standby cancelled")
        what = "takeover" if self.sb.origin == "takeover" else "standby"
        self._fail_operation(f"{what} cancelled: {ctx.text.replace('_', ' ')}")
        self._reset()
