"""The small public API that plugins use to talk to the core.

Plugins import from here and from :mod:`hacore.hookspecs` only. Everything else in
``hacore`` is internal and may change; keeping this surface small is what lets a
transport, an auth method or a resource agent be written without knowing how
membership or failover work.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from hacore.config.timeparse import parse_msec

__all__ = ["parse_msec"]  # re-exported: plugins read ha.cf time values the way the core does

# --------------------------------------------------------------------------------------
# Errors


@dataclass(frozen=True)
class SourceLocation:
    """Where a piece of configuration came from, so every error can point at it."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


class HacoreError(Exception):
    """Base of every error the core reports to an operator (never a traceback)."""


class ConfigError(HacoreError):
    """A configuration problem; the message names what is wrong, the location where."""

    def __init__(self, message: str, location: SourceLocation | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class ResourceError(HacoreError):
    """A resource action failed (non-zero exit, timeout, kernel refusal...)."""


# --------------------------------------------------------------------------------------
# Transports


@dataclass(frozen=True)
class MediumConfig:
    """One media line of ha.cf (``ucast eth1 172.16.0.51``), as the transport sees it.

    ``udpport`` and ``baud`` are the values in effect when the line was read: Heartbeat
    applies them only to media lines that follow them.
    """

    keyword: str
    args: tuple[str, ...]
    udpport: int
    baud: int
    location: SourceLocation | None = None


PacketSink = Callable[[bytes, str], None]
"""Called by a transport for every packet it receives: ``(payload, link_name)``."""


class Transport(abc.ABC):
    """One heartbeat medium (one socket or one tty).

    ``link_name`` is what operators see as the link (Heartbeat names links after the
    interface, e.g. ``eth1``, or the tty). A transport knows sockets and framing only;
    it never parses messages.
    """

    link_name: str
    # Heartbeat's serial links carry the classic text format, never netstring: a
    # transport that sets this gets classic frames from the core.
    wants_classic: bool = False

    @abc.abstractmethod
    async def start(self, sink: PacketSink) -> None:
        """Open the medium and deliver every received payload to ``sink``."""

    @abc.abstractmethod
    def send(self, payload: bytes) -> None:
        """Queue one packet for sending; never blocks, never raises for a lost packet."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Close the medium; idempotent."""

    def preflight(self) -> str | None:
        """What this machine lacks to open the medium (``interface eth9 does not exist``),
        or None when nothing is missing. Must not open anything: ``hacored --check`` and
        the start-up checks call it before the daemon touches anything. A transport that
        cannot tell keeps this default, and the checks report the medium as not checked.
        """
        raise NotImplementedError


@dataclass(frozen=True)
class TransportType:
    """A medium keyword (``ucast``) and how to build its transports from a media line.

    ``build`` validates the line and returns one transport per link it describes
    (``bcast eth0 eth1`` gives two). It must not open sockets: ``hacored --check``
    calls it too. Bad arguments raise :class:`ConfigError` with the line's location.
    ``settings`` names the ha.cf settings the medium takes from outside its own line
    (``udpport``, ``baud``: fields of :class:`MediumConfig`), so ``--check`` can show
    the values in force for each line without knowing the medium.
    """

    keyword: str
    build: Callable[[MediumConfig], Sequence[Transport]]
    description: str = ""
    settings: tuple[Literal["udpport", "baud"], ...] = ()


# --------------------------------------------------------------------------------------
# Authentication


@dataclass(frozen=True)
class AuthMethod:
    """A signature method named in authkeys (``1 sha1 secret``).

    ``digest(key, data)`` returns the signature text exactly as it goes on the wire
    (lowercase hex for Heartbeat's methods). ``key_required`` True means a key is
    mandatory, False means a key is forbidden (Heartbeat's crc).
    """

    name: str
    key_required: bool
    digest: Callable[[bytes | None, bytes], str]
    heartbeat_compatible: bool = True
    startup_warning: str | None = None


# --------------------------------------------------------------------------------------
# Resources


@dataclass(frozen=True)
class ResourceRequest:
    """One resource of a haresources group, as an agent is asked to manage it.

    ``spec`` is the token as written (``IPaddr::10.0.0.60/24/eth0``); ``name`` and
    ``args`` are the result of Heartbeat's ``::`` split.
    """

    spec: str
    name: str
    args: tuple[str, ...]
    config_dir: Path
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    init_dir: Path = Path("/etc/init.d")


class ResourceAgent(abc.ABC):
    """Starts, stops and checks one resource. Knows nothing about membership.

    Contract (Heartbeat's): ``start`` is called only when ``status`` says not running;
    ``stop`` must succeed when already stopped. Failures raise :class:`ResourceError`.
    """

    def __init__(self, request: ResourceRequest) -> None:
        self.request = request

    @abc.abstractmethod
    async def start(self) -> None: ...

    @abc.abstractmethod
    async def stop(self) -> None: ...

    @abc.abstractmethod
    async def status(self) -> bool:
        """True when the resource is running here."""

    async def monitor(self) -> bool:
        """Is the resource healthy here? The recurring check of ha.cf's ``monitor`` line.

        Called every ``interval`` on the node that runs the group, only while it runs,
        never during the group's own start or stop. Return False (or raise
        :class:`ResourceError` saying why) when the resource has failed; the core then
        restarts it, and after ``restarts`` failures moves the group to the peer.

        The core cancels a call that outlives the monitor's ``timeout`` and counts it as
        a failure: a check that runs a program must kill it when cancelled (the
        built-in script agents run theirs in their own session and kill the session).
        The default is :meth:`status`; override it when health means more than "is
        configured here" (``IPaddr`` also wants the interface up).
        """
        return await self.status()

    async def announce(self) -> None:  # noqa: B027 - optional hook, most agents have nothing to announce
        """Re-announce the resource to the network (gratuitous ARP); default: nothing."""

    def __str__(self) -> str:
        return self.request.spec


@dataclass(frozen=True)
class ResourceType:
    """A resource name (``IPaddr``) and the factory that builds its agents.

    ``validate`` (optional) checks the arguments at config-check time and raises
    :class:`ConfigError`.
    """

    name: str
    create: Callable[[ResourceRequest], ResourceAgent]
    validate: Callable[[ResourceRequest], None] | None = None
    description: str = ""


# --------------------------------------------------------------------------------------
# Cluster state, events and the handle given to plugins


class NodeStatus(enum.StrEnum):
    """Heartbeat's node status words."""

    INIT = "init"
    UP = "up"
    ACTIVE = "active"
    DEAD = "dead"
    PING = "ping"


class LinkStatus(enum.StrEnum):
    UP = "up"
    DEAD = "dead"


class GroupState(enum.StrEnum):
    """Where a resource group is in its life on one node."""

    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    FAILED = "failed"  # a stop failed: it may still run here; never started elsewhere


class Scope(enum.StrEnum):
    """hb_standby / hb_takeover argument: which groups, relative to the asking node."""

    ALL = "all"
    LOCAL = "local"
    FOREIGN = "foreign"


@dataclass(frozen=True)
class NodeStatusChanged:
    node: str
    old: NodeStatus
    new: NodeStatus
    generation: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class LinkStatusChanged:
    node: str
    link: str
    old: LinkStatus
    new: LinkStatus


@dataclass(frozen=True)
class GroupChanged:
    group: str
    holder: str | None
    state: GroupState
    reason: str = ""


@dataclass(frozen=True)
class ClusterMessage:
    """A message from the cluster, as plugins see it (fields in wire order)."""

    type: str
    source: str
    fields: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        for key, value in self.fields:
            if key == name:
                return value
        return None


class Cluster(Protocol):
    """What a plugin (a helper such as ipfail, an observer) may ask of the running core."""

    @property
    def local_node(self) -> str: ...

    def node_status(self, node: str) -> NodeStatus: ...

    def nodes(self) -> Sequence[str]:
        """Every configured node, ping nodes included, in ha.cf order."""

    def node_type(self, node: str) -> str:
        """``normal`` or ``ping``."""

    def parameter(self, name: str) -> str | None:
        """An ha.cf parameter as ``cl_status hbparameter`` prints it (None if unknown)."""

    def send(self, msg_type: str, fields: Mapping[str, str], dest: str | None = None) -> None:
        """Send a sequenced, signed message to the cluster (to ``dest`` only if given)."""

    def standby(self, scope: Scope) -> Awaitable[object]:
        """Give the groups in ``scope`` to the peer (hb_standby)."""


@dataclass(frozen=True)
class HelperType:
    """An in-process helper that ha.cf's ``respawn`` line can name by its program name.

    When a respawn line's command basename equals ``name`` the core runs ``run`` as a
    supervised coroutine instead of a process (Heartbeat's ipfail talks to an API we do
    not emulate; the built-in helper keeps ha.cf files working unchanged).
    """

    name: str
    run: Callable[[Cluster], Awaitable[None]]
    description: str = ""


# --------------------------------------------------------------------------------------
# Fencing (STONITH)


class FenceResult(enum.StrEnum):
    """Heartbeat's ``stonith`` message results for one reset attempt."""

    OK = "OK"  # the node was reset
    BADHOST = "badhost"  # this device cannot reset that node
    BAD = "bad"  # the reset failed (device unreachable, timed out, refused...)


@dataclass(frozen=True)
class FenceRequest:
    """The STONITH device of one node, as ha.cf configures it.

    ``stonith TYPE FILE`` gives ``file``; ``stonith_host FROM TYPE PARAMS…`` gives
    ``params`` (the rest of the line, exactly as written). ``timeout`` bounds one reset.
    """

    type: str
    params: str = ""
    file: Path | None = None
    location: SourceLocation | None = None
    timeout: float = 120.0


class FenceDevice(abc.ABC):
    """Resets (power-cycles) a node. Knows nothing about membership or resources.

    ``reset`` must return only once the node is known to be down (or the attempt has
    failed): the groups are taken over as soon as it returns OK. It must never raise for
    a failed attempt; return BAD (the core retries with back-off) and put the reason in
    ``last_error``.
    """

    def __init__(self, request: FenceRequest) -> None:
        self.request = request
        self.last_error = ""

    @abc.abstractmethod
    async def reset(self, node: str) -> FenceResult: ...

    def device_id(self) -> str:
        """What Heartbeat's ``Resetting node X with [...]`` names (the device type)."""
        return self.request.type

    def __str__(self) -> str:
        return self.device_id()
