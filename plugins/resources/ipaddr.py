"""``IPaddr`` and ``IPaddr2``: a virtual IPv4 address, managed over netlink in-process.

Heartbeat runs two shell layers and ``ifconfig``/``ip`` for every VIP action; here one
netlink conversation (pyroute2 through ``_rtnl``, in the calling process's network
namespace) does it in about a millisecond. Behaviour follows the OCF agents Debian's wrappers call:

* the interface is the one named, else the one whose connected subnet (a link-scope
  route of the main table, longest prefix first, as ``findif`` picks it) contains the
  address; the netmask defaults to that subnet's, the broadcast to the subnet's;
* ``IPaddr`` puts the address on the next free alias label ``eth0:0``, ``eth0:1``...
  (what ``ifconfig`` shows, as in the seed tutorial); ``IPaddr2`` adds no label unless
  one is written (``10.0.0.60/24/eth0:web``); a written label is honoured by both;
* a down interface is brought up, as ``ifconfig``/``ip link set up`` in the agents do;
* gratuitous ARP as each agent's defaults: ``IPaddr`` 10 pairs 500 ms apart
  (``ARP_REPEAT``/``ARP_INTERVAL_MS``), ``IPaddr2`` 5 pairs 200 ms apart
  (``arp_count``/``arp_interval``);
* ``status`` is "the address is configured on some interface"; ``start`` on a present
  address only re-announces it; ``stop`` on an absent one succeeds;
* ``monitor`` (ha.cf's ``monitor`` line) also wants the interface that carries the
  address up with a carrier (and, when the spec names an interface, that one): an
  address on a dead NIC serves nobody.

Not supported: IPv6 (Heartbeat's ``IPv6addr``) and LVS loopback handling.
"""

from __future__ import annotations

from collections.abc import Sequence

from hacore.api import ResourceAgent, ResourceRequest, ResourceType
from hacore.hookspecs import hookimpl

from ._ipargs import parse_ip_args


def _validate(request: ResourceRequest) -> None:
    parse_ip_args(request.name, request.args)


def _agent(flavour: str, request: ResourceRequest) -> ResourceAgent:
    """The agents' module imports pyroute2 (about 10 MB and 0.15 s): a node loads it when
    its resource manager is built at start with an IP resource, never on the hand-over's
    path, and a node without one (a membership-only node) never does."""
    from ._ipagent import FLAVOURS, IpAddressAgent

    return IpAddressAgent(request, FLAVOURS[flavour])


def _resource_type(flavour: str, description: str) -> ResourceType:
    return ResourceType(
        name=flavour,
        create=lambda request: _agent(flavour, request),
        validate=_validate,
        description=description,
    )


@hookimpl
def hacore_resource_types() -> Sequence[ResourceType]:
    return [
        _resource_type("IPaddr", "virtual IPv4 address on an alias label (eth0:0), netlink"),
        _resource_type("IPaddr2", "virtual IPv4 address (iproute2 style), netlink"),
    ]
