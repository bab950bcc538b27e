"""The IP agents' rtnetlink conversations: a few requests on one kept-open socket.

A VIP's start is on the hand-over's critical path: between the old holder's address
delete and the new holder's first gratuitous ARP no client is served. The kernel spends
microseconds on each request; a general netlink library spent half a millisecond per
request building and parsing messages, and opening a socket per action cost as much
again. So this module speaks the handful of rtnetlink messages the agents need itself
(``struct``, on the socket the event loop watches) and:

* keeps one socket per network namespace; conversations on it take turns (a lock),
  which also keeps two VIPs started at once from picking the same alias label. A
  conversation cut short (timeout, cancellation, a socket error) closes it, so no stale
  answer can reach the next one (answers are matched by sequence number as well);
* asks for one link by name or index instead of dumping them all;
* lets callers dump the addresses once and reuse the answer.

Requests and answers: ``RTM_GETADDR`` (dump), ``RTM_NEWADDR``/``RTM_DELADDR``,
``RTM_GETLINK`` (one link), ``RTM_NEWLINK`` (set up), ``RTM_GETROUTE`` (dump). A kernel
refusal is a :class:`KernelRefusal` carrying the errno.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import os
import socket
import struct
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field

NETLINK_ROUTE = 0
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4
NLM_F_DUMP = 0x300
NLM_F_EXCL, NLM_F_CREATE = 0x200, 0x400
RTM_NEWLINK, RTM_GETLINK = 16, 18
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_NEWROUTE, RTM_GETROUTE = 24, 26
IFA_ADDRESS, IFA_LOCAL, IFA_LABEL, IFA_BROADCAST = 1, 2, 3, 4
IFLA_ADDRESS, IFLA_IFNAME = 1, 3
RTA_DST, RTA_OIF, RTA_TABLE = 1, 4, 15
IFF_UP = 0x1
IFF_NOARP = 0x80
IFF_LOWER_UP = 0x10000
ARPHRD_ETHER = 1
RT_TABLE_MAIN = 254
RT_SCOPE_LINK = 253
RTN_UNICAST = 1
RECV_BUFFER = 65536

_NLMSGHDR = struct.Struct("=IHHII")  # length, type, flags, sequence, port
_IFADDRMSG = struct.Struct("=BBBBI")  # family, prefixlen, flags, scope, index
_IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
_RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, protocol,
#                                       scope, type, flags
_RTATTR = struct.Struct("=HH")  # length, type
_ERRNO = struct.Struct("=i")


class KernelRefusal(Exception):
    """The kernel answered a request with an error (``code`` is the errno)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"{os.strerror(code)} (errno {code})")
        self.code = code


@dataclass(frozen=True)
class Link:
    index: int
    name: str
    up: bool
    mac: bytes | None  # None: no ARP on this link (loopback, NOARP, not Ethernet)
    carrier: bool = True


@dataclass(frozen=True)
class Address:
    """One IPv4 address as the kernel lists it."""

    index: int  # the interface's
    prefixlen: int
    ip: str  # IFA_LOCAL (IFA_ADDRESS on a link without a local/peer distinction)
    label: str | None


# ---------------------------------------------------------------------------- encoding


def _attr(kind: int, payload: bytes) -> bytes:
    size = _RTATTR.size + len(payload)
    return _RTATTR.pack(size, kind) + payload + b"\0" * (-size % 4)


def _attrs(data: bytes, offset: int) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    while offset + _RTATTR.size <= len(data):
        size, kind = _RTATTR.unpack_from(data, offset)
        if size < _RTATTR.size:
            break
        out[kind] = data[offset + _RTATTR.size : offset + size]
        offset += (size + 3) & ~3
    return out


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.split(b"\0", 1)[0].decode(errors="replace")


def _messages(data: bytes) -> Iterator[tuple[int, int, int, bytes]]:
    """(type, flags, sequence, payload) of each message of one datagram."""
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        size, kind, flags, seq, _ = _NLMSGHDR.unpack_from(data, offset)
        if size < _NLMSGHDR.size:
            return
        yield kind, flags, seq, data[offset + _NLMSGHDR.size : offset + size]
        offset += (size + 3) & ~3


