"""The guard and actions of the group table: one group's Acquire/Release life here."""

from __future__ import annotations

import structlog

from hacore.failover.actions import Acquire, Release
from hacore.failover.base import RulesBase, action, guard
from hacore.failover.model import Ctx

log = structlog.get_logger("hacore.failover")


class GroupRules(RulesBase):
    @guard
    def failed_start(self, ctx: Ctx) -> bool:
        """the release cleans up after a failed start"""
        return self.records[ctx.key].failed_start

    @action
    def emit_acquire(self, ctx: Ctx, arg: str) -> None:
        """Acquire(key)"""
        self.emit(Acquire(ctx.key))

    @action
    def emit_release(self, ctx: Ctx, arg: str) -> None:
        """Release(key)"""
        self.emit(Release(ctx.key))

    @action
    def note_started(self, ctx: Ctx, arg: str) -> None:
        """forget earlier start failures (and standby give-aways) of the group"""
        self.memory.failed_starts.discard(ctx.key)
        self.memory.given_away.discard(ctx.key)

    @action
    def clean_up_failed_start(self, ctx: Ctx, arg: str) -> None:
        """Release(key) to make sure nothing of it runs (stop must succeed when stopped)"""
        rec = self.records[ctx.key]
        rec.want = False
        rec.failed_start = True
        rec.reason = "start failed"
        self.memory.failed_starts.add(ctx.key)
        log.error(
            "group_start_failed",
            group=ctx.key,
            msg=f"Giving up resources due to failure of {ctx.key}",
        )
        self.emit(Release(ctx.key))

    @action
    def report_start_failure(self, ctx: Ctx, arg: str) -> None:
        """node event `group_failed_to_start`"""
        self.records[ctx.key].failed_start = False
        self.post(Ctx("group_failed_to_start", key=ctx.key))

    @action
    def report_stop_failure(self, ctx: Ctx, arg: str) -> None:
        """log CRIT `Resource STOP failure`; the group stays claimed until a later release
        succeeds"""
        rec = self.records[ctx.key]
        rec.failed_start = False
        rec.reason = "stop failed"
        log.critical(
            "group_stop_failed",
            group=ctx.key,
            msg=f"Resource STOP failure for {ctx.key}: it may still run here. It stays claimed "
            "(the peer will not start it); stop it by hand, then retry (hactl standby or "
            "shutdown)",
        )
