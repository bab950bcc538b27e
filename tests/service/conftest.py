"""Fixtures of the service tests: a loopback hacored and a NOTIFY_SOCKET they own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.service_support import LoopbackNode, NotifySocket, need_root


@pytest.fixture
def loop_node(tmp_path: Path) -> Iterator[LoopbackNode]:
    need_root()
    node = LoopbackNode(tmp_path)
    try:
        yield node
    finally:
        node.cleanup()


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifySocket]:
    sock = NotifySocket(tmp_path / "notify.sock")
    try:
        yield sock
    finally:
        sock.close()
