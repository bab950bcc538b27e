"""Fixtures for the resource tests: real scripts in temporary directories, and a real
ResourceManager driven inside a network namespace (see ``_inns.py``)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from halab.netns import NetnsSet

INNS = Path(__file__).with_name("_inns.py")
NODE_IP = "10.0.0.51"
CLIENT_IP = "10.0.0.2"


class NsHost:
    """A ResourceManager in a child process inside a namespace; ``call`` sends one command."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    def call(self, op: str, timeout: float = 15.0, **fields: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps({"op": op, **fields}) + "\n").encode())
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise AssertionError(f"{op} did not answer within {timeout}s")
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"helper exited (rc={self.proc.wait()}) during {op}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ok(self, op: str, **fields: Any) -> Any:
        answer = self.call(op, **fields)
        assert answer["ok"], answer
        return answer["value"]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@dataclass
class Lan:
    """Two namespaces on one link: ``n1`` (eth0 10.0.0.51/24) and client ``cl`` (10.0.0.2/24)."""

    netns: NetnsSet
    tmp: Path

    def host(self, groups: list[list[str]], wrap: tuple[str, ...] = (), **config: Any) -> NsHost:
        config = {"groups": groups, "config_dir": str(self.tmp), **config}
        argv = (*wrap, sys.executable, str(INNS), json.dumps(config))
        proc = self.netns.popen(
            "n1", *argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_child_env()
        )
        self._hosts.append(NsHost(proc))
        return self._hosts[-1]

    def addrs(self) -> list[str]:
        """``ip -4 -o addr show`` lines of n1's eth0, reduced to ``inet ... <label>``."""
        out = self.netns.ip("n1", "-4", "-o", "addr", "show", "dev", "eth0").stdout
        return [line.split(None, 2)[2].split("\\")[0].strip() for line in out.splitlines()]

    def mac(self, short: str) -> str:
        out = self.netns.ip(short, "-o", "link", "show", "dev", "eth0").stdout
        return out.split("link/ether ")[1].split()[0]

    def __post_init__(self) -> None:
        self._hosts: list[NsHost] = []

    def close(self) -> None:
        for host in self._hosts:
            host.close()


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


@pytest.fixture
def lan(netns: NetnsSet, tmp_path: Path) -> Iterator[Lan]:
    netns.add("n1")
    netns.add("cl")
    netns.veth("n1", "eth0", "cl", "eth0")
    netns.addr("n1", "eth0", f"{NODE_IP}/24")
    netns.addr("cl", "eth0", f"{CLIENT_IP}/24")
    (tmp_path / "resource.d").mkdir()
    lan = Lan(netns, tmp_path)
    try:
        yield lan
    finally:
        lan.close()


def write_script(path: Path, body: str) -> Path:
    """An executable ``#!/bin/sh`` script; ``$STATE`` dirs and journals are the test's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def wait_for(predicate: Any, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
