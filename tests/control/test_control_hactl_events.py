"""hactl events with --timeout, and how a refused move is worded."""

from __future__ import annotations

import asyncio

import pytest

from hacore.api import LinkStatus, LinkStatusChanged, Scope
from hacore.control.model import ClusterView, OperationRefused
from hacore.control.server import ControlServer
from hactl.client import Exit
from tests.control.control_fake import FakeTarget
from tests.control.control_support import Hactl, run_hactl, wait_until

pytestmark = pytest.mark.timeout(30)

# What the failover engine says when a takeover finds no live peer.
ALONE = "No live peer to take over the resources; standby refused."


async def test_events_timeout_ends_an_unmet_count(hactl: Hactl) -> None:
    result = await hactl("events", "--timeout", "1", "--count", "1", timeout=10)
    assert result.rc == Exit.TIMEOUT
    assert result.out == ""
    assert result.err == "hactl: events: 0 of 1 events within 1 s\n"


async def test_events_timeout_without_count_is_a_normal_end(
    control: ControlServer, target: FakeTarget
) -> None:
    task = asyncio.create_task(
        run_hactl(control.socket_path, "events", "--timeout", "1.5", timeout=10)
    )
    await wait_until(lambda: target.hub.subscriber_count == 1)
    target.emit(LinkStatusChanged("node2", "eth1", LinkStatus.UP, LinkStatus.DEAD))
    result = await task
    assert (result.rc, result.err) == (0, "")
    assert result.out.splitlines()[0].endswith(" link node2:eth1: up -> dead")


async def test_events_count_reached_before_the_timeout(
    control: ControlServer, target: FakeTarget
) -> None:
    task = asyncio.create_task(
        run_hactl(control.socket_path, "events", "--count", "1", "--timeout", "20", timeout=10)
    )
    await wait_until(lambda: target.hub.subscriber_count == 1)
    target.kill_peer()
    result = await task
    assert result.rc == 0, result.err


async def test_refused_takeover_names_only_the_takeover(
    hactl: Hactl, target: FakeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def alone(scope: Scope) -> ClusterView:
        raise OperationRefused(ALONE)

    monkeypatch.setattr(target, "takeover", alone)
    result = await hactl("takeover")
    assert result.rc == Exit.FAILED
    assert result.err.splitlines() == [
        "hactl: takeover refused: No live peer to take over the resources"
    ]
    monkeypatch.setattr(target, "standby", alone)
    result = await hactl("standby", "local")
    assert result.err.splitlines() == [
        "hactl: standby refused: No live peer to take over the resources"
    ]
