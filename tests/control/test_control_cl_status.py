"""hacore's cl_status, hb_standby and hb_takeover as real subprocesses against a real
control server on a unix socket (the scripted cluster of control_fake).

The texts expected here are Heartbeat 3.0.6's (docs/protocol.md §11.4); the lab test
tests/interop/test_hbcompat_side_by_side.py compares them with the real cl_status.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import sysconfig
from dataclasses import replace
from pathlib import Path

import pytest

from hacore.api import NodeStatus
from hacore.control.server import ControlServer
from tests.control.control_fake import VIP_GROUP, FakeTarget
from tests.control.control_support import NOBODY, NOGROUP, Result

pytestmark = pytest.mark.timeout(60)
CL_LOG = re.compile(r"^\w{3} \d\d \d\d:\d\d:\d\d \S+ cl_status: \[\d+\]: ERROR: (.*)$")
CL_LOG_DATE = re.compile(r"^\w{3} \d\d \d\d:\d\d:\d\d ")


async def cl_status(control: ControlServer | None, *args: str, as_nobody: bool = False) -> Result:
    """hacore's cl_status against the fixture server (None: no daemon at all)."""
    socket = control.socket_path if control else Path("/nonexistent/api.sock")
    command = [sys.executable, "-m", "hbcompat.cl_status"]
    if as_nobody:
        # Load everything as root (the interpreter lives under /root), then drop.
        code = (
            "import os, sys, shutil, asyncio, grpc, hbcompat.cl_status as tool; "
            f"os.setgroups([]); os.setgid({NOGROUP}); os.setuid({NOBODY}); "
            "sys.exit(tool.main(sys.argv[1:]))"
        )
        command = [sys.executable, "-c", code]
    process = await asyncio.create_subprocess_exec(
        *command,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, "HACTL_SOCKET": str(socket)},
    )
    out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


def logged(err: str) -> list[str]:
    """The texts of cl_log lines on stderr (each line must be one)."""
    texts = []
    for line in err.splitlines():
        match = CL_LOG.match(line)
        assert match, f"not a cl_log line: {line!r}"
        texts.append(match.group(1))
    return texts


async def test_usage_without_a_subcommand_and_with_h() -> None:
    for args in ((), ("-h",)):
        result = await cl_status(None, *args)
        assert result.rc == 0 and result.err == ""
        assert result.out.startswith("Usage: cl_status <sub-command> [<options>] [<parameters>]\n")
        assert "hbparameter -p <parameter-name>\n" in result.out
    bad = await cl_status(None, "listnode")
    assert (bad.rc, bad.out, logged(bad.err)) == (11, "", ["listnode: invalid sub-command."])
    wrong = await cl_status(None, "parameter", "-p", "keepalive")  # the man page's name
    assert logged(wrong.err) == ["parameter: invalid sub-command."] and wrong.rc == 11


async def test_no_daemon_is_heartbeat_stopped() -> None:
    result = await cl_status(None, "hbstatus")
    assert (result.rc, result.out, result.err) == (1, "Heartbeat is stopped on this machine.\n", "")
    verbose = await cl_status(None, "hbstatus", "-v")
    assert verbose.out.splitlines() == [
        "Heartbeat is stopped on this machine.",
        "(hb_api_signon: Can't initiate connection to heartbeat)",
    ]
    nodes = await cl_status(None, "listnodes")
    assert (nodes.rc, nodes.out) == (1, "")
    assert logged(nodes.err) == [
        "Cannot signon with heartbeat",
        "REASON: hb_api_signon: Can't initiate connection to heartbeat",
    ]


