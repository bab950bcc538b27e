"""What the UDP media (ucast, bcast, mcast) share: argument checks, socket set-up and the
asyncio life cycle of one heartbeat socket.

Every socket is bound to its interface with SO_BINDTODEVICE, as Heartbeat does: a link is
an interface, so a packet counts for the link it arrived on and a send never leaks out of
another interface when routes change. SO_REUSEADDR lets several media share a port on the
same interface (a ``bcast`` and a ``ucast`` line with the same udpport).

A flood on the heartbeat port (garbage, forged packets) shares the socket's receive
buffer with the peers' heartbeats: when it is full the kernel drops whatever arrives,
heartbeats included. So the buffer is large (RCVBUF_BYTES: thousands of small packets)
and every wake-up drains up to DRAIN_BATCH queued datagrams, instead of asyncio's one
per turn of the loop.

Many peers on one link (32 nodes at keepalive 100 ms: 310 packets a second) would make
every packet its own wake-up, and a wake-up costs the interpreter far more than the
packet (about 150 µs with cold caches against 12 µs for the packet). Once a socket has
received more than GATHER_RATE packets a second, it stops watching the socket for
GATHER_S after each wake-up that emptied it and then takes what queued meanwhile in one
go; a heartbeat sent on the socket gathers at once too, since the daemon is awake for it
anyway. At keepalive 100 ms that is two wake-ups per keepalive instead of 31, each packet
read at most GATHER_S late (a tenth of a 500 ms deadtime). The threshold sits between
two node counts: a two-node cluster's socket gets 10 to 20 packets a second at keepalive
100 ms (20 to 40 at 50 ms, its own looped-back copies included), so it never gathers and
its hand-over messages are read the moment they arrive; eight nodes (70 to 80) do, and
were the worst case before (every packet its own wake-up: more CPU per node than 16
nodes). Nor does a flood that a drain cannot empty gather: it keeps being read as fast as
it comes.
"""

from __future__ import annotations

import abc
import asyncio
import ipaddress
import socket
from collections.abc import Callable
from typing import Protocol, cast

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
RCVBUF_BYTES = 4 * 1024 * 1024
DRAIN_BATCH = 64
GATHER_RATE = 60.0  # packets a second on one socket
GATHER_S = 0.05
RATE_WINDOW_S = 1.0  # the rate is the count over at least this long
MAX_DATAGRAM = 262144  # Heartbeat's MAXMSG
SO_RCVBUFFORCE = 33  # <asm-generic/socket.h>; the socket module does not export it


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
        _enlarge_receive_buffer(sock)
        if configure is not None:
            configure(sock)
        sock.bind((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _enlarge_receive_buffer(sock: socket.socket) -> None:
    """RCVBUF_BYTES, past net.core.rmem_max when we may (root); else as much as allowed."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_BYTES)


# ---- life cycle ---------------------------------------------------------------------


class _Pausable(Protocol):
    """asyncio's selector datagram transport pauses and resumes reading as its stream
    transports do (typeshed declares it on ReadTransport only)."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


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
        self.owner._after_wake()

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
        self._sock: socket.socket | None = None
        self._buffer = bytearray(MAX_DATAGRAM)
        self._gathering: asyncio.Handle | None = None
        self._rate_since = 0.0
        self._rate_base = 0  # packets_received at _rate_since
        self._busy = False

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
        self._endpoint, self._protocol, self._sock = endpoint, protocol, sock
        log.info(
            "transport_started",
            link=self.link_name,
            medium=self.medium,
            sends_to=f"{destination[0]}:{destination[1]}",
        )

    def _drain(self) -> bool:
        """Deliver up to DRAIN_BATCH more datagrams already queued on the socket; True
        when the socket is empty now."""
        sock, buffer = self._sock, self._buffer
        if sock is None:
            return False
        for _ in range(DRAIN_BATCH):
            try:
                size = sock.recv_into(buffer)
            except (BlockingIOError, InterruptedError):
                return True
            except OSError as exc:  # asyncio's own read reports it on the next turn
                self.failures.report("transport_socket_error", error=str(exc))
                return False
            self._deliver(bytes(buffer[:size]))
            if self._sock is None:  # a delivery stopped the transport
                return False
        return False

    def _after_wake(self) -> None:
        """Drain; then, on a busy socket, stop watching it for GATHER_S."""
        endpoint = self._endpoint
        if self._drain() and endpoint is not None and self._is_busy():
            cast(_Pausable, endpoint).pause_reading()
            self._gather_later()

    def _gathered(self) -> None:
        """Take what queued while the socket was not watched; watch it again once a
        gathering finds nothing, or more than one drain takes."""
        self._gathering = None
        endpoint = self._endpoint
        if endpoint is None:
            return
        before = self.packets_received
        if self._drain() and self.packets_received > before and self._is_busy():
            self._gather_later()
        elif self._endpoint is not None:
            cast(_Pausable, endpoint).resume_reading()

    def _gather_later(self) -> None:
        self._gathering = asyncio.get_running_loop().call_later(GATHER_S, self._gathered)

    def _is_busy(self) -> bool:
        """More than GATHER_RATE packets a second over the last rate window."""
        now = asyncio.get_running_loop().time()
        elapsed = now - self._rate_since
        if elapsed >= RATE_WINDOW_S:
            self._busy = self.packets_received - self._rate_base > GATHER_RATE * elapsed
            self._rate_since, self._rate_base = now, self.packets_received
        return self._busy

    def send(self, payload: bytes) -> None:
        endpoint, protocol = self._endpoint, self._protocol
        if endpoint is None or protocol is None or self._destination is None:
            return
        if protocol.backlogged:
            self.failures.report("transport_backlog_full", dropped_bytes=len(payload))
            return
        self.packets_sent += 1
        endpoint.sendto(payload, self._destination)
        if self._gathering is not None:  # gather in this wake-up, not in one of its own
            self._gathering.cancel()
            self._gathering = asyncio.get_running_loop().call_soon(self._gathered)

    async def stop(self) -> None:
        endpoint, protocol = self._endpoint, self._protocol
        self._endpoint = self._protocol = None
        self._sock = None
        if self._gathering is not None:
            self._gathering.cancel()
            self._gathering = None
        if endpoint is None or protocol is None:
            return
        endpoint.close()
        await protocol.closed
