"""ipfail, in process: move resources to the node that can still reach more ping nodes.

Heartbeat's ipfail is a separate binary talking to an API hacore does not emulate; the
``respawn hacluster /usr/lib/heartbeat/ipfail`` line of an existing ha.cf therefore
names this helper instead. Its messages are Heartbeat's (``num_ping_nodes``,
``you_are_dead``, ``abort_giveup`` with ``from_id``/``to_id`` ``ipfail``), so it
cooperates with a real ipfail on a Heartbeat peer. Two-node clusters only, as ipfail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog

from hacore.api import (
    Cluster,
    ClusterMessage,
    HelperType,
    LinkStatusChanged,
    NodeStatus,
    NodeStatusChanged,
    Scope,
    parse_msec,
)
from hacore.hookspecs import hookimpl

log = structlog.get_logger("hacore.ipfail")

CLIENT_ID = "ipfail"
EXIT_NOT_RESPAWNED = 100


class IpFail:
    """The decision logic of Heartbeat's ipfail, driven by cluster events."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        keepalive_ms = parse_msec(cluster.parameter("keepalive") or "1")
        self.delay_s = 2 * keepalive_ms / 1000
        self.giveup: asyncio.TimerHandle | None = None

    @property
    def peer(self) -> str | None:
        me = self.cluster.local_node
        normal = [n for n in self.cluster.nodes() if n != me and n not in self._pings()]
        return normal[0] if len(normal) == 1 else None

    def _pings(self) -> list[str]:
        return [n for n in self.cluster.nodes() if self.cluster.node_type(n) == "ping"]

    def reachable_pings(self) -> int:
        return sum(1 for n in self._pings() if self.cluster.node_status(n) == NodeStatus.PING)

    def _send(self, msg_type: str, **fields: str) -> None:
        peer = self.peer
        if peer is None:
            return
        self.cluster.send(msg_type, {**fields, "from_id": CLIENT_ID, "to_id": CLIENT_ID}, dest=peer)

    def announce(self) -> None:
        self._send("num_ping_nodes", num_ping=str(self.reachable_pings()))

    def on_message(self, message: ClusterMessage) -> None:
        if message.get("to_id") not in (None, CLIENT_ID) or message.source != self.peer:
            return
        if message.type == "num_ping_nodes":
            theirs = int(message.get("num_ping") or 0)
            ours = self.reachable_pings()
            if ours > theirs:
                log.info("ipfail_you_are_dead", msg="Asking other side to give up resources")
                self._send("you_are_dead")
            elif ours < theirs:
                self._schedule_giveup(Scope.ALL, "Giving up resources: fewer ping nodes here")
            else:
                log.info("ipfail_balanced", msg="Ping node count is balanced.")
                self._cancel_giveup()
                self._send("abort_giveup")
        elif message.type == "you_are_dead":
            self._schedule_giveup(Scope.ALL, "Other side asked us to give up resources")
        elif message.type == "abort_giveup":
            self._cancel_giveup()

    def _schedule_giveup(self, scope: Scope, why: str) -> None:
        self._cancel_giveup()
        log.info(
            "ipfail_giveup_scheduled", msg=f"{why}. Delayed giveup in {self.delay_s:g} seconds."
        )
        loop = asyncio.get_running_loop()
        self.giveup = loop.call_later(
            self.delay_s, lambda: asyncio.ensure_future(self._giveup(scope))
        )

    def _cancel_giveup(self) -> None:
        if self.giveup is not None:
            self.giveup.cancel()
            self.giveup = None

    async def _giveup(self, scope: Scope) -> None:
        self.giveup = None
        try:
            await self.cluster.standby(scope)
        except Exception as exc:  # the standby protocol refuses when the peer is in flux
            log.warning("ipfail_giveup_failed", error=str(exc))


_active: IpFail | None = None


async def run(cluster: Cluster) -> None:
    global _active
    if cluster.parameter("auto_failback") == "legacy":
        log.error("ipfail_legacy", msg="auto_failback set to incompatible legacy option.")
        raise SystemExit(EXIT_NOT_RESPAWNED)
    _active = IpFail(cluster)
    _active.announce()
    try:
        await asyncio.Event().wait()
    finally:
        _active = None


@hookimpl
def hacore_helper_types() -> Sequence[HelperType]:
    return [HelperType("ipfail", run, "moves resources towards the node that sees more ping nodes")]


@hookimpl
def hacore_on_message(message: ClusterMessage) -> None:
    if _active is not None:
        _active.on_message(message)


@hookimpl
def hacore_on_node_status(event: NodeStatusChanged) -> None:
    if _active is not None and (event.new in (NodeStatus.PING, NodeStatus.DEAD)):
        _active.announce()


@hookimpl
def hacore_on_link_status(event: LinkStatusChanged) -> None:
    if _active is not None:
        _active.announce()
