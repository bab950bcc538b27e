"""The control plane's snapshot of a running node, built from the engines' queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from hacore import __version__
from hacore.api import LinkStatus
from hacore.control.model import ClusterView, GroupView, LinkView, NodeView

if TYPE_CHECKING:
    from hacore.node import Node


def _node_view(node: Node, name: str, kind: Literal["normal", "ping"], now: float) -> NodeView:
    membership = node.membership
    links = tuple(LinkView(link, status) for link, status in sorted(membership.links(name).items()))
    heard = membership.last_heard(name)
    local = name == node.config.local_node
    return NodeView(
        name=name,
        status=membership.local_status if local else membership.status(name),
        type=kind,
        links=links
        if not local
        else tuple(LinkView(t.link_name, LinkStatus.UP) for t in node.transports),
        generation=node.generation if local else membership.generation(name),
        last_heard_ago_s=None if local or heard is None else max(0.0, now - heard),
        since_wall=node.node_since.get(name),
    )


def build_view(node: Node) -> ClusterView:
    hacf = node.config.hacf
    now = node.now()
    nodes = [_node_view(node, n, "normal", now) for n in hacf.nodes]
    nodes += [_node_view(node, p.name, "ping", now) for p in hacf.ping_nodes]
    groups = tuple(
        GroupView(
            key=g.key,
            resources=tuple(r.spec for r in g.resources),
            preferred=g.node,
            holder=node.failover.holder(g.key),
            state=node.resources.state(g.key),
            since_wall=node.group_since.get(g.key),
            monitors=node.monitors.views(g.key, now),
            failed_on=node.failover.failed_on(g.key),
        )
        for g in node.config.groups
    )
    return ClusterView(
        local_node=node.config.local_node,
        nodes=tuple(nodes),
        groups=groups,
        generation=node.generation,
        auto_failback=hacf.auto_failback,
        keepalive_ms=hacf.keepalive_ms,
        deadtime_ms=hacf.deadtime_ms,
        config_dir=str(node.config.directory),
        version=__version__,
    )
