"""Is the cluster healthy, as this node sees it? (``hactl health``, ``--check``)

A problem is something an operator must act on now, the same list the shipped alert
rules watch: a dead node or unreachable ping node, a dead link to a node that is
otherwise alive (redundancy lost; a dead node's links are not repeated), a group
whose stop failed here, a group nobody holds (the service is down), a group whose
monitoring gave up on a node (that node will not run it again until ``hactl cleanup``
there, so the group has lost its standby), this node being the isolated side of a
two-node cluster (its peer and the tiebreaker lost: it released its groups). A node
still starting (``init``/``up``) or a group moving (``starting``/``stopping``) is not one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from hacore.v1 import hacore_pb2 as pb
from hactl.render import JsonObject


@dataclass(frozen=True)
class Problem:
    what: str  # node, link, group
    name: str  # the node, NODE:LINK, or the group's key
    problem: str  # dead, unreachable, isolated, failed, not held, given up
    text: str


def problems(status: pb.ClusterStatus) -> list[Problem]:
    found: list[Problem] = []
    for node in status.nodes:
        ping = node.type == pb.NODE_TYPE_PING
        if node.status == pb.NODE_STATUS_DEAD:
            if ping:
                text = f"ping node {node.name} is unreachable"
                found.append(Problem("node", node.name, "unreachable", text))
            else:
                found.append(Problem("node", node.name, "dead", f"node {node.name} is dead"))
            continue
        if ping or node.local:  # hacore reports its own links from its transports
            continue
        for link in node.links:
            if link.status == pb.LINK_STATUS_DEAD:
                name = f"{node.name}:{link.name}"
                found.append(Problem("link", name, "dead", f"link {name} is dead"))
    if status.fencing.isolated:
        text = (
            f"node {status.local_node} is isolated: it lost its peer and tiebreaker "
            f"{status.fencing.tiebreaker} and released its groups"
        )
        found.append(Problem("node", status.local_node, "isolated", text))
    for group in status.groups:
        if group.state == pb.GROUP_STATE_FAILED:
            text = (
                f"group {group.key} failed on {status.local_node}: its stop failed, "
                "it may still run there and is never started elsewhere"
            )
            found.append(Problem("group", group.key, "failed", text))
        elif not group.HasField("holder"):
            text = f"group {group.key} is held by nobody: its service is down"
            found.append(Problem("group", group.key, "not held", text))
        for given_up_on in group.failed_on:
            text = (
                f"group {group.key} was given up on {given_up_on}: it will not run there "
                f"until 'hactl cleanup' on {given_up_on}"
            )
            found.append(Problem("group", f"{group.key}@{given_up_on}", "given up", text))
    return found


def health_text(status: pb.ClusterStatus) -> list[str]:
    found = problems(status)
    if found:
        count = f"{len(found)} problem{'s' if len(found) > 1 else ''}"
        return [f"unhealthy: {count} seen from {status.local_node}"] + [
            f"  {p.text}" for p in found
        ]
    normal = [n for n in status.nodes if n.type != pb.NODE_TYPE_PING]
    pings = len(status.nodes) - len(normal)
    links = sum(len(n.links) for n in normal if not n.local)
    parts = [_count(len(normal), "node", "alive")]
    if links:
        parts.append(_count(links, "link", "up"))
    if pings:
        parts.append(_count(pings, "ping node", "reachable"))
    parts.append(_count(len(status.groups), "group", "held"))
    return [f"healthy: {', '.join(parts)} (seen from {status.local_node})"]


def _count(n: int, noun: str, state: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'} {state}"


def health_json(status: pb.ClusterStatus) -> JsonObject:
    found = problems(status)
    return {
        "node": status.local_node,
        "healthy": not found,
        "problems": [asdict(p) for p in found],
    }
