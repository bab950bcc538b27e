"""What the control plane sees of the daemon, and what it may ask of it.

The daemon implements :class:`ControlTarget`; the gRPC server, ``hactl`` and the tests
talk only to this interface, so the API can be served (and tested) without a running
cluster. Views are frozen snapshots: the server converts them to protobuf messages
without holding any daemon lock, and a slow client can never observe a half-updated
state.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from hacore.api import (
    GroupChanged,
    GroupState,
    HacoreError,
    LinkStatus,
    LinkStatusChanged,
    NodeStatus,
    NodeStatusChanged,
    Scope,
)
from hacore.config.model import ApiAuth

# --------------------------------------------------------------------------------------
# Errors a target raises; the server maps each to one gRPC status code.


class OperationRefused(HacoreError):
    """The request is valid but the cluster state forbids it now (FAILED_PRECONDITION).

    Examples: standby while the peer is dead, takeover while a move is in progress.
    """


class OperationFailed(HacoreError):
    """The operation started but did not finish as asked (ABORTED): a resource failed."""


class TargetUnavailable(HacoreError):
    """The daemon cannot serve the request at the moment (UNAVAILABLE): starting up,
    shutting down. Retrying later may succeed."""


class InvalidRequest(HacoreError):
    """The request names something that does not exist (INVALID_ARGUMENT): a resource
    that is not in haresources."""


class UnknownNode(HacoreError):
    """The request names a node ha.cf does not list (INVALID_ARGUMENT)."""


class NoTimelyResponse(HacoreError):
    """A peer did not answer a query in time (DEADLINE_EXCEEDED)."""


# --------------------------------------------------------------------------------------
# Snapshot


@dataclass(frozen=True)
class LinkView:
    """One heartbeat link to a node, named as Heartbeat names it (``eth1``, ping IP)."""

    name: str
    status: LinkStatus


@dataclass(frozen=True)
class NodeView:
    """One configured node (normal or ping) as the local daemon sees it.

    ``generation`` is the peer's heartbeat generation (None until heard);
    ``last_heard_ago_s`` the age of its last status message (None if never heard, or
    for the local node); ``since_wall`` the Unix time of its last status change.
    """

    name: str
    status: NodeStatus
    type: Literal["normal", "ping"]
    links: tuple[LinkView, ...]
    generation: int | None
    last_heard_ago_s: float | None
    since_wall: float | None
    config_index: int = 0  # position among ha.cf's node/ping entries


@dataclass(frozen=True)
class MonitorView:
    """One monitored resource (ha.cf ``monitor``) as the local node runs its checks.

    ``active``: checks run now (the group runs here). ``fail_count`` counts failures since
    start or the last cleanup; ``checks``, ``failures`` and ``restarts`` are lifetime
    totals; ``restarts_in_window`` is how much of the restart budget is used.
    ``last_result`` is ``ok``, ``not running``, ``timeout``, ``error`` or "" (never).
    """

    resource: str
    interval_s: float
    timeout_s: float
    restarts_allowed: int
    window_s: float
    active: bool
    checks: int
    failures: int
    restarts: int
    restarts_in_window: int
    fail_count: int
    last_result: str
    last_check_wall: float | None
    last_duration_s: float | None
    last_failure: str
    last_failure_wall: float | None


@dataclass(frozen=True)
class GroupView:
    """One haresources group. ``state`` is its life on the local node; ``holder`` the
    node believed to run it (None: nobody); ``since_wall`` the Unix time of the last
    holder/state change; ``monitors`` its monitored resources; ``failed_on`` the nodes
    where its monitoring gave up (until ``hactl cleanup`` there)."""

    key: str
    resources: tuple[str, ...]
    preferred: str
    holder: str | None
    state: GroupState
    since_wall: float | None
    monitors: tuple[MonitorView, ...] = ()
    failed_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class FenceTargetView:
    """Fencing one peer: ``state`` is a :class:`hacore.fencing.FenceState` word;
    ``last_result`` Heartbeat's stonith result word of the last attempt."""

    node: str
    state: str
    attempts: int
    failures: int
    last_result: str | None
    last_error: str
    since_wall: float | None
    next_attempt_wall: float | None


@dataclass(frozen=True)
class FencingView:
    """STONITH, watchdog, tiebreaker and realtime as this node runs them."""

    device: str | None = None  # the device this node fences with (None: no STONITH)
    delay_s: float = 0.0
    targets: tuple[FenceTargetView, ...] = ()
    tiebreaker: str | None = None
    tiebreaker_reachable: bool | None = None
    isolated: bool = False  # peer and tiebreaker lost: every group given up here
    isolated_since_wall: float | None = None
    watchdog: str | None = None
    watchdog_open: bool = False
    watchdog_feeds: int = 0
    realtime: bool = False


