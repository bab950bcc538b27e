"""``bcast IFACE [IFACE...]``: heartbeats broadcast on each interface's subnet.

One transport (one socket, bound to ``0.0.0.0:udpport`` on the interface) per interface
named on the line. The destination is the interface's broadcast address, read when the
transport starts, as Heartbeat reads it with SIOCGIFBRDADDR; we ask netlink (pyroute2)
instead. An address added without ``brd`` has no broadcast address in the kernel
(Heartbeat would then send to 0.0.0.0), so we derive it from the prefix; on a /31 or /32
there is no subnet broadcast and the limited broadcast 255.255.255.255 is used, which
SO_BINDTODEVICE keeps on this interface.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from hacore.api import ConfigError, MediumConfig, SourceLocation, Transport, TransportType
from hacore.hookspecs import hookimpl

from ._udp import (
    LIMITED_BROADCAST,
    UdpTransport,
    bound_udp_socket,
    interface_name,
    media_line,
    udp_port,
)

IFA_F_SECONDARY = 0x01


@dataclass(frozen=True)
class InterfaceAddress:
    address: str
    prefixlen: int
    broadcast: str | None
    secondary: bool


def broadcast_destination(addresses: Sequence[InterfaceAddress]) -> str | None:
    """The broadcast address of the interface's primary IPv4 address (the one
    SIOCGIFBRDADDR reports), or None when it has no IPv4 address."""
    primary = next((a for a in addresses if not a.secondary), None)
    if primary is None:
        return None
    if primary.broadcast and primary.broadcast != "0.0.0.0":
        return primary.broadcast
    if primary.prefixlen >= 31:
        return str(LIMITED_BROADCAST)
    network = ipaddress.IPv4Network(f"{primary.address}/{primary.prefixlen}", strict=False)
    return str(network.broadcast_address)


async def interface_addresses(ifname: str) -> list[InterfaceAddress]:
    # pyroute2 costs about 10 MB and 0.15 s to import: only a node with a bcast link pays.
    from pyroute2 import AsyncIPRoute

    index = socket.if_nametoindex(ifname)
    async with AsyncIPRoute(groups=0) as ipr:
        return [
            InterfaceAddress(
                address=msg.get("IFA_ADDRESS"),
                prefixlen=msg["prefixlen"],
                broadcast=msg.get("IFA_BROADCAST"),
                secondary=bool(msg["flags"] & IFA_F_SECONDARY),
            )
            async for msg in await ipr.get_addr(family=socket.AF_INET, index=index)
        ]


def _enable_broadcast(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)


class BcastTransport(UdpTransport):
    def __init__(self, ifname: str, port: int, location: SourceLocation | None) -> None:
        super().__init__(f"bcast {ifname}", ifname, location)
        self.ifname = ifname
        self.port = port

    async def _open(self) -> tuple[socket.socket, tuple[str, int]]:
        destination = broadcast_destination(await interface_addresses(self.ifname))
        if destination is None:
            raise OSError(errno.EADDRNOTAVAIL, f"{self.ifname} has no IPv4 address")
        sock = bound_udp_socket(self.ifname, "0.0.0.0", self.port, configure=_enable_broadcast)
        return sock, (destination, self.port)


def build(medium: MediumConfig) -> Sequence[Transport]:
    if not medium.args:
        raise ConfigError(
            f"bcast needs at least one interface, got '{media_line(medium)}'", medium.location
        )
    port = udp_port(medium, medium.udpport)
    names = [interface_name(medium, name) for name in medium.args]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"bcast: interface {name} is listed twice", medium.location)
    return [BcastTransport(name, port, medium.location) for name in names]


@hookimpl
def hacore_transport_types() -> Sequence[TransportType]:
    return [
        TransportType(
            keyword="bcast",
            build=build,
            description="UDP broadcast: bcast <interface> [<interface>...] (port: udpport)",
            settings=("udpport",),
        )
    ]
