"""docs/migration.md, step by step, on the lab: a Heartbeat 3.0.6 pair becomes a hacore
pair one node at a time, then one node is rolled back to Heartbeat.

Each node is switched as the runbook says (``Lab.replace_daemon``): a graceful stop of
its daemon, then the other daemon on the same /etc/ha.d and the same state directory
(/var/lib/heartbeat: generation and uuid carry over). A client probes the VIP all along.
Asserted: at the end of each step node1 (preferred, ``auto_failback on``) serves the
VIP and both nodes see each other active; the VIP moved exactly as the runbook says;
never two holders; the node kept its uuid and its generation only grew (a peer drops a
node whose generation goes down). Printed: each step's longest client gap.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory
from halab.watcher import Prober, VipSampler, longest_gap

pytestmark = [pytest.mark.netns, pytest.mark.slow, pytest.mark.timeout(240)]

PEER = {"node1": "node2", "node2": "node1"}


@dataclass(frozen=True)
class Step:
    title: str
    node: str
    kind: str
    moves: list[str]  # the VIP's successive holders during the step (runbook: "moves")


STEPS = [
    Step("replace the standby node2 by hacore", "node2", "hacore", ["node1"]),
    Step("replace the active node1 by hacore", "node1", "hacore", ["node1", "node2", "node1"]),
    Step("roll node1 back to Heartbeat", "node1", "heartbeat", ["node1", "node2", "node1"]),
]


def _sees_peer_active(lab: Lab, name: str) -> bool:
    """``name``'s own view, through its daemon's tool: its peer active and, for hacore,
    nothing unhealthy (links up, ping node reachable, the group held)."""
    node, peer = lab.node(name), PEER[name]
    if lab.daemon_of(name).kind == "heartbeat":
        # Heartbeat's own tool: the lab's PATH finds hacore's cl_status first.
        return node.exec("/usr/bin/cl_status", "nodestatus", peer).stdout.strip() == "active"
    if node.exec("hactl", "health", "--timeout", "2").returncode != 0:
        return False
    seen = node.exec("hactl", "nodes", "--node", peer, "--json", "--timeout", "2")
    return seen.returncode == 0 and json.loads(seen.stdout)[0]["status"] == "active"


def _wait(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout:g} s: {what}")
        time.sleep(0.25)


def _settle(lab: Lab, timeout: float) -> float:
    """Wait until node1 serves the VIP, alone, and both nodes see each other active."""
    lab.wait_serving("node1", timeout=timeout)
    _wait(
        "both nodes see each other active",
        lambda: all(_sees_peer_active(lab, name) for name in PEER),
        timeout,
    )
    assert lab.vip_holders() == {"node1"}
    assert lab.client.serving_node() == "node1"
    return time.monotonic()


def _holders_during(sampler: VipSampler, start: float, end: float) -> list[str]:
    """The VIP's successive single holders in [start, end] (empty moments skipped)."""
    seen = [sorted(sampler.holders_at(start))]
    seen += [sorted(holders) for when, holders in sampler.changes if start < when <= end]
    moves: list[str] = []
    for holders in seen:
        assert len(holders) <= 1, f"two VIP holders at once: {holders}"
        if holders and (not moves or moves[-1] != holders[0]):
            moves.append(holders[0])
    return moves


def _state(lab: Lab, name: str) -> tuple[int, bytes]:
    """The node's generation and uuid as the next daemon will read them."""
    state = lab.node(name).path("/var/lib/heartbeat")
    return int((state / "hb_generation").read_text()), (state / "hb_uuid").read_bytes()


def test_heartbeat_pair_migrated_node_by_node_and_rolled_back(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat", timing=FAST_TIMING)
    prober: Prober = lab.watch()
    sampler = lab.sample_vip()
    lab.start()
    _settle(lab, timeout=60)
    state = {name: _state(lab, name) for name in PEER}

    report = []
    for step in STEPS:
        start = time.monotonic()
        lab.replace_daemon(step.node, step.kind)
        end = _settle(lab, timeout=60)
        gap = longest_gap(prober.probes(), start, end)
        took = end - start
        report.append(f"{step.title}: longest client gap {gap:.2f} s (settled in {took:.1f} s)")
        assert _holders_during(sampler, start, end) == step.moves, step.title
        generation, uuid = _state(lab, step.node)
        assert uuid == state[step.node][1], f"{step.node} changed its uuid"
        assert generation == state[step.node][0] + 1, f"{step.node}: generation not continued"
        state[step.node] = (generation, uuid)

    print("\n" + "\n".join(report))
    assert all(len(holders) <= 1 for _, holders in sampler.changes), sampler.changes
    assert [lab.daemon_of(name).kind for name in ("node1", "node2")] == ["heartbeat", "hacore"]
    for name in PEER:
        log = lab.log(name)
        assert "attempted replay attack" not in log and "changed its uuid" not in log
