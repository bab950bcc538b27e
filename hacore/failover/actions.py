"""What the failover engine asks the daemon to do.

Every input of :class:`~hacore.failover.Failover` returns a list of these, in the order
the daemon must carry them out. Acquire/Release results come back through
``Failover.on_group_result``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hacore import api
from hacore.wire.message import Message

Operation = Literal["standby", "takeover", "shutdown"]


@dataclass(frozen=True)
class SendMessage:
    """Send ``msg`` to the cluster; it is unstamped (the daemon stamps and signs it)."""

    msg: Message


@dataclass(frozen=True)
class Acquire:
    """Start the group ``key`` here (ResourceManager.acquire), then report the result."""

    key: str


@dataclass(frozen=True)
class Release:
    """Stop the group ``key`` here (ResourceManager.release), then report the result."""

    key: str


@dataclass(frozen=True)
class Announce:
    """Re-announce a group we keep (gratuitous ARP) after the peer let go of it."""

    key: str


@dataclass(frozen=True)
class Recover:
    """A monitored resource of the group ``key`` keeps failing but the group cannot move
    (no live peer, the peer failed it too, legacy mode, the move failed): restart the
    failed resources here once more."""

    key: str


@dataclass(frozen=True)
class GroupChanged:
    """A group's holder or state changed, as this node sees the cluster."""

    event: api.GroupChanged


@dataclass(frozen=True)
class OperationDone:
    """An operator request (standby, takeover, shutdown) finished; the API call returns.

    ``refused`` tells a request turned down before anything moved (the cluster state
    forbade it) from one that started and failed part-way.
    """

    op: Operation
    ok: bool
    detail: str
    refused: bool = False


@dataclass(frozen=True)
class ShutdownReady:
    """Everything is released and ``shutdone`` is queued: the daemon may exit."""


Action = (
    SendMessage
    | Acquire
    | Release
    | Announce
    | Recover
    | GroupChanged
    | OperationDone
    | ShutdownReady
)
