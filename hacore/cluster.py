"""The handle plugins get (``hacore.api.Cluster``): what a helper or an observer may ask of
the running node, and nothing else.

Kept apart from the runtime so a plugin cannot reach the node's internals through it, and
so the runtime can change without the plugin API changing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from hacore.api import NodeStatus, Scope
from hacore.control.model import ClusterView
from hacore.wire.message import Message

if TYPE_CHECKING:
    from hacore.control.adapter import ControlAdapter
    from hacore.node import Node


class ClusterHandle:
    """``hacore.api.Cluster`` over one running :class:`hacore.node.Node`."""

    def __init__(self, node: Node, control: ControlAdapter) -> None:
        self._node = node
        self._control = control

    @property
    def local_node(self) -> str:
        return self._node.config.local_node

    def node_status(self, node: str) -> NodeStatus:
        return self._node.membership.status(node)

    def nodes(self) -> Sequence[str]:
        hacf = self._node.config.hacf
        return list(hacf.nodes) + [p.name for p in hacf.ping_nodes]

    def node_type(self, node: str) -> str:
        pings = {p.name for p in self._node.config.hacf.ping_nodes}
        return "ping" if node in pings else "normal"

    def parameter(self, name: str) -> str | None:
        return self._node.config.hacf.parameters.get(name)

    def send(self, msg_type: str, fields: Mapping[str, str], dest: str | None = None) -> None:
        msg = Message(("t", msg_type), *fields.items())
        if dest is not None:
            msg.set("dest", dest)
        self._node.send_message(msg)

    async def standby(self, scope: Scope) -> ClusterView:
        return await self._control.standby(scope)
