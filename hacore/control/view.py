"""The control plane's snapshot of a running node, built from the engines' queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from hacore import __version__
from hacore.api import LinkStatus
from hacore.control.model import (
    ClusterView,
    FenceTargetView,
    FencingView,
    GroupView,
    LinkView,
    NodeView,
)

if TYPE_CHECKING:
    from hacore.node import Node

# What `cl_status hbparameter -p hbversion` prints: the Heartbeat release whose
# protocol and behaviour hacore implements, and which daemon this is.
HBVERSION = f"3.0.6 (hacore {__version__})"


def _node_view(node: Node, name: str, kind: Literal["normal", "ping"], now: float) -> NodeView:
    membership = node.membership
    # Links in ha.cf's media order (Heartbeat's, which cl_status relies on), once each.
    media = list(dict.fromkeys(t.link_name for t in node.transports))
    found = membership.links(name)
    order = sorted(found, key=lambda link: media.index(link) if link in media else len(media))
    links = tuple(LinkView(link, found[link]) for link in order)
    heard = membership.last_heard(name)
    local = name == node.config.local_node
    return NodeView(
        name=name,
        status=membership.local_status if local else membership.status(name),
        type=kind,
        links=links if not local else tuple(LinkView(link, LinkStatus.UP) for link in media),
        generation=node.generation if local else membership.generation(name),
        last_heard_ago_s=None if local or heard is None else max(0.0, now - heard),
        since_wall=node.node_since.get(name),
        config_index=node.config.hacf.node_table.index(name),
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
        fencing=_fencing_view(node),
        rsc_status=node.failover.rscstatus(),
        parameters={**hacf.parameters, "hbversion": HBVERSION},
    )


def _fencing_view(node: Node) -> FencingView:
    fencer = node.fencer
    watchdog = node.watchdog
    targets = tuple(
        FenceTargetView(
            node=t.node,
            state=t.state.value,
            attempts=t.attempts,
            failures=t.failures,
            last_result=t.last_result.value if t.last_result else None,
            last_error=t.last_error,
            since_wall=t.since_wall,
            next_attempt_wall=t.next_attempt_wall,
        )
        for t in fencer.targets.values()
    )
    return FencingView(
        device=fencer.device.device_id() if fencer.device else None,
        delay_s=fencer.delay_s if fencer.device or fencer.tiebreaker else 0.0,
        targets=targets,
        tiebreaker=fencer.tiebreaker,
        tiebreaker_reachable=node.tiebreaker_reachable() if fencer.tiebreaker else None,
        isolated=node.failover.isolated,
        isolated_since_wall=node.isolation.since_wall if node.failover.isolated else None,
        watchdog=str(watchdog.path) if watchdog else None,
        watchdog_open=watchdog.is_open if watchdog else False,
        watchdog_feeds=watchdog.feeds if watchdog else 0,
        realtime=node.realtime,
    )
