"""The IP agents' own rtnetlink requests against a real kernel, inside a namespace:
dumps longer than one datagram, the kernel's refusals, links by name and index, and a
conversation cut short that must not poison the next one."""

from __future__ import annotations

import json
import sys

import pytest

from halab.netns import NetnsSet

pytestmark = pytest.mark.netns

COUNT = 1500  # addresses: the dump spans several datagrams of 64 KiB

SCRIPT = r"""
import asyncio, errno, ipaddress, json, sys
from hacore_plugins.resources import _rtnl as rtnl

count = int(sys.argv[1])
out = {}

async def main():
    async with rtnl.conversation() as nl:
        v0 = await rtnl.link(nl, name="v0")
        out["by_name"] = [v0.index, v0.name, v0.up, v0.mac.hex()]
        out["missing"] = await rtnl.link(nl, name="nosuch0") is None
        await rtnl.set_up(nl, v0.index)
        out["by_index"] = (await rtnl.link(nl, index=v0.index)).up
        base = ipaddress.IPv4Address("10.1.0.1")
        for i in range(count):
            label = "v0:web" if i == 0 else None
            await rtnl.add_address(nl, v0.index, base + i, 16, None, label)
        found = rtnl.matching(await rtnl.addresses(nl), base)
        out["first"] = [found[0].prefixlen, found[0].label, found[0].index == v0.index]
        out["dumped"] = sum(a.index == v0.index for a in await rtnl.addresses(nl))
        for call in (
            rtnl.add_address(nl, v0.index, base, 16, None, None),
            rtnl.delete_address(nl, v0.index, ipaddress.IPv4Address("10.9.9.9"), 16),
        ):
            try:
                await call
            except rtnl.KernelRefusal as exc:
                out.setdefault("refused", []).append(errno.errorcode[exc.code])
        subnet = await rtnl.connected_subnet(nl, ipaddress.IPv4Address("10.1.200.7"), None, None)
        out["subnet"] = [str(subnet[0]), subnet[1] == v0.index]
        socket_before = nl.sock
    try:  # rtnetlink answers at once: the cut comes while the caller holds the socket
        async with asyncio.timeout(0.01), rtnl.conversation() as nl:
            await rtnl.addresses(nl)
            await asyncio.sleep(1)
    except TimeoutError:
        out["cut_short_closed"] = socket_before.fileno() == -1
    async with rtnl.conversation() as nl:
        out["after_cut"] = len(await rtnl.addresses(nl)) >= count
        await rtnl.delete_address(nl, v0.index, base + 5, 16)  # a secondary
        out["deleted"] = not rtnl.matching(await rtnl.addresses(nl), base + 5)

asyncio.run(main())
print(json.dumps(out))
"""


def test_requests_and_refusals_against_the_kernel(netns: NetnsSet) -> None:
    netns.add("n1")
    netns.ip("n1", "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    result = netns.exec("n1", sys.executable, "-c", SCRIPT, str(COUNT))
    out = json.loads(result.stdout)
    shown = netns.ip("n1", "-o", "link", "show", "dev", "v0").stdout
    index, name, up, mac = out["by_name"]
    assert (name, up) == ("v0", False)
    assert bytes.fromhex(mac).hex(":") == shown.split("link/ether ")[1].split()[0]
    assert index == int(shown.split(":")[0])
    assert out["missing"] is True
    assert out["by_index"] is True  # set_up took
    assert out["first"] == [16, "v0:web", True]
    assert out["dumped"] == COUNT  # every part of the multi-datagram dump was read
    listed = netns.ip("n1", "-4", "-o", "addr", "show", "dev", "v0").stdout
    assert len(listed.splitlines()) == COUNT - 1  # one was deleted at the end
    assert out["refused"] == ["EEXIST", "EADDRNOTAVAIL"]
    assert out["subnet"] == ["10.1.0.0/16", True]
    assert out["cut_short_closed"] is True
    assert out["after_cut"] is True
    assert out["deleted"] is True
