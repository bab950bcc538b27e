"""hactl's read views: health and --check, --node/--group, --watch (real hactl processes
against a real server on a unix socket; the cluster behind it is scripted)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from hacore.api import GroupState, LinkStatus, NodeStatus, Scope
from hacore.control.model import ClusterView, FencingView, LinkView
from hacore.control.server import ControlServer
from hactl.client import Exit
from tests.control.control_fake import PEER_GROUP, VIP_GROUP, FakeTarget
from tests.control.control_support import Hactl, run_hactl, wait_until

pytestmark = pytest.mark.timeout(60)


async def test_health_of_a_sound_cluster(hactl: Hactl) -> None:
    result = await hactl("health")
    assert (result.rc, result.err) == (0, "")
    assert result.out == (
        "healthy: 2 nodes alive, 1 link up, 1 ping node reachable, 2 groups held "
        "(seen from node1)\n"
    )
    assert json.loads((await hactl("health", "--json")).out) == {
        "node": "node1",
        "healthy": True,
        "problems": [],
    }


async def test_health_names_every_problem_and_exits_6(hactl: Hactl, target: FakeTarget) -> None:
    target.nodes["10.0.0.2"] = replace(target.nodes["10.0.0.2"], status=NodeStatus.DEAD)
    target.groups[VIP_GROUP] = replace(target.groups[VIP_GROUP], state=GroupState.FAILED)
    target.groups[PEER_GROUP] = replace(
        target.groups[PEER_GROUP], holder=None, failed_on=("node2",)
    )
    target.nodes["node2"] = replace(
        target.nodes["node2"],
        links=(LinkView("eth0", LinkStatus.UP), LinkView("eth1", LinkStatus.DEAD)),
    )
    result = await hactl("health")
    assert result.rc == Exit.UNHEALTHY and Exit.UNHEALTHY.value == 6  # documented
    assert result.out.splitlines() == [
        "unhealthy: 5 problems seen from node1",
        "  link node2:eth1 is dead",
        "  ping node 10.0.0.2 is unreachable",
        f"  group {VIP_GROUP} failed on node1: its stop failed, it may still run there "
        "and is never started elsewhere",
        f"  group {PEER_GROUP} is held by nobody: its service is down",
        f"  group {PEER_GROUP} was given up on node2: it will not run there "
        "until 'hactl cleanup' on node2",
    ]
    data = json.loads((await hactl("health", "--json")).out)
    assert data["healthy"] is False
    assert [(p["what"], p["name"], p["problem"]) for p in data["problems"]] == [
        ("link", "node2:eth1", "dead"),
        ("node", "10.0.0.2", "unreachable"),
        ("group", VIP_GROUP, "failed"),
        ("group", PEER_GROUP, "not held"),
        ("group", f"{PEER_GROUP}@node2", "given up"),
    ]


async def test_an_isolated_node_says_so_in_status_and_health(
    hactl: Hactl, target: FakeTarget
) -> None:
    target.kill_peer()
    target.nodes["10.0.0.2"] = replace(target.nodes["10.0.0.2"], status=NodeStatus.DEAD)
    target.groups[VIP_GROUP] = replace(target.groups[VIP_GROUP], holder=None)
    since = time.time() - 5
    target.fencing = FencingView(
        delay_s=15.0,
        tiebreaker="10.0.0.2",
        tiebreaker_reachable=False,
        isolated=True,
        isolated_since_wall=since,
    )
    text = (await hactl("status")).out
    assert "  tiebreaker: 10.0.0.2 (unreachable, takeover after 15 s)\n" in text
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(int(since)))
    assert (
        f"  ISOLATED since {stamp}: peer and tiebreaker lost; every group released here, none "
        "acquired until the peer is heard or its death confirmed\n"
    ) in text
    fencing = json.loads((await hactl("status", "--json")).out)["fencing"]
    assert fencing["isolated"] is True and fencing["isolated_since"].startswith("20")
    result = await hactl("health")
    assert result.rc == Exit.UNHEALTHY
    assert (
        "  node node1 is isolated: it lost its peer and tiebreaker 10.0.0.2 and released its groups"
    ) in result.out.splitlines()
    problems = json.loads((await hactl("health", "--json")).out)["problems"]
    assert {"what": "node", "name": "node1", "problem": "isolated"}.items() <= problems[2].items()


async def test_a_dead_node_is_one_problem_not_one_per_link(
    hactl: Hactl, target: FakeTarget
) -> None:
    target.kill_peer()
    target.nodes["node2"] = replace(
        target.nodes["node2"], links=(LinkView("eth1", LinkStatus.DEAD),)
    )
    result = await hactl("health")
    assert result.rc == Exit.UNHEALTHY
    assert result.out.splitlines()[1:] == ["  node node2 is dead"]


async def test_status_check_prints_the_status_and_sets_the_exit_code(
    hactl: Hactl, target: FakeTarget
) -> None:
    assert (await hactl("status", "--check")).rc == 0
    target.kill_peer()
    plain = await hactl("status")
    checked = await hactl("status", "--check")
    assert plain.rc == 0  # without --check the exit code stays "the command worked"
    assert checked.rc == Exit.UNHEALTHY
    assert checked.out == plain.out and "  node2: dead" in checked.out
    # the check covers the selection only
    assert (await hactl("nodes", "--check", "--node", "node1")).rc == 0
    assert (await hactl("health", "--node", "node1", "--json")).rc == 0
    assert (await hactl("links", "--check", "--node", "node2")).rc == Exit.UNHEALTHY


async def test_node_filter_narrows_nodes_and_links_only(hactl: Hactl) -> None:
    text = (await hactl("status", "--node", "node2")).out
    assert "  node2: active" in text and "node1: active" not in text and "10.0.0.2" not in text
    assert f"  {VIP_GROUP}: held by node1" in text and f"  {PEER_GROUP}: held by node2" in text
    two = await hactl("status", "--json", "--node", "node2", "--node", "10.0.0.2")
    data = json.loads(two.out)
    assert [n["name"] for n in data["nodes"]] == ["node2", "10.0.0.2"]
    assert len(data["resources"]) == 2
    links = json.loads((await hactl("links", "--json", "--node", "node2")).out)
    assert links == [{"node": "node2", "link": "eth1", "status": "up"}]


async def test_group_filter_takes_a_key_or_a_resource(hactl: Hactl) -> None:
    by_resource = await hactl("resources", "--group", "apache2")
    rows = by_resource.out.splitlines()
    assert rows[0].startswith("GROUP") and len(rows) == 2 and rows[1].startswith(VIP_GROUP)
    by_key = json.loads((await hactl("resources", "--json", "--group", PEER_GROUP)).out)
    assert [g["group"] for g in by_key] == [PEER_GROUP]
    status = json.loads((await hactl("status", "--json", "--group", "apache2")).out)
    assert [g["group"] for g in status["resources"]] == [VIP_GROUP]
    assert len(status["nodes"]) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("status", "--node", "node3"), "no node 'node3' in the cluster (nodes: node1, node2, "),
        (("resources", "--group", "mysql"), "no resource group 'mysql' in the cluster"),
        (("status", "--count", "2"), "--count needs --watch"),
        (("status", "--watch", "0"), "argument --watch: must be positive (got 0)"),
        (("status", "--watch", "inf"), "argument --watch: must be positive (got inf)"),
        (("status", "--watch", "soon"), "invalid number of seconds: 'soon'"),
        (("health", "--check"), "unrecognized arguments: --check"),
        # a typo in a filter ends a watch at once, it is not redrawn forever
        (("status", "--watch", "0.1", "--node", "nod1"), "no node 'nod1' in the cluster"),
    ],
)
async def test_bad_selection_or_watch_is_a_usage_error(
    hactl: Hactl, args: tuple[str, ...], message: str
) -> None:
    result = await hactl(*args)
    assert result.rc == Exit.USAGE
    assert result.err.startswith("hactl: ") and message in result.err
    assert len(result.err.splitlines()) == 1 and result.out == ""


async def test_watch_off_a_terminal_prints_each_refresh(
    control: ControlServer, target: FakeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = 0
    snapshot = target.snapshot

    def counted() -> ClusterView:
        nonlocal served
        served += 1
        return snapshot()

    monkeypatch.setattr(target, "snapshot", counted)
    task = asyncio.create_task(
        run_hactl(control.socket_path, "resources", "--watch", "0.3", "--count", "4")
    )
    await wait_until(lambda: served == 1, timeout=15)  # the first refresh sees node1...
    await target.standby(Scope.LOCAL)  # ...then the group moves (0.3 s, refreshes go on)
    result = await task
    assert result.rc == 0, result.err
    frames = result.out.split("Every 0.3s: hactl --socket ")[1:]
    assert len(frames) == 4
    assert all(" resources --watch 0.3 --count 4    20" in frame for frame in frames)
    holders = [_holder(frame, VIP_GROUP) for frame in frames]
    assert holders[0] == "node1" and holders[-1] == "node2"


def _holder(frame: str, group: str) -> str:
    row = next(line for line in frame.splitlines() if line.startswith(group))
    return row.split()[1]


async def test_watch_json_is_one_object_per_refresh(hactl: Hactl) -> None:
    result = await hactl("nodes", "--json", "--watch", "0.1", "--count", "3", "--node", "node2")
    assert result.rc == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) == 3
    assert all([node["name"] for node in json.loads(line)] == ["node2"] for line in lines)


async def test_watch_goes_on_while_the_daemon_restarts(target: FakeTarget, sock_dir: Path) -> None:
    socket_path = sock_dir / "api.sock"
    server = ControlServer(target, socket_path)
    await server.start()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "hactl.cli", "--socket", str(socket_path), "--timeout", "1"),
        *("health", "--watch", "0.1"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    stdout = process.stdout
    assert stdout is not None
    seen: list[str] = []

    async def frame_until(wanted: str) -> None:
        while not seen or not seen[-1].startswith(wanted):
            line = (await asyncio.wait_for(stdout.readline(), 15)).decode()
            if line.startswith(("healthy", "unhealthy", "hactl: ")):
                seen.append(line.strip())

    try:
        await frame_until("healthy: ")
        await server.stop(grace=0.1)
        await frame_until("hactl: ")
        target.kill_peer()
        server = ControlServer(target, socket_path)
        await server.start()
        await frame_until("unhealthy: ")
    finally:
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), 10)
        await server.stop(grace=0.1)
    assert f"hactl: hacored is not running (no API socket at {socket_path})" in seen
    assert seen[-1] == "unhealthy: 1 problem seen from node1"
    assert process.returncode == 130 and err == b""


async def test_watch_count_exits_with_the_last_refresh_verdict(
    hactl: Hactl, target: FakeTarget
) -> None:
    assert (await hactl("health", "--watch", "0.1", "--count", "2")).rc == 0
    target.kill_peer()
    assert (await hactl("health", "--watch", "0.1", "--count", "2")).rc == Exit.UNHEALTHY
    checked = await hactl("status", "--check", "--watch", "0.1", "--count", "2", "--json")
    assert checked.rc == Exit.UNHEALTHY and len(checked.out.splitlines()) == 2


async def test_watch_redraws_in_place_on_a_terminal_until_ctrl_c(
    control: ControlServer,
) -> None:
    leader, follower = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "hactl.cli", "--socket", str(control.socket_path)),
        *("status", "--watch", "0.2"),
        stdout=follower,
        stderr=follower,
        stdin=asyncio.subprocess.DEVNULL,
    )
    os.close(follower)
    screen = b""
    deadline = time.monotonic() + 15
    while screen.count(b"\x1b[H") < 4 and time.monotonic() < deadline:
        screen += await asyncio.to_thread(os.read, leader, 65536)
    process.send_signal(signal.SIGINT)  # Ctrl-C
    rc = await asyncio.wait_for(process.wait(), 10)
    with contextlib.suppress(OSError):  # EIO once the child side is closed
        while data := os.read(leader, 65536):
            screen += data
    os.close(leader)
    text = screen.decode()
    assert rc == 130
    frames = text.split("\x1b[H")[1:]
    assert len(frames) >= 4
    for frame in frames[:3]:  # each frame: header, blank, status, then clear the rest
        lines = frame.split("\x1b[K\r\n")
        assert lines[0].startswith("Every 0.2s: hactl --socket ")
        assert lines[2].startswith("hacore 0.1.0 on node1")
        assert frame.endswith("\x1b[J")
    assert "Traceback" not in text and "Error" not in text
