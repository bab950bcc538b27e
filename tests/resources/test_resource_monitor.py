"""Monitoring with real scripts: ``ResourceAgent.monitor`` through ResourceManager.check and
restart, and the check loop of hacore.monitor (restart in place, then give up, Recover).

Scripts journal every call; a status that hangs leaves the pid of its ``sleep`` so the
test can see that the timeout killed it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from hacore.api import ResourceAgent, ResourceError, ResourceType
from hacore.config.model import ResourceGroup, ResourceSpec
from hacore.config.monitor import Monitor, MonitorSettings
from hacore.control.model import MonitorEvent, MonitorOutcome
from hacore.hookspecs import hookimpl
from hacore.metrics import Metrics
from hacore.monitor import Monitors
from hacore.plugins import load_plugins
from hacore.resources import ResourceManager
from halab.labnode import process_start_time
from tests.resources.conftest import write_script

SCRIPT = """\
name=$1; action=$2
echo "$name $action" >> "$STATE_DIR/journal"
case $action in
  start) [ -e "$STATE_DIR/$name.fail_start" ] && exit 1
         touch "$STATE_DIR/$name.on";;
  stop)  rm -f "$STATE_DIR/$name.on";;
  status) if [ -e "$STATE_DIR/$name.hang" ]; then
            sleep 60 & echo $! > "$STATE_DIR/$name.sleeper"; wait
          fi
          if [ -e "$STATE_DIR/$name.on" ]; then echo running; else echo stopped; fi;;
