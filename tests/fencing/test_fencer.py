"""The fencing layer on its own: a real powersocket device against a switch served by the
test, and a host that records what the node would do (engine deliveries, stonith notes)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hacore.api import FenceResult
from hacore.config.model import StonithLine
from hacore.fencing import Fencer, FenceState, FenceTarget, resolve_device
from hacore.plugins import load_plugins
from tests.fencing.power_switch import Switch


class Host:
    """The node's side of the FenceHost protocol, recording every call."""

    def __init__(self, *, delay: bool = False, tiebreaker: bool = True) -> None:
        self.delay = delay
        self.reachable = tiebreaker
        self.reported: list[tuple[str, FenceResult]] = []
        self.delivered: list[str] = []
        self.states: list[str] = []

    def fence_delay_needed(self, node: str) -> bool:
        return self.delay

    def tiebreaker_reachable(self) -> bool:
        return self.reachable

    def report_stonith(self, node: str, result: FenceResult) -> None:
        self.reported.append((node, result))

    def deliver_death(self, node: str) -> None:
        self.delivered.append(node)

    def fence_observed(self, node: str, target: FenceTarget, result: FenceResult | None) -> None:
        self.states.append(target.state.value)


def _fencer(host: Host, sock: Path | None, **kwargs: object) -> Fencer:
    device = (
        resolve_device(load_plugins(), StonithLine("powersocket", params=str(sock)))
        if sock
        else None
    )
    args: dict[str, object] = {"delay_s": 0.0, "poll_s": 0.01, **kwargs}
    return Fencer(host, device, **args)  # type: ignore[arg-type]


async def _until(predicate: object, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.01)


def test_death_is_withheld_until_the_reset_succeeded(tmp_path: Path) -> None:
    host = Host()

    async def scenario() -> Fencer:
        async with Switch(tmp_path / "p.sock", "OK") as switch:
            fencer = _fencer(host, tmp_path / "p.sock")
            assert fencer.peer_dead("node2") is True
            assert host.delivered == []
            await _until(lambda: host.delivered)
            assert switch.requests == ["reset node2"]
            return fencer

    fencer = asyncio.run(scenario())
    assert host.reported == [("node2", FenceResult.OK)]
    assert host.states == ["fencing", "fenced"]
    assert fencer.reported("node2")
    assert fencer.peer_dead("node2") is False, "already fenced: the next death passes"
    fencer.peer_alive("node2")
    assert fencer.target("node2").state == FenceState.IDLE


def test_failed_resets_are_retried_and_nothing_is_delivered_meanwhile(tmp_path: Path) -> None:
    host = Host()

    async def scenario() -> None:
        async with Switch(tmp_path / "p.sock", "FAIL unplugged") as switch:
            fencer = _fencer(host, tmp_path / "p.sock")
            fencer.peer_dead("node2")
            await _until(lambda: fencer.target("node2").failures >= 2)
            assert host.delivered == []
            target = fencer.target("node2")
            assert (target.last_result, target.last_error) == (FenceResult.BAD, "unplugged")
            switch.answer = "OK"
            await _until(lambda: host.delivered)
            assert len(switch.requests) >= 3

    asyncio.run(scenario())
    assert [r for _, r in host.reported][:2] == [FenceResult.BAD, FenceResult.BAD]
    assert host.reported[-1] == ("node2", FenceResult.OK)
    assert "retrying" in host.states


def test_the_side_holding_less_waits_and_a_returning_peer_cancels(tmp_path: Path) -> None:
    host = Host(delay=True)

    async def scenario() -> list[str]:
        async with Switch(tmp_path / "p.sock", "OK") as switch:
            fencer = _fencer(host, tmp_path / "p.sock", delay_s=5.0)
            fencer.peer_dead("node2")
            await _until(lambda: fencer.target("node2").state == FenceState.DELAYING)
            fencer.peer_alive("node2")  # the link came back during the delay
            await asyncio.sleep(0.1)
            return switch.requests

    assert asyncio.run(scenario()) == []
    assert host.delivered == [] and host.reported == []
    assert host.states == ["delaying", "idle"]


