"""Running ha.cf's ``monitor`` lines: one coroutine per monitored resource, only while its
group runs here.

Every ``interval`` the resource's ``monitor`` runs (a script as an asyncio subprocess,
IPaddr over netlink), bounded by ``timeout``: the event loop that sends heartbeats never
waits for a check. A failure is counted and, while the restart budget lasts
(:mod:`hacore.failcount`), the resource is restarted in place with the ones after it in
its group; the failure after that is handed to the failover engine (``give_up``), which
moves the group to the peer or, when it cannot, answers Recover (:meth:`Monitors.recover`:
one more restart here).

A restart runs to its end even if the group is released meanwhile (the release waits for
the group's lock): cutting a start script short would leave a half-started service.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import structlog

from hacore.config.monitor import Monitor, matching_resources
from hacore.control.model import (
    Cleaned,
    InvalidRequest,
    MonitorEvent,
    MonitorOutcome,
    MonitorView,
)
from hacore.failcount import Decision, Health, RestartBudget
from hacore.metrics import Metrics
from hacore.resources import ResourceManager

if TYPE_CHECKING:
    from hacore.node import Node

log = structlog.get_logger("hacore.monitor")

Publish = Callable[[MonitorEvent], None]
GiveUp = Callable[[str], None]
"""``give_up(group_key)``: the engine decides what happens to a group that keeps failing."""


class ResourceMonitor:
    """One monitored resource: its counters, and its check loop while the group runs here."""

    def __init__(
        self,
        monitor: Monitor,
        resources: ResourceManager,
        metrics: Metrics,
        publish: Publish,
        give_up: GiveUp,
    ) -> None:
        self.monitor = monitor
        self.health = Health()
        settings = monitor.settings
        self.budget = RestartBudget(settings.restarts, settings.window_ms / 1000)
        self._resources = resources
        self._metrics = metrics
        self._publish = publish
        self._give_up = give_up
        self._task: asyncio.Task[None] | None = None
        self._recover = asyncio.Event()
        self._gave_up = False  # handed to the engine, not restarted nor checked ok since
        self._restarts: set[asyncio.Task[bool | None]] = set()

    @property
    def group(self) -> str:
        return self.monitor.group

    @property
    def resource(self) -> str:
        return self.monitor.resource

    @property
    def active(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.active:
            self._recover.clear()
            self._task = asyncio.ensure_future(self._loop())
            self._task.add_done_callback(self._loop_done)
            log.debug("monitor_started", group=self.group, resource=self.resource)

    def stop(self) -> None:
        """The group no longer runs here: cancel the check in flight (its script is killed)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def recover(self) -> None:
        """The engine keeps the group here: restart the resource at once if it is failing."""
        if self.active and self._gave_up:
            self._recover.set()

    def cleanup(self) -> Cleaned:
        before = self.health.cleanup()
        self.budget.reset()
        self._metrics.fail_count(self.group, self.resource, 0)
        self._event(MonitorOutcome.CLEANED_UP, f"fail count {before} reset")
        log.info(
            "monitor_cleanup",
            group=self.group,
            resource=self.resource,
            fail_count=before,
            msg=f"Fail count of {self.resource} reset (was {before})",
        )
        return Cleaned(self.group, self.resource, before)

    def view(self, now: float) -> MonitorView:
        settings, health = self.monitor.settings, self.health
        return MonitorView(
            resource=self.resource,
            interval_s=settings.interval_ms / 1000,
            timeout_s=settings.timeout_ms / 1000,
            restarts_allowed=settings.restarts,
            window_s=settings.window_ms / 1000,
            active=self.active,
            checks=health.checks,
            failures=health.failures,
            restarts=health.restarts,
            restarts_in_window=self.budget.used(now),
            fail_count=health.fail_count,
            last_result=health.last_result,
            last_check_wall=health.last_check_wall,
            last_duration_s=health.last_duration_s,
            last_failure=health.last_failure,
            last_failure_wall=health.last_failure_wall,
        )

    # ---- the loop ---------------------------------------------------------------------

    async def _loop(self) -> None:
        settings = self.monitor.settings
        interval, timeout = settings.interval_ms / 1000, settings.timeout_ms / 1000
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._recover.wait()
            if self._recover.is_set():
                self._recover.clear()
                await self._restart("the group cannot move")
                continue
            result = await self._resources.check(self.group, self.monitor.index, timeout)
            if result is None:  # the group changed under the check: it proves nothing
                continue
            self.health.checked(time.time(), result.seconds, result.result)
            self._metrics.monitor_check(self.group, self.resource, result.result, result.seconds)
            if result.ok:
                self._gave_up = False
                continue
            self._failed(result.reason)
            restart = self.budget.decide(loop.time()) is Decision.RESTART
            if restart and await self._restart(result.reason):
                continue
            self._gave_up = True
            self._event(MonitorOutcome.GIVING_UP, result.reason)
            log.error(
                "monitor_giving_up",
                group=self.group,
                resource=self.resource,
                msg=f"{self.resource} keeps failing ({self.health.fail_count} failures): "
                f"handing resource group {self.group} to the failover engine",
            )
            self._give_up(self.group)

    def _failed(self, reason: str) -> None:
        health = self.health
        health.failed(time.time(), reason)
        self._metrics.fail_count(self.group, self.resource, health.fail_count)
        log.error(
            "monitor_failed",
            group=self.group,
            resource=self.resource,
            reason=reason,
            fail_count=health.fail_count,
            msg=f"Monitor of {self.resource} failed: {reason} (fail count {health.fail_count})",
        )
        self._event(MonitorOutcome.FAILED, reason)

    async def _restart(self, why: str) -> bool:
        """Restart in place; True when it worked (or there was nothing to restart)."""
        task = asyncio.ensure_future(self._resources.restart(self.group, self.monitor.index))
        self._restarts.add(task)
        task.add_done_callback(lambda done: self._restart_done(done, why))
        ok = await asyncio.shield(task)
        if ok:
            self._gave_up = False
        return ok is not False

    def _restart_done(self, task: asyncio.Task[bool | None], why: str) -> None:
        self._restarts.discard(task)
        ok = None if task.cancelled() or task.exception() is not None else task.result()
        if ok is None:  # the group no longer runs here: nothing was touched
            return
        self.health.restarts += 1
        self._metrics.resource_restart(self.group, self.resource, ok)
        outcome = MonitorOutcome.RESTARTED if ok else MonitorOutcome.RESTART_FAILED
        self._event(outcome, why)

    def _loop_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("monitor_crashed", resource=self.resource, error=repr(task.exception()))

    def _event(self, outcome: MonitorOutcome, reason: str) -> None:
        self._publish(
            MonitorEvent(self.group, self.resource, outcome, reason, self.health.fail_count)
        )


