"""Raw gRPC clients against the real daemons: health and reflection on the unix socket
(run inside the node), the TLS listener from the client namespace."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.cluster_control.cluster_control_support import (
    ADDRS,
    API_PORT,
    API_SOCKET,
    MEMBER,
    PROBE,
    ControlLab,
    probe,
)
from tests.waiting import wait_for

pytestmark = [pytest.mark.netns, pytest.mark.timeout(60)]

SOCKET = f"unix:{API_SOCKET}"


def answers(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def test_health_and_reflection_on_the_socket(control_lab: ControlLab) -> None:
    node1 = control_lab.lab.node("node1")
    # open to anyone who can connect, even a caller apiauth refuses
    health = probe(node1, "health", SOCKET, user=MEMBER)
    assert answers(health.stdout) == [{"": "SERVING", "hacore.v1.Cluster": "SERVING"}], health

    reflected = probe(node1, "reflection", SOCKET)
    assert answers(reflected.stdout) == [
        {
            "services": [
                "grpc.health.v1.Health",
                "grpc.reflection.v1alpha.ServerReflection",
                "hacore.v1.Cluster",
            ],
            "methods": [
                "GetStatus",
                "Standby",
                "Takeover",
                "Cleanup",
                "Reload",
                "Watch",
                "GetClientStatus",
            ],
        }
    ], reflected

    bad = probe(node1, "bad-scope", SOCKET)
    assert answers(bad.stdout) == [
        {
            "code": "INVALID_ARGUMENT",
            "details": "scope must be all, local or foreign (got SCOPE_UNSPECIFIED)",
        }
    ], bad


def test_health_watch_sees_a_graceful_stop(control_lab: ControlLab) -> None:
    lab = control_lab.lab
    node2 = lab.node("node2")
    log = node2.path("/var/log/health-watch.out")
    watcher = node2.spawn(sys.executable, str(PROBE), "0", "0", "", "health-watch", SOCKET, log=log)
    wait_for(lambda: "SERVING" in log.read_text(), 5, "health watch started")
    lab.stop("node2")
    assert watcher.wait(5) == 0
    seen = answers(log.read_text())
    assert seen[:2] == [{"status": "SERVING"}, {"status": "NOT_SERVING"}], seen
    assert seen[-1] == {"end": True}


def _tls(control: ControlLab, node: str, *files: Path) -> list[dict[str, object]]:
    """GetStatus over TLS from the client namespace (10.0.0.100)."""
    address = f"{ADDRS[node].lan_ip}:{API_PORT}"
    root = ["0", "0", ""]
    ran = control.lab.net.exec(
        "client", sys.executable, str(PROBE), *root, "tls", address, *map(str, files), check=False
    )
    assert ran.returncode == 0, ran.stderr
    return answers(ran.stdout)


def test_tls_listener_serves_clients_with_a_certificate_from_its_ca(
    control_lab: ControlLab,
) -> None:
    pki = control_lab.pki
    for node in ADDRS:
        assert _tls(control_lab, node, pki.ca, pki.client.cert, pki.client.key) == [
            {"code": "OK", "node": node}
        ]
    calls = control_lab.lab.log("node1").count("certificate=")
    refused = [{"code": "UNAVAILABLE"}]  # the handshake fails: no call reaches the API
    without = _tls(control_lab, "node1", pki.ca)
    stranger = _tls(control_lab, "node1", pki.ca, pki.stranger.cert, pki.stranger.key)
    for answer in (without, stranger):
        assert [{"code": a["code"]} for a in answer] == refused, answer
    assert control_lab.lab.log("node1").count("certificate=") == calls

    hactl = control_lab.lab.net.exec(
        "client",
        *(sys.executable, "-m", "hactl.cli", "--address", f"{ADDRS['node2'].lan_ip}:{API_PORT}"),
        *("--cert", str(pki.client.cert), "--key", str(pki.client.key)),
        *("--cacert", str(pki.ca), "resources", "--json"),
        check=False,
    )
    assert hactl.returncode == 0, hactl.stderr
    assert json.loads(hactl.stdout)[0]["holder"] == "node1"
