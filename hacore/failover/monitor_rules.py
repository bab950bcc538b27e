"""Guards and actions for resources that keep failing here (ha.cf ``monitor`` lines).

The daemon restarts a failed resource in place while its restart budget lasts; the
failure after that reaches the engine as ``monitor_failed``. The group then goes to the
peer the way Heartbeat gives groups away, with the standby protocol for its category
(what ``hb_standby local|foreign`` does), so a Heartbeat 3.0.6 peer takes it like any
standby. The node remembers that the group failed here (``failed_here``) until a
cleanup: it does not adopt it again, names it in its ``resource`` reports
(``hacore_failed``) so a hacore peer neither hands it back by auto-failback nor gives it
back when it fails there too. When no node may take it (no live peer, the peer failed
it too, legacy mode) the engine answers Recover: restart it here once more.
"""

from __future__ import annotations

import structlog

from hacore.failover.base import RulesBase, action, guard
from hacore.failover.holdings import Hold
from hacore.failover.model import Ctx, NodeState

log = structlog.get_logger("hacore.failover")


class MonitorRules(RulesBase):
    # ------------------------------------------------------------------ guards

    @guard
    def running_here(self, ctx: Ctx) -> bool:
        """the group runs here and is meant to"""
        return self.runs_here(ctx.key)

    @guard
    def moving_group(self, ctx: Ctx) -> bool:
        """the group is already being given to the peer for failing here"""
        return ctx.key in self.memory.moving

    @guard
    def peer_failed_group(self, ctx: Ctx) -> bool:
        """the peer's last report names the group in `hacore_failed`"""
        return ctx.key in self.peer.failed

    @guard
    def peer_cleaned_up(self, ctx: Ctx) -> bool:
        """this report no longer names groups the peer had failed (a cleanup there)"""
        return ctx.peer_cleaned

    # ------------------------------------------------------------------ actions

    @action
    def note_monitor_failure(self, ctx: Ctx, arg: str) -> None:
        """remember that the group failed here (not adopted again until a cleanup) and
        tell a live hacore peer with our holdings (`hacore_failed=<keys>`; not in legacy)"""
        known = ctx.key in self.memory.failed_here
        self.memory.failed_here.add(ctx.key)
        log.error(
            "monitor_gave_up",
            group=ctx.key,
            msg=f"Resource group {ctx.key} keeps failing here: restarts used up",
        )
        if not known:
            self._tell_peer()

    @action
    def move_failed_group(self, ctx: Ctx, arg: str) -> None:
        """standby of the group's category (`local` or `foreign`, as hb_standby), origin
        monitor: the peer takes it"""
        hold = self.category(ctx.key)
        self.memory.moving.add(ctx.key)
        log.warning(
            "monitor_failover",
            group=ctx.key,
            peer=self.peer.name,
            msg=f"Giving resource group {ctx.key} to {self.peer.name} "
            f"(standby [{hold.word}]): it keeps failing here",
        )
        self.post(Ctx("standby_request", hold=hold, origin="monitor"))

    @action
    def recover_here(self, ctx: Ctx, why: str) -> None:
        """Recover(key): restart it here once more, logging why it cannot move (<arg>: no
        live peer, the peer failed it too, legacy mode)"""
        because = {
            "alone": "there is no live peer to take it",
            "peer_failed": f"it keeps failing on {self.peer.name} too",
            "legacy": "moving a group needs nice_failback (auto_failback on or off)",
        }[why]
        self.recover([ctx.key], because)

    @action
    def retry_monitor_move(self, ctx: Ctx, arg: str) -> None:
        """ask again for the standby of the groups still waiting to move (the last try was
        refused while a transition ran)"""
        keys = sorted(key for key in self.memory.moving if self.runs_here(key))
        self.memory.moving = set(keys)
        hold = Hold.NONE
        for key in keys:
            hold |= self.category(key)
        if hold != Hold.NONE:
            self.post(Ctx("standby_request", hold=hold, origin="monitor"))

    @action
    def forget_monitor_failure(self, ctx: Ctx, arg: str) -> None:
        """`hactl cleanup`: the group may run here again; tell a live hacore peer, and
        adopt it if it is ours and nobody runs it"""
        if ctx.key not in self.memory.failed_here:
            return
        self.memory.failed_here.discard(ctx.key)
        log.info(
            "monitor_cleanup",
            group=ctx.key,
            msg=f"Resource group {ctx.key} cleaned up: it may run here again",
        )
        self._tell_peer()
        if self.node == NodeState.STABLE and self.peer.stable and not self.shutdown_pending:
            self.adopt_our_orphans()

    def _tell_peer(self) -> None:
        """A live hacore peer learns our failed groups from our holdings (nice_failback
        only: legacy mode sends no ``resource`` reports; Heartbeat has no use for them)."""
        if not self.is_legacy and self.peer_is_hacore() and not self.is_alone():
            self.send_holdings(stable=self.node == NodeState.STABLE)
