"""A whole cluster on one machine: the seed's topology, N nodes, a daemon kind, faults.

    with Lab(daemon="heartbeat", timing=FAST_TIMING) as lab:
        lab.start()
        lab.wait_serving("node1", timeout=20)
        lab.kill("node1")
        lab.wait_serving("node2", timeout=5)

Everything the lab creates is recorded in a state file (state.py) before it exists, and
``close()`` (also on exceptions, via ``with``) removes it all; a run that died without
closing is cleaned by the next one.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from halab import faults
from halab.configs import Timing, has_resources, node_names, read_template, seed_template
from halab.daemons import HEARTBEAT_STATE, ClusterSetup, Daemon, Hacore, Stopping, daemon_for
from halab.labnode import LabNode, process_start_time
from halab.netns import NetnsSet
from halab.power import INSIDE_DIR, PowerSwitch
from halab.state import WORKDIR_PARENT, WORKDIR_PREFIX, RunState, clean, clean_stale
from halab.topology import VIP, Topology, node_addrs
from halab.watcher import Prober, VipSampler, vip_holders


class LabTimeout(AssertionError):
    """The cluster did not reach the expected state in time (a failed expectation)."""


class Client:
    """The client namespace (10.0.0.100): what a user of the cluster sees."""

    def __init__(self, net: NetnsSet) -> None:
        self.net = net

    def http_get(self, host: str = VIP, port: int = 80, timeout: float = 0.5) -> str | None:
        """The page body (stripped), or None when nothing answers in time."""
        try:
            with self.net.connect("client", (host, port), timeout) as sock:
                sock.settimeout(timeout)
                sock.sendall(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
                chunks = []
                while chunk := sock.recv(4096):
                    chunks.append(chunk)
        except OSError:
            return None
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        return body.decode(errors="replace").strip() if b" 200 " in head[:16] else None

    def serving_node(self, host: str = VIP) -> str | None:
        """Which node answers on ``host`` ("This is node2" -> "node2"), if any."""
        body = self.http_get(host)
        if body and body.startswith("This is "):
            return body.removeprefix("This is ")
        return None


class Lab:
    def __init__(
        self,
        nodes: int | Sequence[str] | None = None,
        daemon: str = "hacore",
        config: Path | None = None,
        timing: Timing | None = None,
        medium: str | None = None,
        advert_int: float = 1.0,
        kind: str = "test",
        keep_workdir: bool = False,
    ) -> None:
        self.daemon: Daemon = daemon_for(daemon)
        template = read_template(config) if config else None
        names = _node_names(nodes, template)
        self.setup = ClusterSetup(
            template=template or seed_template(names),
            nodes=node_addrs(names),
            timing=timing or Timing(),
            medium=medium,
            advert_int=advert_int,
        )
        self.kind = kind
        self.keep_workdir = keep_workdir
        self.net = NetnsSet(prefix=f"hl{secrets.token_hex(3)}-")
        self.topology = Topology(self.net, self.setup.nodes)
        self.client = Client(self.net)
        self.workdir = Path("/nonexistent")
        self.nodes: dict[str, LabNode] = {}
        self.state: RunState | None = None
        self._kinds: dict[str, Daemon] = {}
        self._stopped: set[str] = set()  # nodes whose daemon is meant to be down
        self._probers: list[Prober] = []
        self._samplers: list[VipSampler] = []
        self.power: PowerSwitch | None = None

    # -- life cycle ---------------------------------------------------------------------

    def build(self) -> Lab:
        """Namespaces, private node files, and every node powered on (no daemon yet)."""
        clean_stale()
        self.workdir = Path(
            tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{self.net.prefix}", dir=WORKDIR_PARENT)
        )
        me = os.getpid()
        self.state = RunState(
            prefix=self.net.prefix,
            kind=self.kind,
            owner_pid=me,
            owner_start=process_start_time(me),
            workdir=str(self.workdir),
            namespaces=self.topology.namespaces(),
            daemon=self.daemon.kind,
        )
        self.state.save()  # before anything exists: a crash during build is cleanable
        try:
            self.topology.build()
            self.power = PowerSwitch(self.workdir / "power", self._power_off)
            self.power.start()
            for addr in self.setup.nodes:
                node = LabNode(self.net, addr, self.workdir / addr.name)
                node.shared[INSIDE_DIR] = self.power.directory
                node.prepare_root()
                self.nodes[addr.name] = node
                self._power_on(node)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Remove everything: probers, nodes and their processes, namespaces, files."""
        for sampler in self._samplers:
            sampler.stop()
        for prober in self._probers:
            prober.stop()
        if self.power is not None:
            self.power.stop()
        for node in self.nodes.values():
            node.shutdown()
        self.net.cleanup()
        if self.state is not None:
            if self.keep_workdir:
                self.state.workdir = ""  # keep the logs for the user
            clean(self.state)
            self.state = None

    def __enter__(self) -> Lab:
        return self.build() if self.state is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _power_on(self, node: LabNode) -> None:
        node.reset_network()
        node.boot()
        assert self.state is not None and node.holder is not None and node.init_pid is not None
        self.state.record_pid(f"{node.name}-holder", node.holder.pid)
        self.state.record_pid(f"{node.name}-init", node.init_pid)
        self.state.nodes[node.name] = node.init_pid
        self.state.save()

    # -- nodes and daemons --------------------------------------------------------------

    def daemon_of(self, name: str) -> Daemon:
        """The daemon kind last started on ``name`` (the lab's default before that)."""
        return self._kinds.get(name, self.daemon)

    def node(self, name: str) -> LabNode:
        if name not in self.nodes:
            raise KeyError(f"no node {name!r} in this lab (nodes: {', '.join(self.nodes)})")
        return self.nodes[name]

    @property
    def names(self) -> list[str]:
        return list(self.nodes)

    @property
    def serves_vip(self) -> bool:
        """False for a membership-only cluster (no haresources group; keepalived always
        has its VRRP instance)."""
        return self.daemon.kind == "keepalived" or has_resources(self.setup.template)

    def boot(self, name: str) -> None:
        """Power a crashed node back on, without starting the cluster daemon."""
        node = self.node(name)
        if not node.up:
            self._power_on(node)

    def start(self, *names: str, daemon: str | None = None) -> None:
        """Start the cluster daemon on these nodes (default: all, at once).

        A node that is down (crashed) is powered on first, as after a reboot.
        """
        kind = self.daemon if daemon is None else daemon_for(daemon)
        targets = [self.node(n) for n in names] if names else list(self.nodes.values())
        self._start(targets, kind)

    def replace_daemon(self, name: str, kind: str) -> None:
        """Migrate ``name`` to another daemon as docs/migration.md does: a graceful stop
        of the one running, then ``kind`` on the same /etc/ha.d and the same state
        (hacored with ``--state-dir /var/lib/heartbeat``, where Heartbeat keeps them)."""
        self.stop(name)
        new = Hacore(state_dir=HEARTBEAT_STATE) if kind == "hacore" else daemon_for(kind)
        self._start([self.node(name)], new)

    def _start(self, targets: list[LabNode], kind: Daemon) -> None:
        self._stopped -= {n.name for n in targets}
        for node in targets:
            self.boot(node.name)
            self._kinds[node.name] = kind  # a mixed cluster (hacore beside Heartbeat) is fine
            kind.configure(node, self.setup)
        starting = [(node, kind.start(node)) for node in targets]
        for node, process in starting:
            if process is not None and process.wait(60) != 0:
                raise RuntimeError(f"{kind.kind} did not start on {node.name}")

    def stop(self, name: str, wait: bool = True) -> Stopping:
        """Graceful stop of the daemon on ``name`` (hacore/keepalived: SIGTERM)."""
        self._stopped.add(name)
        stopping = self.daemon_of(name).begin_stop(self.node(name))
        if wait:
            stopping.wait()
        return stopping

    def expect_exit(self, name: str) -> None:
        """The daemon on ``name`` is about to exit by itself (a failfast self-fence):
        :meth:`check_daemons` stops reporting it."""
        self._stopped.add(name)

    def kill(self, name: str) -> None:
        """Crash ``name``: links down and SIGKILL of all its processes (anchors' B)."""
        self._stopped.add(name)
        faults.crash(self.node(name))

    def _power_off(self, name: str) -> bool:
        """The power switch's reset (from its thread): the node crashes."""
        if name not in self.nodes:
            return False
        self.kill(name)
        return True

    def freeze(self, name: str) -> None:
        faults.freeze(self.node(name))

    def thaw(self, name: str) -> None:
        faults.thaw(self.node(name))

    def stop_service(self, name: str, service: str = "httpd") -> None:
        faults.stop_service(self.node(name), service)

    def kill_service(self, name: str, pidfile: str = "/run/apache2/apache2.pid") -> int:
        """Crash a service on ``name`` (SIGKILL of its process group); returns its pid."""
        return faults.kill_service(self.node(name), pidfile)

    # -- network faults -----------------------------------------------------------------

    def cut_link(self, name: str, ifname: str = "eth1") -> None:
        faults.link_down(self.node(name), ifname)

    def restore_link(self, name: str, ifname: str = "eth1") -> None:
        faults.link_up(self.node(name), ifname)

    def partition(self, *groups: Sequence[str]) -> None:
        """Split the heartbeat network; default: the first node alone against the rest."""
        split = [list(g) for g in groups] or [self.names[:1], self.names[1:]]
        self.topology.partition(split)

    def heal(self) -> None:
        self.topology.heal()

    def netem(
        self, name: str, ifname: str = "eth1", loss: float = 0.0, delay_ms: float = 0.0
    ) -> None:
        """Lose ``loss`` % and/or delay packets leaving ``ifname`` of ``name``."""
        faults.impair(self.node(name), ifname, loss_pct=loss, delay_ms=delay_ms)

    def clear_netem(self, name: str, ifname: str = "eth1") -> None:
        faults.clear_impairment(self.node(name), ifname)

    # -- observing ----------------------------------------------------------------------

    def check_daemons(self) -> None:
        """Raise if a daemon the lab runs in the foreground (hacored, keepalived) has exited."""
        for name, node in self.nodes.items():
            process = node.daemon
            if name in self._stopped or process is None or process.running():
                continue
            tail = process.log.read_text(errors="replace").splitlines()[-5:] if process.log else []
            raise RuntimeError(
                f"{self.daemon_of(name).kind} on {name} exited (rc {process.popen.returncode}); "
                f"end of {process.log}:\n" + "\n".join(tail)
            )

    def vip_holders(self) -> set[str]:
        return vip_holders(self.net, self.names)

    def watch(self, interval: float = 0.01) -> Prober:
        """Start the open-loop HTTP prober in the client namespace (stopped by close())."""
        prober = Prober(self.net, self.workdir / f"probes-{len(self._probers)}.txt", VIP, interval)
        prober.start()
        self._probers.append(prober)
        assert self.state is not None and prober.popen is not None
        self.state.record_pid(f"prober-{len(self._probers)}", prober.popen.pid)
        self.state.save()
        return prober

    def sample_vip(self, period: float = 0.02) -> VipSampler:
        sampler = VipSampler(self.net, self.names, period)
        sampler.start()
        self._samplers.append(sampler)
        return sampler

    def wait_serving(self, name: str, timeout: float) -> float:
        """Wait until the client gets "This is <name>" from the VIP; returns seconds waited."""
        start = time.monotonic()
        while (answer := self.client.serving_node()) != name:
            self.check_daemons()
            if time.monotonic() - start > timeout:
                raise LabTimeout(
                    f"{name} did not serve {VIP} within {timeout:g} s "
                    f"(client gets {answer!r}, VIP on {sorted(self.vip_holders()) or 'no node'})"
                )
            time.sleep(0.05)
        return time.monotonic() - start

    def log(self, name: str, filename: str = "ha-log") -> str:
        """A node's log file (under its private /var/log), '' if it does not exist."""
        path = self.node(name).path(f"/var/log/{filename}")
        return path.read_text(errors="replace") if path.exists() else ""


def _node_names(nodes: int | Sequence[str] | None, template: dict[str, str] | None) -> list[str]:
    """node1..nodeN, or the names of the config's ``node`` lines (which must agree)."""
    from_config = node_names(template["ha.cf"]) if template else []
    if nodes is None:
        return from_config or ["node1", "node2"]
    if isinstance(nodes, int):
        if from_config and len(from_config) != nodes:
            raise ValueError(f"{nodes} nodes wanted but the config's ha.cf names {from_config}")
        return from_config or [f"node{i}" for i in range(1, nodes + 1)]
    if from_config and list(nodes) != from_config:
        raise ValueError(f"nodes {list(nodes)} differ from the config's ha.cf: {from_config}")
    return list(nodes)


LabFactory = Callable[..., Lab]
"""What the ``lab_factory`` test fixture hands a test: ``lab_factory(**Lab kwargs)``."""
