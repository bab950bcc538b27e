"""The cluster daemons a lab can run, behind one small interface.

* ``hacore``: ``hacored -c /etc/ha.d`` in the foreground; SIGTERM = graceful handover.
* ``heartbeat``: the real Heartbeat 3.0.6, ``/etc/init.d/heartbeat start|stop`` in the
  node, exactly as the anchors ran it (its ``stop`` takes ~6 s).
* ``keepalived``: VRRP only, in the foreground, with the web server always running on
  0.0.0.0 on every node (keepalived has no resource scripts).
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol

from hacore.config.hacf import EXTENSION_DIRECTIVES
from halab.configs import Timing, keepalived_conf, write_ha_d
from halab.labnode import LabNode, NodeProcess
from halab.topology import NodeAddr

DAEMON_KINDS = ("hacore", "heartbeat", "keepalived")
_HACORE_ONLY = [[name] for name in EXTENSION_DIRECTIVES]
HEARTBEAT_STATE = "/var/lib/heartbeat"  # Heartbeat's hb_generation and hb_uuid


@dataclass
class ClusterSetup:
    """What every node's configuration is made from."""

    template: dict[str, str]
    nodes: list[NodeAddr]
    timing: Timing = field(default_factory=Timing)
    medium: str | None = None
    advert_int: float = 1.0


@dataclass
class Stopping:
    """A graceful stop in progress (Heartbeat's takes seconds; callers may watch meanwhile)."""

    process: NodeProcess | None

    def wait(self, timeout: float = 30.0) -> None:
        if self.process is not None:
            self.process.wait(timeout)


class Daemon(Protocol):
    kind: ClassVar[str]

    def configure(self, node: LabNode, setup: ClusterSetup) -> None: ...
    def start(self, node: LabNode) -> NodeProcess | None:
        """Start on ``node``; a returned process is a starter whose exit status tells success."""
        ...

    def begin_stop(self, node: LabNode) -> Stopping: ...
    def running(self, node: LabNode) -> bool: ...


def _log(node: LabNode, name: str) -> Path:
    return node.path(f"/var/log/{name}")


class _ForegroundStop:
    """For daemons the lab runs in the foreground: SIGTERM, then the process exits."""

    def begin_stop(self, node: LabNode) -> Stopping:
        if node.daemon is None or not node.daemon.running():
            return Stopping(None)
        node.daemon.signal(signal.SIGTERM)
        return Stopping(node.daemon)

    def running(self, node: LabNode) -> bool:
        return node.daemon is not None and node.daemon.running()


def _me(node: LabNode, setup: ClusterSetup) -> NodeAddr:
    return next(n for n in setup.nodes if n.name == node.name)


def _configure_ha_d(node: LabNode, setup: ClusterSetup) -> None:
    me = _me(node, setup)
    write_ha_d(node.path("/etc/ha.d"), setup.template, me, setup.nodes, setup.timing, setup.medium)


@dataclass
class Hacore(_ForegroundStop):
    kind: ClassVar[str] = "hacore"
    state_dir: str | None = None  # None: hacored's default; HEARTBEAT_STATE on a migrated node

    def configure(self, node: LabNode, setup: ClusterSetup) -> None:
        _configure_ha_d(node, setup)
        hacf = node.path("/etc/ha.d/ha.cf")
        text = hacf.read_text()
        if not any(line.split()[:1] == ["realtime"] for line in text.splitlines()):
            # Heartbeat's default is realtime on; lab nodes share two cores with the
            # tests, so the lab asks for it only where a config says so.
            hacf.write_text(text + "realtime off\n")

    def start(self, node: LabNode) -> NodeProcess | None:
        state = ["--state-dir", self.state_dir] if self.state_dir else []
        log = _log(node, "hacored.out")
        node.daemon = node.spawn("hacored", "-c", "/etc/ha.d", *state, log=log)
        return None


class Heartbeat:
    kind: ClassVar[str] = "heartbeat"

    def configure(self, node: LabNode, setup: ClusterSetup) -> None:
        _configure_ha_d(node, setup)
        # hacore-only directives (metrics_listen, monitor...) stay out of the ha.cf a
        # Heartbeat node reads, as the operator guide says for mixed clusters.
        hacf = node.path("/etc/ha.d/ha.cf")
        lines = hacf.read_text().splitlines()
        kept = [line for line in lines if line.split("#", 1)[0].split()[:1] not in _HACORE_ONLY]
        hacf.write_text("".join(line + "\n" for line in kept))

    def start(self, node: LabNode) -> NodeProcess | None:
        node.daemon = None  # Heartbeat daemonises: no foreground process (hacored's is gone)
        return node.spawn("/etc/init.d/heartbeat", "start", log=_log(node, "heartbeat-start.out"))

    def begin_stop(self, node: LabNode) -> Stopping:
        if not self.running(node):
            return Stopping(None)
        log = _log(node, "heartbeat-stop.out")
        return Stopping(node.spawn("/etc/init.d/heartbeat", "stop", log=log))

    def running(self, node: LabNode) -> bool:
        return node.up and node.exec("/usr/libexec/heartbeat/heartbeat", "-s").returncode == 0


class Keepalived(_ForegroundStop):
    kind: ClassVar[str] = "keepalived"

    def configure(self, node: LabNode, setup: ClusterSetup) -> None:
        me = _me(node, setup)
        conf = node.path("/etc/keepalived/keepalived.conf")
        conf.write_text(keepalived_conf(me, setup.advert_int))

    def start(self, node: LabNode) -> NodeProcess | None:
        node.exec("/etc/init.d/httpd", "start", check=True, env={"HTTPD_BIND": "0.0.0.0"})
        node.daemon = node.spawn(
            "keepalived",
            *("-n", "-l", "-D", "-G", "-P", "-f", "/etc/keepalived/keepalived.conf"),
            *("-p", "/run/keepalived.pid", "-r", "/run/keepalived_vrrp.pid"),
            log=_log(node, "keepalived.out"),
        )
        return None


def daemon_for(kind: str) -> Daemon:
    kinds: dict[str, type[Hacore] | type[Heartbeat] | type[Keepalived]] = {
        "hacore": Hacore,
        "heartbeat": Heartbeat,
        "keepalived": Keepalived,
    }
    if kind not in kinds:
        raise ValueError(f"unknown daemon {kind!r}: choose one of {', '.join(DAEMON_KINDS)}")
    return kinds[kind]()
