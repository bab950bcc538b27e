"""Between the daemon's views and the wire messages of ``hacore.v1``.

Enum values are paired by name (``NodeStatus.ACTIVE`` ↔ ``NODE_STATUS_ACTIVE``) so a
word added to :mod:`hacore.api` without its proto counterpart fails loudly at import
time instead of silently sending UNSPECIFIED.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, TypeVar

from google.protobuf.timestamp_pb2 import Timestamp

from hacore.api import (
    GroupChanged,
    GroupState,
    LinkStatus,
    LinkStatusChanged,
    NodeStatus,
    NodeStatusChanged,
    Scope,
)
from hacore.control.model import (
    Cleaned,
    ClusterView,
    EventsLost,
    FailoverEvent,
    FencingView,
    GroupView,
    MonitorEvent,
    MonitorOutcome,
    MonitorView,
    NodeView,
    TimedEvent,
)
from hacore.v1 import hacore_pb2 as pb

_E = TypeVar("_E", bound=StrEnum)


def _pairs(words: type[_E], proto_enum: Any, prefix: str) -> tuple[dict[_E, Any], dict[int, _E]]:
    """``{word: proto value}`` and back; proto values are typed Any because the
    generated stubs give each enum its own int subclass."""
    to_proto = {word: proto_enum.Value(f"{prefix}_{word.name}") for word in words}
    return to_proto, {int(number): word for word, number in to_proto.items()}


NODE_STATUS_TO_PB, NODE_STATUS_FROM_PB = _pairs(NodeStatus, pb.NodeStatus, "NODE_STATUS")
LINK_STATUS_TO_PB, LINK_STATUS_FROM_PB = _pairs(LinkStatus, pb.LinkStatus, "LINK_STATUS")
GROUP_STATE_TO_PB, GROUP_STATE_FROM_PB = _pairs(GroupState, pb.GroupState, "GROUP_STATE")
SCOPE_TO_PB, SCOPE_FROM_PB = _pairs(Scope, pb.Scope, "SCOPE")
MONITOR_OUTCOME_TO_PB, _ = _pairs(MonitorOutcome, pb.MonitorOutcome, "MONITOR_OUTCOME")
NODE_TYPE_TO_PB: dict[str, Any] = {"normal": pb.NODE_TYPE_NORMAL, "ping": pb.NODE_TYPE_PING}


def timestamp(wall: float) -> Timestamp:
    stamp = Timestamp()
    seconds = math.floor(wall)
    stamp.seconds = seconds
    stamp.nanos = min(round((wall - seconds) * 1e9), 999_999_999)
    return stamp


def wall_of(stamp: Timestamp) -> float:
    return stamp.seconds + stamp.nanos / 1e9


def node_to_pb(node: NodeView, local_node: str) -> pb.Node:
    message = pb.Node(
        name=node.name,
        status=NODE_STATUS_TO_PB[node.status],
        type=NODE_TYPE_TO_PB[node.type],
        links=[
            pb.Link(name=link.name, status=LINK_STATUS_TO_PB[link.status]) for link in node.links
        ],
        local=node.name == local_node,
        config_index=node.config_index,
    )
    if node.generation is not None:
        message.generation = node.generation
    if node.last_heard_ago_s is not None:
        message.last_heard_ago_seconds = node.last_heard_ago_s
    if node.since_wall is not None:
        message.since.CopyFrom(timestamp(node.since_wall))
    return message


def monitor_to_pb(view: MonitorView) -> pb.ResourceMonitor:
    message = pb.ResourceMonitor(
        resource=view.resource,
        interval_seconds=view.interval_s,
        timeout_seconds=view.timeout_s,
        restarts_allowed=view.restarts_allowed,
        window_seconds=view.window_s,
        active=view.active,
        checks=view.checks,
        failures=view.failures,
        restarts=view.restarts,
        restarts_in_window=view.restarts_in_window,
        fail_count=view.fail_count,
        last_result=view.last_result,
        last_failure=view.last_failure,
    )
    if view.last_check_wall is not None:
        message.last_check.CopyFrom(timestamp(view.last_check_wall))
    if view.last_duration_s is not None:
        message.last_duration_seconds = view.last_duration_s
    if view.last_failure_wall is not None:
        message.last_failure_time.CopyFrom(timestamp(view.last_failure_wall))
    return message


def cleaned_to_pb(cleaned: Cleaned) -> pb.CleanedResource:
    return pb.CleanedResource(
        group=cleaned.group, resource=cleaned.resource, fail_count=cleaned.fail_count
    )


def group_to_pb(group: GroupView) -> pb.ResourceGroup:
    message = pb.ResourceGroup(
        key=group.key,
        resources=list(group.resources),
        preferred=group.preferred,
        state=GROUP_STATE_TO_PB[group.state],
        monitors=[monitor_to_pb(view) for view in group.monitors],
        failed_on=list(group.failed_on),
    )
    if group.holder is not None:
        message.holder = group.holder
    if group.since_wall is not None:
        message.since.CopyFrom(timestamp(group.since_wall))
    return message


def cluster_to_pb(view: ClusterView, wall: float) -> pb.ClusterStatus:
    return pb.ClusterStatus(
        local_node=view.local_node,
        nodes=[node_to_pb(node, view.local_node) for node in view.nodes],
        groups=[group_to_pb(group) for group in view.groups],
        generation=view.generation,
        auto_failback=view.auto_failback,
        keepalive_ms=view.keepalive_ms,
        deadtime_ms=view.deadtime_ms,
        config_dir=view.config_dir,
        version=view.version,
        time=timestamp(wall),
        fencing=fencing_to_pb(view.fencing),
        rsc_status=view.rsc_status,
        parameters=dict(view.parameters),
    )


def fencing_to_pb(view: FencingView) -> pb.Fencing:
    message = pb.Fencing(
        delay_seconds=view.delay_s,
        watchdog_open=view.watchdog_open,
        watchdog_feeds=view.watchdog_feeds,
        realtime=view.realtime,
        isolated=view.isolated,
    )
    if view.isolated_since_wall is not None:
        message.isolated_since.CopyFrom(timestamp(view.isolated_since_wall))
    for name, value in (
        ("device", view.device),
        ("tiebreaker", view.tiebreaker),
        ("tiebreaker_reachable", view.tiebreaker_reachable),
        ("watchdog", view.watchdog),
    ):
        if value is not None:
            setattr(message, name, value)
    for target in view.targets:
        item = message.targets.add(
            node=target.node,
            state=target.state,
            attempts=target.attempts,
            failures=target.failures,
            last_error=target.last_error,
        )
        if target.last_result is not None:
            item.last_result = target.last_result
        if target.since_wall is not None:
            item.since.CopyFrom(timestamp(target.since_wall))
        if target.next_attempt_wall is not None:
            item.next_attempt.CopyFrom(timestamp(target.next_attempt_wall))
    return message


def event_to_pb(timed: TimedEvent) -> pb.Event:
    message = pb.Event(time=timestamp(timed.wall))
    event = timed.event
    if isinstance(event, NodeStatusChanged):
        message.node_status.node = event.node
        message.node_status.old_status = NODE_STATUS_TO_PB[event.old]
        message.node_status.new_status = NODE_STATUS_TO_PB[event.new]
        message.node_status.reason = event.reason
        if event.generation is not None:
            message.node_status.generation = event.generation
    elif isinstance(event, LinkStatusChanged):
        message.link_status.node = event.node
        message.link_status.link = event.link
        message.link_status.old_status = LINK_STATUS_TO_PB[event.old]
        message.link_status.new_status = LINK_STATUS_TO_PB[event.new]
    elif isinstance(event, GroupChanged):
        message.group.group = event.group
        message.group.state = GROUP_STATE_TO_PB[event.state]
        message.group.reason = event.reason
        if event.holder is not None:
            message.group.holder = event.holder
    elif isinstance(event, FailoverEvent):
        message.failover.group = event.group
        message.failover.reason = event.reason
        if event.from_node is not None:
            message.failover.from_node = event.from_node
        if event.to_node is not None:
            message.failover.to_node = event.to_node
    elif isinstance(event, MonitorEvent):
        message.monitor.group = event.group
        message.monitor.resource = event.resource
        message.monitor.outcome = MONITOR_OUTCOME_TO_PB[event.outcome]
        message.monitor.reason = event.reason
        message.monitor.fail_count = event.fail_count
    elif isinstance(event, EventsLost):
        message.events_lost.count = event.count
    return message