@dataclass(frozen=True)
class ClusterView:
    """Everything ``hactl status`` shows, taken at one instant."""

    local_node: str
    nodes: tuple[NodeView, ...]
    groups: tuple[GroupView, ...]
    generation: int
    auto_failback: str
    keepalive_ms: int
    deadtime_ms: int
    config_dir: str
    version: str
    fencing: FencingView = FencingView()
    rsc_status: str = "none"  # `cl_status rscstatus`
    parameters: Mapping[str, str] = field(default_factory=dict)  # `cl_status hbparameter`


# --------------------------------------------------------------------------------------
# Events


@dataclass(frozen=True)
class FailoverEvent:
    """A group moved (or was taken over) from one node to another.

    ``from_node`` is None when nobody held it (initial acquisition after start);
    ``to_node`` is None when it was released with nobody taking it.
    """

    group: str
    from_node: str | None
    to_node: str | None
    reason: str


class MonitorOutcome(enum.StrEnum):
    """What happened to a monitored resource."""

    FAILED = "failed"  # a check failed (not running, error, timeout)
    RESTARTED = "restarted"  # restarted in place
    RESTART_FAILED = "restart_failed"
    GIVING_UP = "giving_up"  # restarts used up: the group is to move to the peer
    CLEANED_UP = "cleaned_up"  # hactl cleanup reset its fail count


@dataclass(frozen=True)
class MonitorEvent:
    """A monitored resource failed a check, was restarted, or gave up (ha.cf ``monitor``)."""

    group: str
    resource: str
    outcome: MonitorOutcome
    reason: str
    fail_count: int


@dataclass(frozen=True)
class Cleaned:
    """A resource whose fail count ``hactl cleanup`` reset (``fail_count``: before)."""

    group: str
    resource: str
    fail_count: int


@dataclass(frozen=True)
class EventsLost:
    """Marker: this subscriber was too slow and ``count`` events were dropped here.

    Delivered in place of the lost events (after every event that was queued before
    them), so a client knows its picture is incomplete and can re-read the snapshot.
    """

    count: int


Event = (
    NodeStatusChanged | LinkStatusChanged | GroupChanged | FailoverEvent | MonitorEvent | EventsLost
)


@dataclass(frozen=True)
class TimedEvent:
    """An event and the Unix wall time at which the daemon published it."""

    wall: float
    event: Event


@runtime_checkable
class EventSubscription(Protocol):
    """An async iterator of events that must be closed to free its queue."""

    def __aiter__(self) -> AsyncIterator[TimedEvent]: ...

    async def __anext__(self) -> TimedEvent: ...

    async def aclose(self) -> None: ...


# --------------------------------------------------------------------------------------
# What the daemon implements


class ControlTarget(Protocol):
    """The daemon as the control plane sees it. All methods run on the daemon's loop."""

    def snapshot(self) -> ClusterView:
        """The current state; cheap, never blocks."""

    async def standby(self, scope: Scope) -> ClusterView:
        """Give the groups in ``scope`` to the peer (hb_standby); return when the move
        has finished. Raises OperationRefused / OperationFailed / TargetUnavailable."""

    async def takeover(self, scope: Scope) -> ClusterView:
        """Take the groups in ``scope`` from the peer (hb_takeover); same contract."""

    async def cleanup(self, resource: str) -> tuple[list[Cleaned], ClusterView]:
        """Reset the fail counts of the resources ``resource`` names as haresources does
        (all when empty) and lift their groups' failure here. Raises InvalidRequest for a
        name that matches nothing."""

    async def client_status(self, node: str, client: str, timeout_s: float) -> str:
        """``online`` or ``offline``: whether API client ``client`` runs on ``node``
        (cl_status clientstatus). Raises UnknownNode, or NoTimelyResponse when an
        active peer did not answer within ``timeout_s``."""

    async def reload(self) -> list[str]:
        """Re-read the configuration; return warnings. A bad config raises
        ``hacore.api.ConfigError`` and leaves the running configuration untouched."""

    def subscribe(self) -> EventSubscription:
        """A new bounded event queue for one client, registered before this returns
        (use :class:`hacore.control.events.EventHub`). A slow subscriber loses events
        and receives an :class:`EventsLost` marker instead; the daemon never waits."""

    def apiauth(self) -> dict[str, ApiAuth]:
        """The apiauth entries in force (ha.cf's; built-in defaults are added by the
        control plane for names ha.cf does not define)."""
