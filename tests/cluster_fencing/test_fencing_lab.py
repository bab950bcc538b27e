"""Never two holders (issue 13), on a real two-node cluster in network namespaces.

The lab's power switch is the STONITH device (``stonith_host * powersocket``): a reset
powers the lab node off. A client probes the VIP every 10 ms and a sampler records who
holds it every 20 ms; the switch records when it powered which node off.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from hacore.fencing.realtime import policy_of
from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory
from halab.watchdog_standin import WatchdogStandIn
from tests.cluster_fencing.fencing_helpers import STONITH, fence_target, fenced_template, status
from tests.waiting import wait_for

pytestmark = pytest.mark.netns


def _lab(
    lab_factory: LabFactory, tmp_path: Path, *extra: str, files: dict[str, str] | None = None
) -> Lab:
    lab = lab_factory(config=fenced_template(tmp_path, *extra, files=files), timing=FAST_TIMING)
    lab.start()
    lab.wait_serving("node1", timeout=10)
    return lab


def test_crash_the_peer_is_fenced_before_the_vip_moves(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = _lab(lab_factory, tmp_path, STONITH, "fence_delay 1")
    assert lab.power is not None
    prober = lab.watch(0.01)
    sampler = lab.sample_vip(0.02)
    crashed = time.monotonic()
    lab.kill("node1")
    lab.wait_serving("node2", timeout=15)
    wait_for(lambda: "node2" in {p.result for p in prober.probes()}, 5, "a probe answered by node2")
    prober.stop()
    resets = [r for r in lab.power.resets if r.node == "node1" and r.ok]
    assert resets, "node1 was never fenced"
    fenced_at = resets[0].at
    assert fenced_at >= crashed + 1.0, "node2 holds nothing: it waits the fence delay"
    first = next(p for p in prober.probes() if p.result == "node2")
    assert first.start > fenced_at, "the VIP answered from node2 before node1 was reset"
    node2_vip = [t for t, holders in sampler.changes if "node2" in holders]
    assert node2_vip and node2_vip[0] > fenced_at
    log = lab.log("node2")
    assert "Resetting node node1 with [powersocket /var/lib/halab/power.sock]" in log
    assert "node node1 now reset." in log
    assert "No STONITH device configured" not in log, "the engine was not told of the reset"
    target = fence_target(lab, "node2", "node1")
    assert (target["state"], target["last_result"]) == ("fenced", "OK")
    # node1 comes back after its reset and rejoins cleanly (auto_failback on).
    lab.start("node1")
    lab.wait_serving("node1", timeout=15)
    wait_for(lambda: fence_target(lab, "node2", "node1")["state"] == "idle", 5, "idle again")
    assert lab.vip_holders() == {"node1"}


def test_link_cut_the_holder_survives_and_nothing_moves(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = _lab(lab_factory, tmp_path, STONITH, "fence_delay 2")
    power = lab.power
    assert power is not None
    prober = lab.watch(0.01)
    sampler = lab.sample_vip(0.02)
    cut = time.monotonic()
    lab.partition()
    wait_for(lambda: "node2" in power.fenced(), 10, "node1 to fence node2")
    time.sleep(3.0)  # past node2's fence delay: it must be dead by then
    prober.stop()
    assert power.fenced() == ["node2"]
    assert [r.node for r in power.resets] == ["node2"], "node2 never got to shoot"
    answers = {p.result for p in prober.probes() if p.start > cut}
    assert answers == {"node1"}, f"the client saw {answers}"
    assert all(holders == {"node1"} for _, holders in sampler.changes), sampler.changes
    assert status(lab, "node1")["resources"][0]["holder"] == "node1"
    lab.heal()
    lab.start("node2")
    wait_for(
        lambda: (
            next(n for n in status(lab, "node1")["nodes"] if n["name"] == "node2")["status"]
            == "active"
        ),
        15,
        "node2 to rejoin",
    )
    assert lab.vip_holders() == {"node1"}


def test_failing_fence_device_nobody_takes_over_until_it_works(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = _lab(lab_factory, tmp_path, STONITH, "fence_delay 0")
    assert lab.power is not None
    lab.power.failing = True
    sampler = lab.sample_vip(0.02)
    lab.kill("node1")
    wait_for(lambda: fence_target(lab, "node2", "node1")["failures"] >= 2, 10, "two failed resets")
    target = fence_target(lab, "node2", "node1")
    assert target["state"] in ("retrying", "fencing")
    assert target["last_result"] == "bad"
    assert "unreachable" in target["last_error"]
    assert status(lab, "node2")["resources"][0]["holder"] != "node2"
    assert all("node2" not in holders for _, holders in sampler.changes)
    log = lab.log("node2")
    assert "Host node1 not reset!" in log
    assert "STONITH of node1 failed.  Retrying..." in log
    lab.power.failing = False
    repaired = time.monotonic()
    lab.wait_serving("node2", timeout=15)
    node2_vip = [t for t, holders in sampler.changes if "node2" in holders]
    assert node2_vip[0] > repaired
    metrics = lab.node("node2").exec("hactl", "status").stdout
    assert "node1: fenced" in metrics


def test_watchdog_stand_in_is_fed_stops_when_stopped_and_gets_the_magic_close(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = lab_factory(
        config=fenced_template(tmp_path, "watchdog /var/lib/hacore/watchdog"), timing=FAST_TIMING
    )
    standin = WatchdogStandIn(lab.node("node1").path("/var/lib/hacore/watchdog"))
    standin.start()
    try:
        lab.start()
        lab.wait_serving("node1", timeout=10)
        time.sleep(1.0)
        now = time.monotonic()
        assert standin.longest_gap(now - 1.0, now) < 0.5, "fed every keepalive (100 ms)"
        node1 = lab.node("node1")
        assert node1.daemon is not None
        node1.daemon.signal(signal.SIGSTOP)  # a hung daemon
        stopped = time.monotonic()
        time.sleep(1.5)
        assert standin.feeds(stopped + 0.2) == [], "a stopped daemon must not feed"
        lab.thaw("node1")  # SIGCONT to the daemon and to its nsenter wrapper
        wait_for(lambda: standin.feeds(time.monotonic() - 0.3) != [], 5, "feeding again")
        wd = status(lab, "node1")["fencing"]
        assert (wd["watchdog"], wd["watchdog_open"]) == ("/var/lib/hacore/watchdog", True)
        assert wd["watchdog_feeds"] > 10
        assert not standin.magic_closed
        lab.stop("node1")
        wait_for(lambda: standin.closed_at is not None, 5, "the daemon to close the watchdog")
        assert standin.magic_closed, "a clean stop writes the magic 'V' before closing"
        assert "Using watchdog device: /var/lib/hacore/watchdog" in lab.log("node1")
    finally:
        standin.stop()


FAILFAST_CLIENT = """\
#!/bin/sh
# Runs until /var/lib/hacore/die appears, then dies abnormally (exit 1).
while [ ! -e /var/lib/hacore/die ]; do sleep 0.1; done
exit 1
"""


def test_failfast_client_death_fences_its_node_and_the_peer_takes_over(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = _lab(
        lab_factory,
        tmp_path,
        STONITH,
        "fence_delay 0",
        "failfast root /bin/sh /etc/ha.d/ffclient",
        files={"ffclient": FAILFAST_CLIENT},
    )
    assert lab.power is not None
    prober = lab.watch(0.01)
    died = time.monotonic()
    lab.node("node1").path("/var/lib/hacore/die").write_text("")
    lab.wait_serving("node2", timeout=15)
    # the prober's own probes finish on their own clock: let one of them see node2 too
    wait_for(lambda: "node2" in {p.result for p in prober.probes()}, 5, "a probe answered by node2")
    prober.stop()
    assert lab.power.fenced()[0] == "node1", "node1 fenced itself through the device"
    assert not lab.node("node1").up, "the lab's reset powered node1 off"
    log = lab.log("node1")
    assert "Rebooting system.  Reason: /bin/sh /etc/ha.d/ffclient" in log
    assert "Managed /bin/sh /etc/ha.d/ffclient process exited with return code 1." in log
    assert "Respawning client" not in log
    answers = [p.result for p in prober.probes() if p.start > died]
    assert "node1" not in answers[answers.index("node2") :], "never back on node1"


def test_failfast_without_stonith_reboots_through_the_sysrq_trigger(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """No STONITH device, no watchdog: Heartbeat's failfast reboots the machine; hacore
    does it through ``sysrq_trigger`` (here a plain file of the node, never the host's
    /proc/sysrq-trigger), after stopping its groups. node2 takes over after deadtime."""
    lab = _lab(
        lab_factory,
        tmp_path,
        "failfast root /bin/sh /etc/ha.d/ffclient",
        "sysrq_trigger /var/lib/hacore/sysrq",
        files={"ffclient": FAILFAST_CLIENT},
    )
    trigger = lab.node("node1").path("/var/lib/hacore/sysrq")
    assert not trigger.exists()
    lab.expect_exit("node1")
    lab.node("node1").path("/var/lib/hacore/die").write_text("")
    lab.wait_serving("node2", timeout=15)
    wait_for(trigger.exists, 5, "node1 to write its sysrq trigger")
    node1 = lab.node("node1").daemon
    assert node1 is not None
    wait_for(lambda: not node1.running(), 5, "node1's daemon to exit")
    assert node1.popen.returncode == 100, "Heartbeat's emergency exit code"
    assert trigger.read_text() == "b"
    log = lab.log("node1")
    assert "Rebooting system.  Reason: /bin/sh /etc/ha.d/ffclient" in log
    assert "Rebooting through /var/lib/hacore/sysrq" in log
    assert log.index("Rebooting system.") < log.index("Rebooting through")
    assert "10.0.0.60" not in lab.node("node1").exec("ip", "-4", "addr", "show").stdout


def test_realtime_daemon_children_at_normal_priority(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    config = fenced_template(tmp_path, "realtime on", "rtprio 3", "respawn root /bin/sleep 600")
    lab = lab_factory(config=config, timing=FAST_TIMING)
    lab.start()
    lab.wait_serving("node1", timeout=10)
    node1 = lab.node("node1")
    assert node1.daemon is not None and node1.daemon.pid is not None
    daemon = node1.daemon.pid
    assert policy_of(daemon) == os.SCHED_RR
    assert os.sched_getparam(daemon).sched_priority == 3
    assert "VmLck:" in (locked := Path(f"/proc/{daemon}/status").read_text())
    assert not any(
        line.startswith("VmLck:") and line.split()[1] == "0" for line in locked.splitlines()
    ), "mlockall locked the daemon in memory"
    spared = {daemon, *node1.holder_pids(), node1.daemon.popen.pid}
    others = [pid for pid in node1.pids() if pid not in spared]
    commands = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in others}
    assert {"sleep", "python3"} <= commands, commands  # the respawn client, the web server
    assert all(policy_of(pid) == os.SCHED_OTHER for pid in others)
    assert status(lab, "node1")["fencing"]["realtime"] is True


def test_tiebreaker_the_isolated_holder_does_not_shoot(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """node1 holds the VIP and loses both links: without a tiebreaker it would fence
    node2 at once (it holds more) and serve nobody. With the ping node as tiebreaker it
    stands still; node2, which still reaches the tiebreaker, fences it and serves."""
    lab = _lab(lab_factory, tmp_path, STONITH, "fence_delay 1", "tiebreaker 10.0.0.2")
    assert lab.power is not None
    assert status(lab, "node1")["fencing"]["tiebreaker_reachable"] is True
    lab.cut_link("node1", "eth1")
    lab.cut_link("node1", "eth0")
    lab.wait_serving("node2", timeout=15)
    assert lab.power.fenced() == ["node1"]
    assert [r.node for r in lab.power.resets] == ["node1"]
    log = lab.log("node1")
    assert "tiebreaker 10.0.0.2 is unreachable: not fencing, not taking over" in log


def test_reload_repairs_a_wrong_device_line_while_the_reset_keeps_failing(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    wrong = "stonith_host * powersocket /var/lib/halab/wrong.sock"
    lab = _lab(lab_factory, tmp_path, wrong, "fence_delay 0")
    lab.kill("node1")
    wait_for(lambda: fence_target(lab, "node2", "node1")["failures"] >= 1, 10, "a failed reset")
    assert "wrong.sock" in fence_target(lab, "node2", "node1")["last_error"]
    assert lab.client.serving_node() is None, "nobody serves while node1 is not fenced"
    hacf = lab.node("node2").path("/etc/ha.d/ha.cf")
    hacf.write_text(hacf.read_text().replace(wrong, STONITH))
    assert lab.node("node2").exec("hactl", "reload").returncode == 0
    lab.wait_serving("node2", timeout=15)
    assert lab.power is not None and lab.power.fenced() == ["node1"]