async def test_node_commands(control: ControlServer) -> None:
    listing = await cl_status(control, "listnodes")
    assert (listing.rc, listing.out) == (0, "10.0.0.2\nnode2\nnode1\n")  # ha.cf order, reversed
    assert (await cl_status(control, "listnodes", "-n")).out == "node2\nnode1\n"
    assert (await cl_status(control, "listnodes", "-p")).out == "10.0.0.2\n"
    assert (await cl_status(control, "listnodes", "-p", "-n")).out == listing.out
    verbose = await cl_status(control, "listnodes", "-m", "-v")
    assert verbose.out == (
        "The nodes are as follow:\n"
        "\n10.0.0.2\tping\t(nodetype: ping)\n"
        "\tthis node has the following heartbeat links:\n\t10.0.0.2\tup\n"
        "\nnode2\tactive\t(nodetype: normal)\n"
        "\tthis node has the following heartbeat links:\n\teth1\tup\n"
        "\nnode1\tactive\t(nodetype: normal)\n"
        "\tthis node has the following heartbeat links:\n\teth1\tdead\n"
    )
    status = await cl_status(control, "nodestatus", "NODE2", "-m")  # case and permutation
    assert (status.rc, status.out) == (0, "The cluster node NODE2 is active\n")
    assert (await cl_status(control, "nodestatus", "10.0.0.2")).out == "ping\n"
    unknown = await cl_status(control, "nodestatus", "nodex")
    assert (unknown.rc, unknown.err) == (11, "Error. May be due to incorrect node name\n")
    missing = await cl_status(control, "nodestatus")
    assert (missing.rc, missing.err) == (11, "Not enough parameters.\n")
    kind = await cl_status(control, "nodetype", "-m", "10.0.0.2")
    assert kind.out == "The node 10.0.0.2's type: ping\n"
    assert (await cl_status(control, "nodeweight", "node2")).out == "100\n"
    assert (await cl_status(control, "nodesite", "-m", "node2")).out == (
        "The site of the cluster node node2 is \n"
    )


async def test_dead_node_fails_nodestatus(control: ControlServer, target: FakeTarget) -> None:
    target.kill_peer()
    result = await cl_status(control, "nodestatus", "node2")
    assert (result.rc, result.out) == (1, "dead\n")


async def test_links(control: ControlServer) -> None:
    peer = await cl_status(control, "hblinkstatus", "node2", "eth1")
    assert (peer.rc, peer.out) == (0, "up\n")
    own = await cl_status(control, "hblinkstatus", "-m", "node1", "eth1")
    assert (own.rc, own.out) == (1, "The node node1's heartbeat link eth1 is dead\n")
    assert (await cl_status(control, "listhblinks", "-v", "node2")).out == "\teth1\tup\n"
    for args in (("node2", "eth9"), ("nodex", "eth1")):
        bad = await cl_status(control, "hblinkstatus", *args)
        assert bad.rc == 13 and bad.out == ""
        assert logged(bad.err) == ["Cannot get heartbeat link status", "REASON: "]
    walk = await cl_status(control, "listhblinks", "nodex")
    assert walk.rc == 13
    assert logged(walk.err) == ["Cannot start heartbeat link interface walk.", "REASON: EINVAL"]


async def test_rscstatus_and_hbparameter(control: ControlServer, target: FakeTarget) -> None:
    assert (await cl_status(control, "rscstatus")).out == "local\n"
    target.rsc_status = "transition"
    human = await cl_status(control, "rscstatus", "-m")
    assert human.out == "This node is holding transition resources.\n"
    value = await cl_status(control, "hbparameter", "-m", "-p", "keepalive")
    assert (value.rc, value.out) == (0, "Heartbeat parameter keepalive's value: 1\n")
    unset = await cl_status(control, "hbparameter", "-p", "node")
    assert unset.rc == 1 and logged(unset.err) == ["Cannot get parameter node's value", "REASON: "]
    nameless = await cl_status(control, "hbparameter", "keepalive")
    assert nameless.rc == 11 and logged(nameless.err) == ["parameter name required"]


async def test_bad_options_are_getopts(control: ControlServer) -> None:
    nodes = await cl_status(control, "listnodes", "-x")
    assert nodes.rc == 11
    first, second = nodes.err.splitlines()
    assert first == "listnodes: invalid option -- 'x'"
    assert logged(second) == ["Error: getopt returnedcharacter code ?."]
    status = await cl_status(control, "nodestatus", "-x", "node1")
    assert status.err.splitlines()[0] == "nodestatus: invalid option -- 'x'"
    assert logged(status.err.splitlines()[1]) == ["Error: getopt returnedcharacter ?."]
    arg = await cl_status(control, "hbparameter", "-p")
    assert arg.err.splitlines()[0] == "hbparameter: option requires an argument -- 'p'"
    carry_on = await cl_status(control, "hbstatus", "-x")  # hbstatus ignores bad options
    assert (carry_on.rc, carry_on.out) == (0, "Heartbeat is running on this machine.\n")
    assert carry_on.err == "hbstatus: invalid option -- 'x'\n"


