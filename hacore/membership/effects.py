"""What the membership engine asks the daemon to do, or tells it happened.

The engine never touches sockets or clocks; every consequence of an input comes back as
one of these values, in the order the daemon should act on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hacore.api import LinkStatusChanged, NodeStatusChanged
from hacore.wire.message import Message

DropReason = Literal[
    "replay",  # generation older than the one we hold for that node, or an old seq
    "duplicate",  # same seq again (another medium's copy) or an old one
    "unknown_node",  # src not in the configuration (autojoin none)
    "stale",  # status older than one already processed
    "not_for_us",  # addressed (dest/destuuid) to another node
    "missing_fields",  # src/ts/t/seq missing or malformed
    "own",  # our own packet looped back by a broadcast/multicast medium
    "duplicate_node_name",  # another node sends with our name
]


@dataclass(frozen=True)
class Send:
    """Send ``msg`` to the cluster on every medium.

    ``stamped`` is True for a retransmission from history: the message already carries
    its original control fields and must only be sealed again, never re-stamped (a new
    seq would defeat the peer's gap recovery).
    """

    msg: Message
    stamped: bool = False


@dataclass(frozen=True)
class Deliver:
    """An accepted message for the upper layers (failover, API clients, helpers)."""

    msg: Message
    link: str


@dataclass(frozen=True)
class NodeChanged:
    change: NodeStatusChanged


@dataclass(frozen=True)
class LinkChanged:
    change: LinkStatusChanged


@dataclass(frozen=True)
class CommUp:
    """Communications confirmed (Heartbeat's comm_now_up): the local status is now active."""


@dataclass(frozen=True)
class PeerRestarted:
    """A node we knew came back with a higher generation: its previous state is void."""

    node: str
    generation: int


@dataclass(frozen=True)
class PartitionHealed:
    """A node we had declared dead speaks again with the same generation (split brain)."""

    node: str


@dataclass(frozen=True)
class StatusHeard:
    """A status from configured node ``node`` passed the generation and sequence checks
    on ``link`` (a new one, or another medium's copy of it); for per-link metrics."""

    node: str
    link: str


@dataclass(frozen=True)
class DropCount:
    """One received packet was dropped; for metrics."""

    reason: DropReason


@dataclass(frozen=True)
class LocalStall:
    """Our own loop did not run for ``ms`` (longer than deadtime): peers may think us dead."""

    ms: int


Effect = (
    Send
    | Deliver
    | NodeChanged
    | LinkChanged
    | CommUp
    | PeerRestarted
    | PartitionHealed
    | StatusHeard
    | DropCount
    | LocalStall
)
