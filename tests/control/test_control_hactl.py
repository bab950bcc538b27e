"""Every hactl command, run as a real subprocess against a real server on a unix socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import shutil
import socket
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from hacore.api import (
    ConfigError,
    LinkStatus,
    LinkStatusChanged,
    NodeStatus,
    Scope,
    SourceLocation,
)
from hacore.config.model import ConfigErrors
from hacore.control.model import MonitorEvent, MonitorOutcome
from hacore.control.server import ControlServer
from hactl.client import Exit
from tests.control.control_fake import PEER_GROUP, VIP_GROUP, FakeTarget
from tests.control.control_support import Hactl, run_hactl, wait_until

pytestmark = pytest.mark.timeout(60)


async def test_status_text_names_nodes_links_and_holders(hactl: Hactl) -> None:
    result = await hactl("status")
    assert result.rc == 0, result.err
    assert "hacore 0.1.0 on node1 (generation 7)" in result.out
    assert "  node2: active (normal, last heard 0.2s ago, since " in result.out
    assert "  10.0.0.2: ping (ping, last heard 0.5s ago" in result.out
    assert "      link eth1: up" in result.out
    assert f"  {VIP_GROUP}: held by node1, running here, since " in result.out
    assert f"      resources: {VIP_GROUP} apache2" in result.out
    assert result.err == ""


async def test_status_json_shape(hactl: Hactl) -> None:
    result = await hactl("status", "--json")
    assert result.rc == 0, result.err
    data = json.loads(result.out)
    assert data["node"] == "node1"
    assert [n["name"] for n in data["nodes"]] == ["node1", "node2", "10.0.0.2"]
    node2 = data["nodes"][1]
    assert node2 == {
        "name": "node2",
        "status": "active",
        "type": "normal",
        "local": False,
        "links": [{"name": "eth1", "status": "up"}],
        "generation": 3,
        "last_heard_ago_s": 0.25,
        "since": node2["since"],
    }
    assert node2["since"].endswith("+00:00")
    assert data["nodes"][2]["status"] == "ping" and data["nodes"][2]["type"] == "ping"
    groups = {g["group"]: g for g in data["resources"]}
    assert groups[VIP_GROUP]["resources"] == [VIP_GROUP, "apache2"]
    assert groups[VIP_GROUP]["preferred"] == "node1"
    assert groups[VIP_GROUP]["holder"] == "node1"
    assert groups[VIP_GROUP]["state"] == "running"
    assert groups[PEER_GROUP]["holder"] == "node2"
    assert groups[PEER_GROUP]["state"] == "stopped"


async def test_status_json_holder_null_when_nobody_holds(hactl: Hactl, target: FakeTarget) -> None:
    target.groups[PEER_GROUP] = replace(target.groups[PEER_GROUP], holder=None)
    data = json.loads((await hactl("--json", "status")).out)
    assert {g["group"]: g["holder"] for g in data["resources"]}[PEER_GROUP] is None


async def test_nodes_links_resources_text_and_json(hactl: Hactl) -> None:
    nodes = await hactl("nodes")
    assert nodes.rc == 0
    assert nodes.out.splitlines()[0].split() == [
        "NODE",
        "STATUS",
        "TYPE",
        "GENERATION",
        "LAST",
        "HEARD",
        "SINCE",
    ]
    assert nodes.out.splitlines()[1].split()[:5] == ["node1", "(local)", "active", "normal", "7"]
    links = json.loads((await hactl("links", "--json")).out)
    assert {"node": "node2", "link": "eth1", "status": "up"} in links
    assert {"node": "10.0.0.2", "link": "10.0.0.2", "status": "up"} in links
    resources = await hactl("resources")
    assert resources.rc == 0
    row = next(line for line in resources.out.splitlines() if line.startswith(VIP_GROUP))
    assert row.split()[1:4] == ["node1", "running", "node1"]
    as_json = json.loads((await hactl("resources", "--json")).out)
    assert [g["group"] for g in as_json] == [VIP_GROUP, PEER_GROUP]
    node_json = json.loads((await hactl("nodes", "--json")).out)
    assert node_json[0]["local"] is True and node_json[0]["last_heard_ago_s"] is None


async def test_standby_waits_for_the_move_and_prints_holders(
    hactl: Hactl, target: FakeTarget
) -> None:
    target.move_delay = 1.2
    result = await hactl("standby")
    assert result.rc == 0, result.err
    assert target.moves_completed == 1
    assert target.groups[VIP_GROUP].holder == "node2"
    assert result.out.startswith("standby all: done in 1.")
    row = next(line for line in result.out.splitlines() if line.startswith(VIP_GROUP))
    assert row.split()[1:] == ["node2", "stopped"]
    # stderr is not a terminal here: plain progress lines, no spinner control codes
    assert f"group {VIP_GROUP}: stopping here, held by node1 [standby]" in result.err
    assert all(line.startswith("[ ") for line in result.err.splitlines()), result.err
    assert "\r" not in result.err and "\033[" not in result.err


async def test_takeover_scope_and_json(hactl: Hactl, target: FakeTarget) -> None:
    result = await hactl("takeover", "foreign", "--json")
    assert result.rc == 0, result.err
    data = json.loads(result.out)
    assert data["operation"] == "takeover" and data["scope"] == "foreign"
    assert data["elapsed_s"] >= 0.3
    holders = {g["group"]: g["holder"] for g in data["status"]["resources"]}
    assert holders == {VIP_GROUP: "node1", PEER_GROUP: "node1"}
    local = await hactl("standby", "local")
    assert local.rc == 0
    assert target.groups[VIP_GROUP].holder == "node2"
    assert target.groups[PEER_GROUP].holder == "node1"  # foreign group stays


async def test_standby_refused_failed_unavailable(hactl: Hactl, target: FakeTarget) -> None:
    target.kill_peer()
    refused = await hactl("standby")
    assert refused.rc == Exit.FAILED
    assert refused.err.splitlines() == [  # no progress line for a move that never began
        "hactl: standby refused: node2 is dead: nobody to move resources to or from"
    ]
    target.nodes["node2"] = replace(target.nodes["node2"], status=NodeStatus.ACTIVE)
    target.fail_moves = True
    failed = await hactl("takeover")
    assert failed.rc == Exit.FAILED
    assert "takeover failed: IPaddr::10.0.0.61: stop failed (exit 1)" in failed.err
    target.unavailable = True
    unavailable = await hactl("standby")
    assert unavailable.rc == Exit.NOT_RUNNING
    assert unavailable.err.splitlines() == [
        "hactl: standby unavailable: hacored is starting (communications not up yet)"
    ]


async def test_daemon_bug_is_internal_one_line_no_traceback(
    hactl: Hactl, target: FakeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> None:
        raise KeyError("node3")

    monkeypatch.setattr(target, "snapshot", broken)
    result = await hactl("status")
    assert result.rc == Exit.FAILED
    assert result.err == "hactl: status: internal error in hacored: KeyError('node3')\n"


async def test_move_timeout_exit_code(hactl: Hactl, target: FakeTarget) -> None:
    target.move_delay = 3.0
    result = await hactl("standby", "--timeout", "0.5")
    assert result.rc == Exit.TIMEOUT
    assert result.err.strip().splitlines()[-1] == (
        "hactl: standby all: no answer from hacored within the timeout"
    )
    # the client gave up, the move did not: it is never cut short half-way
    await wait_until(lambda: target.moves_completed == 1, timeout=5)


async def test_reload_ok_and_bad_config(hactl: Hactl, target: FakeTarget) -> None:
    ok = await hactl("reload")
    assert ok.rc == 0
    assert ok.out.splitlines() == [
        "configuration reloaded",
        "warning: /etc/ha.d/ha.cf:12: 'debug' has no effect",
    ]
    assert json.loads((await hactl("reload", "--json")).out) == {
        "warnings": ["/etc/ha.d/ha.cf:12: 'debug' has no effect"]
    }
    target.config_error = ConfigError("unknown directive 'kepalive'")
    bad = await hactl("reload")
    assert bad.rc == Exit.FAILED
    assert bad.err.strip() == (
        "hactl: reload configuration rejected, the running configuration is unchanged: "
        "unknown directive 'kepalive'"
    )


async def test_rejected_reload_is_one_line_of_problems(hactl: Hactl, target: FakeTarget) -> None:
    """The loader's report ends with Heartbeat's start-up lines ("heartbeat not
    started"): false for a reload, and hactl's failures are one line."""
    where = SourceLocation(Path("/etc/ha.d/ha.cf"), 19)
    target.config_error = ConfigErrors(
        [
            ConfigError("keepalive [banana] is not a time", where),
            ConfigError("Illegal directive [frobnicate]", replace(where, line=20)),
        ],
        closing=["Heartbeat not started: configuration error."],
    )
    bad = await hactl("reload")
    assert bad.rc == Exit.FAILED
    assert bad.err.splitlines() == [
        "hactl: reload configuration rejected, the running configuration is unchanged: "
        "/etc/ha.d/ha.cf:19: keepalive [banana] is not a time; "
        "/etc/ha.d/ha.cf:20: Illegal directive [frobnicate]"
    ]


async def test_events_follow_the_stream(control: ControlServer, target: FakeTarget) -> None:
    task = asyncio.create_task(run_hactl(control.socket_path, "events", "--count", "2"))
    await wait_until(lambda: target.hub.subscriber_count == 1)
    target.emit(LinkStatusChanged("node2", "eth1", LinkStatus.UP, LinkStatus.DEAD))
    target.kill_peer()
    result = await task
    assert result.rc == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].endswith(" link node2:eth1: up -> dead")
    assert lines[1].endswith(" node node2: active -> dead (generation 3) [deadtime expired]")


