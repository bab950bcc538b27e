"""``ping ADDR...`` and ``ping_group NAME ADDR...``: ping nodes, Heartbeat's ICMP media.

A ping node is a plain host (often the router) that runs no cluster software: the core
hands us a complete signed ``t=NS_st`` message that pretends to come from the ping node,
we send it as the data of an ICMP echo request, and the node's kernel echoes it back; the
echo is the ping node's heartbeat. A ``ping_group`` sends each probe to every member and
counts as alive while any member answers, so replies to one probe are delivered once.

Telling our replies apart. A raw ICMP socket receives a copy of every ICMP packet of the
namespace, so each transport keeps only echo replies (the kernel drops the rest for us,
ICMP_FILTER) whose identifier is its own and whose source is one of its addresses.
Heartbeat uses ``getpid() & 0xFFFF`` as identifier; here the first transport started in a
process gets exactly that and each further one the next value, so a ``ping 10.0.0.2`` and
a ``ping_group`` that also holds 10.0.0.2 never take each other's replies. A reply for a
sequence number already delivered (a group's second member, a duplicated packet) is
dropped, as Heartbeat's ping_group does.

The message is not parsed here: the core authenticates the echo and checks its ``info``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import os
import socket
import struct
from collections.abc import Sequence

import structlog

from hacore.api import (
    ConfigError,
    HacoreError,
    MediumConfig,
    PacketSink,
    SourceLocation,
    Transport,
    TransportType,
)
from hacore.hookspecs import hookimpl

from ._delivery import Delivering
from ._icmp import ECHO_REPLY, MAX_DATA_LEN, echo_request, parse_echo_reply
from ._ratelimit import FailureLog
from ._udp import LIMITED_BROADCAST, media_line

log = structlog.get_logger("hacore.transport")

# linux/icmp.h: a raw ICMP socket option whose mask bits name the ICMP types to drop.
SOL_RAW = 255
ICMP_FILTER = 1
_ONLY_ECHO_REPLIES = struct.pack("=I", ~(1 << ECHO_REPLY) & 0xFFFFFFFF)

RECEIVE_BUFFER = 0xFFFF  # the largest IPv4 datagram
READS_PER_WAKEUP = 64  # then let the loop run other work; it calls us again if more wait
DUPLICATE_WINDOW = 128  # Heartbeat's NSLOT: how far back a repeated seq is recognised

_identifiers = itertools.count()


def _next_identifier() -> int:
    """Taken at start, not build: the daemon may fork between the two."""
    return (os.getpid() + next(_identifiers)) & 0xFFFF


class PingTransport(Delivering, Transport):
    """One ping node: a single address (``ping``) or the members of a ``ping_group``."""

    def __init__(
        self,
        keyword: str,
        link_name: str,
        addresses: Sequence[str],
        location: SourceLocation | None,
    ) -> None:
        self.keyword = keyword
        self.addresses = tuple(addresses)
        self.medium = " ".join(
            (keyword, link_name) if keyword == "ping" else (keyword, link_name, *self.addresses)
        )
        self.link_name = link_name
        self.location = location
        self.failures = FailureLog(link_name, self.medium)
        self.packets_sent = 0
        self.packets_received = 0
        self.ident: int | None = None
        self._members = frozenset(self.addresses)
        self._seq = 0
        self._seen = [-1] * DUPLICATE_WINDOW
        self._sink: PacketSink | None = None
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def preflight(self) -> str | None:
        return None  # ICMP needs no interface of its own: the routing table picks one

    async def start(self, sink: PacketSink) -> None:
        if self._sock is not None:
            raise HacoreError(f"{self._where()}: {self.medium}: already started")
        sock = self._open()
        loop = asyncio.get_running_loop()
        self.ident = _next_identifier()
        self._sink, self._sock, self._loop = sink, sock, loop
        loop.add_reader(sock.fileno(), self._drain)
        log.info(
            "transport_started",
            msg=f"{self.keyword.replace('_', ' ')} heartbeat started.",  # Heartbeat's text
            link=self.link_name,
            medium=self.medium,
            sends_to=",".join(self.addresses),
            icmp_id=self.ident,
        )

    def send(self, payload: bytes) -> None:
        sock, ident = self._sock, self.ident
        if sock is None or ident is None:
            return
        if len(payload) > MAX_DATA_LEN:
            self.failures.report(
                "transport_payload_too_big", size=len(payload), max_size=MAX_DATA_LEN
            )
            return
        packet = echo_request(ident, self._seq, payload)
        self._seq = (self._seq + 1) & 0xFFFF
        for address in self.addresses:
            try:
                sock.sendto(packet, (address, 0))
            except BlockingIOError:
                self.failures.report(
                    "transport_backlog_full", to=address, dropped_bytes=len(payload)
                )
            except OSError as exc:
                self.failures.report(
                    "transport_socket_error", to=address, error=exc.strerror or str(exc)
                )
            else:
                self.packets_sent += 1

    async def stop(self) -> None:
        sock, loop = self._sock, self._loop
        self._sock = self._loop = None
        if sock is None or loop is None:
            return
        loop.remove_reader(sock.fileno())
        sock.close()

    def _open(self) -> socket.socket:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        except PermissionError as exc:
            raise HacoreError(
                f"{self._where()}: {self.medium}: ping nodes need a raw ICMP socket, which "
                f"needs root (CAP_NET_RAW): {exc.strerror or exc}"
            ) from exc
        except OSError as exc:
            raise HacoreError(
                f"{self._where()}: {self.medium}: cannot open the ICMP socket: "
                f"{exc.strerror or exc}"
            ) from exc
        try:
            sock.setblocking(False)
            sock.setsockopt(SOL_RAW, ICMP_FILTER, _ONLY_ECHO_REPLIES)
        except OSError as exc:
            sock.close()
            raise HacoreError(
                f"{self._where()}: {self.medium}: cannot set up the ICMP socket: "
                f"{exc.strerror or exc}"
            ) from exc
        return sock

    def _drain(self) -> None:
        for _ in range(READS_PER_WAKEUP):
            sock = self._sock  # the sink may have stopped us
            if sock is None:
                return
            try:
                datagram, (source, _) = sock.recvfrom(RECEIVE_BUFFER)
            except BlockingIOError:
                return
            except OSError as exc:
                self.failures.report("transport_socket_error", error=exc.strerror or str(exc))
                return
            reply = parse_echo_reply(datagram)
            if reply is None or reply.ident != self.ident or source not in self._members:
                continue
            slot = reply.seq % DUPLICATE_WINDOW
            if self._seen[slot] == reply.seq:
                continue
            self._seen[slot] = reply.seq
            self._deliver(reply.data)


# ---- ha.cf lines --------------------------------------------------------------------


def _ping_address(medium: MediumConfig, text: str) -> str:
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise ConfigError(
            f"{medium.keyword}: {text!r} is not an IPv4 address "
            "(host names are not resolved: write the ping node's address)",
            medium.location,
        ) from None
    if address.is_multicast or address.is_unspecified or address == LIMITED_BROADCAST:
        raise ConfigError(
            f"{medium.keyword}: {address} cannot be a ping node (it is not a unicast address)",
            medium.location,
        )
    return str(address)


def build_ping(medium: MediumConfig) -> Sequence[Transport]:
    """``ping ADDR...``: each address is a ping node of its own, named after it."""
    if not medium.args:
        raise ConfigError(
            f"ping takes at least one address, got none in '{media_line(medium)}'",
            medium.location,
        )
    transports: list[Transport] = []
    for text in medium.args:
        address = _ping_address(medium, text)
        transports.append(PingTransport("ping", text, (address,), medium.location))
    return transports


def build_ping_group(medium: MediumConfig) -> Sequence[Transport]:
    """``ping_group NAME ADDR...``: one ping node named NAME, alive while any member is."""
    if len(medium.args) < 2:
        raise ConfigError(
            f"ping_group takes a group name and at least one address, got '{media_line(medium)}'",
            medium.location,
        )
    name, *members = medium.args
    addresses = dict.fromkeys(_ping_address(medium, text) for text in members)
    return [PingTransport("ping_group", name, tuple(addresses), medium.location)]


@hookimpl
def hacore_transport_types() -> Sequence[TransportType]:
    return [
        TransportType(
            keyword="ping",
            build=build_ping,
            description="ICMP echo to a ping node: ping <ip> [<ip>...] (needs root)",
        ),
        TransportType(
            keyword="ping_group",
            build=build_ping_group,
            description="ICMP echo to every member of a ping node group: "
            "ping_group <name> <ip> [<ip>...] (needs root)",
        ),
    ]
