"""Cluster membership: who is alive, over which links, and which messages to accept.

A pure, clock-injected engine: the daemon feeds it packets (``receive``) and timer
ticks (``tick``), stamps outbound messages with it (``stamp``), and carries out the
effects it returns. Nothing here does I/O or reads a clock.
"""

from hacore.membership.config import MembershipConfig, read_loadavg
from hacore.membership.effects import (
    CommUp,
    Deliver,
    DropCount,
    DropReason,
    Effect,
    LinkChanged,
    LocalStall,
    NodeChanged,
    PartitionHealed,
    PeerRestarted,
    Send,
    StatusHeard,
)
from hacore.membership.engine import Membership

__all__ = [
    "CommUp",
    "Deliver",
    "DropCount",
    "DropReason",
    "Effect",
    "LinkChanged",
    "LocalStall",
    "Membership",
    "MembershipConfig",
    "NodeChanged",
    "PartitionHealed",
    "PeerRestarted",
    "Send",
    "StatusHeard",
    "read_loadavg",
]
