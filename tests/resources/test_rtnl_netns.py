"""The IP agents' rtnetlink conversations (pyroute2 on one kept-open socket) against a
real kernel, inside a namespace: dumps longer than one datagram, the kernel's refusals,
links by name and index, and a conversation cut short that must not poison the next."""

from __future__ import annotations

import json
import sys

import pytest

from halab.netns import NetnsSet

pytestmark = pytest.mark.netns

COUNT = 400  # ~30 KB of addresses: the kernel sends a dump in datagrams of a page or two

SCRIPT = r"""
import asyncio, errno, ipaddress, json, sys
from pyroute2.netlink.exceptions import NetlinkError
from hacore_plugins.resources import _rtnl as rtnl

count = int(sys.argv[1])
out = {}

async def main():
    async with rtnl.conversation() as ipr:
        v0 = await rtnl.link(ipr, name="v0")
        out["by_name"] = [v0.index, v0.name, v0.up, v0.mac.hex()]
        out["missing"] = await rtnl.link(ipr, name="nosuch0") is None
        out["missing_index"] = await rtnl.link(ipr, index=99999) is None
        await ipr.link("set", index=v0.index, state="up")
        out["by_index"] = (await rtnl.link(ipr, index=v0.index)).up
        base = ipaddress.IPv4Address("10.1.0.1")
        for i in range(count):
            extra = {"label": "v0:web"} if i == 0 else {}
            await ipr.addr("add", index=v0.index, address=str(base + i), prefixlen=16, **extra)
        everything = await rtnl.addresses(ipr)
        found = rtnl.matching(everything, base)
        out["first"] = [
            found[0]["prefixlen"], found[0].get("IFA_LABEL"), found[0]["index"] == v0.index
        ]
        out["dumped"] = sum(msg["index"] == v0.index for msg in everything)
        subnet = await rtnl.connected_subnet(ipr, ipaddress.IPv4Address("10.1.200.7"), None, None)
        out["subnet"] = [str(subnet[0]), subnet[1] == v0.index]
        first = ipr
    for address in (base, ipaddress.IPv4Address("10.9.9.9")):
        try:  # a refusal leaves the socket open for the next conversation
            async with rtnl.conversation() as ipr:
                verb = "add" if address == base else "del"
                await ipr.addr(verb, index=v0.index, address=str(address), prefixlen=16)
        except NetlinkError as exc:
            out.setdefault("refused", []).append(errno.errorcode[exc.code])
    async with rtnl.conversation() as ipr:
        out["kept_after_refusal"] = ipr is first
    try:  # rtnetlink answers at once: the cut comes while the caller holds the socket
        async with asyncio.timeout(0.01), rtnl.conversation() as ipr:
            await rtnl.addresses(ipr)
            await asyncio.sleep(1)
    except TimeoutError:
        out["cut_short_closed"] = first.socket.fileno() == -1
    async with rtnl.conversation() as ipr:
        out["fresh_after_cut"] = ipr is not first
        out["after_cut"] = len(rtnl.matching(await rtnl.addresses(ipr), base + 1))
        await ipr.addr("del", index=v0.index, address=str(base + 5), prefixlen=16)
        out["deleted"] = not rtnl.matching(await rtnl.addresses(ipr), base + 5)

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
    assert out["missing_index"] is True
    assert out["by_index"] is True  # the link came up
    assert out["first"] == [16, "v0:web", True]
    assert out["dumped"] == COUNT  # every part of the multi-datagram dump was read
    listed = netns.ip("n1", "-4", "-o", "addr", "show", "dev", "v0").stdout
    assert len(listed.splitlines()) == COUNT - 1  # one was deleted at the end
    assert out["refused"] == ["EEXIST", "EADDRNOTAVAIL"]
    assert out["kept_after_refusal"] is True
    assert out["subnet"] == ["10.1.0.0/16", True]
    assert out["cut_short_closed"] is True
    assert out["fresh_after_cut"] is True
    assert out["after_cut"] == 1
    assert out["deleted"] is True
