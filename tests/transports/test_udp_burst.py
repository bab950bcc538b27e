"""A burst on the heartbeat port (a flood, or many peers at once) is taken off the socket
before the kernel's buffer overflows: the buffer is large and every wake-up drains a
batch, so the peers' heartbeats queued behind the burst are not dropped."""

from __future__ import annotations

import asyncio
import socket

from hacore_plugins.transports._udp import RCVBUF_BYTES
from hacore_plugins.transports.ucast import UcastTransport

BURST = 3000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_burst_sent_while_the_loop_is_busy_is_delivered_whole() -> None:
    port = _free_port()
    transport = UcastTransport("lo", "127.0.0.1", port, None)
    received: list[bytes] = []
    await transport.start(lambda payload, link: received.append(payload))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for i in range(BURST):  # no await: the loop cannot read meanwhile
            sender.sendto(b"%06d" % i + b"x" * 200, ("127.0.0.1", port))
        for _ in range(500):
            if len(received) == BURST:
                break
            await asyncio.sleep(0.01)
    finally:
        sender.close()
        await transport.stop()

    assert len(received) == BURST
    assert received[-1].startswith(b"%06d" % (BURST - 1))


async def test_the_receive_buffer_is_enlarged() -> None:
    transport = UcastTransport("lo", "127.0.0.1", _free_port(), None)
    await transport.start(lambda payload, link: None)
    try:
        sock = transport._sock
        assert sock is not None
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= RCVBUF_BYTES
    finally:
        await transport.stop()
