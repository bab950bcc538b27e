"""The group runner with real shell resource scripts, checked against the call sequences
Heartbeat's ResourceManager makes (docs/protocol.md §9.1: ``alpha status, alpha start, beta status,
beta start`` on takegroup; ``beta stop, alpha stop`` on givegroup)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from hacore.api import ConfigError, GroupState
from hacore.config.model import ResourceGroup, ResourceSpec
from hacore.plugins import load_plugins
from hacore.resources import ResourceManager
from tests.resources.conftest import write_script

HBDUMMY = """\
name=$1; action=$2
echo "$name $action" >> "$STATE_DIR/journal"
case $action in
  start) [ -e "$STATE_DIR/$name.slow" ] && sleep 0.5
         [ -e "$STATE_DIR/$name.fail_start" ] && exit 1
         touch "$STATE_DIR/$name.on";;
  stop)  [ -e "$STATE_DIR/$name.fail_stop" ] && exit 1
         rm -f "$STATE_DIR/$name.on";;
  status) if [ -e "$STATE_DIR/$name.on" ]; then echo running; else echo stopped; fi;;
esac
exit 0
"""


class Rig:
    """hbdummy resources in a temporary ha.d, a ResourceManager over them, and its journal."""

    def __init__(self, tmp: Path, lines: list[str], **options: Any) -> None:
        self.state = tmp / "state"
        self.state.mkdir(parents=True)
        write_script(tmp / "ha.d/resource.d/hbdummy", HBDUMMY)
        self.changes: list[tuple[str, GroupState]] = []
        self.observed: list[tuple[str, str, bool]] = []
        groups = []
        for line in lines:
            node, *tokens = line.split()
            specs = [ResourceSpec(t, t.split("::")[0], tuple(t.split("::")[1:])) for t in tokens]
            groups.append(ResourceGroup(node, tuple(specs)))
        self.manager = ResourceManager(
            load_plugins(),
            groups,
            tmp / "ha.d",
            environment={"STATE_DIR": str(self.state)},
            init_dir=tmp / "init.d",
            on_change=lambda key, state: self.changes.append((key, state)),
            observe=lambda action, rsc, secs, ok: self.observed.append((action, rsc, ok)),
            **options,
        )

    def touch(self, *names: str) -> None:
        for name in names:
            (self.state / name).touch()

    def on(self, name: str) -> bool:
        return (self.state / f"{name}.on").exists()

    def journal(self) -> list[str]:
        path = self.state / "journal"
        return path.read_text().splitlines() if path.exists() else []


KEY = "hbdummy::alpha"


async def test_takegroup_checks_status_then_starts_left_to_right(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["node1 hbdummy::alpha hbdummy::beta"])
    assert await rig.manager.acquire(KEY) is True
    assert rig.journal() == ["alpha status", "alpha start", "beta status", "beta start"]
    assert rig.manager.state(KEY) is GroupState.RUNNING
    assert rig.changes == [(KEY, GroupState.STARTING), (KEY, GroupState.RUNNING)]
    assert rig.observed == [
        ("status", "hbdummy::alpha", True),
        ("start", "hbdummy::alpha", True),
        ("status", "hbdummy::beta", True),
        ("start", "hbdummy::beta", True),
    ]
    assert await rig.manager.running(KEY) is True


async def test_takegroup_does_not_start_what_already_runs(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["node1 hbdummy::alpha hbdummy::beta"])
    rig.touch("alpha.on")
    assert await rig.manager.acquire(KEY) is True
    assert rig.journal() == ["alpha status", "beta status", "beta start"]


async def test_givegroup_stops_right_to_left_without_status(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["node1 hbdummy::alpha hbdummy::beta"])
    # giving up a group never held still runs stop, as Heartbeat does
    assert await rig.manager.release(KEY) is True
    assert rig.journal() == ["beta stop", "alpha stop"]
    assert rig.manager.state(KEY) is GroupState.STOPPED
    assert await rig.manager.running(KEY) is False


async def test_start_failure_gives_up_what_was_started_in_reverse(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["node1 hbdummy::alpha hbdummy::beta hbdummy::gamma"])
    rig.touch("beta.fail_start")
    with capture_logs() as logs:
        assert await rig.manager.acquire(KEY) is False
    assert rig.journal() == [
        "alpha status",
        "alpha start",
        "beta status",
        "beta start",
        "beta stop",
        "alpha stop",
    ]
    assert not rig.on("alpha")
    assert rig.manager.state(KEY) is GroupState.STOPPED
    assert any(
        e.get("msg") == "Giving up resources due to failure of hbdummy::beta"
        and e["log_level"] == "critical"
        for e in logs
    )


async def test_stop_failure_while_still_running_leaves_the_group_failed(tmp_path: Path) -> None:
    rig = Rig(
        tmp_path,
        ["node1 hbdummy::alpha hbdummy::beta"],
        stop_retries=2,
        stop_retry_delay=0.01,
    )
    assert await rig.manager.acquire(KEY) is True
    rig.touch("beta.fail_stop")
    with capture_logs() as logs:
        assert await rig.manager.release(KEY) is False
    assert rig.journal()[4:] == [
        "beta stop",
        "beta stop",
        "beta stop",
        "beta status",
        "alpha stop",  # the rest of the group is still released
    ]
    assert rig.manager.state(KEY) is GroupState.FAILED
    assert [e["msg"] for e in logs if e.get("event") == "stop_retry"] == [
        "Retrying failed stop operation [hbdummy::beta]"
    ] * 2
    assert any(e.get("msg") == "Resource STOP failure. Reboot required!" for e in logs)


async def test_stop_failure_of_a_stopped_resource_is_only_non_lsb(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["node1 hbdummy::alpha"], stop_retries=1, stop_retry_delay=0.01)
    rig.touch("alpha.fail_stop")
    with capture_logs() as logs:
        assert await rig.manager.release(KEY) is True
    assert rig.journal() == ["alpha stop", "alpha stop", "alpha status"]
    assert rig.manager.state(KEY) is GroupState.STOPPED
    assert [e["msg"] for e in logs if e.get("event") == "stop_not_lsb"] == [
        "Resource script for hbdummy::alpha probably not LSB-compliant.",
        "it (hbdummy::alpha) MUST succeed on a stop when already stopped",
        "Machine reboot narrowly avoided!",
    ]


async def test_release_all_stale_stops_leftovers_right_to_left(tmp_path: Path) -> None:
    rig = Rig(
        tmp_path,
        ["node1 hbdummy::alpha hbdummy::beta", "node2 hbdummy::gamma hbdummy::delta"],
    )
    rig.touch("alpha.on", "beta.on")
    with capture_logs() as logs:
        assert await rig.manager.release_all_stale() == [KEY]
    assert not rig.on("alpha") and not rig.on("beta")
    first = [line for line in rig.journal() if line.split()[0] in ("alpha", "beta")]
    assert first == ["beta status", "beta stop", "alpha status", "alpha stop"]
    second = [line for line in rig.journal() if line.split()[0] in ("gamma", "delta")]
    assert second == ["delta status", "gamma status"]
    assert "Resource hbdummy::beta is active, and should not be!" in [e.get("msg") for e in logs]


async def test_one_group_is_serialized_other_groups_run_concurrently(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["node1 hbdummy::alpha", "node1 hbdummy::beta"])
    rig.touch("alpha.slow", "beta.slow")
    started = time.monotonic()
    assert list(
        await asyncio.gather(
            rig.manager.acquire("hbdummy::alpha"),
            rig.manager.release("hbdummy::alpha"),
            rig.manager.acquire("hbdummy::beta"),
        )
    ) == [True, True, True]
    assert time.monotonic() - started < 0.9  # the two slow starts overlapped (else >= 1 s)
    alpha = [line for line in rig.journal() if line.startswith("alpha")]
    assert alpha == ["alpha status", "alpha start", "alpha stop"]


async def test_happy_path_has_no_sleeps(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["node1 hbdummy::alpha hbdummy::beta"])
    started = time.monotonic()
    assert await rig.manager.acquire(KEY) is True
    assert await rig.manager.release(KEY) is True
    elapsed = time.monotonic() - started
    print(f"acquire+release of two shell resources: {elapsed * 1000:.1f} ms")
    assert elapsed < 0.5


def test_unknown_group_and_duplicate_keys_are_refused(tmp_path: Path) -> None:
    rig = Rig(tmp_path, ["node1 hbdummy::alpha"])
    with pytest.raises(KeyError, match="no resource group with key 'nope'"):
        rig.manager.state("nope")
    with pytest.raises(ConfigError, match="used twice"):
        Rig(tmp_path / "2", ["node1 hbdummy::alpha", "node2 hbdummy::alpha"])


async def test_a_failing_observer_does_not_stop_a_failover(tmp_path: Path) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("metrics bug")

    rig = Rig(tmp_path, ["node1 hbdummy::alpha"])
    rig.manager.observe = broken
    rig.manager.on_change = broken
    with capture_logs() as logs:
        assert await rig.manager.acquire(KEY) is True
    assert rig.on("alpha")
    assert {e["callback"] for e in logs if e.get("event") == "callback_failed"} == {
        "observe",
        "on_change",
    }
