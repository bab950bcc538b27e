"""The fencing layer between membership and the failover engine.

When membership declares a peer dead, the engine must not hear of it (and so must not
take the peer's groups) until the peer is known to be down: Heartbeat v1 resets it
through the STONITH device first (``Initiate_Reset``) and takes over only once the reset
succeeded; a failed reset is retried forever (``STONITH of X failed.  Retrying...``) and
the groups stay down meanwhile, which is safer than two holders.

Two additions keep a two-node cluster from shooting the wrong node:

* fence delay (Pacemaker's priority-fencing-delay): when the heartbeat link is cut both
  sides see the other die and both want to fence. The side that holds fewer groups
  waits ``delay`` before its reset, so the holder's reset lands first and the service
  never moves. The default must exceed the detection skew between the two sides (one
  keepalive) plus the time the holder's device takes to reset; 15 s covers IPMI-class
  devices. A peer that comes back during the delay was not dead: nothing happens.
* tiebreaker (optional): a ping node both sides should reach. A node that cannot reach
  it when its peer dies is the isolated one: it neither fences nor takes over, and waits
  until it reaches the tiebreaker again or the peer returns (meanwhile the node releases
  its groups: hacore.fencing.tiebreaker). Without a device the fence delay becomes the
  wait before a takeover, so that an isolated peer has released what it held.

Every death this layer handles is withheld from the engine until ``deliver`` is called;
the caller (the node) owns the engine.
"""

from __future__ import annotations

import asyncio
import enum
import time
from dataclasses import dataclass
from typing import Protocol

import structlog

from hacore.api import FenceDevice, FenceResult

log = structlog.get_logger("hacore.fencing")

DEFAULT_FENCE_DELAY_MS = 15000  # see the module doc: above an IPMI-class reset
FIRST_RETRY_S = 1.0
MAX_RETRY_S = 5.0  # Heartbeat retries a failed reset every 5 s


class FenceState(enum.StrEnum):
    IDLE = "idle"  # nothing to do (alive, or never declared dead)
    WAITING = "waiting"  # tiebreaker unreachable: we may be the isolated side
    DELAYING = "delaying"  # the fence delay of the side that holds less
    FENCING = "fencing"  # a reset is in flight
    RETRYING = "retrying"  # the last reset failed; next attempt after a back-off
    FENCED = "fenced"  # reset succeeded, the engine was told; until the node returns


@dataclass
class FenceTarget:
    """What ``hactl status`` shows about fencing one peer."""

    node: str
    state: FenceState = FenceState.IDLE
    attempts: int = 0
    failures: int = 0
    last_result: FenceResult | None = None
    last_error: str = ""
    since_wall: float | None = None
    next_attempt_wall: float | None = None


class FenceHost(Protocol):
    """What the fencing layer needs from the running node."""

    def fence_delay_needed(self, node: str) -> bool:
        """True when this side holds less than ``node`` (it must give way in a race)."""

    def tiebreaker_reachable(self) -> bool: ...

    def report_stonith(self, node: str, result: FenceResult) -> None:
        """Tell the cluster (Heartbeat's ``t=stonith node=X result=...``)."""

    def deliver_death(self, node: str) -> None:
        """Hand the withheld death to the failover engine."""

    def fence_observed(self, node: str, target: FenceTarget, result: FenceResult | None) -> None:
        """Metrics and events: an attempt ended (``result``) or the state changed."""


