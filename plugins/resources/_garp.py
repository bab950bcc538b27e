"""Gratuitous ARP, sent from Python the way Heartbeat's ``send_arp`` sends it.

After a takeover the peers' ARP caches still map the VIP to the old holder's MAC;
gratuitous ARP is what moves the traffic. ``send_arp`` (libnet build, the one Debian's
IPaddr/IPaddr2 run) sends ``repeat`` pairs, each an ARP request then an ARP reply with
sender = target = VIP, to the Ethernet broadcast address, ``interval/2`` apart (some
hosts ignore one kind or the other, hence pairs). The first request goes out before
``start`` returns; the rest are paced by a background task so failover is not held up.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import struct
from dataclasses import dataclass

import structlog

log = structlog.get_logger("hacore.resources.garp")

ETH_P_ARP = 0x0806
ETH_P_IP = 0x0800
ARPHRD_ETHER = 1
ARPOP_REQUEST = 1
ARPOP_REPLY = 2
BROADCAST_MAC = b"\xff" * 6
ZERO_MAC = b"\x00" * 6


@dataclass(frozen=True)
class ArpPlan:
    """How many request/reply pairs to send and the time between two pairs."""

    repeat: int
    interval_s: float


def arp_frame(op: int, mac: bytes, ip: ipaddress.IPv4Address) -> bytes:
    """One Ethernet frame, as send_arp builds it: target MAC zero in a request, ours in a reply."""
    target_mac = ZERO_MAC if op == ARPOP_REQUEST else mac
    ether = BROADCAST_MAC + mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", ARPHRD_ETHER, ETH_P_IP, 6, 4, op)
    return ether + arp + mac + ip.packed + target_mac + ip.packed


class Announcer:
    """Sends one VIP's gratuitous ARPs on one interface; ``cancel`` stops the background part."""

    def __init__(self, ifname: str, mac: bytes, ip: ipaddress.IPv4Address, plan: ArpPlan) -> None:
        self.ifname = ifname
        self.ip = ip
        self.plan = plan
        self._frames = [arp_frame(ARPOP_REQUEST, mac, ip), arp_frame(ARPOP_REPLY, mac, ip)]
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Send the first request now, the remaining packets from a background task."""
        self.cancel()
        total = 2 * self.plan.repeat
        if total == 0:
            return
        sock = self._open()
        if sock is None:
            return
        if not self._send(sock, 0):
            return
        self._task = asyncio.get_running_loop().create_task(
            self._send_rest(sock, total), name=f"garp-{self.ip}"
        )

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def wait(self) -> None:
        """Wait until the background packets are sent (tests; shutdown)."""
        if self._task is not None:
            await asyncio.wait({self._task})

    def _open(self) -> socket.socket | None:
        try:
            return _packet_socket()
        except OSError as exc:
            self._report(exc)
            return None

    def _send(self, sock: socket.socket, index: int) -> bool:
        try:
            sock.sendto(self._frames[index % 2], (self.ifname, ETH_P_ARP))
        except OSError as exc:
            self._report(exc)
            return False
        return True

    def _report(self, exc: OSError) -> None:
        log.error(
            "garp_failed",
            interface=self.ifname,
            ip=str(self.ip),
            error=str(exc),
            msg=f"Could not send gratuitous arps: {exc}",
        )

    async def _send_rest(self, sock: socket.socket, total: int) -> None:
        for index in range(1, total):
            await asyncio.sleep(self.plan.interval_s / 2)
            if not self._send(sock, index):
                return
        log.debug("garp_done", interface=self.ifname, ip=str(self.ip), packets=total)


def _packet_socket() -> socket.socket:
    """A send-only packet socket for the current network namespace, kept for the process.

    Closing a packet socket waits for an RCU grace period (about 10 ms, measured) and
    binding one with a protocol does too: on the failover path that is most of the cost
    of a VIP move. Protocol 0 means the kernel never queues received frames on it.
    """
    netns = os.stat("/proc/thread-self/ns/net").st_ino
    sock = _SOCKETS.get(netns)
    if sock is None:
        sock = _SOCKETS[netns] = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        sock.setblocking(False)
    return sock


_SOCKETS: dict[int, socket.socket] = {}
