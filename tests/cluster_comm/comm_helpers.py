"""What the cluster-communication tests ask of a running lab, in a few words each.

Every answer comes from the daemons themselves (``hactl status --json`` run inside a
node, the node's ha-log) or from the wire (tcpdump inside a node), never from the
lab's own bookkeeping, so the tests observe what an operator would.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from halab.configs import seed_template
from halab.lab import Lab
from halab.labnode import NodeProcess
from halab.watcher import VipSampler
from tests.waiting import wait_for

HACTL_NOT_RUNNING = 3  # hactl's exit status while no daemon answers (docs/api.md)
DEADTIME_S = 0.5  # FAST_TIMING's deadtime, which every test here runs at
# "<local ISO time> <node> hacored[<pid>]: <LEVEL>: <Heartbeat's text> [<event> ...]"
_LOG_LINE = re.compile(r"^(\S+) \S+ hacored\[\d+\]: \w+: (.*)$")


# ---- configuration ---------------------------------------------------------------------


def template(
    tmp_path: Path,
    nodes: int = 2,
    media: Sequence[str] | None = None,
    haresources: str | None = None,
    extra: Sequence[str] = (),
) -> Path:
    """The seed's /etc/ha.d with other media lines, another haresources, extra directives.

    Media lines are written as in the seed (``ucast eth1 172.16.0.51``): the lab
    rewrites ucast addresses per node and leaves bcast/mcast lines as they are.
    """
    files = seed_template([f"node{i}" for i in range(1, nodes + 1)])
    lines = files["ha.cf"].splitlines()
    if media is not None:
        at = next(i for i, line in enumerate(lines) if line.startswith("ucast "))
        lines[at : at + 1] = media
    files["ha.cf"] = "\n".join([*lines, *extra]) + "\n"
    if haresources is not None:
        files["haresources"] = haresources
    directory = tmp_path / "ha.d"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text)
    (directory / "authkeys").chmod(0o600)
    return directory


def start_with_key(lab: Lab, node: str, key: str) -> None:
    """Start ``node`` with its own sha1 key, unlike the rest of the cluster."""
    shared = lab.setup.template
    lab.setup.template = {**shared, "authkeys": f"auth 1\n1 sha1 {key}\n"}
    try:
        lab.start(node)
    finally:
        lab.setup.template = shared


# ---- what the daemons say ----------------------------------------------------------------


def status(lab: Lab, node: str, starting_for: float = 10.0) -> dict[str, Any]:
    """``hactl status --json`` inside ``node``, allowing a just-started daemon to open
    its API socket (hactl's exit status 3, "not running") for ``starting_for`` seconds."""
    deadline = time.monotonic() + starting_for
    while True:
        result = lab.node(node).exec("hactl", "status", "--json", timeout=30)
        if result.returncode != HACTL_NOT_RUNNING or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert result.returncode == 0, f"hactl on {node}: {result.stderr.strip()}"
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def view_of(lab: Lab, observer: str, peer: str) -> dict[str, Any]:
    """``peer``'s entry in ``observer``'s node table (status, links, generation...)."""
    entry: dict[str, Any] = next(n for n in status(lab, observer)["nodes"] if n["name"] == peer)
    return entry


def links_of(lab: Lab, observer: str, peer: str) -> dict[str, str]:
    return {link["name"]: link["status"] for link in view_of(lab, observer, peer)["links"]}


def holder_seen_by(lab: Lab, node: str) -> str | None:
    """Who holds the (only) resource group, as ``node`` sees it."""
    holder: str | None = status(lab, node)["resources"][0]["holder"]
    return holder


def all_active(lab: Lab, names: Iterable[str] | None = None) -> bool:
    """Every node among ``names`` sees every other one active, over links that are all up."""
    members = set(names or lab.names)
    for observer in members:
        for peer in status(lab, observer)["nodes"]:
            if peer["name"] not in members or peer["local"]:
                continue
            links = [link["status"] for link in peer["links"]]
            if peer["status"] != "active" or not links or set(links) != {"up"}:
                return False
    return True


def wait_all_active(lab: Lab, timeout: float = 10.0, names: Iterable[str] | None = None) -> None:
    members = sorted(names or lab.names)
    wait_for(lambda: all_active(lab, members), timeout, f"{members} to see each other active")


def log_times(lab: Lab, node: str, message: str) -> list[float]:
    """Wall-clock times (Unix seconds) of ``node``'s log lines whose message starts so."""
    times = []
    for line in lab.log(node).splitlines():
        match = _LOG_LINE.match(line)
        if match and match[2].startswith(message):
            times.append(dt.datetime.fromisoformat(match[1]).timestamp())
    return times


def deaths(lab: Lab, observer: str, peer: str) -> list[float]:
    """When ``observer`` declared ``peer`` dead (Heartbeat's ``node <peer>: is dead``)."""
    return log_times(lab, observer, f"node {peer}: is dead")


def first_death(lab: Lab, observer: str, peer: str, timeout: float = 5.0) -> float:
    """Wait for ``observer`` to declare ``peer`` dead; when it did (Unix seconds)."""
    wait_for(lambda: bool(deaths(lab, observer, peer)), timeout, f"{observer} to bury {peer}")
    return deaths(lab, observer, peer)[0]


def metric(lab: Lab, node: str, name: str, port: int) -> float:
    """Sum of a Prometheus counter over its labels (ha.cf ``metrics_listen 127.0.0.1:port``)."""
    url = f"http://127.0.0.1:{port}/metrics"
    text = lab.node(node).exec("curl", "-sf", url, check=True).stdout
    samples = re.findall(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.MULTILINE)
    return sum(float(value) for value in samples)


# ---- VIP ----------------------------------------------------------------------------------


def vip_holders_seen(sampler: VipSampler) -> set[frozenset[str]]:
    """Every set of VIP holders the sampler saw (one element: the VIP never moved)."""
    return {holders for _, holders in sampler.changes}


def converged_holder(lab: Lab, timeout: float, steady: float = 1.0) -> str:
    """The VIP ends on exactly one node and stays there for ``steady`` seconds."""
    wait_for(lambda: len(lab.vip_holders()) == 1, timeout, "a single VIP holder")
    (owner,) = lab.vip_holders()
    end = time.monotonic() + steady
    while time.monotonic() < end:
        assert lab.vip_holders() == {owner}, f"VIP moved or doubled: {lab.vip_holders()}"
        time.sleep(0.05)
    return owner


# ---- the wire -----------------------------------------------------------------------------


class StatusCapture:
    """tcpdump inside a node: when each *fresh* status from each peer reached it (with
    ``direction="inout"``, when the node sent its own too).

    Loss is injected at the sender, so what the capture sees is what the daemon was
    given. Only statuses with a seq above every earlier one count, as for the daemon:
    a retransmitted old status proves nothing about the peer being alive now.
    """

    _HEADER = re.compile(r"^(\d+\.\d+) IP ", re.MULTILINE)
    _STATUS = re.compile(r"t=status,.*?src=([^,]+),.*?seq=([0-9a-f]+),", re.DOTALL)

    def __init__(self, lab: Lab, node: str, ifname: str = "eth1", direction: str = "in") -> None:
        self.log = lab.workdir / f"capture-{node}-{ifname}-{direction}.txt"
        filter_ = ("-Q", direction, "-l", "-n", "-tt", "-A", "-i", ifname, "udp", "port", "694")
        self.process: NodeProcess = lab.node(node).spawn("tcpdump", *filter_, log=self.log)
        wait_for(lambda: "listening on" in self.log.read_text(), 10, f"tcpdump on {node}")

    def stop(self) -> None:
        self.process.signal(signal.SIGTERM)
        self.process.wait(10)

    def fresh_statuses(self, peer: str) -> list[float]:
        """Arrival times (Unix seconds) of ``peer``'s fresh statuses."""
        return [stamp for stamp, _ in self._fresh(peer)]

    def missed_fraction(self, peer: str) -> float:
        """Share of ``peer``'s statuses, by seq, that never arrived fresh."""
        seqs = [seq for _, seq in self._fresh(peer)]
        return 1 - len(seqs) / (seqs[-1] - seqs[0] + 1) if seqs else 1.0

    def _fresh(self, peer: str) -> list[tuple[float, int]]:
        """Packets are cut at their headers, not at line ends: tcpdump -A prints a
        binary field's newline byte (a node's random srcuuid may hold one) as a line break."""
        text = self.log.read_text(errors="replace")
        headers = list(self._HEADER.finditer(text))
        arrivals: list[tuple[float, int]] = []
        newest = 0
        for header, following in zip(headers, [*headers[1:], None], strict=True):
            packet = text[header.end() : following.start() if following else len(text)]
            found = self._STATUS.search(packet)
            if found and found[1] == peer and (seq := int(found[2], 16)) > newest:
                newest = seq
                arrivals.append((float(header[1]), seq))
        return arrivals


def unjustified(death_times: Iterable[float], arrivals: Sequence[float]) -> list[float]:
    """Deaths declared although a fresh status had arrived less than deadtime before.

    10 ms of slack covers the capture's timestamps preceding the daemon's reading.
    """
    wrong = []
    for death in death_times:
        before = [t for t in arrivals if t <= death]
        if before and death - before[-1] < DEADTIME_S - 0.01:
            wrong.append(death)
    return wrong
