"""Fault actions on lab nodes: crash and reboot, freeze, packet loss/delay, services."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from halab.faults import FaultUnavailable, netem_available
from halab.lab import Lab, LabFactory

pytestmark = pytest.mark.netns


def process_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def settled_state(pid: int) -> str:
    """The state once a just-sent SIGSTOP/SIGCONT has been acted on (R in between)."""
    deadline = time.monotonic() + 1.0
    while (state := process_state(pid)) == "R" and time.monotonic() < deadline:
        time.sleep(0.01)
    return state


def hb_reachable(lab: Lab) -> bool:
    ping = ["ping", "-c1", "-W1", "-q", "172.16.0.51"]
    return lab.node("node1").exec(*ping).returncode == 0


def test_crash_pulls_links_and_kills_all_then_reboot_restores_a_clean_node(
    lab_factory: LabFactory,
) -> None:
    lab = lab_factory(daemon="heartbeat")
    node = lab.node("node1")
    node.exec("ip", "addr", "add", "10.0.0.60/24", "dev", "eth0", check=True)
    lab.kill("node1")
    assert not node.up and node.pids() == []
    assert "state DOWN" in lab.net.ip("node1", "link", "show", "eth0").stdout
    lab.boot("node1")
    assert lab.vip_holders() == set()  # a reboot forgets the VIP
    assert node.exec("uname", "-n").stdout.strip() == "node1"
    assert hb_reachable(lab)


def test_freeze_stops_every_process_of_the_node_until_thawed(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat")
    node = lab.node("node1")
    node.exec("sh", "-c", "setsid sleep 60 >/dev/null 2>&1 &", check=True)
    (sleeper,) = [p for p in node.pids() if p not in node.holder_pids()]
    lab.freeze("node1")
    assert settled_state(sleeper) == "T"
    lab.thaw("node1")
    assert settled_state(sleeper) == "S"


def test_loss_on_the_heartbeat_link_and_its_removal(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat")
    lab.netem("node1", "eth1", loss=100)
    assert not hb_reachable(lab)
    lab.clear_netem("node1", "eth1")
    assert hb_reachable(lab)


def test_delay_needs_netem(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat")
    if not netem_available():
        with pytest.raises(FaultUnavailable):
            lab.netem("node1", "eth1", delay_ms=50)
        return
    lab.netem("node1", "eth1", delay_ms=50)
    out = lab.node("node1").exec("ping", "-c1", "-W2", "172.16.0.51").stdout
    assert "time=5" in out


def test_cut_link_and_service_stop_behind_the_cluster_s_back(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat")
    lab.cut_link("node1", "eth1")
    assert not hb_reachable(lab)
    lab.restore_link("node1", "eth1")
    assert hb_reachable(lab)
    node = lab.node("node1")
    node.exec("ip", "addr", "add", "10.0.0.60/24", "dev", "eth0", check=True)
    node.exec("/etc/init.d/httpd", "start", check=True)
    assert lab.client.serving_node() == "node1"
    lab.stop_service("node1")
    assert lab.client.serving_node() is None