class Fencer:
    """Fences dead peers through ``device`` and gates their death (see module doc)."""

    def __init__(
        self,
        host: FenceHost,
        device: FenceDevice | None,
        *,
        delay_s: float,
        poll_s: float,
        tiebreaker: str | None = None,
    ) -> None:
        self.host = host
        self.device = device
        self.delay_s = delay_s
        self.poll_s = poll_s
        self.tiebreaker = tiebreaker
        self.targets: dict[str, FenceTarget] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._alive_again: set[str] = set()  # heard again while a reset was in flight

    @property
    def active(self) -> bool:
        return self.device is not None or self.tiebreaker is not None

    def target(self, node: str) -> FenceTarget:
        return self.targets.setdefault(node, FenceTarget(node))

    def reported(self, node: str) -> bool:
        """We reset this node and told the cluster so (its death reaches the engine as fenced)."""
        return self.target(node).state == FenceState.FENCED

    def peer_dead(self, node: str) -> bool:
        """Membership declared ``node`` dead: True when this layer withholds the death."""
        target = self.target(node)
        self._alive_again.discard(node)
        if not self.active or node in self._tasks:
            return node in self._tasks
        if target.state == FenceState.FENCED:
            return False  # already reset and reported; not heard from since
        self._tasks[node] = task = asyncio.ensure_future(self._handle(target))
        task.add_done_callback(self._forget)
        return True

    def _forget(self, task: asyncio.Task[None]) -> None:
        for node, known in list(self._tasks.items()):
            if known is task:
                del self._tasks[node]
        if not task.cancelled() and task.exception() is not None:
            log.error("fencing_failed", error=repr(task.exception()))

    def peer_alive(self, node: str) -> None:
        """``node`` is heard from again: a death not yet acted on was not one."""
        target = self.target(node)
        task = self._tasks.get(node)
        if task is not None and target.state != FenceState.FENCING:
            task.cancel()
            self._tasks.pop(node, None)
            log.warning(
                "fence_cancelled",
                node=node,
                msg=f"{node} is alive again: fencing it is no longer needed",
            )
            self._set(target, FenceState.IDLE)
        elif task is not None:
            self._alive_again.add(node)  # a reset in flight ends as it ends; no retry
        elif target.state != FenceState.IDLE:
            self._set(target, FenceState.IDLE)  # it rejoined after being reset

    async def stop(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    # ---- the per-peer coroutine -------------------------------------------------------

    async def _handle(self, target: FenceTarget) -> None:
        node = target.node
        await self._wait_for_tiebreaker(target)
        if self.device is None:
            await self._release_wait(target)
            self._set(target, FenceState.IDLE)
            self.host.deliver_death(node)
            return
        if self.delay_s > 0 and self.host.fence_delay_needed(node):
            log.info(
                "fence_delay",
                node=node,
                msg=f"Delaying STONITH of {node} by {self.delay_s:g} s: it holds more "
                "resources than we do",
            )
            self._set(target, FenceState.DELAYING)
            await asyncio.sleep(self.delay_s)
        if await self._reset_until_done(target):
            self.host.deliver_death(node)

    async def _wait_for_tiebreaker(self, target: FenceTarget) -> None:
        """Without the tiebreaker we may be the isolated side: neither fence nor take over
        (the node also gives its groups up meanwhile, see hacore.fencing.tiebreaker)."""
        if self.tiebreaker is None or self.host.tiebreaker_reachable():
            return
        log.warning(
            "tiebreaker_lost",
            node=target.node,
            msg=f"{target.node} looks dead but tiebreaker {self.tiebreaker} is unreachable: "
            "not fencing, not taking over (we may be the isolated node)",
        )
        self._set(target, FenceState.WAITING)
        while not self.host.tiebreaker_reachable():
            await asyncio.sleep(self.poll_s)
        log.info("tiebreaker_reached", msg=f"tiebreaker {self.tiebreaker} reachable again")

    async def _release_wait(self, target: FenceTarget) -> None:
        """Without STONITH the tiebreaker's promise rests on time: an isolated peer notices
        it is cut off about when we notice its death (the tiebreaker's window is shorter
        than deadtime) and then stops its groups. Waiting the fence delay before taking
        over gives it that time; it also gives a heartbeat link that comes back together
        with the tiebreaker the time to be heard before we act on a stale death. If the
        tiebreaker goes away meanwhile, we may be the isolated side after all."""
        node = target.node
        while self.tiebreaker is not None and self.delay_s > 0:
            log.info(
                "takeover_delay",
                node=node,
                msg=f"Delaying the takeover from {node} by {self.delay_s:g} s: "
                f"if {node} is the isolated side, it releases its resources meanwhile",
            )
            self._set(target, FenceState.DELAYING)
            await asyncio.sleep(self.delay_s)
            if self.host.tiebreaker_reachable():
                return
            await self._wait_for_tiebreaker(target)

    async def _reset_until_done(self, target: FenceTarget) -> bool:
        """Reset until it works (True). Each attempt uses the device configured now, so a
        reload that repairs a wrong device line takes effect at the next retry. False:
        the node was heard again during a failed attempt, so it was not dead after all."""
        node = target.node
        backoff = FIRST_RETRY_S
        while True:
            device = self.device
            if device is None:  # STONITH removed by a reload: as if never configured
                self._set(target, FenceState.IDLE)
                return True
            target.next_attempt_wall = None
            self._set(target, FenceState.FENCING)
            target.attempts += 1
            log.info(
                "stonith_reset",
                node=node,
                msg=f"Resetting node {node} with [{device.device_id()}]",
            )
            result = await self._attempt(device, node)
            target.last_result = result
            target.last_error = "" if result == FenceResult.OK else device.last_error
            self.host.report_stonith(node, result)
            if result == FenceResult.OK:
                log.info("stonith_ok", node=node, msg=f"node {node} now reset.")
                self._set(target, FenceState.FENCED, result)
                return True
            target.failures += 1
            if node in self._alive_again:  # it came back during the attempt: not dead
                self._alive_again.discard(node)
                log.warning(
                    "fence_cancelled",
                    node=node,
                    msg=f"{node} is alive again: fencing it is no longer needed",
                )
                self._set(target, FenceState.IDLE, result)
                return False
            if result == FenceResult.BADHOST:
                log.error(
                    "stonith_badhost",
                    node=node,
                    msg=f"Device {device.device_id()} cannot reset host {node}.",
                )
            else:
                log.error("stonith_failed", node=node, msg=f"Host {node} not reset!")
            log.error(
                "stonith_retry",
                node=node,
                error=device.last_error,
                retry_in=backoff,
                msg=f"STONITH of {node} failed.  Retrying...",
            )
            target.next_attempt_wall = time.time() + backoff
            self._set(target, FenceState.RETRYING, result)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_RETRY_S)

    async def _attempt(self, device: FenceDevice, node: str) -> FenceResult:
        """One reset; a device that raises or hangs counts as a failed attempt."""
        try:
            return await asyncio.wait_for(device.reset(node), device.request.timeout)
        except TimeoutError:
            device.last_error = f"no answer within {device.request.timeout:g} s"
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            device.last_error = f"{type(exc).__name__}: {exc}"
        return FenceResult.BAD

    def _set(
        self, target: FenceTarget, state: FenceState, result: FenceResult | None = None
    ) -> None:
        if target.state != state or result is not None:
            target.state = state
            target.since_wall = time.time()
            self.host.fence_observed(target.node, target, result)