esac
exit 0
"""
KEY = "hbdummy::alpha"


class Rig:
    def __init__(self, tmp: Path, tokens: Sequence[str], plugins: Sequence[object] = ()) -> None:
        self.state = tmp / "state"
        self.state.mkdir()
        write_script(tmp / "ha.d/resource.d/hbdummy", SCRIPT)
        specs = tuple(ResourceSpec(t, t.split("::")[0], tuple(t.split("::")[1:])) for t in tokens)
        self.group = ResourceGroup("node1", specs)
        registry = load_plugins(extra=list(plugins)) if plugins else load_plugins()
        self.manager = ResourceManager(
            registry,
            [self.group],
            tmp / "ha.d",
            environment={"STATE_DIR": str(self.state)},
            init_dir=tmp / "init.d",
        )

    def journal(self) -> list[str]:
        path = self.state / "journal"
        lines = path.read_text().splitlines() if path.exists() else []
        path.unlink(missing_ok=True)
        return lines

    async def sleeper(self, name: str) -> int:
        """The pid of the ``sleep`` a hanging status of ``name`` started (once written)."""
        path = self.state / f"{name}.sleeper"
        deadline = time.monotonic() + 10
        while not (path.exists() and path.read_text().strip().isdigit()):
            assert time.monotonic() < deadline, f"{name}'s status never hung"
            await asyncio.sleep(0.02)
        return int(path.read_text())

    def flag(self, name: str, present: bool = True) -> None:
        path = self.state / name
        if present:
            path.touch()
        else:
            path.unlink(missing_ok=True)


async def test_check_is_the_agents_monitor_and_says_why(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [KEY, "hbdummy::beta"])
    assert await rig.manager.check(KEY, 1, timeout=5) is None, "not running here: no verdict"
    assert await rig.manager.acquire(KEY)
    rig.journal()
    result = await rig.manager.check(KEY, 1, timeout=5)
    assert result is not None and result.ok and result.reason == ""
    assert rig.journal() == ["beta status"]
    rig.flag("beta.on", present=False)
    result = await rig.manager.check(KEY, 1, timeout=5)
    assert result is not None and (result.result, result.reason) == ("not running", "not running")


async def test_check_that_hangs_is_killed_at_its_timeout(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [KEY])
    assert await rig.manager.acquire(KEY)
    rig.flag("alpha.hang")
    result = await rig.manager.check(KEY, 0, timeout=0.5)
    assert result is not None and result.result == "timeout"
    assert result.reason == "check timed out after 0.5s (killed)"
    sleeper = await rig.sleeper("alpha")
    deadline = time.monotonic() + 5
    while process_start_time(sleeper) is not None and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert process_start_time(sleeper) is None, "the status script's sleep survived"


async def test_check_overlapping_an_operation_proves_nothing(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [KEY])
    assert await rig.manager.acquire(KEY)
    rig.flag("alpha.hang")
    check = asyncio.ensure_future(rig.manager.check(KEY, 0, timeout=30))
    await asyncio.sleep(0.2)
    rig.flag("alpha.hang", present=False)
    # a restart runs meanwhile (stop, status, start): the check's answer is discarded
    await rig.manager.restart(KEY, 0)
    os.kill(await rig.sleeper("alpha"), signal.SIGTERM)
    assert await check is None


async def test_restart_stops_the_tail_right_to_left_and_starts_it_left_to_right(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path, [KEY, "hbdummy::beta", "hbdummy::gamma"])
    assert await rig.manager.acquire(KEY)
    rig.journal()
    rig.flag("beta.on", present=False)
    assert await rig.manager.restart(KEY, 1) is True
    assert rig.journal() == [
        "gamma stop",
        "beta stop",
        "beta status",
        "beta start",
        "gamma status",
        "gamma start",
    ]
    rig.flag("gamma.fail_start")
    assert await rig.manager.restart(KEY, 2) is False
    await rig.manager.release(KEY)
    assert await rig.manager.restart(KEY, 0) is None, "a released group is not restarted"


class FlakyAgent(ResourceAgent):
    """A third-party resource type with a monitor of its own (health beyond "configured")."""

    healthy = True
    status_calls = 0

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def status(self) -> bool:
        FlakyAgent.status_calls += 1
        return True

    async def monitor(self) -> bool:
        if self.request.args[:1] == ("buggy",):
            raise KeyError("oops")
        if not FlakyAgent.healthy:
            raise ResourceError(f"{self}: answers 503")
        return True


class FlakyPlugin:
    @hookimpl
    def hacore_resource_types(self) -> list[ResourceType]:
        return [ResourceType("Flaky", FlakyAgent)]


async def test_resource_agent_monitor_of_a_third_party_type(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["Flaky::web", "Flaky::buggy"], plugins=[FlakyPlugin()])
    assert await rig.manager.acquire("Flaky::web")
    FlakyAgent.status_calls = 0
    result = await rig.manager.check("Flaky::web", 0, timeout=5)
    assert result is not None and result.ok and FlakyAgent.status_calls == 0
    FlakyAgent.healthy = False
    try:
        result = await rig.manager.check("Flaky::web", 0, timeout=5)
    finally:
        FlakyAgent.healthy = True
    assert result is not None and (result.result, result.reason) == (
        "error",
        "Flaky::web: answers 503",
    )
    result = await rig.manager.check("Flaky::web", 1, timeout=5)
    assert result is not None and result.result == "error"
    assert result.reason == "unexpected KeyError: 'oops'", "a plugin bug is a failed check"


# ---- the check loop ------------------------------------------------------------------


class Loop:
    """Monitors over a Rig: events recorded, give_up answered by a scripted engine."""

    def __init__(self, rig: Rig, settings: MonitorSettings, index: int = 0) -> None:
        self.rig = rig
        self.events: list[MonitorEvent] = []
        self.given_up: list[str] = []
        self.recover_on_give_up = False
        spec = rig.group.resources[index].spec
        self.metrics = Metrics("node1")
        self.monitors = Monitors(
            [Monitor(KEY, index, spec, settings)],
            rig.manager,
            self.metrics,
            self.events.append,
            self._give_up,
        )

    def _give_up(self, key: str) -> None:
        self.given_up.append(key)
        if self.recover_on_give_up:
            self.monitors.recover(key)

    def outcomes(self) -> list[MonitorOutcome]:
        return [e.outcome for e in self.events]

    async def until(self, what: str, predicate: object, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}: {self.outcomes()}")
            await asyncio.sleep(0.02)


FAST = MonitorSettings(interval_ms=100, timeout_ms=2000, restarts=2, window_ms=60_000)


async def test_loop_restarts_in_place_then_gives_up_then_recovers(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [KEY, "hbdummy::beta"])
    loop = Loop(rig, FAST)
    assert await rig.manager.acquire(KEY)
    loop.monitors.sync(KEY, running_here=True)
    try:
        for round_ in (1, 2):
            rig.flag("alpha.on", present=False)
            await loop.until(
                f"restart {round_}",
                lambda n=round_: loop.outcomes().count(MonitorOutcome.RESTARTED) == n,
            )
        assert (rig.state / "beta.on").exists(), "beta was restarted after alpha"
        loop.recover_on_give_up = True
        rig.flag("alpha.on", present=False)
        await loop.until("give up", lambda: loop.given_up == [KEY])
        await loop.until("recover", lambda: loop.outcomes().count(MonitorOutcome.RESTARTED) == 3)
        assert loop.outcomes()[:7] == [
            MonitorOutcome.FAILED,
            MonitorOutcome.RESTARTED,
            MonitorOutcome.FAILED,
            MonitorOutcome.RESTARTED,
            MonitorOutcome.FAILED,
            MonitorOutcome.GIVING_UP,
            MonitorOutcome.RESTARTED,
        ]
        (view,) = loop.monitors.views(KEY, asyncio.get_running_loop().time())
        assert (view.fail_count, view.failures, view.restarts, view.restarts_in_window) == (
            3,
            3,
            3,
            2,
        )
        assert view.active and view.last_failure == "not running"
        cleaned, clear = loop.monitors.cleanup([(KEY, 0)])
        assert [(c.resource, c.fail_count) for c in cleaned] == [("hbdummy::alpha", 3)]
        assert clear == [KEY]
        (view,) = loop.monitors.views(KEY, asyncio.get_running_loop().time())
        assert (view.fail_count, view.restarts_in_window, view.failures) == (0, 0, 3)
    finally:
        loop.monitors.close()
    body = loop.metrics.render()[0].decode()
    assert (
        'hacore_resource_restarts_total{group="hbdummy::alpha",resource="hbdummy::alpha",'
        'result="success"} 3.0' in body
    )


async def test_loop_stops_with_its_group_and_kills_the_check_in_flight(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [KEY])
    loop = Loop(rig, FAST)
    assert await rig.manager.acquire(KEY)
    rig.flag("alpha.hang")
    loop.monitors.sync(KEY, running_here=True)
    sleeper = await rig.sleeper("alpha")
    loop.monitors.sync(KEY, running_here=False)
    await loop.until("the check killed", lambda: process_start_time(sleeper) is None)
    assert not loop.monitors.views(KEY, 0.0)[0].active
    assert loop.events == [], "a cancelled check is no failure"


async def test_no_restarts_allowed_gives_up_at_once(tmp_path: Path) -> None:
    rig = Rig(tmp_path, [KEY])
    loop = Loop(rig, MonitorSettings(100, 2000, 0, 60_000))
    assert await rig.manager.acquire(KEY)
    loop.monitors.sync(KEY, running_here=True)
    try:
        rig.flag("alpha.on", present=False)
        await loop.until("give up", lambda: loop.given_up == [KEY])
        assert loop.outcomes() == [MonitorOutcome.FAILED, MonitorOutcome.GIVING_UP]
    finally:
        loop.monitors.close()
