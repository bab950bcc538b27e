"""``--node`` / ``--group``: narrow what a read command shows (and checks).

Each filter narrows its own kind only: ``--node node1`` keeps node1 (and its links)
and every group; ``--group httpd`` keeps that group and every node. A name that the
cluster does not know is a usage error naming what exists, not an empty table: a
typo must not look like "nothing to report".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hacore.v1 import hacore_pb2 as pb
from hactl.client import Exit, HactlError


@dataclass(frozen=True)
class Selection:
    nodes: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # a group's key, or one of its resources (``httpd``)

    @classmethod
    def of(cls, nodes: Sequence[str] | None, groups: Sequence[str] | None) -> Selection:
        return cls(tuple(nodes or ()), tuple(groups or ()))

    def apply(self, status: pb.ClusterStatus) -> pb.ClusterStatus:
        """A copy of ``status`` holding only the selected nodes and groups."""
        if not self.nodes and not self.groups:
            return status
        kept = pb.ClusterStatus()
        kept.CopyFrom(status)
        if self.nodes:
            known = [node.name for node in status.nodes]
            for name in self.nodes:
                if name not in known:
                    raise HactlError(
                        Exit.USAGE, f"no node {name!r} in the cluster (nodes: {', '.join(known)})"
                    )
            del kept.nodes[:]
            kept.nodes.extend(node for node in status.nodes if node.name in self.nodes)
        if self.groups:
            for name in self.groups:
                if not any(_matches(name, group) for group in status.groups):
                    keys = ", ".join(group.key for group in status.groups) or "none configured"
                    raise HactlError(
                        Exit.USAGE,
                        f"no resource group {name!r} in the cluster "
                        f"(give a group's key or one of its resources; groups: {keys})",
                    )
            del kept.groups[:]
            kept.groups.extend(
                group
                for group in status.groups
                if any(_matches(name, group) for name in self.groups)
            )
        return kept


def _matches(name: str, group: pb.ResourceGroup) -> bool:
    return name == group.key or name in group.resources
