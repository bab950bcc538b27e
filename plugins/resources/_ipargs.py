"""The one argument of Heartbeat's IPaddr/IPaddr2: ``ip[/netmask[/interface[:label]][/broadcast]]``.

Parsed exactly as Debian's ``/etc/ha.d/resource.d/IPaddr`` and ``IPaddr2`` wrappers split
it (the part before the first ``/`` is the address, the next part the netmask, and a third
part that starts with a digit is the broadcast, not an interface), then checked the way
the OCF agents' ``findif`` checks it: a netmask is 1-32 bits or a contiguous dotted quad,
a broadcast is a dotted quad or ``+``/``-`` (iproute2's "all host bits set/clear").
Where the wrappers would pass garbage on to the agent, we stop with a clear error instead.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from hacore.api import ConfigError

IFNAMSIZ = 16  # kernel limit, including the trailing NUL
FORMS = "ip[/netmask[/interface[:label]][/broadcast]]"
_IFNAME = re.compile(r"[^\s/:]+")

Broadcast = ipaddress.IPv4Address | Literal["+", "-"] | None
BadFactory = Callable[[str], ConfigError]


@dataclass(frozen=True)
class IpSpec:
    """What an IPaddr argument asks for; ``None`` means "find it from the routing table"."""

    ip: ipaddress.IPv4Address
    prefixlen: int | None = None
    interface: str | None = None
    label: str | None = None  # the full kernel label, e.g. "eth0:web"
    broadcast: Broadcast = None


def parse_ip_args(resource: str, args: tuple[str, ...]) -> IpSpec:
    """Parse the arguments of ``IPaddr::...``; raise ConfigError naming the resource."""
    if len(args) != 1:
        raise ConfigError(f"{resource} takes exactly one argument {FORMS}, got {len(args)}")
    return parse_ip_arg(resource, args[0])


def parse_ip_arg(resource: str, text: str) -> IpSpec:
    def bad(why: str) -> ConfigError:
        return ConfigError(f"{resource}::{text}: {why} (expected {FORMS})")

    parts = text.split("/")
    if any(part == "" for part in parts):
        raise bad("empty field")
    ip = _parse_ip(parts[0], bad)
    prefixlen = _parse_netmask(parts[1], bad) if len(parts) > 1 else None
    interface = label = None
    broadcast: Broadcast = None
    rest = parts[2:]
    if rest and not rest[0][0].isdigit() and rest[0] not in ("+", "-"):
        interface, label = _parse_interface(rest.pop(0), bad)
    if rest:
        broadcast = _parse_broadcast(rest.pop(0), bad)
    if rest:
        raise bad(f"unexpected field {rest[0]!r}")
    return IpSpec(ip, prefixlen, interface, label, broadcast)


def _parse_ip(text: str, bad: BadFactory) -> ipaddress.IPv4Address:
    try:
        ip = ipaddress.IPv4Address(text)
    except ValueError:
        if ":" in text:
            raise bad(f"{text!r} is not an IPv4 address (IPv6 is not supported)") from None
        raise bad(f"{text!r} is not an IPv4 address") from None
    if text.startswith("0"):  # findif's ipcheck_ipv4: the first octet is 1-255
        raise bad(f"{text!r} is not a usable address")
    return ip


def _parse_netmask(text: str, bad: BadFactory) -> int:
    if text.isascii() and text.isdigit() and len(text) <= 3:
        bits = int(text)
        if 1 <= bits <= 32:
            return bits
        raise bad(f"netmask /{text} is out of range 1-32")
    try:
        network = ipaddress.IPv4Network(f"0.0.0.0/{text}")
    except ValueError:
        raise bad(f"netmask {text!r} is neither 1-32 bits nor a contiguous dotted quad") from None
    if network.prefixlen == 0:
        raise bad(f"netmask {text!r} is out of range 1-32")
    return network.prefixlen


def _parse_interface(text: str, bad: BadFactory) -> tuple[str, str | None]:
    name, sep, tag = text.partition(":")
    if not _IFNAME.fullmatch(name) or len(name) >= IFNAMSIZ:
        raise bad(f"{name!r} is not an interface name")
    if not sep:
        return name, None
    if not tag or not _IFNAME.fullmatch(tag) or len(text) >= IFNAMSIZ:
        raise bad(f"label {text!r} must be interface:tag, at most {IFNAMSIZ - 1} characters")
    return name, text


def _parse_broadcast(text: str, bad: BadFactory) -> Broadcast:
    if text in ("+", "-"):
        return text  # type: ignore[return-value]
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        raise bad(f"broadcast {text!r} is not an IPv4 address") from None
