"""A ControlTarget with a scripted two-node cluster behind it (no daemon, no network).

The gRPC server, the socket, hactl and the credentials checks in these tests are all
real; only the cluster is simulated, so every API path can be driven on demand.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from hacore.api import (
    ConfigError,
    GroupChanged,
    GroupState,
    LinkStatus,
    NodeStatus,
    NodeStatusChanged,
    Scope,
)
from hacore.config.model import ApiAuth
from hacore.control.events import EventHub, Subscription
from hacore.control.model import (
    Cleaned,
    ClusterView,
    Event,
    FailoverEvent,
    FencingView,
    GroupView,
    InvalidRequest,
    LinkView,
    MonitorEvent,
    MonitorOutcome,
    MonitorView,
    NodeView,
    NoTimelyResponse,
    OperationFailed,
    OperationRefused,
    TargetUnavailable,
    UnknownNode,
)

VIP_GROUP = "IPaddr::10.0.0.60/24/eth0"
PEER_GROUP = "IPaddr::10.0.0.61"


class FakeTarget:
    def __init__(self, local: str = "node1", peer: str = "node2") -> None:
        self.local, self.peer = local, peer
        self.hub = EventHub(maxsize=50)
        self.move_delay = 0.3
        self.apiauth_entries: dict[str, ApiAuth] = {}
        self.reload_warnings = ["/etc/ha.d/ha.cf:12: 'debug' has no effect"]
        self.config_error: ConfigError | None = None
        self.fail_moves = False
        self.unavailable = False
        self.moves_completed = 0
        self.rsc_status = "local"
        self.parameters = {
            "keepalive": "1",
            "pacemaker": "false",
            "hbversion": "3.0.6 (hacore 0.1.0)",
        }
        self.clients = {local: {"ipfail"}, peer: set()}  # the peer's are asked "over the wire"
        self.peer_answers = True
        self.fencing = FencingView()
        now = time.time() - 60
        self.nodes = {
            local: NodeView(
                local,
                NodeStatus.ACTIVE,
                "normal",
                (LinkView("eth1", LinkStatus.DEAD),),
                7,
                None,
                now,
                0,
            ),
            peer: NodeView(
                peer,
                NodeStatus.ACTIVE,
                "normal",
                (LinkView("eth1", LinkStatus.UP),),
                3,
                0.25,
                now,
                1,
            ),
            "10.0.0.2": NodeView(
                "10.0.0.2",
                NodeStatus.PING,
                "ping",
                (LinkView("10.0.0.2", LinkStatus.UP),),
                None,
                0.5,
                now,
                2,
            ),
        }
        self.groups = {
            VIP_GROUP: GroupView(
                VIP_GROUP,
                (VIP_GROUP, "apache2"),
                local,
                local,
                GroupState.RUNNING,
                now,
                monitors=(self._apache_monitor(fail_count=2, checked=now + 50),),
            ),
            PEER_GROUP: GroupView(PEER_GROUP, (PEER_GROUP,), peer, peer, GroupState.STOPPED, now),
        }

    # -- ControlTarget ----------------------------------------------------------------

    def snapshot(self) -> ClusterView:
        return ClusterView(
            local_node=self.local,
            nodes=tuple(self.nodes.values()),
            groups=tuple(self.groups.values()),
            generation=7,
            auto_failback="on",
            keepalive_ms=1000,
            deadtime_ms=10000,
            config_dir="/etc/ha.d",
            version="0.1.0",
            rsc_status=self.rsc_status,
            parameters=dict(self.parameters),
            fencing=self.fencing,
        )

    async def standby(self, scope: Scope) -> ClusterView:
        return await self._move(scope, giver=self.local, taker=self.peer, verb="standby")

    async def takeover(self, scope: Scope) -> ClusterView:
        return await self._move(scope, giver=self.peer, taker=self.local, verb="takeover")

    async def cleanup(self, resource: str) -> tuple[list[Cleaned], ClusterView]:
        if resource not in ("", "apache2", VIP_GROUP, PEER_GROUP):
            raise InvalidRequest(f"no resource {resource!r} in haresources")
        cleaned = []
        if resource in ("", "apache2"):
            group = self.groups[VIP_GROUP]
            (monitor,) = group.monitors
            cleaned.append(Cleaned(VIP_GROUP, "apache2", monitor.fail_count))
            self.groups[VIP_GROUP] = replace(
                group,
                monitors=(self._apache_monitor(fail_count=0, checked=monitor.last_check_wall),),
                failed_on=(),
            )
            self.emit(MonitorEvent(VIP_GROUP, "apache2", MonitorOutcome.CLEANED_UP, "reset", 0))
        return cleaned, self.snapshot()

    @staticmethod
    def _apache_monitor(fail_count: int, checked: float | None) -> MonitorView:
        return MonitorView(
            resource="apache2",
            interval_s=10.0,
            timeout_s=20.0,
            restarts_allowed=3,
            window_s=3600.0,
            active=True,
            checks=42,
            failures=2,
            restarts=2,
            restarts_in_window=fail_count,
            fail_count=fail_count,
            last_result="ok",
            last_check_wall=checked,
            last_duration_s=0.031,
            last_failure="not running" if fail_count else "",
            last_failure_wall=checked if fail_count else None,
        )

    async def client_status(self, node: str, client: str, timeout_s: float) -> str:
        view = self.nodes.get(node.lower())
        if view is None:
            raise UnknownNode(f"no node {node} in ha.cf")
        if view.name != self.local and view.status is not NodeStatus.ACTIVE:
            return "offline"
        if view.name != self.local and not self.peer_answers:
            raise NoTimelyResponse(f"{node} did not answer")
        return "online" if client in self.clients.get(view.name, set()) else "offline"

    async def reload(self) -> list[str]:
        if self.config_error is not None:
            raise self.config_error
        return list(self.reload_warnings)

    def subscribe(self) -> Subscription:
        return self.hub.subscribe()

    def apiauth(self) -> dict[str, ApiAuth]:
        return dict(self.apiauth_entries)

    # -- scripted cluster --------------------------------------------------------------

    def emit(self, event: Event) -> None:
        self.hub.publish(event)

    def kill_peer(self) -> None:
        old = self.nodes[self.peer]
        self.nodes[self.peer] = replace(old, status=NodeStatus.DEAD)
        self.emit(NodeStatusChanged(self.peer, old.status, NodeStatus.DEAD, 3, "deadtime expired"))

    def _in_scope(self, group: GroupView, scope: Scope) -> bool:
        if scope is Scope.ALL:
            return True
        return (group.preferred == self.local) == (scope is Scope.LOCAL)

    async def _move(self, scope: Scope, giver: str, taker: str, verb: str) -> ClusterView:
        if self.unavailable:
            raise TargetUnavailable("hacored is starting (communications not up yet)")
        if self.nodes[self.peer].status is NodeStatus.DEAD:
            raise OperationRefused(f"{self.peer} is dead: nobody to move resources to or from")
        moving = [g for g in self.groups.values() if g.holder == giver and self._in_scope(g, scope)]
        for group in moving:
            transit = GroupState.STOPPING if giver == self.local else GroupState.STARTING
            self._set(group.key, giver, transit, verb)
        await asyncio.sleep(self.move_delay)
        if self.fail_moves:
            for group in moving:
                self._set(group.key, giver, GroupState.FAILED, f"{verb} failed")
            raise OperationFailed(f"{moving[0].key}: stop failed (exit 1)")
        for group in moving:
            final = GroupState.RUNNING if taker == self.local else GroupState.STOPPED
            self._set(group.key, taker, final, verb)
            self.emit(FailoverEvent(group.key, giver, taker, verb))
        self.moves_completed += 1
        return self.snapshot()

    def _set(self, key: str, holder: str, state: GroupState, reason: str) -> None:
        self.groups[key] = replace(
            self.groups[key], holder=holder, state=state, since_wall=time.time()
        )
        self.emit(GroupChanged(key, holder, state, reason))
