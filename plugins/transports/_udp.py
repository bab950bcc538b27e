"""What the UDP media (ucast, bcast, mcast) share: argument checks, socket set-up and the
asyncio life cycle of one heartbeat socket.

Every socket is bound to its interface with SO_BINDTODEVICE, as Heartbeat does: a link is
an interface, so a packet counts for the link it arrived on and a send never leaks out of
another interface when routes change. SO_REUSEADDR lets several media share a port on the
same interface (a ``bcast`` and a ``ucast`` line with the same udpport).
"""

from __future__ import annotations

import abc
import asyncio
import ipaddress
import socket
from collections.abc import Callable

import structlog

from hacore.api import (
    ConfigError,
    HacoreError,
    MediumConfig,
    PacketSink,
    SourceLocation,
    Transport,
)

from ._delivery import Delivering
from ._ratelimit import FailureLog

log = structlog.get_logger("hacore.transport")

IFNAMSIZ = 16
LIMITED_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


# ---- argument checks ----------------------------------------------------------------


def media_line(medium: MediumConfig) -> str:
    return " ".join((medium.keyword, *medium.args))


def expect_args(medium: MediumConfig, *names: str) -> tuple[str, ...]:
    if len(medium.args) != len(names):
        raise ConfigError(
            f"{medium.keyword} takes {len(names)} argument(s) ({' '.join(names)}), "
            f"got {len(medium.args)} in '{media_line(medium)}'",
            medium.location,
        )
    return medium.args


def interface_name(medium: MediumConfig, name: str) -> str:
    """Check the kernel's rules for a device name (dev_valid_name), not that it exists:
    ``--check`` may run where the interface does not."""
    if (
        not name
        or len(name) >= IFNAMSIZ
        or name in (".", "..")
        or any(c in name for c in "/:")
        or any(c.isspace() for c in name)
    ):
        raise ConfigError(
            f"{medium.keyword}: invalid interface name {name!r} "
            f"(at most {IFNAMSIZ - 1} characters, no '/', ':' or blanks)",
            medium.location,
        )
    return name


def ipv4_address(medium: MediumConfig, text: str, what: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        raise ConfigError(
            f"{medium.keyword}: {what} {text!r} is not an IPv4 address", medium.location
        ) from None


def integer(medium: MediumConfig, text: str, what: str, low: int, high: int) -> int:
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ConfigError(
            f"{medium.keyword}: {what} must be an integer from {low} to {high}, got {text!r}",
            medium.location,
        )
    return int(text)


def udp_port(medium: MediumConfig, port: int) -> int:
    if not 1 <= port <= 65535:
        raise ConfigError(
            f"{medium.keyword}: udpport {port} is out of range (1..65535)", medium.location
        )
    return port


# ---- sockets ------------------------------------------------------------------------


def bound_udp_socket(
    ifname: str,
    address: str,
    port: int,
    *,
    reuse_port: bool = False,
    configure: Callable[[socket.socket], None] | None = None,
) -> socket.socket:
    """A non-blocking UDP socket bound to ``address:port`` on ``ifname`` only."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
        if configure is not None:
            configure(sock)
        sock.bind((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


# ---- life cycle ---------------------------------------------------------------------


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpTransport) -> None:
        self.owner = owner
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.backlogged = False

    def pause_writing(self) -> None:
        # asyncio's queue of packets the kernel would not take yet passed its high-water
        # mark: drop new packets rather than queue them, a heartbeat that waits behind a
        # stalled link is worse than one that is lost.
        self.backlogged = True

    def resume_writing(self) -> None:
        self.backlogged = False

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.owner._deliver(data)

    def error_received(self, exc: Exception) -> None:
        # asyncio routes failed sendto() calls here (ENETUNREACH, ENETDOWN, EMSGSIZE...).
        self.owner.failures.report("transport_socket_error", error=str(exc))

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            log.error(
                "transport_closed_by_error",
                link=self.owner.link_name,
                medium=self.owner.medium,
                error=str(exc),
            )
        if not self.closed.done():
            self.closed.set_result(None)


class UdpTransport(Delivering, Transport):
    """One UDP heartbeat socket: subclasses say how to open it and where to send."""

    def __init__(self, medium: str, link_name: str, location: SourceLocation | None) -> None:
        self.medium = medium
        self.link_name = link_name
        self.location = location
        self.failures = FailureLog(link_name, medium)
        self.packets_sent = 0
        self.packets_received = 0
        self._sink: PacketSink | None = None
        self._endpoint: asyncio.DatagramTransport | None = None
        self._protocol: _Endpoint | None = None
        self._destination: tuple[str, int] | None = None

    def preflight(self) -> str | None:
        try:
            socket.if_nametoindex(self.link_name)
        except OSError:
            return f"interface {self.link_name} does not exist"
        return None

    @abc.abstractmethod
    async def _open(self) -> tuple[socket.socket, tuple[str, int]]:
        """Open and bind the socket; return it with the address packets are sent to."""

    async def start(self, sink: PacketSink) -> None:
        if self._endpoint is not None:
            raise HacoreError(f"{self._where()}: {self.medium}: already started")
        try:
            sock, destination = await self._open()
        except OSError as exc:
            raise HacoreError(
                f"{self._where()}: {self.medium}: cannot open the heartbeat socket on "
                f"{self.link_name}: {exc.strerror or exc}"
            ) from exc
        loop = asyncio.get_running_loop()
        self._sink = sink
        self._destination = destination
        try:
            endpoint, protocol = await loop.create_datagram_endpoint(
                lambda: _Endpoint(self), sock=sock
            )
        except BaseException:
            sock.close()
            raise
        self._endpoint, self._protocol = endpoint, protocol
        log.info(
            "transport_started",
            link=self.link_name,
            medium=self.medium,
            sends_to=f"{destination[0]}:{destination[1]}",
        )

    def send(self, payload: bytes) -> None:
        endpoint, protocol = self._endpoint, self._protocol
        if endpoint is None or protocol is None or self._destination is None:
            return
        if protocol.backlogged:
            self.failures.report("transport_backlog_full", dropped_bytes=len(payload))
            return
        self.packets_sent += 1
        endpoint.sendto(payload, self._destination)

    async def stop(self) -> None:
        endpoint, protocol = self._endpoint, self._protocol
        self._endpoint = self._protocol = None
        if endpoint is None or protocol is None:
            return
        endpoint.close()
        await protocol.closed
