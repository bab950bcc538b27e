"""Actions of the standby table: Heartbeat's ``ask_resources`` protocol.

Role A gives a set of groups away (``me`` → ``other`` → release → ``done``), role B
takes the complement (``other`` → ``done`` → acquire → ``done``). Sets travel relative
to A; B mirrors them (A's ``local`` is B's ``foreign``). Heartbeat reacts to its own
``me``/``done`` copies; here the same steps run when we send them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from hacore.api import GroupState
from hacore.failover import messages
from hacore.failover.holdings import Hold, mirror
from hacore.failover.registry import Ctx, action
from hacore.failover.table import NodeState, StandbyState

if TYPE_CHECKING:
    from hacore.failover.machine import Failover

log = structlog.get_logger("hacore.failover")

STANDBY_REPLY_TIMEOUT_S = 10.0  # Heartbeat's STANDBY_INIT_TO_MS
STANDBY_RESOURCE_TIMEOUT_S = 3600.0  # HB_STANDBY_RSC_TO_MS
RETRY_S = 1.0
_STANDBY_JOBS = ("standby_released", "standby_acquired")


def _refusal(m: Failover, why: str, sender: str) -> str:
    return {
        "legacy": "Standby mode only implemented when nice_failback on",
        "shutdown": "standby message ignored during shutdown",
        "alone": "No live peer to take over the resources; standby refused.",
        "in_progress": f"Standby in progress- new request from {sender} ignored "
        f"[{m.standby_seconds_left()} seconds left]",
        "peer_in_flux": f"standby message [me] from {sender} ignored.  Other side is in flux.",
        "local_in_flux": f"standby message [me] from {sender} ignored.  local resources in flux.",
        "no_reply": "No reply to takeover request.  Takeover request cancelled.",
    }[why]


def _reset(m: Failover) -> None:
    m.timers.standby_deadline = None
    m.sb.hold = Hold.NONE
    m.sb.origin = "api"
    m.sb.problem = ""


# ---------------------------------------------------------------------- requests here


@action("refuse_standby")
def refuse_standby(m: Failover, ctx: Ctx, why: str) -> None:
    text = _refusal(m, why, m.me)
    retry_later = why in ("in_progress", "peer_in_flux", "local_in_flux")
    if ctx.origin == "api":
        log.warning("standby_refused", reason=why, msg=text)
        m.op_done("standby", False, text, refused=True)
    elif ctx.origin == "failback":
        if retry_later:
            log.info("failback_delayed", reason=why, msg="Auto failback delayed.")
            m.timers.failback_at = m.now + RETRY_S
        elif why != "alone":  # a dead peer may come back: failback stays due
            m.needs_failback = False
    elif ctx.origin == "offer":
        log.info("offer_delayed", reason=why, msg=text)
        if retry_later:
            m.offer_hold |= ctx.hold
            m.timers.offer_at = m.now + RETRY_S
    else:
        log.warning("peer_takeover_refused", peer=m.peer.name, reason=why, msg=text)


@action("send_me")
def send_me(m: Failover, ctx: Ctx, arg: str) -> None:
    m.sb.hold = ctx.hold
    m.sb.origin = ctx.origin
    m.sb.problem = ""
    m.send(messages.ask_resources(ctx.hold, "me"))
    log.info(
        "standby_start", msg=f"{m.me} wants to go standby [{ctx.hold.word}]", origin=ctx.origin
    )
    m.peer.stable = False
    m.timers.standby_deadline = m.now + STANDBY_REPLY_TIMEOUT_S
    if ctx.origin == "failback":
        m.needs_failback = False


@action("refuse_takeover")
def refuse_takeover(m: Failover, ctx: Ctx, why: str) -> None:
    text = _refusal(m, why, m.me)
    log.warning("takeover_refused", reason=why, msg=text)
    m.op_done("takeover", False, text, refused=True)


@action("send_hb_takeover")
def send_hb_takeover(m: Failover, ctx: Ctx, arg: str) -> None:
    m.send(messages.hb_takeover(ctx.word))
    log.info("takeover_asked", peer=m.peer.name, scope=ctx.word)
    m.sb.origin = "takeover"
    m.timers.standby_deadline = m.now + STANDBY_REPLY_TIMEOUT_S


@action("standby_for_peer")
def standby_for_peer(m: Failover, ctx: Ctx, arg: str) -> None:
    log.info("peer_takeover", peer=m.peer.name, scope=ctx.word, give=ctx.hold.word)
    m.post(Ctx("standby_request", hold=ctx.hold, origin="peer"))


@action("fail_takeover")
def fail_takeover(m: Failover, ctx: Ctx, why: str) -> None:
    text = _refusal(m, why, m.peer.name or "?")
    log.warning("takeover_failed", reason=why, msg=text)
    m.op_done("takeover", False, text)
    _reset(m)


# ---------------------------------------------------------------------- peer messages


@action("ignore_standby_message")
def ignore_standby_message(m: Failover, ctx: Ctx, why: str) -> None:
    sender = m.peer.name or "?"
    if why == "unexpected":
        info = ctx.event.removeprefix("peer_")
        log.error(
            "standby_ignored",
            msg=f"Ignored standby message '{info}' from {sender} in state {m.standby.value}",
        )
    elif why == "shutdown":
        log.debug("standby_ignored", msg=_refusal(m, why, sender))
    elif why == "legacy":
        log.info("standby_ignored", msg=_refusal(m, why, sender))
    else:
        log.warning("standby_ignored", reason=why, msg=_refusal(m, why, sender))


@action("send_other")
def send_other(m: Failover, ctx: Ctx, arg: str) -> None:
    m.sb.origin = "takeover" if m.standby == StandbyState.ASKED else "peer"
    m.sb.hold = ctx.hold
    m.sb.problem = ""
    # The peer now wants these here: an earlier give-away of ours no longer stands.
    m.given_away.difference_update(m.keys_in(mirror(ctx.hold)))
    log.info("standby_start", msg=f"{m.peer.name} wants to go standby [{ctx.hold.word}]")
    m.peer.stable = False
    m.send(messages.ask_resources(ctx.hold, "other"))
    m.timers.standby_deadline = m.now + STANDBY_RESOURCE_TIMEOUT_S


@action("release_standby_set")
def release_standby_set(m: Failover, ctx: Ctx, arg: str) -> None:
    hold = m.sb.hold = ctx.hold
    log.info("standby_release", msg=f"standby: {m.peer.name} can take our {hold.word} resources")
    m.timers.standby_deadline = m.now + STANDBY_RESOURCE_TIMEOUT_S
    m.peer.stable = False
    m.hold_empty(hold, False)
    m.send(messages.resource(m.held_bits() & ~hold, stable=False, info="standby"))
    keys = [key for key in m.keys_in(hold) if m.claimed(key)]
    for key in keys:
        if m.records[key].state == GroupState.FAILED:
            m.records[key].retry = True
    m.want(keys, False, f"standby to {m.peer.name}")
    m.given_away.update(keys)
    m.start_job(keys, False, Ctx("standby_released", hold=hold))


@action("send_done_released")
def send_done_released(m: Failover, ctx: Ctx, arg: str) -> None:
    hold = m.sb.hold
    withheld = Hold.NONE
    for key in ctx.failed:
        withheld |= m.category(key)
    if withheld:
        m.sb.problem = (
            f"could not stop {', '.join(ctx.failed)}; its groups ({withheld.word}) stay here"
        )
        log.critical("standby_incomplete", groups=list(ctx.failed), msg=m.sb.problem)
    m.send(messages.ask_resources(hold & ~withheld, "done"))
    log.info("standby_released", msg=f"Local standby process completed [{hold.word}].")
    m.timers.standby_deadline = m.now + STANDBY_RESOURCE_TIMEOUT_S


@action("acquire_standby_set")
def acquire_standby_set(m: Failover, ctx: Ctx, arg: str) -> None:
    m.sb.hold = ctx.hold
    log.info(
        "standby_acquire", msg=f"standby: acquire [{ctx.hold.word}] resources from {m.peer.name}"
    )
    keys = [key for key in m.keys_in(mirror(ctx.hold)) if not m.claimed(key)]
    m.want(keys, True, f"standby of {m.peer.name}")
    m.handed_over.update(keys)
    m.start_job(keys, True, Ctx("standby_acquired", hold=ctx.hold))
    m.timers.standby_deadline = m.now + STANDBY_RESOURCE_TIMEOUT_S


@action("finish_standby")
def finish_standby(m: Failover, ctx: Ctx, arg: str) -> None:
    hold = m.sb.hold
    log.info("standby_done", msg=f"Other node completed standby takeover of {hold.word} resources.")
    m.send(messages.resource(m.held_bits(), stable=True))
    problem = m.sb.problem
    if not problem:
        # The peer's `done` means it runs them now; its `resource` report follows, but the
        # operator's standby returns here and must already show the new holder.
        m.peer.hold |= mirror(hold)
    if m.sb.origin == "api":
        detail = problem or f"{m.peer.name} took over our {hold.word} resources"
        m.op_done("standby", not problem, detail)
    _reset(m)


@action("finish_acquisition")
def finish_acquisition(m: Failover, ctx: Ctx, arg: str) -> None:
    hold = m.sb.hold
    m.hold_empty(mirror(hold), True)
    m.send(messages.ask_resources(hold, "done"))
    log.info("standby_acquired", msg=f"Standby resource acquisition done [{hold.word}].")
    m.send(messages.resource(m.held_bits(), stable=True))
    if m.sb.origin == "takeover":
        if ctx.failed:
            m.op_done("takeover", False, f"could not start {', '.join(ctx.failed)}")
        else:
            m.op_done("takeover", True, f"took over {m.peer.name}'s {hold.word} resources")
    _reset(m)


# ---------------------------------------------------------------------- ending early


def _fail_operation(m: Failover, text: str) -> None:
    if m.sb.origin == "api":
        m.op_done("standby", False, text)
    elif m.sb.origin == "takeover":
        m.op_done("takeover", False, text)
    elif m.sb.origin == "failback":
        m.needs_failback = True
        m.timers.failback_at = m.now + RETRY_S


@action("standby_timed_out")
def standby_timed_out(m: Failover, ctx: Ctx, arg: str) -> None:
    text = "No reply to standby request.  Standby request cancelled."
    log.warning("standby_timeout", msg=text)
    m.peer.stable = True
    m.drop_jobs(*_STANDBY_JOBS)
    # Tell a peer that may still act on our request that we are done with it.
    m.send(messages.resource(m.held_bits(), stable=m.node == NodeState.STABLE))
    _fail_operation(m, text)
    _reset(m)


@action("abandon_standby")
def abandon_standby(m: Failover, ctx: Ctx, arg: str) -> None:
    log.info("standby_cancelled", reason=ctx.text, msg="Cancelling pending standby operation")
    m.drop_jobs(*_STANDBY_JOBS)
    if m.standby in (StandbyState.ME, StandbyState.ME_RELEASING, StandbyState.ME_DONE):
        # The give-away did not complete: what the peer does not hold may be adopted.
        m.given_away.difference_update(m.keys_in(m.sb.hold))
    if m.standby == StandbyState.ME_RELEASING:
        # `done` never went out, so the peer will not take what we were giving up. After
        # `done` it may be starting them: then only its report (the audit) can tell.
        back = [
            key
            for key in m.keys_in(m.sb.hold)
            if not m.records[key].want
            and m.records[key].state != GroupState.FAILED
            and not m.peer_has(key)
        ]
        m.want(back, True, "standby cancelled")
    what = "takeover" if m.sb.origin == "takeover" else "standby"
    _fail_operation(m, f"{what} cancelled: {ctx.text.replace('_', ' ')}")
    _reset(m)
