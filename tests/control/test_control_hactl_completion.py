"""``hactl completion bash`` in a real bash: registered with ``complete``, and the
function completes commands, options, scopes, files, and node/group names from a
running server."""

from __future__ import annotations

import asyncio
import shlex
import shutil
import sys
from pathlib import Path

import pytest

from hacore.control.server import ControlServer
from tests.control.control_fake import PEER_GROUP, VIP_GROUP
from tests.control.control_support import Hactl

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed"),
]

HACTL = str(Path(sys.executable).parent / "hactl")


async def _complete(script: str, *lines: str) -> list[list[str]]:
    """For each command line (the last word is the one being completed), COMPREPLY."""
    calls = "".join(
        f"COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMPREPLY=(); "
        '_hactl; echo "${COMPREPLY[*]}"\n'
        for line in lines
    )
    process = await asyncio.create_subprocess_exec(
        "bash",
        "--norc",
        "--noprofile",
        "-c",
        f"{script}\ncomplete -p hactl\n{calls}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},  # hactl is found as COMP_WORDS[0], not on PATH
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0 and err == b"", err.decode()
    registered, *replies = out.decode().splitlines()
    assert registered == "complete -F _hactl hactl"
    return [reply.split() for reply in replies]


async def test_script_completes_commands_options_and_scopes(hactl: Hactl) -> None:
    script = await hactl("completion", "bash")
    assert script.rc == 0 and script.err == ""
    replies = await _complete(
        script.out,
        "hactl ''",
        "hactl st",
        "hactl status --",
        "hactl --json standby ''",
        "hactl status --watch 2 --c",
        "hactl completion ''",
    )
    assert {"status", "health", "standby", "completion", "--socket"} <= set(replies[0])
    assert replies[1] == ["status", "standby"]
    assert {"--node", "--group", "--watch", "--check", "--json", "--count"} <= set(replies[2])
    assert replies[3][:3] == ["all", "local", "foreign"]
    assert replies[4] == ["--count", "--check"]
    assert replies[5][:3] == ["bash", "nodes", "groups"]


async def test_names_come_from_the_daemon_named_by_socket(
    hactl: Hactl, control: ControlServer, tmp_path: Path
) -> None:
    script = (await hactl("completion", "bash")).out
    sock = shlex.quote(str(control.socket_path))
    (tmp_path / "node1.crt").write_text("")
    replies = await _complete(
        script,
        f"{HACTL} --socket {sock} status --node ''",
        f"{HACTL} --socket {sock} status --node node",
        f"{HACTL} resources --socket {sock} --group apa",
        f"{HACTL} --socket {sock} resources --group IPaddr::10.0.0.6",
        f"{HACTL} --cert {tmp_path}/node",
        f"{HACTL} --socket {tmp_path}/nothing.sock status --node ''",
    )
    assert replies[0] == ["node1", "node2", "10.0.0.2"]
    assert replies[1] == ["node1", "node2"]
    assert replies[2] == ["apache2"]
    assert replies[3] == [VIP_GROUP, PEER_GROUP]
    assert replies[4] == [f"{tmp_path}/node1.crt"]
    assert replies[5] == []  # no daemon there: nothing offered, nothing printed


async def test_name_lists(hactl: Hactl) -> None:
    nodes = await hactl("completion", "nodes")
    assert nodes.out.split() == ["node1", "node2", "10.0.0.2"]
    groups = await hactl("completion", "groups")
    assert groups.out.split() == [VIP_GROUP, "apache2", PEER_GROUP]
