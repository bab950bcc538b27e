"""The resource group runner: Heartbeat's ResourceManager, without the shell.

It knows haresources groups and resource agents, nothing about membership: the core
decides *whether* to acquire or release a group, this module decides *how*, with
ResourceManager's semantics (docs/protocol.md §9.1):

* ``acquire``: left to right, ``status`` first and ``start`` only if not running. If a
  start fails, the resources handled so far are stopped again right to left (Heartbeat
  gives up the whole group; members after the failure were never touched, so stopping
  them is skipped) and the result is False: the core then offers the group to the peer.
* ``release``: right to left, ``stop`` only. A failed stop is retried every second up
  to ``stop_retries`` times (Heartbeat's ``HA_STOPRETRYMAX`` is 10; our default of 3
  gives up sooner because the peer is waiting). If it still fails and ``status`` says
  running, the group is FAILED ("Resource STOP failure"): it may still run here and must
  not be started elsewhere. Heartbeat reboots the machine at this point; hacore leaves
  that decision to the operator. If ``status`` says not running, the script merely broke
  the "stop must succeed when stopped" rule and the resource counts as stopped.

* ``check`` (ha.cf's ``monitor`` lines): one resource's ``monitor``, bounded by a
  timeout (the agent is cancelled, which kills its script, and that counts as a
  failure). It takes no lock, so a hung check never delays a failover; a check that
  overlaps an operation on its group is inconclusive instead.
* ``restart``: the resource and those after it stopped right to left, then started
  left to right (status first), as Pacemaker restarts a group member.

Every resource is resolved when the manager is built (so ``--check`` finds a missing
script), operations on one group are serialized, different groups run concurrently,
and the happy path never sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import structlog

from hacore.api import (
    ConfigError,
    GroupState,
    ResourceAgent,
    ResourceError,
    ResourceRequest,
)
from hacore.config.model import ResourceGroup, ResourceSpec
from hacore.plugins import PluginRegistry

log = structlog.get_logger("hacore.resources")

T = TypeVar("T")
StateCallback = Callable[[str, GroupState], None]
ObserveCallback = Callable[[str, str, float, bool], None]
"""``observe(action, resource_spec, seconds, ok)`` after every agent action."""

DEFAULT_STOP_RETRIES = 3
STOP_RETRY_DELAY_S = 1.0


@dataclass(frozen=True)
class CheckResult:
    """One monitor check. ``result`` is ``ok``, ``not running``, ``error`` or ``timeout``;
    ``reason`` says why in one line when it is not ok."""

    result: str
    reason: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.result == "ok"


@dataclass
class _Group:
    config: ResourceGroup
    agents: tuple[ResourceAgent, ...]
    lock: asyncio.Lock
    state: GroupState = GroupState.STOPPED
    operations: int = 0  # start/stop/restart runs begun: tells a check it overlapped one

    @property
    def description(self) -> str:
        return " ".join([self.config.node, *(str(agent) for agent in self.agents)])


def resolve_agent(
    registry: PluginRegistry, group: ResourceGroup, spec: ResourceSpec, request: ResourceRequest
) -> ResourceAgent:
    """The agent for one haresources token: a registered type, else a plugin's lookup."""
    try:
        rtype = registry.resource_types.get(spec.name)
        if rtype is not None:
            if rtype.validate is not None:
                rtype.validate(request)
            return rtype.create(request)
        agent: ResourceAgent | None = registry.hook.hacore_resolve_resource(request=request)
    except ConfigError as exc:
        raise ConfigError(f"haresources: {exc.message}", exc.location or group.location) from exc
    if agent is None:
        raise ConfigError(
            f"Cannot locate resource script {spec.name} (resource {spec.spec!r} of haresources; "
            f"looked in {request.config_dir / 'resource.d'} and {request.init_dir})",
            group.location,
        )
    return agent


