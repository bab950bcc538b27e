"""The IP agents' rtnetlink conversations: one socket kept open, few requests.

A VIP's start is on the hand-over's critical path. Opening a netlink socket per action,
dumping every link to find one and dumping the addresses twice cost several times what
the kernel spends adding the address, so:

* one socket per network namespace stays open; conversations on it take
  turns (a lock), which also keeps two VIPs started at once from picking the same alias
  label. A conversation cut short (timeout, cancellation, a socket error) closes it, so
  no stale answer can reach the next one;
* a link is asked for by name or index (one message), not found in a dump;
* callers dump the addresses once and reuse the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyroute2 import AsyncIPRoute
from pyroute2.netlink.exceptions import NetlinkError

IFF_UP = 0x1
IFF_NOARP = 0x80
IFF_LOWER_UP = 0x10000
ARPHRD_ETHER = 1
RT_TABLE_MAIN = 254
RT_SCOPE_LINK = 253
RTN_UNICAST = 1


@dataclass(frozen=True)
class Link:
    index: int
    name: str
    up: bool
    mac: bytes | None  # None: no ARP on this link (loopback, NOARP, not Ethernet)
    carrier: bool = True


@dataclass
class _Shared:
    loop: asyncio.AbstractEventLoop
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    ipr: Any = None

    def drop(self) -> None:
        ipr, self.ipr = self.ipr, None
        if ipr is not None:
            with contextlib.suppress(Exception):  # its loop may be closed already
                ipr.close()


_SHARED: dict[int, _Shared] = {}  # by network namespace (inode)


def _shared() -> _Shared:
    """This namespace's socket; one made by an earlier event loop (tests run several,
    one after the other) is closed, so there is never more than one per namespace."""
    loop = asyncio.get_running_loop()
    netns = os.stat("/proc/thread-self/ns/net").st_ino
    shared = _SHARED.get(netns)
    if shared is None or shared.loop is not loop:
        if shared is not None:
            shared.drop()
        shared = _SHARED[netns] = _Shared(loop)
    return shared


@contextlib.asynccontextmanager
async def conversation() -> AsyncIterator[Any]:
    """The shared socket, ours until the block ends. Kernel refusals (NetlinkError) and
    the caller's own errors leave it open; anything else closes it."""
    shared = _shared()
    async with shared.lock:
        if shared.ipr is None:
            shared.ipr = AsyncIPRoute(groups=0)
        try:
            yield shared.ipr
        except NetlinkError:
            raise
        except BaseException as exc:
            if not isinstance(exc, Exception) or isinstance(exc, OSError):
                shared.drop()
            raise


async def addresses(ipr: Any) -> list[Any]:
    """Every IPv4 address of the namespace (one dump)."""
    return [msg async for msg in await ipr.addr("dump", family=socket.AF_INET)]


def matching(msgs: Sequence[Any], ip: ipaddress.IPv4Address) -> list[Any]:
    wanted = str(ip)
    return [m for m in msgs if (m.get("IFA_LOCAL") or m.get("IFA_ADDRESS")) == wanted]


def _link(msg: Any) -> Link:
    arp = msg["ifi_type"] == ARPHRD_ETHER and not msg["flags"] & IFF_NOARP
    mac = msg.get("IFLA_ADDRESS")
    return Link(
        index=msg["index"],
        name=msg.get("IFLA_IFNAME"),
        mac=bytes.fromhex(mac.replace(":", "")) if arp and mac else None,
        up=bool(msg["flags"] & IFF_UP),
        carrier=bool(msg["flags"] & IFF_LOWER_UP),
    )


async def link(ipr: Any, *, index: int | None = None, name: str | None = None) -> Link | None:
    """One link by index or name; None when there is no such link."""
    query: dict[str, Any] = {"index": index} if index is not None else {"ifname": name}
    try:
        found = await ipr.link("get", **query)
    except NetlinkError as exc:
        if exc.code == errno.ENODEV:
            return None
        raise
    return _link(found[0]) if found else None


async def connected_subnet(
    ipr: Any,
    ip: ipaddress.IPv4Address,
    prefixlen: int | None,
    link_index: int | None,
) -> tuple[ipaddress.IPv4Network, int] | None:
    """The longest connected subnet containing ``ip`` (no longer than ``prefixlen``, on
    ``link_index`` when given) and its interface's index."""
    best: tuple[ipaddress.IPv4Network, int] | None = None
    async for route in await ipr.route("dump", family=socket.AF_INET, table=RT_TABLE_MAIN):
        oif = route.get("RTA_OIF")
        if route["scope"] != RT_SCOPE_LINK or route["type"] != RTN_UNICAST or oif is None:
            continue
        if link_index is not None and oif != link_index:
            continue
        network = ipaddress.IPv4Network(
            (route.get("RTA_DST") or "0.0.0.0", route["dst_len"]), strict=False
        )
        if ip not in network:
            continue
        if prefixlen is not None and network.prefixlen > prefixlen:
            continue
        if best is None or network.prefixlen > best[0].prefixlen:
            best = (network, oif)
    return best