def test_a_peer_back_during_a_failing_reset_is_not_fenced_again(tmp_path: Path) -> None:
    """The reset in flight cannot be called back; its failure must not start the retries
    that would one day reset a live node."""
    host = Host()

    async def scenario() -> tuple[Fencer, list[str]]:
        async with Switch(tmp_path / "p.sock", "FAIL unplugged") as switch:
            switch.go.clear()
            fencer = _fencer(host, tmp_path / "p.sock")
            fencer.peer_dead("node2")
            await _until(lambda: switch.requests)
            assert fencer.target("node2").state == FenceState.FENCING
            fencer.peer_alive("node2")  # heard again while the switch thinks
            switch.go.set()
            await _until(lambda: fencer.target("node2").state == FenceState.IDLE)
            await asyncio.sleep(1.5)  # past the first retry's back-off
            return fencer, switch.requests

    fencer, requests = asyncio.run(scenario())
    assert requests == ["reset node2"]
    assert host.delivered == [] and "retrying" not in host.states
    assert fencer.target("node2").failures == 1


def test_unreachable_tiebreaker_neither_fences_nor_delivers(tmp_path: Path) -> None:
    host = Host(tiebreaker=False)

    async def scenario() -> list[str]:
        async with Switch(tmp_path / "p.sock", "OK") as switch:
            fencer = _fencer(host, tmp_path / "p.sock", tiebreaker="10.0.0.2")
            fencer.peer_dead("node2")
            await asyncio.sleep(0.2)
            assert fencer.target("node2").state == FenceState.WAITING
            assert (switch.requests, host.delivered) == ([], [])
            host.reachable = True
            await _until(lambda: host.delivered)
            return switch.requests

    assert asyncio.run(scenario()) == ["reset node2"]


def test_tiebreaker_without_a_device_only_gates(tmp_path: Path) -> None:
    host = Host()

    async def scenario() -> None:
        fencer = _fencer(host, None, tiebreaker="10.0.0.2")
        assert fencer.peer_dead("node2") is True
        await _until(lambda: host.delivered)

    asyncio.run(scenario())
    assert host.reported == []


def test_tiebreaker_without_a_device_waits_the_fence_delay_before_the_takeover() -> None:
    """The isolated peer releases meanwhile; a peer that comes back cancels the wait."""
    host = Host()

    async def scenario() -> Fencer:
        fencer = _fencer(host, None, tiebreaker="10.0.0.2", delay_s=30.0)
        fencer.peer_dead("node2")
        await _until(lambda: fencer.target("node2").state == FenceState.DELAYING)
        assert host.delivered == []
        fencer.peer_alive("node2")
        await asyncio.sleep(0.05)
        return fencer

    fencer = asyncio.run(scenario())
    assert host.delivered == [] and fencer.target("node2").state == FenceState.IDLE
    assert host.states == ["delaying", "idle"]


def test_tiebreaker_lost_during_the_takeover_delay_means_waiting_again() -> None:
    host = Host()

    async def scenario() -> None:
        fencer = _fencer(host, None, tiebreaker="10.0.0.2", delay_s=0.1)
        fencer.peer_dead("node2")
        await _until(lambda: fencer.target("node2").state == FenceState.DELAYING)
        host.reachable = False  # we may be the isolated side after all
        await _until(lambda: fencer.target("node2").state == FenceState.WAITING)
        assert host.delivered == []
        host.reachable = True
        await _until(lambda: host.delivered)

    asyncio.run(scenario())
    assert host.states == ["delaying", "waiting", "delaying", "idle"]
    assert host.reported == []


def test_without_device_or_tiebreaker_deaths_pass_through() -> None:
    fencer = _fencer(Host(), None)
    assert fencer.active is False
    assert fencer.peer_dead("node2") is False
