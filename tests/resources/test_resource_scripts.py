"""Resource scripts: Heartbeat's lookup order, its stdout status rule, and running real
shell scripts (timeouts, environment, daemons that keep our stdout)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hacore_plugins.resources._ipagent import IpAddressAgent
from hacore_plugins.resources._ocf import OcfAgent
from hacore_plugins.resources.scripts import (
    HeartbeatScriptAgent,
    LsbScriptAgent,
    find_script,
    stdout_verdict,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from hacore.api import ConfigError, ResourceError, ResourceRequest
from hacore.config.model import ResourceGroup, ResourceSpec
from hacore.plugins import load_plugins
from hacore.resources import ResourceManager
from tests.resources.conftest import wait_for, write_script

STATUS_SCRIPT = 'echo "$STATUS_OUT"; exit "${STATUS_RC:-0}"\n'


@pytest.mark.parametrize(
    ("stdout", "verdict"),
    [
        ("running", True),
        ("httpd (pid 42) is running...", True),
        ("INFO:  Running OK", True),
        ("OK", True),
        ("stopped", None),
        ("", None),
        ("ok", None),
        ("apache2 is not running ... failed!", False),
        ("Not running", False),
        ("not currently running", False),  # Heartbeat's glob is "not ", anything, "running"
        ("NOT RUNNING", None),  # [Rr]unning wants lower case after the R
        ("notrunning", True),  # no blank after "not": Heartbeat reads it as running
        ("line one\nnot \nrunning", False),  # the glob's "*" spans lines
        ("line one\nnot\n running", True),  # checked against dash
    ],
)
def test_stdout_status_convention(stdout: str, verdict: bool | None) -> None:
    assert stdout_verdict(stdout) is verdict


HEARTBEAT_CASE = (
    "case $1 in *[Nn][Oo][Tt]\\ *[Rr]unning*) echo no;; *[Rr]unning*|*OK*) echo yes;;"
    " *) echo none;; esac"
)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="notNOTrunigRUK \n.x", max_size=24))
def test_stdout_rule_agrees_with_heartbeats_own_shell_case(stdout: str) -> None:
    """The oracle is the ``case`` statement of ResourceManager's we_own_resource, run by sh."""
    shell = subprocess.run(["sh", "-c", HEARTBEAT_CASE, "sh", stdout], capture_output=True)
    expected = {b"no": False, b"yes": True, b"none": None}[shell.stdout.strip()]
    assert stdout_verdict(stdout) is expected


def _request(tmp: Path, spec: str, **env: str) -> ResourceRequest:
    name, *args = spec.split("::")
    return ResourceRequest(
        spec, name, tuple(args), config_dir=tmp / "ha.d", environment=env, init_dir=tmp / "init.d"
    )


def _manager(tmp: Path, *specs: str) -> ResourceManager:
    resources = []
    for spec in specs:
        name, *args = spec.split("::")
        resources.append(ResourceSpec(spec, name, tuple(args)))
    group = ResourceGroup("node1", tuple(resources))
    return ResourceManager(load_plugins(), [group], tmp / "ha.d", init_dir=tmp / "init.d")


def test_lookup_order_resource_d_then_init_d_then_error(tmp_path: Path) -> None:
    write_script(tmp_path / "ha.d/resource.d/both", STATUS_SCRIPT)
    write_script(tmp_path / "init.d/both", STATUS_SCRIPT)
    write_script(tmp_path / "init.d/httpd", STATUS_SCRIPT)
    (tmp_path / "ha.d/resource.d/notexec").write_text("#!/bin/sh\n")
    write_script(tmp_path / "init.d/notexec", STATUS_SCRIPT)

    both = find_script(_request(tmp_path, "both::a"))
    assert type(both) is HeartbeatScriptAgent
    assert both.path == tmp_path / "ha.d/resource.d/both"
    httpd = find_script(_request(tmp_path, "httpd"))
    assert type(httpd) is LsbScriptAgent
    assert httpd.path == tmp_path / "init.d/httpd"
    notexec = find_script(_request(tmp_path, "notexec"))
    assert notexec is not None and notexec.path == tmp_path / "init.d/notexec"
    assert find_script(_request(tmp_path, "missing")) is None
    assert find_script(_request(tmp_path, "../init.d/httpd")) is None


def test_registered_types_win_over_scripts_of_the_same_name(tmp_path: Path) -> None:
    write_script(tmp_path / "ha.d/resource.d/IPaddr", STATUS_SCRIPT)
    write_script(tmp_path / "ha.d/resource.d/OCF", STATUS_SCRIPT)
    manager = _manager(tmp_path, "IPaddr::10.0.0.60", "OCF::Dummy::state=/tmp/x")
    agents = manager.agents("IPaddr::10.0.0.60")
    assert isinstance(agents[0], IpAddressAgent)
    assert isinstance(agents[1], OcfAgent)


def test_missing_script_is_a_config_error_naming_it_and_where_we_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _manager(tmp_path, "IPaddr::10.0.0.60", "httpd")
    message = str(caught.value)
    assert "Cannot locate resource script httpd" in message
    assert str(tmp_path / "ha.d/resource.d") in message and str(tmp_path / "init.d") in message


