"""A real hacored on loopback for the service tests: one node (its peer never comes),
ucast on ``lo`` at a port of its own, no resources, everything under one directory."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sysconfig
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SCRIPTS = Path(sysconfig.get_path("scripts"))
HACORED = str(SCRIPTS / "hacored")

HA_CF = """\
node n1
node n2
udpport {port}
keepalive 100ms
warntime 300ms
deadtime 500ms
initdead 1
auto_failback on
ucast lo 127.0.0.1
logfile {root}/log/ha-log
debugfile {root}/log/ha-debug
"""


def need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("hacored binds its heartbeat socket to an interface: needs root")


@dataclass
class LoopbackNode:
    root: Path
    port: int = field(default_factory=lambda: random.randint(20000, 60000))
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.conf.mkdir(parents=True, exist_ok=True)
        (self.root / "log").mkdir(exist_ok=True)
        self.write_hacf()
        keys = self.conf / "authkeys"
        keys.write_text("auth 1\n1 sha1 service-test\n")
        keys.chmod(0o600)
        (self.conf / "haresources").write_text("")
        (self.conf / "nodeinfo").write_text("n1\n")

    @property
    def conf(self) -> Path:
        return self.root / "ha.d"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def ha_log(self) -> Path:
        return self.root / "log" / "ha-log"

    def write_hacf(self, extra: str = "") -> None:
        text = HA_CF.format(port=self.port, root=self.root) + extra
        (self.conf / "ha.cf").write_text(text)

    def args(self, *more: str) -> list[str]:
        dirs = ("-c", str(self.conf), "--state-dir", str(self.state), "--run-dir", str(self.run))
        return [HACORED, *dirs, *more]

    def hacored(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.args(*args),
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def spawn(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            self.args(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
        )
        self.processes.append(proc)
        return proc

    def daemon_pid(self) -> int | None:
        text = (self.run / "hacored.pid").read_text().strip() if self.pid_file_exists() else ""
        return int(text) if text.isdigit() else None

    def pid_file_exists(self) -> bool:
        return (self.run / "hacored.pid").exists()

    def wait_log(self, text: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while not (self.ha_log.exists() and text in self.ha_log.read_text()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in {self.ha_log} within {timeout} s")
            time.sleep(0.05)

    def cleanup(self) -> None:
        """Stop whatever the test left running, by pid (a --daemon child too)."""
        pids = [p.pid for p in self.processes if p.poll() is None]
        daemon = self.daemon_pid()
        if daemon is not None:
            pids.append(daemon)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for proc in self.processes:
            proc.wait(10)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


class NotifySocket:
    """The NOTIFY_SOCKET a test owns: every datagram, as a list of KEY=value lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))

    def receive(self, timeout: float = 10.0) -> list[str]:
        self.sock.settimeout(timeout)
        return self.sock.recv(4096).decode().split("\n")

    def until(self, key: str, timeout: float = 10.0) -> tuple[list[str], list[list[str]]]:
        """The first message with ``key`` and every message before it."""
        before: list[list[str]] = []
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(max(0.01, deadline - time.monotonic()))
            if key in message:
                return message, before
            before.append(message)

    def close(self) -> None:
        self.sock.close()
