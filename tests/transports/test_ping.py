"""Ping nodes over real raw ICMP sockets: a "node" namespace and a "router" namespace
(10.0.0.2 and 10.0.0.3 on one interface, a plain kernel that answers echo requests).

The transports run in the test process: a thread enters the node's namespace and runs
the scenario's event loop there (a socket belongs to the namespace it was opened in), so
a test can look at the transports directly and time out like any other.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from hacore_plugins.transports import ping
from hacore_plugins.transports._icmp import MAX_DATA_LEN, checksum
from hacore_plugins.transports.ping import ICMP_FILTER, SOL_RAW, PingTransport

from hacore.api import HacoreError, MediumConfig
from halab.netns import CLONE_NEWNET, NetnsSet

pytestmark = pytest.mark.netns

T = TypeVar("T")
SCENARIO_TIMEOUT_S = 10.0
VECTOR = Path(__file__).resolve().parents[1] / "data/vectors/hb_crc_ping_ns_st_icmp.bin"


@pytest.fixture
def site(netns: NetnsSet) -> Iterator[NetnsSet]:
    netns.add("node")
    netns.add("router")
    netns.veth("node", "eth1", "router", "eth1")
    netns.addr("node", "eth1", "10.0.0.1/24")
    netns.addr("router", "eth1", "10.0.0.2/24")
    netns.addr("router", "eth1", "10.0.0.3/24")
    yield netns


def _enter(netns: NetnsSet, short: str) -> None:
    """Move the calling thread (only it) into namespace ``short``."""
    fd = os.open(f"/run/netns/{netns.name(short)}", os.O_RDONLY)
    try:
        if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {short} failed")
    finally:
        os.close(fd)


def _on_thread_in(netns: NetnsSet, short: str, work: Callable[[], T]) -> T:
    outcome: list[T] = []
    failure: list[BaseException] = []

    def body() -> None:
        try:
            _enter(netns, short)
            outcome.append(work())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=body, name=f"in-{short}", daemon=True)
    thread.start()
    thread.join(SCENARIO_TIMEOUT_S)
    if thread.is_alive():
        raise TimeoutError(f"scenario in {short} still running after {SCENARIO_TIMEOUT_S} s")
    if failure:
        raise failure[0]
    return outcome[0]


def run_in(netns: NetnsSet, short: str, scenario: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await scenario()

    return _on_thread_in(netns, short, lambda: asyncio.run(main()))


def raw_icmp_socket_in(netns: NetnsSet, short: str, source: str) -> socket.socket:
    """A raw ICMP socket of namespace ``short`` sending from ``source`` (to forge replies)."""

    def open_socket() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        sock.bind((source, 0))
        return sock

    return _on_thread_in(netns, short, open_socket)


def build(keyword: str, *args: str) -> PingTransport:
    types = {t.keyword: t for t in ping.hacore_transport_types()}
    (transport,) = types[keyword].build(MediumConfig(keyword, args, 694, 19200))
    assert isinstance(transport, PingTransport)
    return transport


class Inbox:
    """A sink that records ``(payload, link)`` and lets a scenario wait for them."""

    def __init__(self) -> None:
        self.items: list[tuple[bytes, str]] = []

    def __call__(self, payload: bytes, link: str) -> None:
        self.items.append((payload, link))

    async def wait_for(self, count: int, timeout: float = 3.0) -> list[tuple[bytes, str]]:
        deadline = time.monotonic() + timeout
        while len(self.items) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return list(self.items)


async def settle(seconds: float = 0.2) -> None:
    """Leave time for packets that should not come (after a delivery that had to)."""
    await asyncio.sleep(seconds)


# ---- delivery -----------------------------------------------------------------------


def test_echo_comes_back_to_the_sink_named_after_the_address(site: NetnsSet) -> None:
    async def scenario() -> None:
        transport, inbox = build("ping", "10.0.0.2"), Inbox()
        await transport.start(inbox)
        try:
            transport.send(b"probe 1")
            transport.send(b"probe 2")
            await inbox.wait_for(2)
            await settle()
        finally:
            await transport.stop()
        assert inbox.items == [(b"probe 1", "10.0.0.2"), (b"probe 2", "10.0.0.2")]
        assert (transport.packets_sent, transport.packets_received) == (2, 2)
        assert transport.failures.count == 0

    run_in(site, "node", scenario)


def test_heartbeat_ping_message_round_trips_byte_identical(site: NetnsSet) -> None:
    message = VECTOR.read_bytes()  # a real NS_st probe: 127 bytes, an odd length

    async def scenario() -> list[tuple[bytes, str]]:
        transport, inbox = build("ping", "10.0.0.2"), Inbox()
        await transport.start(inbox)
        try:
            transport.send(message)
            return await inbox.wait_for(1)
        finally:
            await transport.stop()

    assert run_in(site, "node", scenario) == [(message, "10.0.0.2")]


def test_largest_payload_round_trips_and_one_byte_more_is_refused(site: NetnsSet) -> None:
    biggest = bytes(range(256)) * (MAX_DATA_LEN // 256) + b"!" * (MAX_DATA_LEN % 256)

    async def scenario() -> None:
        transport, inbox = build("ping", "10.0.0.2"), Inbox()
        await transport.start(inbox)
        try:
            transport.send(biggest + b"?")
            assert (transport.packets_sent, transport.failures.count) == (0, 1)
            transport.send(biggest)  # fragmented on the way out and back
            assert await inbox.wait_for(1) == [(biggest, "10.0.0.2")]
        finally:
            await transport.stop()

    run_in(site, "node", scenario)


def test_unreachable_ping_nodes_deliver_nothing_and_raise_nothing(site: NetnsSet) -> None:
    async def scenario() -> None:
        silent = build("ping", "10.0.0.9")  # on the link, nobody there
        unrouted = build("ping", "192.0.2.1")  # no route: sendto fails at once
        alive = build("ping", "10.0.0.2")
        inboxes = {t.link_name: Inbox() for t in (silent, unrouted, alive)}
        for transport in (silent, unrouted, alive):
            await transport.start(inboxes[transport.link_name])
        try:
            for _ in range(3):
                for transport in (silent, unrouted, alive):
                    transport.send(b"are you there?")
            await inboxes["10.0.0.2"].wait_for(3)
            await settle()
        finally:
            for transport in (silent, unrouted, alive):
                await transport.stop()
        assert len(inboxes["10.0.0.2"].items) == 3
        assert inboxes["10.0.0.9"].items == [] and inboxes["192.0.2.1"].items == []
        assert (silent.packets_sent, silent.failures.count) == (3, 0)
        assert (unrouted.packets_sent, unrouted.failures.count) == (0, 3)

    run_in(site, "node", scenario)


def test_ping_group_delivers_once_per_probe_while_any_member_answers(site: NetnsSet) -> None:
    async def scenario() -> None:
        group, inbox = build("ping_group", "routers", "10.0.0.9", "10.0.0.2", "10.0.0.3"), Inbox()
        await group.start(inbox)
        try:
            group.send(b"first")
            group.send(b"second")
            await inbox.wait_for(2)
            await settle()
        finally:
            await group.stop()
        # 10.0.0.2 and 10.0.0.3 both answer each probe: the second echo is a duplicate.
        assert sorted(inbox.items) == [(b"first", "routers"), (b"second", "routers")]
        assert group.packets_sent == 6

    run_in(site, "node", scenario)


def test_transports_of_one_process_keep_their_replies_apart(site: NetnsSet) -> None:
    async def scenario() -> None:
        single, single_inbox = build("ping", "10.0.0.2"), Inbox()
        group, group_inbox = build("ping_group", "gw", "10.0.0.2"), Inbox()
        await single.start(single_inbox)
        await group.start(group_inbox)
        try:
            assert single.ident != group.ident
            single.send(b"for the ping line")
            await single_inbox.wait_for(1)
            group.send(b"for the group")
            await group_inbox.wait_for(1)
            await settle()
        finally:
            await single.stop()
            await group.stop()
        assert single_inbox.items == [(b"for the ping line", "10.0.0.2")]
        assert group_inbox.items == [(b"for the group", "gw")]

    run_in(site, "node", scenario)


# ---- what is ignored ----------------------------------------------------------------


def icmp(icmp_type: int, ident: int, seq: int, data: bytes, *, corrupt: bool = False) -> bytes:
    header = struct.pack("!BBH", icmp_type, 0, 0) + struct.pack("=H", ident)
    body = struct.pack("!H", seq) + data
    summed = checksum(header + body) ^ (0x0101 if corrupt else 0)
    return struct.pack("!BBH", icmp_type, 0, summed) + struct.pack("=H", ident) + body


def test_only_sound_echo_replies_with_our_id_from_our_address_are_delivered(
    site: NetnsSet,
) -> None:
    from_2 = raw_icmp_socket_in(site, "router", "10.0.0.2")
    from_3 = raw_icmp_socket_in(site, "router", "10.0.0.3")

    async def scenario() -> None:
        transport, inbox = build("ping", "10.0.0.2"), Inbox()
        await transport.start(inbox)
        try:
            assert transport._sock is not None
            kept = struct.unpack("=I", transport._sock.getsockopt(SOL_RAW, ICMP_FILTER, 4))[0]
            assert kept == 0xFFFFFFFE, "the kernel passes echo replies (type 0) only"
            ours = transport.ident
            assert ours is not None
            node = ("10.0.0.1", 0)
            from_2.sendto(icmp(0, ours ^ 0x8000, 1, b"another id"), node)
            from_3.sendto(icmp(0, ours, 2, b"not our ping node"), node)
            from_2.sendto(icmp(8, ours, 3, b"an echo request"), node)
            from_2.sendto(icmp(3, ours, 4, b"unreachable"), node)
            from_2.sendto(icmp(0, ours, 5, b"bad checksum", corrupt=True), node)
            from_2.sendto(icmp(0, ours, 6, b"")[:6], node)  # truncated header
            from_2.sendto(icmp(0, ours, 7, b"forged but sound"), node)
            from_2.sendto(icmp(0, ours, 7, b"same seq again"), node)
            await inbox.wait_for(1)
            await settle()
        finally:
            await transport.stop()
        assert inbox.items == [(b"forged but sound", "10.0.0.2")]

    try:
        run_in(site, "node", scenario)
    finally:
        from_2.close()
        from_3.close()


# ---- life cycle ---------------------------------------------------------------------


def test_life_cycle_is_forgiving_except_a_double_start(site: NetnsSet) -> None:
    async def scenario() -> None:
        transport = build("ping", "10.0.0.2")
        received: list[bytes] = []

        def flaky_sink(payload: bytes, link: str) -> None:
            received.append(payload)
            if len(received) == 1:
                raise RuntimeError("a bug in the core")

        await transport.stop()  # before start: nothing to do
        await transport.start(flaky_sink)
        with pytest.raises(HacoreError, match=r"ping 10\.0\.0\.2: already started"):
            await transport.start(flaky_sink)
        transport.send(b"one")
        transport.send(b"two")
        deadline = time.monotonic() + 3
        while len(received) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        assert received == [b"one", b"two"], "a failing sink does not stop the reader"
        await transport.stop()
        await transport.stop()
        transport.send(b"after stop")
        assert transport.packets_sent == 2

        await transport.start(flaky_sink)  # a stopped transport can start again
        transport.send(b"three")
        while len(received) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        await transport.stop()
        assert received == [b"one", b"two", b"three"]

    run_in(site, "node", scenario)


NO_RAW_SOCKETS = """
import asyncio
from hacore.api import MediumConfig
from hacore_plugins.transports.ping import build_ping

(transport,) = build_ping(MediumConfig("ping", ("10.0.0.2",), 694, 19200))
try:
    asyncio.run(transport.start(lambda payload, link: None))
except Exception as exc:
    print(type(exc).__name__, exc)
"""


def test_without_cap_net_raw_start_says_root_is_needed(site: NetnsSet) -> None:
    result = site.exec(
        "node",
        "setpriv",
        "--bounding-set=-net_raw",
        "--inh-caps=-net_raw",
        sys.executable,
        "-c",
        NO_RAW_SOCKETS,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "HacoreError <config>: ping 10.0.0.2: ping nodes need a raw ICMP socket, "
        "which needs root (CAP_NET_RAW): Operation not permitted"
    )