class Monitors:
    """Every monitored resource of the node, started and stopped with their groups."""

    def __init__(
        self,
        monitors: Sequence[Monitor],
        resources: ResourceManager,
        metrics: Metrics,
        publish: Publish,
        give_up: GiveUp,
    ) -> None:
        self._all = [
            ResourceMonitor(monitor, resources, metrics, publish, give_up) for monitor in monitors
        ]

    def of(self, key: str) -> list[ResourceMonitor]:
        return [m for m in self._all if m.group == key]

    def sync(self, key: str, running_here: bool) -> None:
        """Checks run exactly while the group runs here."""
        for monitor in self.of(key):
            if running_here:
                monitor.start()
            else:
                monitor.stop()

    def recover(self, key: str) -> None:
        for monitor in self.of(key):
            monitor.recover()

    def cleanup(self, targets: Iterable[tuple[str, int]]) -> tuple[list[Cleaned], list[str]]:
        """Reset the monitors of ``targets`` (group key, resource position); also return
        the groups that no longer count any failure (their failure here can be lifted)."""
        wanted = set(targets)
        cleaned = [m.cleanup() for m in self._all if (m.group, m.monitor.index) in wanted]
        touched = {key for key, _ in wanted}
        clear = [key for key in touched if all(m.health.fail_count == 0 for m in self.of(key))]
        return cleaned, sorted(clear)

    def views(self, key: str, now: float) -> tuple[MonitorView, ...]:
        return tuple(m.view(now) for m in self.of(key))

    def close(self) -> None:
        for monitor in self._all:
            monitor.stop()


# ---- the node's wiring ------------------------------------------------------------------


def monitors_for(node: Node) -> Monitors:
    """The node's monitors: failures go to its failover engine, events to its API."""

    def give_up(key: str) -> None:
        node.apply_failover(node.failover.on_monitor_failure(key, node.now()))
        failed_here = node.config.local_node in node.failover.failed_on(key)
        node.metrics.group_failed_here(key, failed_here)

    for monitor in node.config.monitors:
        node.metrics.monitor_defined(monitor.group, monitor.resource)
    return Monitors(
        node.config.monitors, node.resources, node.metrics, node.events.publish, give_up
    )


def cleanup(node: Node, name: str) -> list[Cleaned]:
    """``hactl cleanup [RESOURCE]``: reset fail counts (all when ``name`` is empty) and
    tell the engine which groups may run here again."""
    groups = node.config.groups
    if name:
        found = matching_resources(name, groups)
        if not found:
            known = " ".join(r.token for g in groups for r in g.resources) or "none"
            raise InvalidRequest(f"no resource {name!r} in haresources (resources: {known})")
    else:
        found = [(g, r) for g, group in enumerate(groups) for r in range(len(group.resources))]
    cleaned, clear = node.monitors.cleanup((groups[g].key, r) for g, r in found)
    for key in clear:
        node.apply_failover(node.failover.on_cleanup(key, node.now()))
        node.metrics.group_failed_here(key, False)
    return cleaned