def _address(payload: bytes) -> Address | None:
    family, prefixlen, _, _, index = _IFADDRMSG.unpack_from(payload)
    if family != socket.AF_INET:
        return None
    attrs = _attrs(payload, _IFADDRMSG.size)
    raw = attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS)
    if raw is None:
        return None
    return Address(index, prefixlen, socket.inet_ntoa(raw), _text(attrs.get(IFA_LABEL)))


def _link(payload: bytes) -> Link:
    _, kind, index, flags, _ = _IFINFOMSG.unpack_from(payload)
    attrs = _attrs(payload, _IFINFOMSG.size)
    mac = attrs.get(IFLA_ADDRESS)
    arp = kind == ARPHRD_ETHER and not flags & IFF_NOARP
    return Link(
        index=index,
        name=_text(attrs.get(IFLA_IFNAME)) or f"if{index}",
        mac=mac if arp and mac else None,
        up=bool(flags & IFF_UP),
        carrier=bool(flags & IFF_LOWER_UP),
    )


# ---------------------------------------------------------------------------- the socket


@dataclass
class Netlink:
    """One rtnetlink socket; :func:`conversation` hands it out."""

    loop: asyncio.AbstractEventLoop
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    sock: socket.socket | None = None
    seq: int = 0

    def drop(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()

    def _socket(self) -> socket.socket:
        if self.sock is None:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC)
            sock.setblocking(False)
            sock.bind((0, 0))
            self.sock = sock
        return self.sock

    async def request(self, kind: int, flags: int, body: bytes) -> list[tuple[int, bytes]]:
        """Send one request; its answers as (type, payload) until the dump's end or the
        acknowledgement. A refusal raises :class:`KernelRefusal`."""
        sock = self._socket()
        self.seq = self.seq % 0xFFFFFFFF + 1
        size = _NLMSGHDR.size + len(body)
        header = _NLMSGHDR.pack(size, kind, NLM_F_REQUEST | flags, self.seq, 0)
        await self.loop.sock_sendall(sock, header + body)
        answers: list[tuple[int, bytes]] = []
        while True:
            data = await self.loop.sock_recv(sock, RECV_BUFFER)
            if not data:
                raise ConnectionError("the netlink socket was closed")
            for reply, reply_flags, seq, payload in _messages(data):
                if seq != self.seq:
                    continue  # an answer to a request given up earlier
                if reply == NLMSG_ERROR:
                    (code,) = _ERRNO.unpack_from(payload)
                    if code:
                        raise KernelRefusal(-code)
                    return answers  # the acknowledgement
                if reply == NLMSG_DONE:
                    return answers
                answers.append((reply, payload))
                if not reply_flags & NLM_F_MULTI and not flags & NLM_F_ACK:
                    return answers  # a single answer (a link asked for by index or name)


_SHARED: dict[int, Netlink] = {}  # by network namespace (inode)


def _shared() -> Netlink:
    """This namespace's socket; one made by an earlier event loop (tests run several,
    one after the other) is closed, so there is never more than one per namespace."""
    loop = asyncio.get_running_loop()
    netns = os.stat("/proc/thread-self/ns/net").st_ino
    shared = _SHARED.get(netns)
    if shared is None or shared.loop is not loop:
        if shared is not None:
            shared.drop()
        shared = _SHARED[netns] = Netlink(loop)
    return shared


@contextlib.asynccontextmanager
async def conversation() -> AsyncIterator[Netlink]:
    """The shared socket, ours until the block ends. Kernel refusals and the caller's
    own errors leave it open; anything else (cancellation, a timeout, a socket error)
    closes it."""
    shared = _shared()
    async with shared.lock:
        try:
            yield shared
        except BaseException as exc:
            if not isinstance(exc, Exception) or isinstance(exc, OSError):
                shared.drop()
            raise


# ---------------------------------------------------------------------------- requests


