"""Guards and actions of the two-node tiebreaker (ha.cf ``tiebreaker``, hacore extension).

A node that can reach neither its peer nor the tiebreaker ping node cannot tell a dead
peer from its own isolation. Without STONITH both sides would then run the groups, so
the side that lost the tiebreaker gives everything up and acquires nothing (ISOLATED),
and the side that still reaches it takes over once the isolated one has had time to
release (the runtime's fence delay). The runtime decides when the node is isolated (it
owns the clock and the ping echoes); the engine decides what that means for the groups.

The node leaves ISOLATED when the peer is heard again (``peer_heard``: it negotiates as
at start-up, the peer most likely holds the groups now), or when the tiebreaker answers
again while the peer is still silent: after a death already taken into account
(``tiebreaker_regained`` while alone) it takes everything back at once; while the
runtime still withholds the peer's death it stays ISOLATED until that death arrives
(``peer_dead`` with the tiebreaker back: the usual takeover), which the runtime delivers
after the fence delay or the reset. Staying put meanwhile matters: the heartbeat link
often comes back together with the tiebreaker, and the peer then most likely holds the
groups; the negotiation must start only once the peer can hear it.
"""

from __future__ import annotations

import structlog

from hacore.api import GroupState
from hacore.failover.base import RulesBase, action, guard
from hacore.failover.holdings import Hold
from hacore.failover.model import Ctx, NodeState

log = structlog.get_logger("hacore.failover")


class IsolationRules(RulesBase):
    @guard
    def isolated(self, ctx: Ctx) -> bool:
        """node state ISOLATED: peer and tiebreaker lost, everything given up here"""
        return self.node == NodeState.ISOLATED

    @guard
    def cut_off(self, ctx: Ctx) -> bool:
        """the runtime's last word on the tiebreaker was that it is unreachable"""
        return self.tiebreaker_lost

    @action
    def give_up_isolated(self, ctx: Ctx, arg: str) -> None:
        """log `… this node is isolated` and `Giving up all HA resources.`, release every
        group (FAILED ones included, as at shutdown) without a hand-over, forget a due
        failback and pending offers or moves; `isolated_released` follows"""
        peer, tiebreaker = self.peer.name, ctx.text
        log.critical(
            "isolated",
            peer=peer,
            tiebreaker=tiebreaker,
            msg=f"{peer} is dead and tiebreaker {tiebreaker} is unreachable: this node is "
            "isolated; the side that still reaches the tiebreaker keeps the service",
        )
        log.critical("isolated", msg="Giving up all HA resources.")
        self.needs_failback = False
        self.offer_hold = Hold.NONE
        self.timers.failback_at = self.timers.offer_at = self.timers.move_at = None
        self.memory.moving.clear()
        self.hold_empty(Hold.ALL, False)
        keys = list(self.records)
        for key in keys:
            if self.records[key].state == GroupState.FAILED:
                self.records[key].retry = True
        self.want(keys, False, f"isolated: {peer} and tiebreaker {tiebreaker} unreachable")
        self.start_job(keys, False, Ctx("isolated_released"))

    @action
    def report_isolated_release(self, ctx: Ctx, arg: str) -> None:
        """log `All HA resources relinquished.`, or CRIT naming the groups that would not
        stop (they may still run here: only fencing by the peer ends that)"""
        if ctx.failed:
            log.critical(
                "isolated_release_failed",
                groups=list(ctx.failed),
                msg=f"Isolated, but could not stop {', '.join(ctx.failed)}: it may still run here",
            )
            return
        log.warning("isolated_released", msg="All HA resources relinquished.")

    @action
    def log_tiebreaker_regained(self, ctx: Ctx, arg: str) -> None:
        """log why the node is no longer isolated (<arg>: the tiebreaker answers, the peer
        is heard) or what it still waits for (`pending`: the peer's death, withheld by
        the runtime until its fence delay or reset is over)"""
        peer = self.peer.name
        if arg == "pending":
            log.warning(
                "isolation_pending",
                msg=f"Tiebreaker {ctx.text} answers again: waiting for {peer} to be heard "
                "or its death confirmed before acquiring anything",
            )
            return
        because = {
            "tiebreaker": f"tiebreaker {ctx.text} answers again and {peer} is dead",
            "peer": f"{peer} is heard again",
        }[arg]
        log.warning("isolation_over", reason=arg, msg=f"No longer isolated: {because}")
