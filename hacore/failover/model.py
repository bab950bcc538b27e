"""The engine's data: its configuration, its states, and one event as the rules see it.

Kept apart from the rules and the tables so both can name these types without
importing each other.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Literal

from hacore.api import ConfigError, GroupState
from hacore.config.model import AutoFailback, ClusterConfig, ResourceGroup
from hacore.failover.holdings import Hold
from hacore.wire.message import Message

Origin = Literal["api", "peer", "failback", "offer", "takeover", "monitor"]
"""Who started a standby: the operator here, the peer's hb_takeover, auto-failback,
an offer of a group that failed to start here, (role B) our own hb_takeover, or a
monitored resource that keeps failing here."""


class NodeState(enum.StrEnum):
    """Heartbeat's ``resourcestate``."""

    INIT = "INIT"
    STARTING = "STARTING"
    BOTHSTARTING = "BOTHSTARTING"
    RSCRCVD = "RSCRCVD"
    STABLE = "STABLE"
    SHUTDOWN = "SHUTDOWN"
    ISOLATED = "ISOLATED"  # hacore extension: peer and tiebreaker lost, everything released


class StandbyState(enum.StrEnum):
    """Heartbeat's ``going_standby``, its ME/DONE states split by role."""

    NOT = "NOT"
    ASKED = "ASKED"
    ME = "ME"
    ME_RELEASING = "ME_RELEASING"
    ME_DONE = "ME_DONE"
    OTHER = "OTHER"
    OTHER_ACQUIRING = "OTHER_ACQUIRING"


@dataclass
class Ctx:
    """One event and its data, as guards and actions see it."""

    event: str
    hold: Hold = Hold.NONE  # rsc_hold of a message or standby set, relative to its sender
    origin: Origin = "api"
    key: str = ""  # group key (group events, ip-request...)
    ok: bool = True  # job result
    failed: tuple[str, ...] = ()  # keys a job could not bring to its target
    became_stable: bool = False  # this report turned the peer stable
    word: str = ""  # raw word from a message (hb_takeover rsc_hold, ip-request-resp weown)
    text: str = ""  # why (a cancelled standby); the tiebreaker's name (tiebreaker events)
    peer_cleaned: bool = False  # this report no longer lists groups the peer had failed
    fenced: bool = False  # the dead peer was reset by STONITH before its death reached us


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
        """The daemon's way in: one place picks what failover needs from the whole config."""
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


@dataclass
class Timers:
    deadlock_at: float | None = None
    standby_deadline: float | None = None
    failback_at: float | None = None
    offer_at: float | None = None
    move_at: float | None = None  # retry moving groups that keep failing here


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
    failed: frozenset[str] = frozenset()  # groups that keep failing there (hacore peers)
    waiting: list[Message] = field(default_factory=list)  # said while we held it dead


@dataclass
class Memory:
    """What the rules remember about single groups from one event to the next."""

    handed_over: set[str] = field(default_factory=set)  # acquired as role B: not offered back
    failed_starts: set[str] = field(default_factory=set)  # not adopted again automatically
    given_away: set[str] = field(default_factory=set)  # released by our own standby: not adopted
    kept: set[str] = field(default_factory=set)  # split-brain groups we keep: announce later
    last_conflicts: frozenset[str] = frozenset()  # the split-brain audit's last finding
    claimed_now: list[str] = field(default_factory=list)  # locals claimed by take_our_locals
    failed_here: set[str] = field(default_factory=set)  # monitoring gave up here: until cleanup
    moving: set[str] = field(default_factory=set)  # given to the peer for failing here
