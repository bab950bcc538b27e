"""Guards and actions for what goes wrong: split brain, failed starts, legacy negotiation.

Split brain (a healed partition, a peer that ran alone, our own stall) is settled by one
rule both sides compute alike: the group's preferred node keeps it, else the smaller node
name; the other side releases it and the keeper re-announces it once the release is
reported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from hacore.api import GroupState
from hacore.failover import messages
from hacore.failover.actions import Announce
from hacore.failover.holdings import Hold
from hacore.failover.node_rules import adopt_our_orphans, hacore_peer, send_held
from hacore.failover.registry import Ctx, action
from hacore.failover.table import NodeState

if TYPE_CHECKING:
    from hacore.failover.machine import Failover

log = structlog.get_logger("hacore.failover")

HEARTBEAT_OFFER_DELAY_S = 30.0  # ResourceManager runs hb_standby 30 s after a failed start


# ---------------------------------------------------------------------- split brain


@action("report_holdings_after_split")
def report_holdings_after_split(m: Failover, ctx: Ctx, arg: str) -> None:
    log.warning("split_brain_check", peer=m.peer.name, cause=ctx.event, held=m.rsc_hold())
    m.peer.stable = False
    m.last_conflicts = frozenset()
    send_held(m, ctx, arg)


@action("report_holdings_after_stall")
def report_holdings_after_stall(m: Failover, ctx: Ctx, arg: str) -> None:
    log.warning("split_brain_check", peer=m.peer.name, cause=ctx.event, held=m.rsc_hold())
    m.last_conflicts = frozenset()
    send_held(m, ctx, arg)


@action("audit_holdings")
def audit_holdings(m: Failover, ctx: Ctx, arg: str) -> None:
    # Also during a standby: A clears its bits before it releases and B's grow only as it
    # acquires, so a standby never looks like a conflict, and real ones must not wait.
    for key in sorted(m.kept):
        if not m.peer_has(key):
            m.kept.discard(key)
            m.emit(Announce(key))
            log.warning("partition_resolved", group=key, kept_by=m.me, announced=True)
    conflicts = [key for key in m.records if m.claimed(key) and m.peer_has(key)]
    if conflicts:
        _resolve(m, conflicts)
    else:
        m.last_conflicts = frozenset()
    if m.peer.stable and m.node == NodeState.STABLE and not m.shutdown_pending:
        adopt_our_orphans(m)


def _resolve(m: Failover, conflicts: list[str]) -> None:
    if any(m.records[key].local for key in conflicts):
        log.error("dual_ownership", msg="Both machines own our resources!")
    if any(not m.records[key].local for key in conflicts):
        log.error("dual_ownership", msg="Both machines own foreign resources!")
    lose = [key for key in conflicts if m.keeper(key) != m.me]
    keep = [key for key in conflicts if m.keeper(key) == m.me]
    releasing = [key for key in lose if m.records[key].want]
    for key in lose:
        if m.records[key].state == GroupState.FAILED:
            log.critical(
                "partition_unresolved",
                group=key,
                peer=m.peer.name,
                msg=f"{key} may run on both nodes: its stop failed here",
            )
    if releasing:
        m.want(releasing, False, f"split brain: {m.peer.name} keeps it")
        m.start_job(releasing, False, Ctx("conflict_released"))
    m.kept.update(keep)
    if keep and frozenset(conflicts) != m.last_conflicts:
        send_held(m, Ctx("audit"), "")
    m.last_conflicts = frozenset(conflicts)
    log.warning(
        "partition_resolved",
        peer=m.peer.name,
        kept=keep,
        released=lose,
        rule="preferred node keeps, else the smaller name",
    )


@action("legacy_resolve")
def legacy_resolve(m: Failover, ctx: Ctx, arg: str) -> None:
    peer = m.peer.name
    lose = [k for k, rec in m.records.items() if rec.want and m.keeper(k) == peer]
    for key in lose:
        m.want([key], False, f"split brain: {peer} keeps it")
        m.start_job([key], False, Ctx("given_up", key=key))
    log.warning(
        "partition_resolved",
        peer=peer,
        released=lose,
        cause=ctx.event,
        rule="preferred node keeps, else the smaller name",
    )


# ---------------------------------------------------------------------- failed starts


@action("keep_failed_group_down")
def keep_failed_group_down(m: Failover, ctx: Ctx, why: str) -> None:
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


@action("schedule_offer")
def schedule_offer(m: Failover, ctx: Ctx, arg: str) -> None:
    m.offer_hold |= m.category(ctx.key)
    delay = 0.0 if hacore_peer(m, ctx) else HEARTBEAT_OFFER_DELAY_S
    log.warning("offer_group", group=ctx.key, peer=m.peer.name, in_s=delay)
    if delay == 0.0:
        m.timers.offer_at = None
        m.post(Ctx("offer_timer"))
    elif m.timers.offer_at is None:
        m.timers.offer_at = m.now + delay


@action("offer_failed_groups")
def offer_failed_groups(m: Failover, ctx: Ctx, arg: str) -> None:
    hold, m.offer_hold = m.offer_hold, Hold.NONE
    if hold != Hold.NONE:
        m.post(Ctx("standby_request", hold=hold, origin="offer"))


# ---------------------------------------------------------------------- legacy


@action("request_our_groups")
def request_our_groups(m: Failover, ctx: Ctx, arg: str) -> None:
    # A running legacy peer took everything while alone; its grants correct this.
    m.peer.keys = {key for key in m.records if not m.claimed(key)}
    for key, rec in m.records.items():
        if rec.local and not m.claimed(key):
            m.send(messages.ip_request(key))


@action("give_up_group")
def give_up_group(m: Failover, ctx: Ctx, arg: str) -> None:
    peer = m.peer.name
    if peer is None:
        return
    if m.claimed(ctx.key):
        m.want([ctx.key], False, f"{peer} asked for it")
        m.start_job([ctx.key], False, Ctx("given_up", key=ctx.key))
        return
    m.peer.keys.add(ctx.key)
    m.send(messages.ip_request_resp(peer, ctx.key, weown=False))


@action("grant_group")
def grant_group(m: Failover, ctx: Ctx, arg: str) -> None:
    peer = m.peer.name
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
    m.peer.keys.add(ctx.key)
    m.send(messages.ip_request_resp(peer, ctx.key, weown=True))


@action("announce_group")
def announce_group(m: Failover, ctx: Ctx, arg: str) -> None:
    m.peer.keys.discard(ctx.key)
    if ctx.word == "yes":
        m.emit(Announce(ctx.key))


@action("take_granted_group")
def take_granted_group(m: Failover, ctx: Ctx, arg: str) -> None:
    m.peer.keys.discard(ctx.key)
    m.want([ctx.key], True, f"granted by {m.peer.name}")
    m.start_job([ctx.key], True, Ctx("local_acquired"))
