"""The engine's data: its configuration, what it knows, and what it is doing.

Kept apart from :mod:`hacore.failover.machine` so the rule modules can name these
types, and so the engine file holds only the loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hacore.api import ConfigError, GroupState
from hacore.config.model import AutoFailback, ClusterConfig, ResourceGroup
from hacore.failover.holdings import Hold
from hacore.failover.registry import Ctx, Origin
from hacore.failover.table import Row


@dataclass(frozen=True)
class FailoverConfig:
    """What the engine needs from the configuration; validated on construction."""

    local_node: str
    nodes: tuple[str, ...]
    groups: tuple[ResourceGroup, ...]
    auto_failback: AutoFailback = "legacy"

    def __post_init__(self) -> None:
        if self.local_node not in self.nodes:
            raise ConfigError(f"local node {self.local_node!r} is not among the nodes {self.nodes}")
        if self.groups and len(self.nodes) > 2:
            raise ConfigError(
                f"haresources failover supports two nodes (Heartbeat v1 nice_failback); "
                f"{len(self.nodes)} are configured"
            )
        seen: set[str] = set()
        for group in self.groups:
            where = f" ({group.location})" if group.location else ""
            if group.node not in self.nodes:
                raise ConfigError(
                    f"haresources group {group.key!r}: unknown node {group.node!r}{where}",
                    group.location,
                )
            if group.key in seen:
                raise ConfigError(
                    f"haresources group key {group.key!r} is used twice{where}", group.location
                )
            seen.add(group.key)

    @classmethod
    def from_cluster(cls, config: ClusterConfig) -> FailoverConfig:
        return cls(
            config.local_node,
            tuple(config.hacf.nodes),
            tuple(config.groups),
            config.hacf.auto_failback,
        )


@dataclass
class GroupRecord:
    """One group as this node runs it."""

    group: ResourceGroup
    local: bool  # its preferred (haresources) node is us
    state: GroupState = GroupState.STOPPED
    want: bool = False  # this node wants it running here
    retry: bool = False  # a release of this FAILED group was asked for again
    failed_start: bool = False  # the release in flight cleans up a failed start
    reason: str = ""  # why it was last started/stopped (GroupChanged.reason)


@dataclass
class Job:
    """Groups being brought to a target; ``ctx.event`` is posted when all have settled."""

    keys: tuple[str, ...]
    running: bool
    ctx: Ctx


@dataclass(frozen=True)
class Transition:
    """One row taken (``row`` None: the event matched no row and was ignored)."""

    table: str
    state: str
    event: str
    row: Row | None


@dataclass
class Timers:
    deadlock_at: float | None = None
    standby_deadline: float | None = None
    failback_at: float | None = None
    offer_at: float | None = None


@dataclass
class StandbyProgress:
    """The standby in progress: the set (relative to the node going standby) and who asked."""

    hold: Hold = Hold.NONE
    origin: Origin = "api"
    problem: str = ""  # what went wrong so far, for OperationDone


@dataclass
class PeerView:
    """What we know about the other node."""

    name: str | None
    alive: bool = True  # not declared dead (comm-up guarantees a heard or dead peer)
    left: bool = False  # it sent shutdone
    heard: bool = False
    stable: bool = False  # Heartbeat's other_is_stable
    hold: Hold = Hold.NONE  # its rsc_hold, relative to it (nice_failback)
    keys: set[str] = field(default_factory=set)  # groups we believe it holds (legacy)
