"""`halab up`, `halab exec`, `halab down` as a user runs them."""

from __future__ import annotations

import subprocess
import sys
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
