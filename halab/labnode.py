"""One lab node as the lab process sees it: its private files, its holder, commands in it.

Commands run through ``nsenter -t <init> -m -u -n -p`` (the holder's init, see holder.py)
with a clean environment, so they see the node's hostname, /run, /etc/ha.d ... and their
orphans are reaped by the node's own init.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from halab.netns import NetnsSet
from halab.topology import LAN_PREFIXLEN, NodeAddr

HOLDER_READY_TIMEOUT_S = 10.0
# Private per-node copies, bind-mounted over these paths inside the node.
COPIED_FROM_HOST = ("/etc/ha.d", "/etc/init.d", "/var/lib/heartbeat", "/etc/apache2")
CREATED_EMPTY = ("/etc/keepalived", "/var/lib/hacore", "/var/log", "/var/www/html")


def node_path() -> str:
    """PATH inside nodes: this Python's scripts first (hacored, hactl), then the system's."""
    scripts = sysconfig.get_path("scripts")
    return f"{scripts}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def mountable(path: str) -> bool:
    """Whether the holder may bind over ``path``: it exists, or may be made under /var.

    A missing /var/lib/hacore or /var/www/html mount point is created (as the package
    would); nothing is ever created under the host's /etc.
    """
    return Path(path).exists() or path.startswith("/var/")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        "PATH": node_path(),
        "HOME": "/root",
        "USER": "root",
        "LOGNAME": "root",
        "SHELL": "/bin/sh",
        "LANG": "C.UTF-8",
        "TERM": os.environ.get("TERM", "dumb"),
    }
    env.update(extra or {})
    return env


def process_start_time(pid: int) -> int | None:
    """Start time in clock ticks since boot: with the pid, identifies a process for good.

    None when there is no such process, or it is a zombie (dead, awaiting its parent).
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if stat[0] in ("Z", "X") else int(stat[19])


