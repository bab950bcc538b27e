"""Network namespaces for the lab and the tests: create, wire, run inside, clean up.

Everything created is named with a per-run prefix and recorded, so cleanup removes
exactly what this run made (never anything by name pattern), even after a failure.
Traffic stays inside these namespaces: veths are created inside them, never in the
host's namespace, and no namespace gets a default route.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

CLONE_NEWNET = 0x40000000


def netns_problem() -> str | None:
    """Why namespaces cannot be used here, or None when they can."""
    if os.geteuid() != 0:
        return "needs root"
    if shutil.which("ip") is None:
        return "iproute2 (`ip`) is not installed"
    probe = f"hcprobe{os.getpid()}"
    add = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if add.returncode != 0:
        return f"`ip netns add` failed: {add.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def connect_in_netns(ns: str, address: tuple[str, int], timeout: float) -> socket.socket:
    """A TCP connection made from inside namespace ``ns`` (by its full name).

    A socket belongs to the namespace it was created in, so a short-lived thread enters
    ``ns`` (setns only moves that thread), connects, and hands the socket back: no process
    to spawn, and the caller's own namespace is never changed.
    """
    result: list[socket.socket | OSError] = []

    def enter_and_connect() -> None:
        try:
            fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
            try:
                if ctypes.CDLL(None, use_errno=True).setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {ns} failed")
            finally:
                os.close(fd)
            result.append(socket.create_connection(address, timeout))
        except OSError as exc:
            result.append(exc)

    thread = threading.Thread(target=enter_and_connect, name=f"connect-in-{ns}")
    thread.start()
    thread.join()
    if isinstance(result[0], OSError):
        raise result[0]
    return result[0]


def run(cmd: Sequence[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(cmd), capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


@dataclass
class NetnsSet:
    """A set of namespaces owned by one test or lab run, all named ``<prefix><name>``."""

    prefix: str
    created: list[str] = field(default_factory=list)

    def name(self, short: str) -> str:
        return f"{self.prefix}{short}"

    def add(self, short: str) -> str:
        ns = self.name(short)
        run(["ip", "netns", "add", ns])
        self.created.append(ns)
        self.ip(short, "link", "set", "lo", "up")
        return ns

    def ip(self, short: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(["ip", "-n", self.name(short), *args], check=check)

    def exec(self, short: str, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(["ip", "netns", "exec", self.name(short), *cmd], check=check)

    def popen(self, short: str, *cmd: str, **kwargs: object) -> subprocess.Popen[bytes]:
        return subprocess.Popen(["ip", "netns", "exec", self.name(short), *cmd], **kwargs)  # type: ignore[call-overload, no-any-return]

    def connect(self, short: str, address: tuple[str, int], timeout: float = 1.0) -> socket.socket:
        """A TCP connection from inside namespace ``short`` (see ``connect_in_netns``)."""
        return connect_in_netns(self.name(short), address, timeout)

    def veth(self, a: str, a_if: str, b: str, b_if: str) -> None:
        """A veth pair between namespaces a and b (created inside a, never on the host)."""
        self.ip(a, "link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", self.name(b))
        self.ip(a, "link", "set", a_if, "up")
        self.ip(b, "link", "set", b_if, "up")

    def bridge(self, ns: str, br: str) -> None:
        self.ip(ns, "link", "add", br, "type", "bridge", "stp_state", "0")
        self.ip(ns, "link", "set", br, "up")

    def enslave(self, ns: str, ifname: str, br: str) -> None:
        self.ip(ns, "link", "set", ifname, "master", br)

    def addr(self, ns: str, ifname: str, cidr: str) -> None:
        self.ip(ns, "addr", "add", cidr, "dev", ifname)

    def cleanup(self) -> None:
        for ns in reversed(self.created):
            pids = run(["ip", "netns", "pids", ns], check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), 9)
            run(["ip", "netns", "del", ns], check=False)
        self.created.clear()

    def __enter__(self) -> NetnsSet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
