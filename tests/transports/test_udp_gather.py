"""A busy heartbeat socket is read in gatherings, a quiet one the moment a packet comes.

Real UDP sockets on loopback; the thresholds are shrunk (a gathering of 0.1 s, busy
above 20 packets a second) so that the two behaviours are far apart in time and the
assertions do not depend on this machine's scheduling.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable

import pytest
from hacore_plugins.transports import _udp
from hacore_plugins.transports.ucast import UcastTransport

from .test_udp_burst import _free_port

GATHER_S = 0.1
SEND_EVERY_S = 0.005  # 200 packets a second
PACKETS = 300


class Receiver:
    def __init__(self, port: int) -> None:
        self.transport = UcastTransport("lo", "127.0.0.1", port, None)
        self.arrivals: list[float] = []  # loop time of each delivery
        self.port = port

    def sink(self, payload: bytes, link: str) -> None:
        self.arrivals.append(asyncio.get_running_loop().time())

    def wake_ups(self) -> list[list[float]]:
        """Deliveries that came within 2 ms of each other came in one wake-up."""
        groups: list[list[float]] = []
        for t in self.arrivals:
            if groups and t - groups[-1][-1] < 0.002:
                groups[-1].append(t)
            else:
                groups.append([t])
        return groups


@pytest.fixture
async def receiver(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Receiver]:
    monkeypatch.setattr(_udp, "GATHER_S", GATHER_S)
    monkeypatch.setattr(_udp, "GATHER_RATE", 20.0)
    monkeypatch.setattr(_udp, "RATE_WINDOW_S", 0.2)
    receiver = Receiver(_free_port())
    await receiver.transport.start(receiver.sink)
    try:
        yield receiver
    finally:
        await receiver.transport.stop()


async def _send(port: int, count: int, every_s: float) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for i in range(count):
            sender.sendto(b"%06d" % i, ("127.0.0.1", port))
            await asyncio.sleep(every_s)


async def _until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)


async def _one_more_arrives_at_once(receiver: Receiver) -> None:
    """One packet more is delivered well within a gathering's wait."""
    count = len(receiver.arrivals) + 1
    sent_at = asyncio.get_running_loop().time()
    await _send(receiver.port, 1, 0)
    await _until(lambda: len(receiver.arrivals) == count)

    assert len(receiver.arrivals) == count
    assert receiver.arrivals[-1] - sent_at < GATHER_S / 2


async def test_a_busy_socket_is_read_in_gatherings_and_loses_nothing(receiver: Receiver) -> None:
    await _send(receiver.port, PACKETS, SEND_EVERY_S)
    await _until(lambda: len(receiver.arrivals) == PACKETS)

    assert len(receiver.arrivals) == PACKETS
    wake_ups = receiver.wake_ups()
    sending_s = receiver.arrivals[-1] - receiver.arrivals[0]
    # One wake-up per packet until the first rate window says busy (0.2 s: about 40),
    # then one per gathering: far fewer than the 300 packets.
    assert len(wake_ups) <= 40 + 10 + sending_s / GATHER_S * 1.5, len(wake_ups)
    assert max(len(group) for group in wake_ups) >= 10


async def test_a_quiet_socket_delivers_a_packet_at_once(receiver: Receiver) -> None:
    await _send(receiver.port, 3, 0.3)  # 3 packets a second: never busy
    await _until(lambda: len(receiver.arrivals) == 3)

    await _one_more_arrives_at_once(receiver)


async def test_quiet_again_after_busy_reads_at_once(receiver: Receiver) -> None:
    await _send(receiver.port, 100, SEND_EVERY_S)
    await _until(lambda: len(receiver.arrivals) == 100)
    await asyncio.sleep(0.5)  # a rate window with nothing: not busy any more
    await _send(receiver.port, 1, 0)
    await asyncio.sleep(0.3)  # the next rate window starts with this packet

    await _one_more_arrives_at_once(receiver)


async def test_stopping_while_gathering_leaves_nothing_behind(receiver: Receiver) -> None:
    await _send(receiver.port, 100, SEND_EVERY_S)
    assert receiver.transport._gathering is not None  # busy, between two gatherings
    await receiver.transport.stop()

    assert receiver.transport._gathering is None
    await asyncio.sleep(GATHER_S * 2)  # a pending gathering would run into a closed socket


async def test_sending_a_heartbeat_gathers_at_once(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_udp, "GATHER_S", 5.0)
    await _send(receiver.port, 100, SEND_EVERY_S)
    await asyncio.sleep(0.2)
    assert receiver.transport._gathering is not None  # busy: the next look is 5 s away
    assert len(receiver.arrivals) < 100  # the last ones wait on the socket
    receiver.transport.send(b"heartbeat")  # to 127.0.0.1:port, ourselves: one more packet
    await _until(lambda: len(receiver.arrivals) == 101, timeout_s=1.0)

    assert len(receiver.arrivals) == 101
