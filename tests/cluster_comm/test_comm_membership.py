"""Who is in the cluster, as real hacore daemons in network namespaces see it: foreign
keys, restarts, three and twelve nodes, crash detection, frozen nodes (keepalive 100 ms, deadtime
500 ms throughout)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory
from tests.cluster_comm.comm_helpers import (
    converged_holder,
    deaths,
    first_death,
    holder_seen_by,
    log_times,
    metric,
    start_with_key,
    template,
    view_of,
    wait_all_active,
)
from tests.waiting import wait_for

pytestmark = pytest.mark.netns
METRICS_PORT = 9100  # on each node's own loopback
DETECTION_BOUND_S = 1.5  # deadtime 0.5 s + a tick, with room for a loaded 2-core machine
WAKEUP_WINDOW_S = 5.0
# 120 packets a second arrive on node1's socket; gathered, it wakes about twice a
# keepalive (20 a second), one packet at a time about 110 times
GATHERED_WAKEUPS_PER_S = 60


def test_a_node_with_another_key_is_never_admitted(lab_factory: LabFactory, tmp_path: Path) -> None:
    config = template(tmp_path, extra=[f"metrics_listen 127.0.0.1:{METRICS_PORT}"])
    lab = lab_factory(config=config, timing=FAST_TIMING)
    lab.start("node1")
    start_with_key(lab, "node2", "not-the-cluster-key")
    wait_for(lambda: holder_seen_by(lab, "node1") == "node1", 10, "node1 to hold the group")
    time.sleep(1.0)
    assert view_of(lab, "node1", "node2")["status"] == "dead"
    assert not log_times(lab, "node1", "Status update for node node2")
    assert "reason=bad_signature" in lab.log("node1")
    assert metric(lab, "node1", "hacore_auth_failures_total", METRICS_PORT) > 0
    assert "node1" in lab.vip_holders()  # node2, hearing nobody either, takes it too


def test_an_authentication_failure_is_logged_in_heartbeat_words(cluster: Lab) -> None:
    cluster.stop("node2")
    start_with_key(cluster, "node2", "not-the-cluster-key")
    wait_for(lambda: "bad_signature" in cluster.log("node1"), 10, "node1 to reject node2")
    assert "node [node2] failed authentication" in cluster.log("node1")


def test_a_restarted_peer_comes_back_as_a_new_generation(cluster: Lab) -> None:
    wait_all_active(cluster)
    before = view_of(cluster, "node1", "node2")["generation"]
    cluster.stop("node2")
    cluster.start("node2")
    wait_all_active(cluster)
    assert log_times(cluster, "node1", "Heartbeat restart on node node2")
    assert view_of(cluster, "node1", "node2")["generation"] == before + 1


@pytest.mark.parametrize("medium", ["bcast", "mcast"])
def test_three_nodes_agree_and_detect_a_crash(
    lab_factory: LabFactory, tmp_path: Path, medium: str
) -> None:
    config = template(tmp_path, nodes=3, haresources="")
    lab = lab_factory(config=config, timing=FAST_TIMING, medium=medium)
    lab.start()
    wait_all_active(lab)
    crashed_at = time.time()
    lab.kill("node3")
    for survivor in ("node1", "node2"):
        assert first_death(lab, survivor, "node3") - crashed_at < DETECTION_BOUND_S
    wait_all_active(lab, names=["node1", "node2"])
    assert deaths(lab, "node1", "node2") == deaths(lab, "node2", "node1") == []


def test_a_crashed_peer_is_declared_dead_within_deadtime(cluster: Lab) -> None:
    wait_all_active(cluster)
    crashed_at = time.time()
    cluster.kill("node2")
    assert first_death(cluster, "node1", "node2") - crashed_at < DETECTION_BOUND_S
    assert view_of(cluster, "node1", "node2")["status"] == "dead"


@pytest.mark.parametrize("frozen, other", [("node1", "node2"), ("node2", "node1")])
def test_a_thawed_node_does_not_act_on_stale_state(cluster: Lab, frozen: str, other: str) -> None:
    cluster.wait_serving("node1", timeout=10)
    wait_all_active(cluster)
    cluster.freeze(frozen)
    first_death(cluster, other, frozen)
    time.sleep(0.5)
    cluster.thaw(frozen)
    wait_all_active(cluster, timeout=10)
    assert converged_holder(cluster, timeout=5) == "node1"
    assert deaths(cluster, frozen, other) == []


def _daemon_wakeups(lab: Lab, name: str) -> int:
    """How often ``name``'s hacored main thread has slept and woken so far (voluntary
    context switches: every wait for a packet or a timer ends in one)."""
    for pid in lab.node(name).pids():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            status = Path(f"/proc/{pid}/task/{pid}/status").read_text()
        except OSError:
            continue
        if any(arg.endswith(b"/hacored") for arg in argv[:2]):
            line = next(x for x in status.splitlines() if x.startswith("voluntary_ctxt_switches"))
            return int(line.split()[1])
    raise AssertionError(f"no hacored running in {name}")


def test_twelve_nodes_read_their_busy_link_in_gatherings_and_detect_a_crash(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """Eleven peers at keepalive 100 ms on one mcast link send a socket about 120 packets
    a second, twice what makes it busy: each node reads them in gatherings
    (plugins/transports/_udp.py). Nobody is buried meanwhile, and a crash is still seen
    by every survivor in time. (Measured here: 20 wake-ups a second gathered, 107 with
    gathering off.)"""
    names = [f"node{i}" for i in range(1, 13)]
    config = template(tmp_path, nodes=12, haresources="")
    lab = lab_factory(config=config, timing=FAST_TIMING, medium="mcast")
    lab.start()
    wait_all_active(lab, timeout=30)
    before, started = _daemon_wakeups(lab, "node1"), time.monotonic()
    time.sleep(WAKEUP_WINDOW_S)
    rate = (_daemon_wakeups(lab, "node1") - before) / (time.monotonic() - started)
    assert rate < GATHERED_WAKEUPS_PER_S, f"{rate:.0f} wake-ups a second"
    crashed_at = time.time()
    lab.kill("node12")
    for survivor in names[:-1]:
        assert first_death(lab, survivor, "node12") - crashed_at < DETECTION_BOUND_S
    for observer in names[:-1]:
        assert all(deaths(lab, observer, peer) == [] for peer in names[:-1])