async def test_events_json_lines(control: ControlServer, target: FakeTarget) -> None:
    task = asyncio.create_task(run_hactl(control.socket_path, "events", "--json", "--count", "3"))
    await wait_until(lambda: target.hub.subscriber_count == 1)
    await target.standby(Scope.LOCAL)
    result = await task
    events = [json.loads(line) for line in result.out.splitlines()]
    assert [e["type"] for e in events] == ["group", "group", "failover"]
    assert events[2] == {
        "time": events[2]["time"],
        "type": "failover",
        "group": VIP_GROUP,
        "from": "node1",
        "to": "node2",
        "reason": "standby",
    }


async def test_daemon_not_running(sock_dir: Path) -> None:
    missing = await run_hactl(sock_dir / "api.sock", "status")
    assert missing.rc == Exit.NOT_RUNNING
    assert missing.err == f"hactl: hacored is not running (no API socket at {sock_dir}/api.sock)\n"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(sock_dir / "stale.sock"))  # a socket file nobody listens on
    stale.close()
    result = await run_hactl(sock_dir / "stale.sock", "standby")
    assert result.rc == Exit.NOT_RUNNING
    assert result.err.strip().splitlines()[-1] == (
        f"hactl: cannot reach hacored at {sock_dir}/stale.sock (is it running?)"
    )
    assert "Traceback" not in result.err