def test_bad_arguments_are_config_errors_at_construction(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"IPaddr::10\.0\.0\.60/40.*out of range"):
        _manager(tmp_path, "IPaddr::10.0.0.60/40")


async def test_heartbeat_script_gets_args_then_action_and_only_stdout_counts(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "journal"
    write_script(
        tmp_path / "ha.d/resource.d/fs",
        f'echo "$@" >> {journal}\n'
        'case "$4" in status) echo "running" >&2; echo "stopped"; exit 0;; esac\n',
    )
    agent = find_script(_request(tmp_path, "fs::/dev/sda1::/data1::ext2"))
    assert agent is not None
    await agent.start()
    await agent.stop()
    assert await agent.status() is False  # stderr says running, stdout says stopped
    assert journal.read_text().splitlines() == [
        "/dev/sda1 /data1 ext2 start",
        "/dev/sda1 /data1 ext2 stop",
        "/dev/sda1 /data1 ext2 status",
    ]


@pytest.mark.parametrize(
    ("stdout", "rc", "heartbeat", "lsb"),
    [
        ("", 0, False, True),  # silent: LSB exit code decides for init scripts only
        ("", 3, False, False),
        ("foo is running", 3, True, True),  # stdout wins, as in Heartbeat
        ("foo is not running", 0, False, False),
    ],
)
async def test_lsb_status_falls_back_to_the_exit_code_when_stdout_is_mute(
    tmp_path: Path, stdout: str, rc: int, heartbeat: bool, lsb: bool
) -> None:
    write_script(tmp_path / "ha.d/resource.d/svc", STATUS_SCRIPT)
    write_script(tmp_path / "init.d/lsbsvc", STATUS_SCRIPT)
    env = {"STATUS_OUT": stdout, "STATUS_RC": str(rc)}
    hb_agent = find_script(_request(tmp_path, "svc", **env))
    lsb_agent = find_script(_request(tmp_path, "lsbsvc", **env))
    assert hb_agent is not None and lsb_agent is not None
    assert await hb_agent.status() is heartbeat
    assert await lsb_agent.status() is lsb


async def test_failure_names_the_command_rc_and_last_output(tmp_path: Path) -> None:
    write_script(
        tmp_path / "init.d/broken",
        'for i in 1 2 3 4 5 6 7; do echo "line $i"; done; echo "disk full" >&2; exit 4\n',
    )
    agent = find_script(_request(tmp_path, "broken"))
    assert agent is not None
    with pytest.raises(ResourceError) as caught:
        await agent.start()
    message = str(caught.value)
    assert f"{tmp_path}/init.d/broken start failed with rc=4" in message
    assert "disk full" in message and "line 7" in message and "line 1" not in message


async def test_clean_environment_with_the_ha_variables(tmp_path: Path) -> None:
    out = tmp_path / "env"
    write_script(tmp_path / "ha.d/resource.d/envdump", f"env > {out}\n")
    os.environ["HACORE_TEST_LEAK"] = "leaked"
    try:
        agent = find_script(_request(tmp_path, "envdump", HA_CURHOST="node1"))
        assert agent is not None
        await agent.start()
    finally:
        del os.environ["HACORE_TEST_LEAK"]
    env = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    assert env["HA_CURHOST"] == "node1"
    assert env["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert "HACORE_TEST_LEAK" not in env


async def test_timeout_kills_the_script_and_its_process_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    write_script(tmp_path / "ha.d/resource.d/hang", f"sleep 30 & echo $! > {pidfile}; sleep 30\n")
    name, args = "hang", ()
    request = ResourceRequest(
        name, name, args, tmp_path / "ha.d", timeout=0.5, init_dir=tmp_path / "init.d"
    )
    agent = find_script(request)
    assert agent is not None
    started = time.monotonic()
    with pytest.raises(ResourceError, match=r"hang start timed out after 0.5s"):
        await agent.start()
    assert time.monotonic() - started < 2
    child = int(pidfile.read_text())
    assert wait_for(lambda: not _alive(child), timeout=2)


async def test_a_daemon_keeping_our_stdout_does_not_hold_up_start(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    write_script(
        tmp_path / "init.d/daemon", f"sleep 30 & echo $! > {pidfile}; echo started; exit 0\n"
    )
    agent = find_script(_request(tmp_path, "daemon"))
    assert agent is not None
    started = time.monotonic()
    try:
        await agent.start()
        assert time.monotonic() - started < 1
        assert _alive(int(pidfile.read_text()))  # the daemon lives on after start returns
    finally:
        os.kill(int(pidfile.read_text()), signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is dead for our purpose
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[1][0] != "Z"


def test_resource_hooks_through_the_plugin_kernel(tmp_path: Path) -> None:
    registry = load_plugins()
    provided = {rtype.name for types in registry.hook.hacore_resource_types() for rtype in types}
    assert {"IPaddr", "IPaddr2", "OCF"} <= provided
    write_script(tmp_path / "init.d/httpd", STATUS_SCRIPT)
    found = registry.hook.hacore_resolve_resource(request=_request(tmp_path, "httpd"))
    assert isinstance(found, LsbScriptAgent)
    assert registry.hook.hacore_resolve_resource(request=_request(tmp_path, "nothing")) is None
