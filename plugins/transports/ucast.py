"""``ucast IFACE PEER_IP``: heartbeats by UDP unicast to one peer, as Heartbeat sends them.

Like Heartbeat, each line gets its own socket bound to ``0.0.0.0:udpport`` on IFACE with
SO_REUSEADDR and SO_REUSEPORT, and sends from it (so the source port is udpport, which
firewall rules written for Heartbeat expect).

Why every datagram is still delivered once: the ucast sockets of one interface and port
form one SO_REUSEPORT group, and the kernel hands each unicast datagram to exactly *one*
socket of the group (chosen by a hash of the addresses and ports), never to all of them.
So a packet from any peer may arrive on the socket of another peer's line; that is fine
because every transport of the daemon feeds the same sink and the link is named after the
interface, not the peer. The test ``test_two_lines_share_the_port_without_duplicates``
checks this on a real kernel. (Broadcasts and multicasts are the exception: the kernel
copies those to every matching socket, which is why bcast/mcast use one socket per line
and interface and the core drops the duplicates by sequence number, as Heartbeat does.)

A line whose peer is one of our own addresses is harmless: our packets come back to us
and the core drops them as its own.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence

from hacore.api import ConfigError, MediumConfig, SourceLocation, Transport, TransportType
from hacore.hookspecs import hookimpl

from ._udp import (
    LIMITED_BROADCAST,
    UdpTransport,
    bound_udp_socket,
    expect_args,
    interface_name,
    ipv4_address,
    udp_port,
)


class UcastTransport(UdpTransport):
    def __init__(self, ifname: str, peer: str, port: int, location: SourceLocation | None) -> None:
        super().__init__(f"ucast {ifname} {peer}", ifname, location)
        self.ifname = ifname
        self.peer = peer
        self.port = port

    async def _open(self) -> tuple[socket.socket, tuple[str, int]]:
        sock = bound_udp_socket(self.ifname, "0.0.0.0", self.port, reuse_port=True)
        return sock, (self.peer, self.port)


def build(medium: MediumConfig) -> Sequence[Transport]:
    ifname, peer_text = expect_args(medium, "interface", "peer-ip")
    ifname = interface_name(medium, ifname)
    peer = ipv4_address(medium, peer_text, "peer")
    if peer.is_multicast or peer.is_unspecified or peer == LIMITED_BROADCAST:
        raise ConfigError(
            f"ucast: peer {peer} is not a unicast address (use bcast or mcast)", medium.location
        )
    port = udp_port(medium, medium.udpport)
    return [UcastTransport(ifname, str(peer), port, medium.location)]


@hookimpl
def hacore_transport_types() -> Sequence[TransportType]:
    return [
        TransportType(
            keyword="ucast",
            build=build,
            description="UDP unicast to one peer: ucast <interface> <peer-ip> (port: udpport)",
            settings=("udpport",),
        )
    ]