async def test_socket_from_environment(control: ControlServer) -> None:
    result = await run_hactl(None, "status", env={"HACTL_SOCKET": str(control.socket_path)})
    assert result.rc == 0, result.err
    if not Path("/run/hacore/api.sock").exists():  # a real daemon here is not ours to use
        default = await run_hactl(None, "status", env={"HACTL_SOCKET": ""})
        assert default.rc == Exit.NOT_RUNNING
        assert "/run/hacore/api.sock" in default.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "a command is required"),
        (("bogus",), "invalid choice: 'bogus'"),
        (("standby", "everything"), "invalid choice: 'everything'"),
        (("status", "--timeout", "0"), "--timeout must be positive"),
        (("status", "--timeout", "soon"), "invalid float value: 'soon'"),
        (("--address", "127.0.0.1:1", "status"), "--address needs --cert, --key and --cacert"),
    ],
)
async def test_bad_arguments_one_line_exit_2(
    sock_dir: Path, args: tuple[str, ...], message: str
) -> None:
    result = await run_hactl(sock_dir / "api.sock", *args)
    assert result.rc == Exit.USAGE
    assert len(result.err.splitlines()) == 1, result.err
    assert result.err.startswith("hactl: ") and message in result.err
    assert result.out == ""


async def test_console_script_is_installed(control: ControlServer) -> None:
    script = shutil.which("hactl") or str(Path(sys.executable).parent / "hactl")
    process = await asyncio.create_subprocess_exec(
        script,
        "--socket",
        str(control.socket_path),
        "status",
        "--json",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    assert json.loads(out)["node"] == "node1"


async def test_progress_spinner_on_a_terminal(control: ControlServer, target: FakeTarget) -> None:
    target.move_delay = 0.8
    leader, follower = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hactl.cli",
        "--socket",
        str(control.socket_path),
        "standby",
        stdout=asyncio.subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    out, _ = await asyncio.wait_for(process.communicate(), 20)
    chunks = []
    with contextlib.suppress(OSError):  # EIO once the child side is closed
        while data := os.read(leader, 65536):
            chunks.append(data)
    os.close(leader)
    terminal = b"".join(chunks).decode()
    assert process.returncode == 0
    frames = [
        line for line in terminal.split("\r") if line.startswith("\x1b[K") and "standby all" in line
    ]
    assert len(frames) >= 3  # redrawn in place, several times a second
    assert any(f"group {VIP_GROUP}: stopping here" in frame for frame in frames)
    assert "\n[ " not in terminal  # plain-mode lines only off a terminal
    assert out.decode().startswith("standby all: done in ")


# ---- monitoring (ha.cf `monitor`) ------------------------------------------------------


async def test_status_shows_monitors_and_where_a_group_failed(
    hactl: Hactl, target: FakeTarget
) -> None:
    target.groups[VIP_GROUP] = replace(target.groups[VIP_GROUP], failed_on=("node2",))
    out = (await hactl("status")).out
    line = next(line for line in out.splitlines() if "monitor apache2" in line)
    assert line.startswith("      monitor apache2: ok 0.031s, checked ")
    assert line.endswith(
        "(every 10s, timeout 20s); fail count 2, 2/3 restarts used within 3600s; "
        "last failure: not running"
    )
    assert "      failed on node2: not taken back there until 'hactl cleanup' on that node" in out
    data = json.loads((await hactl("status", "--json")).out)
    vip = next(g for g in data["resources"] if g["group"] == VIP_GROUP)
    (monitor,) = vip["monitors"]
    assert monitor == {
        "resource": "apache2",
        "interval_s": 10.0,
        "timeout_s": 20.0,
        "restarts_allowed": 3,
        "window_s": 3600.0,
        "active": True,
        "checks": 42,
        "failures": 2,
        "restarts": 2,
        "restarts_in_window": 2,
        "fail_count": 2,
        "last_result": "ok",
        "last_check": monitor["last_check"],
        "last_duration_s": 0.031,
        "last_failure": "not running",
        "last_failure_time": monitor["last_check"],
    }
    assert monitor["last_check"].endswith("+00:00")
    assert vip["failed_on"] == ["node2"]


async def test_cleanup_resets_and_reports(hactl: Hactl, target: FakeTarget) -> None:
    result = await hactl("cleanup", "apache2")
    assert result.rc == 0, result.err
    assert result.out.splitlines()[0] == (
        f"cleaned up apache2 (group {VIP_GROUP}): fail count 2 -> 0"
    )
    assert target.groups[VIP_GROUP].monitors[0].fail_count == 0
    data = json.loads((await hactl("cleanup", "--json")).out)
    assert data["cleaned"] == [{"group": VIP_GROUP, "resource": "apache2", "fail_count": 0}]
    assert data["status"]["node"] == "node1"
    nothing = await hactl("cleanup", PEER_GROUP)
    assert nothing.rc == 0 and nothing.out.startswith(
        f"nothing to clean up: {PEER_GROUP} is not monitored"
    )


async def test_cleanup_of_an_unknown_resource_is_a_usage_error(hactl: Hactl) -> None:
    result = await hactl("cleanup", "httpd")
    assert (result.rc, result.out) == (Exit.USAGE, "")
    assert result.err == "hactl: cleanup refused: no resource 'httpd' in haresources\n"


async def test_events_show_monitor_outcomes(control: ControlServer, target: FakeTarget) -> None:
    task = asyncio.ensure_future(run_hactl(control.socket_path, "events", "--json", "--count", "1"))
    await wait_until(lambda: target.hub.subscriber_count == 1)
    target.emit(MonitorEvent(VIP_GROUP, "apache2", MonitorOutcome.GIVING_UP, "not running", 4))
    result = await task
    event = json.loads(result.out)
    assert {k: v for k, v in event.items() if k != "time"} == {
        "type": "monitor",
        "group": VIP_GROUP,
        "resource": "apache2",
        "outcome": "giving_up",
        "reason": "not running",
        "fail_count": 4,
    }
    text = asyncio.ensure_future(run_hactl(control.socket_path, "events", "--count", "1"))
    await wait_until(lambda: target.hub.subscriber_count == 1)
    target.emit(MonitorEvent(VIP_GROUP, "apache2", MonitorOutcome.RESTARTED, "not running", 1))
    line = (await text).out.strip()
    assert line.endswith(f"monitor apache2 ({VIP_GROUP}): restarted, fail count 1 [not running]")
