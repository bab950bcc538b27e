"""The running node as the control plane sees it (``ControlTarget``): snapshots, operator
moves that return when they have finished, reload, events and apiauth.

Operator moves are answered by the failover engine's ``OperationDone``. An answer given at
once (a refusal) belongs to the request that caused it; a later answer finishes every
request of that kind still waiting, so concurrent callers never lose their reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import hacore.failover.actions as fa
from hacore import monitor
from hacore.api import NodeStatus, Scope
from hacore.config.model import ApiAuth
from hacore.control.clients import ClientQueries, client_word
from hacore.control.events import Subscription
from hacore.control.model import (
    Cleaned,
    ClusterView,
    OperationFailed,
    OperationRefused,
    UnknownNode,
)
from hacore.control.view import build_view
from hacore.reload import reload_config

if TYPE_CHECKING:
    from hacore.node import Node


class ControlAdapter:
    """``hacore.control.model.ControlTarget`` over one running node."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._waiting: dict[str, list[asyncio.Future[fa.OperationDone]]] = {}
        self.clients = ClientQueries(node.send_message, self._local_clients)

    def snapshot(self) -> ClusterView:
        return build_view(self._node)

    async def standby(self, scope: Scope) -> ClusterView:
        node = self._node
        return await self._operation("standby", node.failover.request_standby(scope, node.now()))

    async def takeover(self, scope: Scope) -> ClusterView:
        node = self._node
        return await self._operation("takeover", node.failover.request_takeover(scope, node.now()))

    async def cleanup(self, resource: str) -> tuple[list[Cleaned], ClusterView]:
        return monitor.cleanup(self._node, resource), self.snapshot()

    async def client_status(self, node: str, client: str, timeout_s: float) -> str:
        """Heartbeat's API clientstatus: our own clients, ``offline`` for a node that is
        not active, else the peer's answer over the wire."""
        name = node.lower()
        here = self._node
        if name not in here.config.hacf.node_table:
            raise UnknownNode(f"no node {node} in ha.cf")
        if name == here.config.local_node:
            return client_word(client in self._local_clients())
        if here.membership.status(name) != NodeStatus.ACTIVE:
            return client_word(False)
        return await self.clients.ask(name, client, timeout_s)

    def _local_clients(self) -> set[str]:
        supervisor = self._node.supervisor
        return supervisor.running() if supervisor is not None else set()

    async def reload(self) -> list[str]:
        return reload_config(self._node)

    def subscribe(self) -> Subscription:
        return self._node.events.subscribe()

    def apiauth(self) -> dict[str, ApiAuth]:
        return dict(self._node.config.hacf.apiauth)

    def operation_done(self, done: fa.OperationDone) -> None:
        """A move finished: every caller still waiting for one of its kind gets the answer."""
        for future in self._waiting.pop(done.op, []):
            if not future.done():
                future.set_result(done)

    async def _operation(self, op: str, actions: Sequence[object]) -> ClusterView:
        immediate = [a for a in actions if isinstance(a, fa.OperationDone) and a.op == op]
        others = [a for a in actions if a not in immediate]
        future: asyncio.Future[fa.OperationDone] = asyncio.get_running_loop().create_future()
        if immediate:
            future.set_result(immediate[-1])
        else:
            self._waiting.setdefault(op, []).append(future)
        try:
            self._node.apply_failover(others)
            done = await future
        finally:
            waiting = self._waiting.get(op, [])
            if future in waiting:
                waiting.remove(future)
        if done.refused:
            raise OperationRefused(done.detail)
        if not done.ok:
            raise OperationFailed(done.detail)
        return self.snapshot()
