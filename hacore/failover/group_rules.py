"""Guards and actions of the group table: one group's Acquire/Release life here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from hacore.failover.actions import Acquire, Release
from hacore.failover.registry import Ctx, action, guard

if TYPE_CHECKING:
    from hacore.failover.machine import Failover

log = structlog.get_logger("hacore.failover")


@guard("failed_start")
def _failed_start(m: Failover, ctx: Ctx) -> bool:
    return m.records[ctx.key].failed_start


@action("emit_acquire")
def emit_acquire(m: Failover, ctx: Ctx, arg: str) -> None:
    m.emit(Acquire(ctx.key))


@action("emit_release")
def emit_release(m: Failover, ctx: Ctx, arg: str) -> None:
    m.emit(Release(ctx.key))


@action("note_started")
def note_started(m: Failover, ctx: Ctx, arg: str) -> None:
    m.failed_starts.discard(ctx.key)
    m.given_away.discard(ctx.key)


@action("clean_up_failed_start")
def clean_up_failed_start(m: Failover, ctx: Ctx, arg: str) -> None:
    rec = m.records[ctx.key]
    rec.want = False
    rec.failed_start = True
    rec.reason = "start failed"
    m.failed_starts.add(ctx.key)
    log.error(
        "group_start_failed", group=ctx.key, msg=f"Giving up resources due to failure of {ctx.key}"
    )
    m.emit(Release(ctx.key))


@action("report_start_failure")
def report_start_failure(m: Failover, ctx: Ctx, arg: str) -> None:
    m.records[ctx.key].failed_start = False
    m.post(Ctx("group_failed_to_start", key=ctx.key))


@action("report_stop_failure")
def report_stop_failure(m: Failover, ctx: Ctx, arg: str) -> None:
    rec = m.records[ctx.key]
    rec.failed_start = False
    rec.reason = "stop failed"
    log.critical(
        "group_stop_failed",
        group=ctx.key,
        msg=f"Resource STOP failure for {ctx.key}: it may still run here. It stays claimed "
        "(the peer will not start it); stop it by hand, then retry (hactl standby or shutdown)",
    )
