"""``mcast IFACE GROUP PORT TTL LOOP``: heartbeats to an IPv4 multicast group.

The port comes from the line, never from udpport (Heartbeat's rule). The socket joins the
group on IFACE only and is bound to ``GROUP:PORT`` on IFACE, so it receives that group's
packets from that interface and nothing else (not unicast to the port, not another
group joined by some other socket on the host). Interfaces are named by index
(``ip_mreqn``), so an interface without an IPv4 address still works.

TTL 0 keeps packets on this host; LOOP 0 stops our own packets from coming back to us.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence

from hacore.api import ConfigError, MediumConfig, SourceLocation, Transport, TransportType
from hacore.hookspecs import hookimpl

from ._udp import (
    UdpTransport,
    bound_udp_socket,
    expect_args,
    integer,
    interface_name,
    ipv4_address,
)


def ip_mreqn(group: str, ifindex: int) -> bytes:
    """struct ip_mreqn {multiaddr, local address (any), ifindex}."""
    return struct.pack("=4s4si", socket.inet_aton(group), bytes(4), ifindex)


class McastTransport(UdpTransport):
    def __init__(
        self,
        ifname: str,
        group: str,
        port: int,
        ttl: int,
        loop: bool,
        location: SourceLocation | None,
    ) -> None:
        super().__init__(f"mcast {ifname} {group} {port} {ttl} {int(loop)}", ifname, location)
        self.ifname = ifname
        self.group = group
        self.port = port
        self.ttl = ttl
        self.loop = loop

    async def _open(self) -> tuple[socket.socket, tuple[str, int]]:
        ifindex = socket.if_nametoindex(self.ifname)
        membership = ip_mreqn(self.group, ifindex)

        def configure(sock: socket.socket) -> None:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, self.ttl)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, int(self.loop))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, membership)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)

        sock = bound_udp_socket(self.ifname, self.group, self.port, configure=configure)
        return sock, (self.group, self.port)


def build(medium: MediumConfig) -> Sequence[Transport]:
    ifname, group_text, port_text, ttl_text, loop_text = expect_args(
        medium, "interface", "group", "port", "ttl", "loop"
    )
    ifname = interface_name(medium, ifname)
    group = ipv4_address(medium, group_text, "group")
    if not group.is_multicast:
        raise ConfigError(
            f"mcast: group {group} is not a multicast address (224.0.0.0/4)", medium.location
        )
    port = integer(medium, port_text, "port", 1, 65535)
    ttl = integer(medium, ttl_text, "ttl", 0, 255)
    loop = integer(medium, loop_text, "loop", 0, 1)
    return [McastTransport(ifname, str(group), port, ttl, bool(loop), medium.location)]


@hookimpl
def hacore_transport_types() -> Sequence[TransportType]:
    return [
        TransportType(
            keyword="mcast",
            build=build,
            description="UDP multicast: mcast <interface> <group> <port> <ttl 0-255> <loop 0|1>",
        )
    ]
