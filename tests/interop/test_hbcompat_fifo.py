"""Heartbeat's own hb_standby and hb_takeover (/usr/share/heartbeat, unchanged) move the
groups of a hacore pair through the FIFO, and hacore's console scripts of the same name
do it through the API. Junk written into the FIFO is logged and does not stop it."""

from __future__ import annotations

import time

import pytest

from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory

pytestmark = [pytest.mark.netns, pytest.mark.timeout(180)]

HB_DIR = "/usr/share/heartbeat"
FIFO = "/var/lib/heartbeat/fifo"  # the node's private copy of the directory


def script(lab: Lab, *command: str) -> None:
    result = lab.node("node1").exec(*command)
    assert (result.returncode, result.stdout) == (0, ""), (command, result)


def wait_log(lab: Lab, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in lab.log("node1"):
        assert time.monotonic() < deadline, f"node1 never logged {text!r}"
        time.sleep(0.05)


def test_heartbeat_scripts_move_the_groups_through_the_fifo(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="hacore", timing=FAST_TIMING)
    lab.start()
    lab.wait_serving("node1", timeout=30)
    node1 = lab.node("node1")
    assert node1.exec("test", "-p", FIFO).returncode == 0

    # Heartbeat's scripts return at once; the daemon logs "done" once the move is over,
    # which may be a moment after the VIP answers from its new holder.
    steps = [
        ("hb_standby", "", "standby [all]", "node2"),
        ("hb_takeover", "", "takeover [all]", "node1"),
        ("hb_standby", "local", "standby [local]", "node2"),  # the VIP is node1's own group
        ("hb_takeover", "local", "takeover [local]", "node1"),  # the peer gives up its foreign
    ]
    for command, word, request, holder in steps:
        script(lab, f"{HB_DIR}/{command}", *([word] if word else []))
        lab.wait_serving(holder, timeout=10)
        wait_log(lab, f"{request} done")
        assert f"{request} requested through the FIFO" in lab.log("node1")

    junk = node1.exec("sh", "-c", f"printf 'junk\\nmore junk\\n' >> {FIFO}")
    assert junk.returncode == 0
    script(lab, f"{HB_DIR}/hb_standby", "failback")  # = foreign: node2's groups, none here
    wait_log(lab, "standby [foreign] done")
    script(lab, f"{HB_DIR}/hb_standby")
    lab.wait_serving("node2", timeout=10)
    assert lab.log("node1").count(f"Malformed write to {FIFO} ignored") == 1

    # hacore's own scripts (first on the lab's PATH) ask through the API and wait.
    script(lab, "hb_takeover")
    lab.wait_serving("node1", timeout=2)  # done when it returns; ARP caches catch up
    script(lab, "hb_standby", "all")
    lab.wait_serving("node2", timeout=2)
