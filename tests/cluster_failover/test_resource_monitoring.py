"""ha.cf ``monitor`` with Debian's real Apache behind the VIP (as test_real_apache.py).

Apache is crashed by SIGKILL of its process group (its pid file stays, as after a real
crash); Heartbeat v1 would never notice. With ``monitor apache2`` hacore restarts it in
place, and once the restarts are used up gives the group to the peer.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory
from halab.topology import node_addrs
from halab.watcher import format_timeline, longest_gap, time_to, timeline
from tests.cluster_failover.failover_helpers import hactl, template
from tests.waiting import wait_for

pytestmark = [pytest.mark.netns, pytest.mark.slow]

GROUP = "IPaddr::10.0.0.60/24/eth0"
INTERVAL = 1.0
MONITOR = f"monitor apache2 interval={INTERVAL:g} timeout=5 restarts=2 window=600"
# An LSB service whose status hangs once when /run/hangcheck.hang exists.
HANGCHECK = """#!/bin/sh
case "$1" in
  start) touch /run/hangcheck.on ;;
  stop) rm -f /run/hangcheck.on ;;
  status)
    if [ -e /run/hangcheck.hang ]; then rm -f /run/hangcheck.hang; sleep 3600; fi
    if [ -e /run/hangcheck.on ]; then echo "hangcheck is running"; exit 0; fi
    echo "hangcheck is not running"; exit 3 ;;
