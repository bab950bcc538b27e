"""Node isolation by the holder: hostname, private /run and dirs, prompt orphan reaping."""

from __future__ import annotations

import time

import pytest

from halab.lab import LabFactory
from halab.labnode import process_start_time

pytestmark = pytest.mark.netns


def test_each_node_has_its_own_hostname_run_and_config(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat")
    node1, node2 = lab.node("node1"), lab.node("node2")
    assert node1.exec("uname", "-n").stdout.strip() == "node1"
    assert node2.exec("hostname").stdout.strip() == "node2"
    node1.exec("touch", "/run/only-on-node1", check=True)
    assert node2.exec("test", "-e", "/run/only-on-node1").returncode != 0
    assert node1.exec("test", "-d", "/run/heartbeat").returncode == 0
    node1.exec("sh", "-c", "echo mine > /etc/ha.d/marker", check=True)
    assert node1.path("/etc/ha.d/marker").read_text() == "mine\n"
    assert not node2.path("/etc/ha.d/marker").exists()
    assert node2.exec("cat", "/var/www/html/index.html").stdout == "This is node2\n"
    assert node1.exec("test", "-x", "/etc/init.d/httpd").returncode == 0


def test_the_holder_is_the_nodes_init_and_reaps_orphans_at_once(lab_factory: LabFactory) -> None:
    node = lab_factory(daemon="heartbeat").node("node1")
    assert node.exec("cat", "/proc/1/cmdline").stdout.split("\0")[:3][2] == "halab.holder"
    # A daemonised child: its parent exits, so the node's init must reap it.
    pid = node.exec("sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!", check=True).stdout.strip()
    node.exec("kill", pid, check=True)
    start = time.monotonic()
    while node.exec("kill", "-0", pid).returncode == 0:
        assert time.monotonic() - start < 0.5, "orphan not reaped promptly"
        time.sleep(0.01)


def test_powering_a_node_off_kills_everything_in_it(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat")
    node = lab.node("node1")
    node.exec("sh", "-c", "setsid sleep 60 >/dev/null 2>&1 &", check=True)
    others = [p for p in node.pids() if p not in node.holder_pids()]
    assert others, "the background sleep should be running in node1"
    node.shutdown()
    assert all(process_start_time(p) is None for p in others)
    lab.boot("node1")
    assert node.exec("ls", "/run/httpd.pid").returncode != 0  # a fresh /run after reboot
