"""What hactl prints: JSON objects (stable, documented) and text for people.

The JSON uses Heartbeat's words (``active``, ``dead``, ``ping``...), never the proto
enum names, so scripts written against cl_status concepts read naturally.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from hacore.v1 import hacore_pb2 as pb

JsonObject = dict[str, Any]


def _word(enum_type: Any, value: int, prefix: str) -> str:
    name: str = enum_type.Name(value) if value in enum_type.values() else f"{prefix}_{value}"
    return name.removeprefix(prefix + "_").lower()


def node_status_word(value: int) -> str:
    return _word(pb.NodeStatus, value, "NODE_STATUS")


def link_status_word(value: int) -> str:
    return _word(pb.LinkStatus, value, "LINK_STATUS")


def group_state_word(value: int) -> str:
    return _word(pb.GroupState, value, "GROUP_STATE")


def node_type_word(value: int) -> str:
    return _word(pb.NodeType, value, "NODE_TYPE")


def _iso(stamp: Any) -> str | None:
    if stamp.seconds == 0 and stamp.nanos == 0:
        return None
    wall = stamp.seconds + stamp.nanos / 1e9
    return dt.datetime.fromtimestamp(wall, dt.UTC).isoformat(timespec="milliseconds")


def _local_time(stamp: Any) -> str | None:
    if stamp.seconds == 0 and stamp.nanos == 0:
        return None
    return dt.datetime.fromtimestamp(stamp.seconds).strftime("%Y-%m-%d %H:%M:%S")


# -- JSON --------------------------------------------------------------------------------


def node_json(node: pb.Node) -> JsonObject:
    return {
        "name": node.name,
        "status": node_status_word(node.status),
        "type": node_type_word(node.type),
        "local": node.local,
        "links": [
            {"name": link.name, "status": link_status_word(link.status)} for link in node.links
        ],
        "generation": node.generation if node.HasField("generation") else None,
        "last_heard_ago_s": (
            round(node.last_heard_ago_seconds, 3)
            if node.HasField("last_heard_ago_seconds")
            else None
        ),
        "since": _iso(node.since),
    }


def monitor_outcome_word(value: int) -> str:
    return _word(pb.MonitorOutcome, value, "MONITOR_OUTCOME")


def monitor_json(monitor: pb.ResourceMonitor) -> JsonObject:
    return {
        "resource": monitor.resource,
        "interval_s": monitor.interval_seconds,
        "timeout_s": monitor.timeout_seconds,
        "restarts_allowed": monitor.restarts_allowed,
        "window_s": monitor.window_seconds,
        "active": monitor.active,
        "checks": monitor.checks,
        "failures": monitor.failures,
        "restarts": monitor.restarts,
        "restarts_in_window": monitor.restarts_in_window,
        "fail_count": monitor.fail_count,
        "last_result": monitor.last_result or None,
        "last_check": _iso(monitor.last_check),
        "last_duration_s": (
            round(monitor.last_duration_seconds, 3)
            if monitor.HasField("last_duration_seconds")
            else None
        ),
        "last_failure": monitor.last_failure or None,
        "last_failure_time": _iso(monitor.last_failure_time),
    }


def group_json(group: pb.ResourceGroup) -> JsonObject:
    return {
        "group": group.key,
        "resources": list(group.resources),
        "preferred": group.preferred,
        "holder": group.holder if group.HasField("holder") else None,
        "state": group_state_word(group.state),
        "since": _iso(group.since),
        "monitors": [monitor_json(monitor) for monitor in group.monitors],
        "failed_on": list(group.failed_on),
    }


def cleanup_json(reply: pb.CleanupResponse) -> JsonObject:
    return {
        "cleaned": [
            {"group": c.group, "resource": c.resource, "fail_count": c.fail_count}
            for c in reply.cleaned
        ],
        "status": status_json(reply.status),
    }


def links_json(status: pb.ClusterStatus) -> list[JsonObject]:
    return [
        {"node": node.name, "link": link.name, "status": link_status_word(link.status)}
        for node in status.nodes
        for link in node.links
    ]


def status_json(status: pb.ClusterStatus) -> JsonObject:
    return {
        "node": status.local_node,
        "version": status.version,
        "generation": status.generation,
        "auto_failback": status.auto_failback,
        "keepalive_ms": status.keepalive_ms,
        "deadtime_ms": status.deadtime_ms,
        "config_dir": status.config_dir,
        "time": _iso(status.time),
        "nodes": [node_json(node) for node in status.nodes],
        "resources": [group_json(group) for group in status.groups],
        "fencing": fencing_json(status.fencing),
    }


def fencing_json(fencing: pb.Fencing) -> JsonObject:
    return {
        "device": _optional(fencing, "device"),
        "delay_seconds": fencing.delay_seconds,
        "targets": [
            {
                "node": t.node,
                "state": t.state,
                "attempts": t.attempts,
                "failures": t.failures,
                "last_result": _optional(t, "last_result"),
                "last_error": t.last_error,
                "since": _iso(t.since),
                "next_attempt": _iso(t.next_attempt),
            }
            for t in fencing.targets
        ],
        "tiebreaker": _optional(fencing, "tiebreaker"),
        "tiebreaker_reachable": _optional(fencing, "tiebreaker_reachable"),
        "isolated": fencing.isolated,
        "isolated_since": _iso(fencing.isolated_since),
        "watchdog": _optional(fencing, "watchdog"),
        "watchdog_open": fencing.watchdog_open,
        "watchdog_feeds": fencing.watchdog_feeds,
        "realtime": fencing.realtime,
    }


def fencing_text(fencing: pb.Fencing) -> list[str]:
    device = fencing.device if fencing.HasField("device") else None
    lines = [
        f"  STONITH: {device} (fence delay {fencing.delay_seconds:g} s)"
        if device
        else "  STONITH: none configured (shared disks are not protected)"
    ]
    for t in fencing.targets:
        result = f", last result {t.last_result}" if t.HasField("last_result") else ""
        error = f" ({t.last_error})" if t.last_error else ""
        retry = _local_time(t.next_attempt)
        lines.append(
            f"      {t.node}: {t.state}, {t.attempts} attempt(s), {t.failures} failed"
            f"{result}{error}{', next try ' + retry if retry else ''}"
        )
    if fencing.HasField("tiebreaker"):
        reach = "reachable" if fencing.tiebreaker_reachable else "unreachable"
        wait = "" if device else f", takeover after {fencing.delay_seconds:g} s"
        lines.append(f"  tiebreaker: {fencing.tiebreaker} ({reach}{wait})")
    if fencing.isolated:
        since = _local_time(fencing.isolated_since)
        lines.append(
            f"  ISOLATED{' since ' + since if since else ''}: peer and tiebreaker lost; every "
            "group released here, none acquired until the peer is heard or its death confirmed"
        )
    if fencing.HasField("watchdog"):
        state = "open" if fencing.watchdog_open else "not open"
        lines.append(f"  watchdog: {fencing.watchdog} ({state}, fed {fencing.watchdog_feeds}x)")
    lines.append(f"  realtime: {'SCHED_RR' if fencing.realtime else 'off'}")
    return lines


def _optional(message: Any, field: str) -> Any:
    return getattr(message, field) if message.HasField(field) else None


def event_json(event: pb.Event) -> JsonObject:
    kind = event.WhichOneof("kind")
    out: JsonObject = {"time": _iso(event.time), "type": kind}
    if kind == "node_status":
        e = event.node_status
        out |= {
            "node": e.node,
            "old": node_status_word(e.old_status),
            "new": node_status_word(e.new_status),
            "generation": _optional(e, "generation"),
            "reason": e.reason,
        }
    elif kind == "link_status":
        e2 = event.link_status
        out |= {
            "node": e2.node,
            "link": e2.link,
            "old": link_status_word(e2.old_status),
            "new": link_status_word(e2.new_status),
        }
    elif kind == "group":
        e3 = event.group
        out |= {
            "group": e3.group,
            "holder": _optional(e3, "holder"),
            "state": group_state_word(e3.state),
            "reason": e3.reason,
        }
    elif kind == "failover":
        e4 = event.failover
        out |= {
            "group": e4.group,
            "from": _optional(e4, "from_node"),
            "to": _optional(e4, "to_node"),
            "reason": e4.reason,
        }
    elif kind == "monitor":
        e5 = event.monitor
        out |= {
            "group": e5.group,
            "resource": e5.resource,
            "outcome": monitor_outcome_word(e5.outcome),
            "reason": e5.reason,
            "fail_count": e5.fail_count,
        }
    elif kind == "events_lost":
        out["count"] = event.events_lost.count
    return out


# -- text --------------------------------------------------------------------------------


def _table(rows: Iterable[tuple[str, ...]], header: tuple[str, ...]) -> list[str]:
    all_rows = [header, *rows]
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in all_rows
    ]


def _ago(node: pb.Node) -> str:
    if not node.HasField("last_heard_ago_seconds"):
        return "-"
    return f"{node.last_heard_ago_seconds:.1f}s ago"


def nodes_text(status: pb.ClusterStatus) -> list[str]:
    rows = [
        (
            node.name + (" (local)" if node.local else ""),
            node_status_word(node.status),
            node_type_word(node.type),
            str(node.generation) if node.HasField("generation") else "-",
            _ago(node),
            _local_time(node.since) or "-",
        )
        for node in status.nodes
    ]
    return _table(rows, ("NODE", "STATUS", "TYPE", "GENERATION", "LAST HEARD", "SINCE"))


def links_text(status: pb.ClusterStatus) -> list[str]:
    rows = [(row["node"], row["link"], row["status"]) for row in links_json(status)]
    return _table(rows, ("NODE", "LINK", "STATUS"))


def resources_text(status: pb.ClusterStatus) -> list[str]:
    rows = [
        (
            group.key,
            group.holder if group.HasField("holder") else "(nobody)",
            group_state_word(group.state),
            group.preferred,
            _local_time(group.since) or "-",
            " ".join(group.resources[1:]),
        )
        for group in status.groups
    ]
    return _table(rows, ("GROUP", "HELD BY", "STATE HERE", "PREFERRED", "SINCE", "ALSO"))


def status_text(status: pb.ClusterStatus) -> list[str]:
    lines = [
        f"hacore {status.version} on {status.local_node} (generation {status.generation}), "
        f"config {status.config_dir}",
        f"keepalive {status.keepalive_ms} ms, deadtime {status.deadtime_ms} ms, "
        f"auto_failback {status.auto_failback}",
        "",
        "Nodes:",
    ]
    for node in status.nodes:
        heard = f", last heard {_ago(node)}" if node.HasField("last_heard_ago_seconds") else ""
        since = _local_time(node.since)
        lines.append(
            f"  {node.name}: {node_status_word(node.status)}"
            f" ({node_type_word(node.type)}{', local' if node.local else ''}{heard}"
            f"{', since ' + since if since else ''})"
        )
        lines += [f"      link {link.name}: {link_status_word(link.status)}" for link in node.links]
    lines += ["", "Resource groups:"]
    if not status.groups:
        lines.append("  (none configured)")
    for group in status.groups:
        holder = group.holder if group.HasField("holder") else "nobody"
        since = _local_time(group.since)
        lines.append(
            f"  {group.key}: held by {holder}, {group_state_word(group.state)} here"
            f"{', since ' + since if since else ''} (preferred {group.preferred})"
        )
        if len(group.resources) > 1:
            lines.append(f"      resources: {' '.join(group.resources)}")
        lines += [f"      {_monitor_text(monitor)}" for monitor in group.monitors]
        if group.failed_on:
            lines.append(
                f"      failed on {', '.join(group.failed_on)}: not taken back there until "
                "'hactl cleanup' on that node"
            )
    lines += ["", "Fencing:", *fencing_text(status.fencing)]
    return lines


def _monitor_text(monitor: pb.ResourceMonitor) -> str:
    """``monitor httpd: ok 0.031s, checked 12:00:01 (every 10s); fail count 2, 1/3 restarts
    used within 3600s``"""
    if not monitor.active:
        state = "not checked here (the group does not run here)"
    elif not monitor.last_result:
        state = "no check yet"
    else:
        took = (
            f" {monitor.last_duration_seconds:.3f}s"
            if monitor.HasField("last_duration_seconds")
            else ""
        )
        state = f"{monitor.last_result}{took}, checked {_local_time(monitor.last_check)}"
    text = (
        f"monitor {monitor.resource}: {state} (every {monitor.interval_seconds:g}s, "
        f"timeout {monitor.timeout_seconds:g}s); fail count {monitor.fail_count}, "
        f"{monitor.restarts_in_window}/{monitor.restarts_allowed} restarts used within "
        f"{monitor.window_seconds:g}s"
    )
    if monitor.last_failure:
        text += f"; last failure: {monitor.last_failure}"
    return text


def cleanup_text(reply: pb.CleanupResponse, resource: str) -> list[str]:
    lines = [
        f"cleaned up {c.resource} (group {c.group}): fail count {c.fail_count} -> 0"
        for c in reply.cleaned
    ]
    if not lines:
        what = resource or "any resource"
        lines = [f"nothing to clean up: {what} is not monitored"]
    return [*lines, "", *holders_text(reply.status)]


def holders_text(status: pb.ClusterStatus) -> list[str]:
    rows = [
        (
            group.key,
            group.holder if group.HasField("holder") else "(nobody)",
            group_state_word(group.state),
        )
        for group in status.groups
    ]
    return _table(rows, ("GROUP", "HELD BY", "STATE HERE"))


def event_text(event: pb.Event) -> str:
    """One line per event for ``hactl events``: local time, then the summary."""
    return f"{_local_time(event.time) or '-'} {event_summary(event)}"


def event_summary(event: pb.Event) -> str:
    data = event_json(event)
    kind = data["type"]
    if kind == "node_status":
        text = f"node {data['node']}: {data['old']} -> {data['new']}"
        if data["generation"] is not None:
            text += f" (generation {data['generation']})"
    elif kind == "link_status":
        text = f"link {data['node']}:{data['link']}: {data['old']} -> {data['new']}"
    elif kind == "group":
        text = f"group {data['group']}: {data['state']} here, held by {data['holder'] or 'nobody'}"
    elif kind == "failover":
        text = f"failover {data['group']}: {data['from'] or 'nobody'} -> {data['to'] or 'nobody'}"
    elif kind == "monitor":
        text = (
            f"monitor {data['resource']} ({data['group']}): {data['outcome']}, "
            f"fail count {data['fail_count']}"
        )
    elif kind == "events_lost":
        text = f"{data['count']} events lost (this watcher was too slow)"
    else:
        text = f"unknown event {kind}"
    reason = data.get("reason")
    return text + (f" [{reason}]" if reason else "")
