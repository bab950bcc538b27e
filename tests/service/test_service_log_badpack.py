"""``log_badpack``: Heartbeat logs packets it cannot decode unless told not to; a packet
that fails authentication is logged either way. A real hacored on loopback."""

from __future__ import annotations

import socket
import time

import pytest

from tests.service.service_support import LoopbackNode

GARBAGE = b"###\nthis is not a heartbeat packet"


def _flood_and_read_log(node: LoopbackNode) -> str:
    node.spawn()
    deadline = time.monotonic() + 15
    while "transport_started" not in (node.ha_log.read_text() if node.ha_log.exists() else ""):
        assert time.monotonic() < deadline, "hacored did not start its medium"
        time.sleep(0.05)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for _ in range(5):
            sender.sendto(GARBAGE, ("127.0.0.1", node.port))
        time.sleep(0.5)
    return node.ha_log.read_text()


@pytest.mark.parametrize(("setting", "logged"), [("", True), ("log_badpack off\n", False)])
def test_undecodable_packets_are_logged_unless_log_badpack_is_off(
    loop_node: LoopbackNode, setting: str, logged: bool
) -> None:
    loop_node.write_hacf(setting)
    log = _flood_and_read_log(loop_node)
    assert ("packet_dropped" in log) is logged, log[-2000:]
