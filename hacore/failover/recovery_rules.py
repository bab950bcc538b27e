"""Actions for what goes wrong: split brain, failed starts, legacy negotiation.

Split brain (a healed partition, a peer that ran alone, our own stall) is settled by one
rule both sides compute alike: the group's preferred node keeps it, else the smaller node
name; the other side releases it and the keeper re-announces it once the release is
reported.
"""

from __future__ import annotations

import structlog

from hacore.api import GroupState
from hacore.failover import messages
from hacore.failover.actions import Announce
from hacore.failover.base import RulesBase, action
from hacore.failover.holdings import Hold
from hacore.failover.model import Ctx, NodeState

log = structlog.get_logger("hacore.failover")

HEARTBEAT_OFFER_DELAY_S = 30.0  # ResourceManager runs hb_standby 30 s after a failed start
_RULE = "preferred node keeps, else the smaller name"


class RecoveryRules(RulesBase):
    # ------------------------------------------------------------------ split brain

    @action
    def report_holdings_after_split(self, ctx: Ctx, arg: str) -> None:
        """mark the peer unstable and send our full holdings so both sides audit them"""
        log.warning("split_brain_check", peer=self.peer.name, cause=ctx.event, held=self.rsc_hold())
        self.peer.stable = False
        self.memory.last_conflicts = frozenset()
        self.send_holdings(stable=self.node == NodeState.STABLE)

    @action
    def report_holdings_after_stall(self, ctx: Ctx, arg: str) -> None:
        """send our full holdings (a peer that declared us dead audits them and reports its
        own; one that did not notice has nothing to say)"""
        log.warning("split_brain_check", peer=self.peer.name, cause=ctx.event, held=self.rsc_hold())
        self.memory.last_conflicts = frozenset()
        self.send_holdings(stable=self.node == NodeState.STABLE)

    @action
    def audit_holdings(self, ctx: Ctx, arg: str) -> None:
        """split-brain rule on groups both sides claim (the preferred node keeps, else the
        smaller name): release what we lose, report if we keep; announce a kept group once
        the peer's report drops it; adopt our local groups that a stable peer does not hold
        (not those that just failed to start here or that we gave away by standby)"""
        # Also during a standby: A clears its bits before it releases and B's grow only as
        # it acquires, so a standby never looks like a conflict, and real ones must not wait.
        for key in sorted(self.memory.kept):
            if not self.peer_has(key):
                self.memory.kept.discard(key)
                self.emit(Announce(key))
                log.warning("partition_resolved", group=key, kept_by=self.me, announced=True)
        conflicts = [key for key in self.records if self.claimed(key) and self.peer_has(key)]
        if conflicts:
            self._resolve(conflicts)
        else:
            self.memory.last_conflicts = frozenset()
        if self.peer.stable and self.node == NodeState.STABLE and not self.shutdown_pending:
            self.adopt_our_orphans()

    def _resolve(self, conflicts: list[str]) -> None:
        if any(self.records[key].local for key in conflicts):
            log.error("dual_ownership", msg="Both machines own our resources!")
        if any(not self.records[key].local for key in conflicts):
            log.error("dual_ownership", msg="Both machines own foreign resources!")
        peer = self.peer.name
        lose = [key for key in conflicts if self.keeper(key) != self.me]
        keep = [key for key in conflicts if self.keeper(key) == self.me]
        releasing = [key for key in lose if self.records[key].want]
        for key in lose:
            if self.records[key].state == GroupState.FAILED:
                log.critical(
                    "partition_unresolved",
                    group=key,
                    peer=peer,
                    msg=f"{key} may run on both nodes: its stop failed here",
                )
        if releasing:
            self.want(releasing, False, f"split brain: {peer} keeps it")
            self.start_job(releasing, False, Ctx("conflict_released"))
        self.memory.kept.update(keep)
        if keep and frozenset(conflicts) != self.memory.last_conflicts:
            self.send_holdings(stable=self.node == NodeState.STABLE)
        self.memory.last_conflicts = frozenset(conflicts)
        log.warning("partition_resolved", peer=peer, kept=keep, released=lose, rule=_RULE)

    @action
    def legacy_resolve(self, ctx: Ctx, arg: str) -> None:
        """legacy split brain: release the groups the peer keeps by the rule, then tell it
        with `ip-request-resp weown=yes`"""
        peer = self.peer.name
        lose = [k for k, rec in self.records.items() if rec.want and self.keeper(k) == peer]
        for key in lose:
            self.want([key], False, f"split brain: {peer} keeps it")
            self.start_job([key], False, Ctx("given_up", key=key))
        log.warning("partition_resolved", peer=peer, released=lose, cause=ctx.event, rule=_RULE)

    # ------------------------------------------------------------------ failed starts

    @action
    def keep_failed_group_down(self, ctx: Ctx, why: str) -> None:
        """log that the group stays down (<arg>: no peer to offer it to, legacy, or it just
        came from the peer)"""
        because = {
            "legacy": "standby (the offer to the peer) needs nice_failback",
            "alone": "there is no live peer to offer it to",
            "handed_over": "the peer just gave it to us, so it is not offered back",
        }[why]
        log.error(
            "group_stays_down",
            group=ctx.key,
            reason=why,
            msg=f"{ctx.key} failed to start and stays stopped: {because}",
        )

    @action
    def schedule_offer(self, ctx: Ctx, arg: str) -> None:
        """offer the group's category to the peer by standby: at once to a hacore peer,
        after 30 s (Heartbeat's delay) to a Heartbeat peer"""
        self.offer_hold |= self.category(ctx.key)
        delay = 0.0 if self.peer_is_hacore() else HEARTBEAT_OFFER_DELAY_S
        log.warning("offer_group", group=ctx.key, peer=self.peer.name, in_s=delay)
        if delay == 0.0:
            self.timers.offer_at = None
            self.post(Ctx("offer_timer"))
        elif self.timers.offer_at is None:
            self.timers.offer_at = self.now + delay

    @action
    def offer_failed_groups(self, ctx: Ctx, arg: str) -> None:
        """start the standby of the failed groups' category"""
        hold, self.offer_hold = self.offer_hold, Hold.NONE
        if hold != Hold.NONE:
            self.post(Ctx("standby_request", hold=hold, origin="offer"))

    # ------------------------------------------------------------------ legacy

    @action
    def request_our_groups(self, ctx: Ctx, arg: str) -> None:
        """legacy: send `ip-request ipaddr=<key>` for each of our local groups (until it
        answers, the peer counts as holding every group)"""
        # A running legacy peer took everything while alone; its grants correct this.
        self.peer.keys = {key for key in self.records if not self.claimed(key)}
        for key, rec in self.records.items():
            if rec.local and not self.claimed(key):
                self.send(messages.ip_request(key))

    @action
    def give_up_group(self, ctx: Ctx, arg: str) -> None:
        """legacy: release the asked-for group (reply when stopped) or reply `weown=no` at
        once"""
        peer = self.peer.name
        if peer is None:
            return
        if self.claimed(ctx.key):
            self.want([ctx.key], False, f"{peer} asked for it")
            self.start_job([ctx.key], False, Ctx("given_up", key=ctx.key))
            return
        self.peer.keys.add(ctx.key)
        self.send(messages.ip_request_resp(peer, ctx.key, weown=False))

    @action
    def grant_group(self, ctx: Ctx, arg: str) -> None:
        """legacy: send `ip-request-resp dest=<peer> ipaddr=<key> weown=yes ok=OK`"""
        peer = self.peer.name
        if peer is None:
            return
        if not ctx.ok:
            log.critical(
                "group_not_granted",
                group=ctx.key,
                peer=peer,
                msg=f"{ctx.key} did not stop here; not granting it to {peer}",
            )
            return
        self.peer.keys.add(ctx.key)
        self.send(messages.ip_request_resp(peer, ctx.key, weown=True))

    @action
    def announce_group(self, ctx: Ctx, arg: str) -> None:
        """the peer let go of a group we hold: Announce it"""
        self.peer.keys.discard(ctx.key)
        if ctx.word == "yes":
            self.emit(Announce(ctx.key))

    @action
    def take_granted_group(self, ctx: Ctx, arg: str) -> None:
        """legacy: acquire the granted group"""
        self.peer.keys.discard(ctx.key)
        self.want([ctx.key], True, f"granted by {self.peer.name}")
        self.start_job([ctx.key], True, Ctx("local_acquired"))
