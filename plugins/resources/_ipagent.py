"""The IP agents themselves (see :mod:`.ipaddr`): loaded with the first IP resource,
since pyroute2 comes with them."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import structlog
from pyroute2.netlink.exceptions import NetlinkError

from hacore.api import ResourceAgent, ResourceError, ResourceRequest

from . import _rtnl as rtnl
from ._garp import Announcer, ArpPlan
from ._ipargs import IFNAMSIZ, IpSpec, parse_ip_args
from ._rtnl import Link

log = structlog.get_logger("hacore.resources.ipaddr")

MAX_ALIASES = 512  # IPaddr's find_free_interface gives up after eth0:511


@dataclass(frozen=True)
class Flavour:
    """What differs between Heartbeat's two IP agents."""

    name: str
    arp: ArpPlan
    auto_label: bool


IPADDR = Flavour("IPaddr", ArpPlan(repeat=10, interval_s=0.5), auto_label=True)
IPADDR2 = Flavour("IPaddr2", ArpPlan(repeat=5, interval_s=0.2), auto_label=False)
FLAVOURS = {flavour.name: flavour for flavour in (IPADDR, IPADDR2)}


@dataclass(frozen=True)
class Placement:
    """Where and how the address goes: decided from the kernel's current view."""

    link: Link
    prefixlen: int
    broadcast: ipaddress.IPv4Address | None
    label: str | None