def child_pids(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@dataclass
class NodeProcess:
    """A long-running command in a node.  ``popen`` is nsenter; ``pid`` is the command itself."""

    popen: subprocess.Popen[bytes]
    pid: int | None  # None: it ended before we could see it
    log: Path | None = None

    def signal(self, sig: int) -> None:
        if self.pid is not None and self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def running(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float | None = None) -> int:
        return self.popen.wait(timeout)


@dataclass
class LabNode:
    net: NetnsSet
    addr: NodeAddr
    root: Path  # per-node files: root/etc/ha.d, root/var/log ...
    holder: subprocess.Popen[bytes] | None = None
    init_pid: int | None = None
    daemon: NodeProcess | None = field(default=None, repr=False)
    processes: list[NodeProcess] = field(default_factory=list, repr=False)
    shared: dict[str, Path] = field(default_factory=dict)  # inside path -> lab-wide host dir

    @property
    def name(self) -> str:
        return self.addr.name

    @property
    def ns(self) -> str:
        return self.net.name(self.name)

    def path(self, inside: str) -> Path:
        """Where a path inside the node lives on the host (only the private dirs)."""
        return self.root / inside.lstrip("/")

    def prepare_root(self) -> None:
        """Fresh private copies of the dirs the node's daemons read and write."""
        for path in COPIED_FROM_HOST:
            target = self.path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            if Path(path).is_dir():
                subprocess.run(["cp", "-a", path, str(target)], check=True)
            else:
                target.mkdir()
        for path in CREATED_EMPTY:
            self.path(path).mkdir(parents=True, exist_ok=True)
        httpd = self.path("/etc/init.d/httpd")
        httpd.write_text(resources.files("halab").joinpath("httpd.init").read_text())
        httpd.chmod(0o755)
        self.path("/var/www/html/index.html").write_text(f"This is {self.name}\n")

    def boot(self) -> None:
        """Start the holder: the node is 'powered on' with an empty /run."""
        binds = [
            f"--bind={self.path(p)}:{p}"
            for p in (*COPIED_FROM_HOST, *CREATED_EMPTY)
            if mountable(p)
        ]
        binds += [f"--bind={host}:{inside}" for inside, host in self.shared.items()]
        self.holder = subprocess.Popen(
            [
                *("ip", "netns", "exec", self.ns, sys.executable, "-m", "halab.holder"),
                f"--hostname={self.name}",
                *binds,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=clean_env(),
            start_new_session=True,  # Ctrl-C reaches the lab, which then stops nodes in order
        )
        assert self.holder.stdout is not None
        ready, _, _ = select.select([self.holder.stdout], [], [], HOLDER_READY_TIMEOUT_S)
        line = self.holder.stdout.readline().decode() if ready else ""
        if not line.startswith("ready "):
            self.holder.kill()
            _, err = self.holder.communicate()
            raise RuntimeError(f"holder of {self.name} did not start: {err.decode().strip()}")
        self.init_pid = int(line.split()[1])

    @property
    def up(self) -> bool:
        return self.holder is not None and self.holder.poll() is None

    def shutdown(self, timeout: float = 3.0) -> None:
        """Power the node off: its init stops every process in it."""
        if self.holder is None:
            return
        if self.holder.poll() is None:
            self.holder.terminate()
            try:
                self.holder.wait(timeout)
            except subprocess.TimeoutExpired:
                self.holder.kill()
                self.holder.wait()
        for stream in (self.holder.stdout, self.holder.stderr):
            if stream:
                stream.close()
        for process in self.processes:  # nsenter ends once its command is gone
            try:
                process.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()
        self.processes.clear()
        self.holder = None
        self.init_pid = None
        self.daemon = None

    def _nsenter(self) -> list[str]:
        if not self.up or self.init_pid is None:
            raise RuntimeError(f"{self.name} is not running (crashed or not booted)")
        return ["nsenter", "-t", str(self.init_pid), "-m", "-u", "-n", "-p", "--wd=/", "--"]

    def exec(
        self,
        *cmd: str,
        check: bool = False,
        timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the node to completion; its stdin is /dev/null."""
        result = subprocess.run(
            [*self._nsenter(), *cmd],
            capture_output=True,
            text=True,
            env=clean_env(env),
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            start_new_session=True,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"{self.name}: {' '.join(cmd)} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}"
            )
        return result

    def spawn(self, *cmd: str, log: Path, env: Mapping[str, str] | None = None) -> NodeProcess:
        """Start a long-running command in the node, output appended to ``log`` (host path)."""
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [*self._nsenter(), *cmd],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=clean_env(env),
                start_new_session=True,
            )
        self.processes = [p for p in self.processes if p.popen.poll() is None]
        self.processes.append(process := NodeProcess(popen, None, log))
        deadline = time.monotonic() + 5.0
        while not (children := child_pids(popen.pid)):
            if popen.poll() is not None:
                return process
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: {' '.join(cmd)} did not start, see {log}")
            time.sleep(0.002)
        process.pid = children[0]
        return process

    def pids(self) -> list[int]:
        """Every process in the node's network namespace, holder and nsenter included."""
        if not Path("/run/netns", self.ns).exists():
            return []
        listing = subprocess.run(["ip", "netns", "pids", self.ns], capture_output=True, text=True)
        return [int(p) for p in listing.stdout.split()]

    def holder_pids(self) -> set[int]:
        pids = {self.init_pid} if self.init_pid else set()
        if self.holder is not None:
            pids.add(self.holder.pid)
        return {p for p in pids if p is not None}

    def signal_all(self, sig: int, spare_holder: bool = True) -> list[int]:
        """Send ``sig`` to every process of the node (by pid); returns the pids signalled."""
        spared = self.holder_pids() if spare_holder else set()
        hit = []
        for pid in self.pids():
            if pid not in spared and pid != os.getpid():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
                    hit.append(pid)
        return hit

    def crash(self) -> None:
        """Pull the plugs and the power: links down, SIGKILL of every process in the node."""
        for ifname in ("eth1", "eth0"):
            self.net.ip(self.name, "link", "set", ifname, "down", check=False)
        self.signal_all(signal.SIGKILL, spare_holder=False)
        if self.holder is not None:
            self.holder.wait(5)
        self.shutdown()

    def reset_network(self) -> None:
        """What a reboot does to the node's NICs: only the configured address, links up."""
        listing = self.net.ip(self.name, "-o", "-4", "addr", "show", "dev", "eth0").stdout
        primary = f"{self.addr.lan_ip}/{LAN_PREFIXLEN}"
        for line in listing.splitlines():
            fields = line.split()
            cidr = fields[fields.index("inet") + 1]
            if cidr != primary:
                self.net.ip(self.name, "addr", "del", cidr, "dev", "eth0", check=False)
        for ifname in ("eth0", "eth1"):
            self.net.ip(self.name, "link", "set", ifname, "up", check=False)