async def addresses(nl: Netlink) -> list[Address]:
    """Every IPv4 address of the namespace (one dump)."""
    body = _IFADDRMSG.pack(socket.AF_INET, 0, 0, 0, 0)
    answers = await nl.request(RTM_GETADDR, NLM_F_DUMP, body)
    found = (_address(payload) for kind, payload in answers if kind == RTM_NEWADDR)
    return [a for a in found if a is not None]


def matching(found: Sequence[Address], ip: ipaddress.IPv4Address) -> list[Address]:
    wanted = str(ip)
    return [a for a in found if a.ip == wanted]


async def link(nl: Netlink, *, index: int | None = None, name: str | None = None) -> Link | None:
    """One link by index or name; None when there is no such link."""
    body = _IFINFOMSG.pack(socket.AF_UNSPEC, 0, index or 0, 0, 0)
    if index is None and name is not None:
        body += _attr(IFLA_IFNAME, name.encode() + b"\0")
    try:
        answers = await nl.request(RTM_GETLINK, 0, body)
    except KernelRefusal as exc:
        if exc.code == errno.ENODEV:
            return None
        raise
    return next((_link(payload) for kind, payload in answers if kind == RTM_NEWLINK), None)


async def set_up(nl: Netlink, index: int) -> None:
    body = _IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, IFF_UP, IFF_UP)
    await nl.request(RTM_NEWLINK, NLM_F_ACK, body)


def _address_body(
    index: int,
    ip: ipaddress.IPv4Address,
    prefixlen: int,
    broadcast: ipaddress.IPv4Address | None = None,
    label: str | None = None,
) -> bytes:
    body = _IFADDRMSG.pack(socket.AF_INET, prefixlen, 0, 0, index)
    body += _attr(IFA_LOCAL, ip.packed) + _attr(IFA_ADDRESS, ip.packed)
    if broadcast is not None:
        body += _attr(IFA_BROADCAST, broadcast.packed)
    if label is not None:
        body += _attr(IFA_LABEL, label.encode() + b"\0")
    return body


async def add_address(
    nl: Netlink,
    index: int,
    ip: ipaddress.IPv4Address,
    prefixlen: int,
    broadcast: ipaddress.IPv4Address | None,
    label: str | None,
) -> None:
    body = _address_body(index, ip, prefixlen, broadcast, label)
    await nl.request(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, body)


async def delete_address(
    nl: Netlink, index: int, ip: ipaddress.IPv4Address, prefixlen: int
) -> None:
    await nl.request(RTM_DELADDR, NLM_F_ACK, _address_body(index, ip, prefixlen))


async def connected_subnet(
    nl: Netlink,
    ip: ipaddress.IPv4Address,
    prefixlen: int | None,
    link_index: int | None,
) -> tuple[ipaddress.IPv4Network, int] | None:
    """The longest connected subnet of the main table containing ``ip`` (no longer than
    ``prefixlen``, on ``link_index`` when given) and its interface's index."""
    body = _RTMSG.pack(socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0)
    best: tuple[ipaddress.IPv4Network, int] | None = None
    for kind, payload in await nl.request(RTM_GETROUTE, NLM_F_DUMP, body):
        if kind != RTM_NEWROUTE:
            continue
        _, dst_len, _, _, table, _, scope, rtype, _ = _RTMSG.unpack_from(payload)
        attrs = _attrs(payload, _RTMSG.size)
        if RTA_TABLE in attrs:
            (table,) = struct.unpack("=I", attrs[RTA_TABLE][:4])
        oif_raw = attrs.get(RTA_OIF)
        if table != RT_TABLE_MAIN or scope != RT_SCOPE_LINK or rtype != RTN_UNICAST or not oif_raw:
            continue
        (oif,) = struct.unpack("=I", oif_raw[:4])
        if link_index is not None and oif != link_index:
            continue
        dst = socket.inet_ntoa(attrs[RTA_DST]) if RTA_DST in attrs else "0.0.0.0"
        network = ipaddress.IPv4Network((dst, dst_len), strict=False)
        if ip not in network:
            continue
        if prefixlen is not None and network.prefixlen > prefixlen:
            continue
        if best is None or network.prefixlen > best[0].prefixlen:
            best = (network, oif)
    return best