class IpAddressAgent(ResourceAgent):
    def __init__(self, request: ResourceRequest, flavour: Flavour) -> None:
        super().__init__(request)
        self.flavour = flavour
        self.spec: IpSpec = parse_ip_args(request.name, request.args)
        self._announcer: Announcer | None = None

    async def start(self) -> None:
        placement: Placement | None = None
        kernel_s = 0.0
        async with self._netlink("start") as ipr:
            everything = await rtnl.addresses(ipr)
            present = rtnl.matching(everything, self.spec.ip)
            if present:
                link = await self._link_of(ipr, present[0])
                log.info("ip_already_present", ip=str(self.spec.ip), interface=link.name)
            else:
                placement = await self._place(ipr, everything)
                link = placement.link
                kernel_s = await self._add(ipr, placement)
        kernel_s += self._announce(link)
        if placement is not None:
            self._log_added(placement, kernel_s)

    async def stop(self) -> None:
        if self._announcer is not None:
            self._announcer.cancel()
            self._announcer = None
        async with self._netlink("stop") as ipr:
            for msg in rtnl.matching(await rtnl.addresses(ipr), self.spec.ip):
                asked = time.monotonic()
                try:
                    await ipr.addr(
                        "del",
                        index=msg["index"],
                        address=str(self.spec.ip),
                        prefixlen=msg["prefixlen"],
                    )
                except NetlinkError as exc:
                    if exc.code != errno.EADDRNOTAVAIL:  # gone meanwhile: that is stopped
                        raise
                log.info(
                    "ip_removed",
                    ip=str(self.spec.ip),
                    label=msg.get("IFA_LABEL"),
                    kernel_ms=_ms(time.monotonic() - asked),
                    msg=f"IP Address {self.spec.ip} released",
                )

    async def status(self) -> bool:
        async with self._netlink("status") as ipr:
            return bool(rtnl.matching(await rtnl.addresses(ipr), self.spec.ip))

    async def monitor(self) -> bool:
        async with self._netlink("monitor") as ipr:
            present = rtnl.matching(await rtnl.addresses(ipr), self.spec.ip)
            found = [await rtnl.link(ipr, index=msg["index"]) for msg in present]
        if not present:
            return False
        where = [link for link in found if link is not None]
        if self.spec.interface is not None and all(
            link.name != self.spec.interface for link in where
        ):
            names = ", ".join(link.name for link in where)
            raise ResourceError(f"{self}: {self.spec.ip} is on {names}, not {self.spec.interface}")
        if not any(link.up and link.carrier for link in where):
            link = where[0]
            problem = "is down" if not link.up else "has no carrier"
            raise ResourceError(f"{self}: {link.name} {problem}")
        return True

    async def announce(self) -> None:
        async with self._netlink("announce") as ipr:
            present = rtnl.matching(await rtnl.addresses(ipr), self.spec.ip)
            if not present:
                log.debug("ip_announce_skipped", ip=str(self.spec.ip), reason="not configured")
                return
            link = await self._link_of(ipr, present[0])
        self._announce(link)

    async def wait_announced(self) -> None:
        """Wait for the background gratuitous ARPs (tests, orderly shutdown)."""
        if self._announcer is not None:
            await self._announcer.wait()

    def _announce(self, link: Link) -> float:
        """Start the gratuitous ARPs; returns the seconds the first one took to send."""
        if self._announcer is not None:
            self._announcer.cancel()
            self._announcer = None
        if link.mac is None:
            log.debug("ip_announce_skipped", ip=str(self.spec.ip), reason=f"{link.name}: no ARP")
            return 0.0
        self._announcer = Announcer(link.name, link.mac, self.spec.ip, self.flavour.arp)
        started = time.monotonic()
        self._announcer.start()
        return time.monotonic() - started

    @contextlib.asynccontextmanager
    async def _netlink(self, action: str) -> AsyncIterator[Any]:
        """The shared netlink socket for one action, bounded by the request's timeout;
        kernel refusals become ResourceError naming the resource and the action."""
        try:
            async with asyncio.timeout(self.request.timeout), rtnl.conversation() as ipr:
                yield ipr
        except TimeoutError:
            raise ResourceError(
                f"{self} {action} timed out after {self.request.timeout:g}s"
            ) from None
        except NetlinkError as exc:
            raise ResourceError(f"{self} {action} failed: {exc}") from exc

    async def _link_of(self, ipr: Any, address: Any) -> Link:
        link = await rtnl.link(ipr, index=address["index"])
        if link is None:  # removed between the two answers
            raise ResourceError(f"{self}: the interface of {self.spec.ip} disappeared")
        return link

    async def _place(self, ipr: Any, everything: list[Any]) -> Placement:
        """Where the address goes. With both the netmask and the interface written the
        subnet lookup could not change the answer, so it is skipped."""
        spec = self.spec
        link: Link | None = None
        if spec.interface is not None:
            link = await rtnl.link(ipr, name=spec.interface)
            if link is None:
                raise ResourceError(f"{self}: interface {spec.interface} does not exist")
        prefixlen = spec.prefixlen
        if link is None or prefixlen is None:
            index = None if link is None else link.index
            subnet = await rtnl.connected_subnet(ipr, spec.ip, spec.prefixlen, index)
            if subnet is None:
                where = f"on {link.name} " if link else ""
                raise ResourceError(
                    f"{self}: no interface {where}has a subnet containing {spec.ip}; "
                    "name the netmask and interface (ip/bits/interface)"
                )
            network, oif = subnet
            if link is None:
                link = await rtnl.link(ipr, index=oif)
                if link is None:
                    raise ResourceError(f"{self}: the interface of {network} disappeared")
            prefixlen = prefixlen or network.prefixlen
        label = self._label(everything, link)
        return Placement(link, prefixlen, self._broadcast(prefixlen), label)

    def _broadcast(self, prefixlen: int) -> ipaddress.IPv4Address | None:
        network = ipaddress.IPv4Network((self.spec.ip, prefixlen), strict=False)
        match self.spec.broadcast:
            case ipaddress.IPv4Address() as given:
                return given
            case "-":
                return network.network_address
            case _:
                return network.broadcast_address if prefixlen <= 30 else None

    def _label(self, everything: list[Any], link: Link) -> str | None:
        if self.spec.label is not None:
            return self.spec.label
        if not self.flavour.auto_label:
            return None
        in_use = {msg.get("IFA_LABEL") for msg in everything if msg["index"] == link.index}
        for n in range(MAX_ALIASES):
            label = f"{link.name}:{n}"
            if len(label) >= IFNAMSIZ:
                log.warning("ip_label_too_long", interface=link.name, label=label)
                return None
            if label not in in_use:
                return label
        raise ResourceError(f"{self}: no free alias label on {link.name}")

    async def _add(self, ipr: Any, placement: Placement) -> float:
        """Add the address; returns the seconds the kernel requests took."""
        link = placement.link
        asked = time.monotonic()
        if not link.up:
            await ipr.link("set", index=link.index, state="up")
        options: dict[str, Any] = {}
        if placement.broadcast is not None:
            options["broadcast"] = str(placement.broadcast)
        if placement.label is not None:
            options["label"] = placement.label
        await ipr.addr(
            "add",
            index=link.index,
            address=str(self.spec.ip),
            prefixlen=placement.prefixlen,
            **options,
        )
        kernel_s = time.monotonic() - asked
        if not link.up:
            log.info("interface_up", interface=link.name, msg=f"Bringing device {link.name} up")
        return kernel_s

    def _log_added(self, placement: Placement, kernel_s: float) -> None:
        """Heartbeat's line for the new address; ``kernel_ms``: the netlink requests and
        the first gratuitous ARP, the part of the start that is the kernel's."""
        link = placement.link
        log.info(
            "ip_added",
            ip=str(self.spec.ip),
            prefixlen=placement.prefixlen,
            interface=link.name,
            label=placement.label,
            broadcast=str(placement.broadcast) if placement.broadcast else None,
            kernel_ms=_ms(kernel_s),
            msg=(
                f"Adding inet address {self.spec.ip}/{placement.prefixlen}"
                + (f" with broadcast address {placement.broadcast}" if placement.broadcast else "")
                + f" to device {link.name}"
                + (f" (with label {placement.label})" if placement.label else "")
            ),
        )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
