"""`halab up`, `halab exec`, `halab down` as a user runs them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.netns

HALAB = [sys.executable, "-m", "halab.cli"]


def halab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*HALAB, *args], capture_output=True, text=True, timeout=30)


def test_up_exec_down() -> None:
    up = subprocess.Popen(
        [*HALAB, "up", "--no-start", "--daemon", "heartbeat"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert up.stdout is not None
        banner = [up.stdout.readline() for _ in range(5)]
        prefix = banner[0].split()[2]
        assert prefix.startswith("hl") and "node1    eth0 10.0.0.50" in banner[1]
        assert halab("exec", "--prefix", prefix, "node2", "--", "uname", "-n").stdout == "node2\n"
        client = halab("exec", "--prefix", prefix, "client", "--", "ip", "-4", "-o", "addr")
        assert "10.0.0.100/24" in client.stdout
        assert "running" in halab("status").stdout
        down = halab("down", "--prefix", prefix)
        assert f"cleaned {prefix}" in down.stdout
        assert up.wait(10) != 0  # SIGTERM from `halab down`
        assert not list(Path("/run/netns").glob(f"{prefix}*"))
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
        for stream in (up.stdout, up.stderr):
            if stream:
                stream.close()


def test_exec_without_a_lab_says_so() -> None:
    result = halab("exec", "--prefix", "hl-none-", "node1", "--", "true")
    assert result.returncode != 0 and "need exactly one running lab" in result.stderr


def test_up_with_more_than_two_nodes_runs_a_membership_only_cluster() -> None:
    """hacore refuses the seed's haresources group among three nodes: `halab up` must
    give them an empty one, and the nodes must then all see each other."""
    up = subprocess.Popen(
        [*HALAB, "up", "--nodes", "3", "--fast", "--medium", "mcast"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    prefix = ""
    try:
        assert up.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            if not line:
                break
            lines.append(line)
            prefix = prefix or line.split()[2]
            if "every node sees all 2 others" in line:
                break
        output = "".join(lines)
        assert "membership: every node sees all 2 others" in output, output
        assert "Membership only:" in output and "Ask the VIP" not in output
        assert "exited" not in output  # no daemon refused its configuration
        nodes = halab("exec", "--prefix", prefix, "node2", "--", "hactl", "nodes").stdout
        assert [w for w in nodes.split() if w in ("node1", "node3")] == ["node1", "node3"]
        haresources = halab(
            "exec", "--prefix", prefix, "node3", "--", "cat", "/etc/ha.d/haresources"
        )
        assert haresources.stdout.startswith("# membership only")
    finally:
        if prefix:
            halab("down", "--prefix", prefix)
        if up.poll() is None:
            up.kill()
        up.wait()
        for stream in (up.stdout, up.stderr):
            if stream:
                stream.close()
    assert not list(Path("/run/netns").glob(f"{prefix}*"))