class ResourceManager:
    def __init__(
        self,
        registry: PluginRegistry,
        groups: Sequence[ResourceGroup],
        config_dir: Path,
        environment: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        init_dir: Path = Path("/etc/init.d"),
        *,
        stop_retries: int = DEFAULT_STOP_RETRIES,
        stop_retry_delay: float = STOP_RETRY_DELAY_S,
        on_change: StateCallback | None = None,
        observe: ObserveCallback | None = None,
    ) -> None:
        if stop_retries < 0:
            raise ValueError("stop_retries must be >= 0")
        self.stop_retries = stop_retries
        self.stop_retry_delay = stop_retry_delay
        self.on_change = on_change
        self.observe = observe
        env = dict(environment or {})
        self._groups: dict[str, _Group] = {}
        for group in groups:
            if group.key in self._groups:
                raise ConfigError(
                    f"haresources: resource group key {group.key!r} is used twice",
                    group.location,
                )
            agents = tuple(
                resolve_agent(
                    registry,
                    group,
                    spec,
                    ResourceRequest(
                        spec=spec.spec,
                        name=spec.name,
                        args=spec.args,
                        config_dir=config_dir,
                        environment=env,
                        timeout=timeout,
                        init_dir=init_dir,
                    ),
                )
                for spec in group.resources
            )
            self._groups[group.key] = _Group(group, agents, asyncio.Lock())

    # ---- queries -------------------------------------------------------------------

    @property
    def keys(self) -> list[str]:
        return list(self._groups)

    def agents(self, key: str) -> tuple[ResourceAgent, ...]:
        return self._group(key).agents

    def state(self, key: str) -> GroupState:
        return self._group(key).state

    async def running(self, key: str) -> bool:
        """True when every resource of the group says it runs here (Heartbeat's ``ALL``)."""
        group = self._group(key)
        async with self._operation(group):
            for agent in group.agents:
                if not await self._status(agent, when_unknown=False):
                    return False
            return True

    # ---- actions -------------------------------------------------------------------

    async def acquire(self, key: str) -> bool:
        group = self._group(key)
        async with self._operation(group):
            log.info(
                "group_acquire",
                group=key,
                msg=f"Acquiring resource group: {group.description}",
            )
            self._set_state(group, GroupState.STARTING)
            for index, agent in enumerate(group.agents):
                if await self._status(agent, when_unknown=False):
                    continue
                if await self._act("start", agent, agent.start):
                    continue
                log.critical(
                    "group_start_failed",
                    group=key,
                    resource=str(agent),
                    msg=f"Giving up resources due to failure of {agent}",
                )
                self._set_state(group, GroupState.STOPPING)
                stopped = await self._stop_all(group.agents[index::-1])
                self._set_state(group, GroupState.STOPPED if stopped else GroupState.FAILED)
                return False
            self._set_state(group, GroupState.RUNNING)
            return True

    async def release(self, key: str) -> bool:
        group = self._group(key)
        async with self._operation(group):
            log.info(
                "group_release",
                group=key,
                msg=f"Releasing resource group: {group.description}",
            )
            self._set_state(group, GroupState.STOPPING)
            stopped = await self._stop_all(reversed(group.agents))
            self._set_state(group, GroupState.STOPPED if stopped else GroupState.FAILED)
            return stopped

    async def release_all_stale(self) -> list[str]:
        """Stop whatever a previous run left running (a VIP after a crash), right to left.

        Returns the keys of the groups that had something running. Groups are handled
        concurrently; a resource that will not stop leaves its group FAILED.
        """
        found = await asyncio.gather(*(self._release_stale(key) for key in self._groups))
        return [key for key, stale in zip(self._groups, found, strict=True) if stale]

    async def announce(self, key: str) -> None:
        """Re-announce a held group to the network (gratuitous ARP after a partition heals)."""
        group = self._group(key)
        async with group.lock:
            for agent in group.agents:
                await self._act("announce", agent, agent.announce)

    async def check(self, key: str, index: int, timeout: float) -> CheckResult | None:
        """The ``monitor`` of one resource of a running group; None when inconclusive
        (the group is not running here, or an operation on it ran meanwhile)."""
        group = self._group(key)
        agent = group.agents[index]
        before = group.operations
        if group.state != GroupState.RUNNING or group.lock.locked():
            return None
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                healthy = await agent.monitor()
            result, reason = ("ok", "") if healthy else ("not running", "not running")
        except TimeoutError:
            result, reason = "timeout", f"check timed out after {timeout:g}s (killed)"
        except Exception as exc:  # a plugin's bug counts as a failed check, never a crash
            result, reason = "error", _describe(exc)
        self._observe("monitor", agent, started, result == "ok")
        if group.operations != before or group.state != GroupState.RUNNING:
            return None
        return CheckResult(result, reason, time.monotonic() - started)

    async def restart(self, key: str, index: int) -> bool | None:
        """Stop the resource at ``index`` and the ones after it (right to left), start
        them again (left to right, status first). False when a stop or start failed;
        None when the group no longer runs here (nothing is touched)."""
        group = self._group(key)
        async with self._operation(group):
            if group.state != GroupState.RUNNING:
                log.info("restart_skipped", group=key, state=str(group.state))
                return None
            tail = group.agents[index:]
            log.warning(
                "resource_restart",
                group=key,
                resource=str(tail[0]),
                msg=f"Restarting {tail[0]} of resource group {key}"
                + (f" (with {' '.join(map(str, tail[1:]))})" if len(tail) > 1 else ""),
            )
            if not await self._stop_all(reversed(tail)):
                return False
            for agent in tail:
                if await self._status(agent, when_unknown=False):
                    continue
                if not await self._act("start", agent, agent.start):
                    return False
            return True

    # ---- internals -----------------------------------------------------------------

    def _group(self, key: str) -> _Group:
        try:
            return self._groups[key]
        except KeyError:
            raise KeyError(f"no resource group with key {key!r}") from None

    @contextlib.asynccontextmanager
    async def _operation(self, group: _Group) -> AsyncIterator[None]:
        """Hold the group's lock and count the operation (see :meth:`check`)."""
        async with group.lock:
            group.operations += 1
            yield

    def _set_state(self, group: _Group, state: GroupState) -> None:
        if group.state == state:
            return
        group.state = state
        log.debug("group_state", group=group.config.key, state=str(state))
        if self.on_change is not None:
            _guarded("on_change", self.on_change, group.config.key, state)

    async def _release_stale(self, key: str) -> bool:
        group = self._group(key)
        async with self._operation(group):
            stale = False
            ok = True
            for agent in reversed(group.agents):
                if not await self._status(agent, when_unknown=True):
                    continue
                stale = True
                log.critical(
                    "stale_resource",
                    group=key,
                    resource=str(agent),
                    msg=f"Resource {agent} is active, and should not be!",
                )
                ok = await self._stop_one(agent) and ok
            if stale:
                self._set_state(group, GroupState.STOPPED if ok else GroupState.FAILED)
            return stale

    async def _stop_all(self, agents: Iterable[ResourceAgent]) -> bool:
        """Stop every agent in the order given, carrying on past failures."""
        ok = True
        for agent in agents:
            ok = await self._stop_one(agent) and ok
        return ok

    async def _stop_one(self, agent: ResourceAgent) -> bool:
        for attempt in range(self.stop_retries + 1):
            if await self._act("stop", agent, agent.stop):
                return True
            if attempt < self.stop_retries:
                await asyncio.sleep(self.stop_retry_delay)
                log.info(
                    "stop_retry",
                    resource=str(agent),
                    msg=f"Retrying failed stop operation [{agent}]",
                )
        if await self._status(agent, when_unknown=True):
            log.critical(
                "stop_failed",
                resource=str(agent),
                msg="Resource STOP failure. Reboot required!",
            )
            return False
        log.error(
            "stop_not_lsb",
            resource=str(agent),
            msg=f"Resource script for {agent} probably not LSB-compliant.",
        )
        log.warning(
            "stop_not_lsb",
            resource=str(agent),
            msg=f"it ({agent}) MUST succeed on a stop when already stopped",
        )
        log.warning("stop_not_lsb", resource=str(agent), msg="Machine reboot narrowly avoided!")
        return True

    async def _status(self, agent: ResourceAgent, *, when_unknown: bool) -> bool:
        """The agent's status; ``when_unknown`` if it cannot tell (the safe answer differs:
        before a start "not running" starts it, after a failed stop "running" keeps it
        from being started elsewhere)."""
        started = time.monotonic()
        try:
            running = await agent.status()
        except Exception as exc:  # a plugin's bug must not take the daemon down
            self._observe("status", agent, started, False)
            log.error(
                "status_failed",
                resource=str(agent),
                error=_describe(exc),
                assumed="running" if when_unknown else "not running",
            )
            return when_unknown
        self._observe("status", agent, started, True)
        self._done("status", agent, started, running=running)
        return running

    async def _act(
        self, action: str, agent: ResourceAgent, call: Callable[[], Awaitable[T]]
    ) -> bool:
        started = time.monotonic()
        try:
            await call()
        except Exception as exc:  # a plugin's bug must not take the daemon down
            self._observe(action, agent, started, False)
            log.error(
                "resource_failed",
                action=action,
                resource=str(agent),
                error=_describe(exc),
                msg=f"{action} of {agent} failed: {_describe(exc)}",
            )
            return False
        self._observe(action, agent, started, True)
        self._done(action, agent, started)
        return True

    def _done(self, action: str, agent: ResourceAgent, started: float, **context: object) -> None:
        """One line per start, stop and status with its duration: a hand-over's log then
        shows how long each script (and each in-process agent) took, apart from hacore's
        own time (a re-announcement, a no-op for most agents, only at debug level)."""
        ms = round((time.monotonic() - started) * 1000, 2)
        level = logging.DEBUG if action == "announce" else logging.INFO
        log.log(level, "resource_done", action=action, resource=str(agent), ms=ms, **context)

    def _observe(self, action: str, agent: ResourceAgent, started: float, ok: bool) -> None:
        if self.observe is not None:
            _guarded("observe", self.observe, action, str(agent), time.monotonic() - started, ok)


def _describe(exc: Exception) -> str:
    """ResourceError messages are written for operators; anything else is a plugin bug."""
    if isinstance(exc, ResourceError):
        return str(exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def _guarded(name: str, callback: Callable[..., None], *args: object) -> None:
    """A failing observer (metrics, a state listener) must not stop a failover half-way."""
    try:
        callback(*args)
    except Exception:
        log.exception("callback_failed", callback=name)