esac
"""


def apache_lab(lab_factory: LabFactory, tmp_path: Path, *monitors: str, extra: str = "") -> Lab:
    assert Path("/etc/init.d/apache2").exists(), "apache2 must be installed (make test does)"
    config = template(tmp_path, haresources=f"node1 {GROUP} apache2{extra}\n")
    with (config / "ha.cf").open("a") as hacf:
        hacf.write("".join(line + "\n" for line in monitors))
    lab = lab_factory(config=config, timing=FAST_TIMING)
    for name in lab.names:
        node = lab.node(name)
        node.path("/etc/apache2/ports.conf").write_text("Listen 10.0.0.60:80\n")
        node.path("/var/log/apache2").mkdir(exist_ok=True)
        script = node.path("/etc/init.d/hangcheck")
        script.write_text(HANGCHECK)
        script.chmod(0o755)
    return lab


def monitor_of(lab: Lab, node: str, resource: str = "apache2") -> dict[str, Any]:
    status = hactl(lab, node, "status", "--json")
    (group,) = status["resources"]
    found: dict[str, Any] = next(m for m in group["monitors"] if m["resource"] == resource)
    return found


def failed_on(lab: Lab, node: str) -> list[str]:
    (group,) = hactl(lab, node, "status", "--json")["resources"]
    return list(group["failed_on"])


METRICS = "metrics_listen 0.0.0.0:9100"


def metric(lab: Lab, node: str, name: str, **labels: str) -> float:
    """A sample of ``node``'s /metrics, scraped from the client namespace as Prometheus
    would (the sum over the samples whose labels include ``labels``)."""
    (addr,) = [a for a in node_addrs(lab.names) if a.name == node]
    with lab.net.connect("client", (addr.lan_ip, 9100), timeout=2.0) as sock:
        sock.settimeout(2.0)
        sock.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        body = b"".join(iter(lambda: sock.recv(65536), b"")).partition(b"\r\n\r\n")[2]
    return sum(
        sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def crash_apache(lab: Lab, node: str) -> float:
    """SIGKILL Apache on ``node``; returns when the client no longer gets an answer."""
    lab.kill_service(node)
    crashed = time.monotonic()
    wait_for(lambda: lab.client.serving_node() is None, 3, "Apache to stop answering")
    return crashed


def test_killed_apache_is_restarted_in_place_and_the_vip_stays(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = apache_lab(lab_factory, tmp_path, MONITOR)
    lab.start()
    lab.wait_serving("node1", timeout=15)
    wait_for(lambda: monitor_of(lab, "node1")["last_result"] == "ok", 5, "a first check")
    sampler = lab.sample_vip()
    crashed = crash_apache(lab, "node1")
    lab.wait_serving("node1", timeout=20)
    restart_s = time.monotonic() - crashed
    print(f"\nApache served again {restart_s:.2f}s after the crash (interval {INTERVAL:g}s)")
    # within one interval (the next check) plus Apache's own start, with slack for load
    assert restart_s < INTERVAL + 8
    assert {holders for _, holders in sampler.changes} == {frozenset({"node1"})}, (
        f"the VIP moved: {sampler.changes}"
    )
    # Apache answers before its init script has returned: the restart ends just after
    wait_for(lambda: monitor_of(lab, "node1")["restarts"] == 1, 10, "the restart to end")
    monitor = monitor_of(lab, "node1")
    assert (monitor["fail_count"], monitor["restarts_in_window"]) == (1, 1)
    assert monitor["last_failure"] == "not running"
    log = lab.log("node1")
    assert "Monitor of apache2 failed: not running (fail count 1)" in log
    assert f"Restarting apache2 of resource group {GROUP}" in log
    assert failed_on(lab, "node1") == [] and lab.vip_holders() == {"node1"}


def test_apache_crashing_once_too_often_moves_the_group_to_the_peer(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = apache_lab(lab_factory, tmp_path, MONITOR, METRICS)
    lab.start()
    lab.wait_serving("node1", timeout=15)
    wait_for(lambda: monitor_of(lab, "node1")["last_result"] == "ok", 5, "a first check")
    prober = lab.watch()
    for restarts in (1, 2):  # restarts=2: two crashes are restarted in place
        crash_apache(lab, "node1")

        def restarted(count: int = restarts) -> bool:
            return bool(monitor_of(lab, "node1")["restarts"] == count)

        wait_for(restarted, 20, "a restart")
        lab.wait_serving("node1", timeout=5)
    crashed = crash_apache(lab, "node1")
    lab.wait_serving("node2", timeout=30)
    time.sleep(0.5)
    probes = prober.probes()
    gap = longest_gap(probes, crashed, time.monotonic())
    print(
        f"\nthird crash: node2 serves {time_to(probes, 'node2', crashed):.2f}s later, "
        f"client gap {gap:.2f}s\n"
        + format_timeline(timeline(probes, crashed - 0.5, time.monotonic()), crashed)
    )
    assert lab.vip_holders() == {"node2"}
    assert failed_on(lab, "node1") == ["node1"]
    wait_for(lambda: failed_on(lab, "node2") == ["node1"], 5, "node2 to learn it failed on node1")
    assert monitor_of(lab, "node1")["fail_count"] == 3
    assert not monitor_of(lab, "node1")["active"] and monitor_of(lab, "node2")["active"]
    apache = {"group": GROUP, "resource": "apache2"}
    failures = "hacore_resource_monitor_failures_total"
    assert metric(lab, "node1", failures, result="not_running", **apache) == 3
    assert metric(lab, "node1", failures, result="timeout", **apache) == 0
    assert metric(lab, "node1", "hacore_resource_restarts_total", result="success") == 2
    assert metric(lab, "node1", "hacore_resource_failcount", **apache) == 3
    assert metric(lab, "node1", "hacore_group_failed_here", group=GROUP) == 1
    assert metric(lab, "node1", "hacore_resource_monitor_checks_total", **apache) >= 4
    assert metric(lab, "node2", "hacore_group_failed_here", group=GROUP) == 0
    # auto_failback is on, yet node1 does not take it back
    time.sleep(3)
    assert lab.vip_holders() == {"node2"}
    # the operator fixes node1 and cleans up: both nodes see the failure gone
    cleaned = hactl(lab, "node1", "cleanup", "apache2", "--json")["cleaned"]
    assert cleaned == [{"group": GROUP, "resource": "apache2", "fail_count": 3}]
    wait_for(lambda: failed_on(lab, "node2") == [], 5, "node2 to see the cleanup")
    assert failed_on(lab, "node1") == [] and monitor_of(lab, "node1")["fail_count"] == 0
    assert metric(lab, "node1", "hacore_group_failed_here", group=GROUP) == 0
    assert metric(lab, "node1", "hacore_resource_failcount", **apache) == 0


def test_hanging_check_is_killed_at_its_timeout_and_heartbeats_stay_on_time(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    # The check hangs for 2 s, four deadtimes of FAST_TIMING: had it blocked the daemon,
    # node2 would declare node1 dead.
    lab = apache_lab(
        lab_factory,
        tmp_path,
        "monitor hangcheck interval=0.5 timeout=2 restarts=3",
        extra=" hangcheck",
    )
    lab.start()
    lab.wait_serving("node1", timeout=15)
    node1 = lab.node("node1")
    wait_for(lambda: monitor_of(lab, "node1", "hangcheck")["checks"] >= 2, 5, "two checks")
    node1.exec("touch", "/run/hangcheck.hang", check=True)
    wait_for(lambda: monitor_of(lab, "node1", "hangcheck")["restarts"] == 1, 15, "the restart")
    monitor = monitor_of(lab, "node1", "hangcheck")
    assert monitor["fail_count"] == 1
    assert monitor["last_failure"] == "check timed out after 2s (killed)"
    sleepers = [
        pid
        for pid in node1.pids()
        if Path(f"/proc/{pid}/cmdline").exists()
        and Path(f"/proc/{pid}/cmdline").read_bytes() == b"sleep\x003600\x00"
    ]
    assert sleepers == [], "the hung status script's sleep outlived the timeout"
    assert lab.client.serving_node() == "node1" and lab.vip_holders() == {"node1"}
    for name in lab.names:
        log = lab.log(name)
        assert "Late heartbeat" not in log, f"{name}: late heartbeat during the hung check"
        assert "is dead" not in log