async def test_hbstatus_verbose(control: ControlServer) -> None:
    result = await cl_status(control, "hbstatus", "-v")
    assert result.out.startswith(
        'version:\t3.0.6 (hacore 0.1.0)\nmanaged by:\t"haresources"\n\n10.0.0.2\tping\t'
    )
    human = await cl_status(control, "hbstatus", "-m", "-v")
    assert human.out.startswith(
        "Heartbeat version 3.0.6 (hacore 0.1.0)\n"
        'Resources controlled by "haresources"\nThe nodes are as follow:\n'
    )


async def test_clientstatus(control: ControlServer, target: FakeTarget) -> None:
    here = await cl_status(control, "clientstatus", "node1", "ipfail")
    assert (here.rc, here.out) == (0, "online\n")
    peer = await cl_status(control, "clientstatus", "node2", "ipfail")
    assert (peer.rc, peer.out) == (1, "offline\n")
    target.peer_answers = False
    for node in ("node2", "nodex"):
        silent = await cl_status(control, "clientstatus", node, "ipfail", "100")
        assert silent.rc == 13 and silent.out == ""
        assert logged(silent.err) == [
            "Cannot get heartbeat client ipfail's status",
            "REASON: No timely response.",
        ]
    few = await cl_status(control, "clientstatus", "node1")
    assert (few.rc, few.err) == (11, "No enough parameter.\n")


async def test_before_comm_up_heartbeat_counts_as_stopped(
    control: ControlServer, target: FakeTarget
) -> None:
    target.nodes["node1"] = replace(target.nodes["node1"], status=NodeStatus.UP)
    result = await cl_status(control, "hbstatus")
    assert (result.rc, result.out) == (1, "Heartbeat is stopped on this machine.\n")


async def test_a_refused_caller_is_told_so(control: ControlServer) -> None:
    result = await cl_status(control, "hbstatus", "-v", as_nobody=True)
    lines = result.out.splitlines()
    assert result.rc == 0, result
    assert lines[0] == "Heartbeat is apparently running on this machine, but refuses my connection"
    assert lines[1].startswith("(permission denied: ")


async def _script(name: str, socket: Path, *args: str) -> tuple[str, Result]:
    """An installed console script, run by its path as Heartbeat's scripts are."""
    path = str(Path(sysconfig.get_path("scripts")) / name)
    process = await asyncio.create_subprocess_exec(
        path,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, "HACTL_SOCKET": str(socket)},
    )
    out, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode is not None
    return path, Result(process.returncode, out.decode(), err.decode())


async def test_hb_standby_and_hb_takeover_arguments(control: ControlServer) -> None:
    for name in ("hb_standby", "hb_takeover"):
        path, bad = await _script(name, control.socket_path, "foo")
        assert (bad.rc, bad.out) == (1, f"{path}: wrong resources(foo).\nusage:\n")
        assert bad.err == f"{path} [all|foreign|local|failback]\n"
        _, many = await _script(name, control.socket_path, "all", "local")
        assert (many.rc, many.out) == (1, f"{path}: too many arguments\nusage:\n")
        _, help_ = await _script(name, control.socket_path, "--help")
        assert (help_.rc, help_.out, help_.err) == (1, "usage:\n", bad.err)


async def test_hb_standby_and_hb_takeover_move_the_groups(
    control: ControlServer, target: FakeTarget
) -> None:
    _, standby = await _script("hb_standby", control.socket_path)
    assert standby.rc == 0 and standby.out == "", standby
    assert CL_LOG_DATE.match(standby.err) and standby.err.endswith(" Going standby [all].\n")
    assert target.groups[VIP_GROUP].holder == "node2"
    _, takeover = await _script("hb_takeover", control.socket_path, "failback")
    assert (takeover.rc, takeover.out, takeover.err) == (0, "", "")
    assert target.groups[VIP_GROUP].holder == "node1"
    target.kill_peer()
    path, refused = await _script("hb_standby", control.socket_path, "local")
    assert refused.rc == 1
    assert refused.err.splitlines()[-1].startswith(f"{path}: standby refused: ")
