"""Helpers for the control-plane tests against a real hacored pair in namespaces.

The pair is the seed cluster (node1 preferred for the VIP group, demo timings) whose
ha.cf adds every control-plane directive: ``apiauth hactl uid=hacluster`` (one
non-root user may use the API), the TLS listener with certificates from a throw-away
CA (copied into /etc/ha.d with the rest of the template), the metrics endpoint, and a
``debugfile`` (read-only API calls are logged at debug level only).
Root is always allowed, so the plain hactl tests run against the configuration an
operator would deploy.
"""

from __future__ import annotations

import grp
import json
import pwd
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from halab.configs import seed_template
from halab.lab import Lab
from halab.labnode import LabNode
from halab.topology import node_addrs
from tests.control.control_certs import Authority, Pair

NODES = ("node1", "node2")
ADDRS = {addr.name: addr for addr in node_addrs(list(NODES))}
VIP_GROUP = "IPaddr::10.0.0.60/24/eth0"
API_PORT = 7440
METRICS_PORT = 9694
API_USER = "hacluster"  # the Debian heartbeat package's user, primary group haclient
RUN_AS = Path(__file__).parents[1] / "control" / "control_run_as.py"
PROBE = Path(__file__).parent / "cluster_control_probe.py"
HACF = "/etc/ha.d/ha.cf"
API_SOCKET = "/run/hacore/api.sock"


@dataclass(frozen=True)
class Pki:
    ca: Path  # the CA certificate, also the daemons' api_tls_ca
    client: Pair  # signed by the CA: an operator
    stranger: Pair  # signed by another CA


@dataclass(frozen=True)
class ControlLab:
    lab: Lab
    pki: Pki


@dataclass(frozen=True)
class User:
    """Credentials to run a command with inside a node: uid, gid, supplementary groups."""

    uid: int
    gid: int
    groups: tuple[int, ...] = ()

    def argv(self) -> list[str]:
        return [str(self.uid), str(self.gid), ",".join(map(str, self.groups))]


def _user(name: str, *groups: str) -> User:
    entry = pwd.getpwnam(name)
    return User(entry.pw_uid, entry.pw_gid, tuple(grp.getgrnam(g).gr_gid for g in groups))


ALLOWED = _user(API_USER)  # listed by apiauth
MEMBER = _user("nobody", "haclient")  # reaches the socket (group haclient), not listed
OUTSIDER = _user("nobody")  # not even in haclient


def control_template(directory: Path) -> Pki:
    """Write the template (``directory/ha.d``: ha.cf, haresources, authkeys, server TLS
    files); the client side of the PKI stays in ``directory/pki``."""
    config = directory / "ha.d"
    keys = directory / "pki"
    config.mkdir()
    keys.mkdir()
    ca = Authority(keys, "hacore-ca")
    server = ca.issue(
        "hacored", server=True, hosts=[*NODES, *(ADDRS[name].lan_ip for name in NODES)]
    )
    for source, name in (
        (ca.pair.cert, "api-ca.crt"),
        (server.cert, "api-server.crt"),
        (server.key, "api-server.key"),
    ):
        (config / name).write_bytes(source.read_bytes())
    files = seed_template(NODES)
    files["ha.cf"] += (
        "debugfile /var/log/ha-debug\n"  # read-only API calls are logged at debug level
        f"apiauth hactl uid={API_USER}\n"
        f"api_listen 0.0.0.0:{API_PORT}\n"
        "api_tls_cert /etc/ha.d/api-server.crt\n"
        "api_tls_key /etc/ha.d/api-server.key\n"
        "api_tls_ca /etc/ha.d/api-ca.crt\n"
        f"metrics_listen 0.0.0.0:{METRICS_PORT}\n"
    )
    for name, text in files.items():
        (config / name).write_text(text)
    stranger = Authority(keys, "other-ca").issue("stranger", server=False)
    return Pki(ca.pair.cert, ca.issue("operator", server=False), stranger)


def hactl(
    node: LabNode, *args: str, user: User | None = None, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """hactl inside ``node`` (it finds the daemon's socket at /run/hacore/api.sock),
    as root or dropped to ``user`` after loading (Python lives under /root)."""
    if user is None:
        return node.exec("hactl", *args, timeout=timeout)
    return node.exec(sys.executable, str(RUN_AS), *user.argv(), *args, timeout=timeout)


def hactl_json(node: LabNode, *args: str) -> Any:
    result = hactl(node, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def probe(
    node: LabNode, *args: str, user: User | None = None, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """Run cluster_control_probe.py (a raw gRPC client) inside ``node``."""
    who = user.argv() if user else ["0", "0", ""]
    return node.exec(sys.executable, str(PROBE), *who, *args, timeout=timeout)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """hactl's contract for failures: nothing on stdout, one ``hactl:`` line on stderr."""
    lines = result.stderr.splitlines()
    assert result.stdout == "" and len(lines) == 1, (result.stdout, result.stderr)
    assert lines[0].startswith("hactl: "), lines
    return lines[0]


def scrape(lab: Lab, node: str) -> str:
    """GET /metrics of ``node`` from the client namespace, as Prometheus would."""
    with lab.net.connect("client", (ADDRS[node].lan_ip, METRICS_PORT), timeout=2.0) as sock:
        sock.settimeout(2.0)
        sock.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    assert head.startswith((b"HTTP/1.0 200 ", b"HTTP/1.1 200 ")), head
    return body.decode()


def sample(text: str, name: str, **labels: str) -> float:
    """The sum of the samples ``name`` whose labels include ``labels`` (0 if none)."""
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and labels.items() <= s.labels.items()
    )
