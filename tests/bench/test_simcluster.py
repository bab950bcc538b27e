"""Many real membership engines in one process (bench/simcluster.py), with a fixed cost per
event so that every run is the same: the guarantee the 64/128-node bench checks, at 8."""

from __future__ import annotations

from bench.simcluster import SimCluster, fixed

NODES = 8
COST = fixed(50e-6)  # per event, about what the real code takes for one packet


def test_eight_nodes_converge_stay_up_and_see_a_death_within_deadtime_plus_a_keepalive() -> None:
    sim = SimCluster(NODES, charge=COST, seed=1)
    converged = sim.run_until_converged(timeout=10)
    assert converged is not None and converged < 1.0
    sim.run_until(30)
    assert sim.outcome.false_deaths == [] and sim.outcome.stalls == 0
    sim.kill("node8")
    sim.run_until(32)
    delays = sim.outcome.detections
    assert sorted(delays) == [f"node{i}" for i in range(1, NODES)]
    bound = sim.timing.detection_bound_s
    # silence starts at most one keepalive before the kill, and counts from deadtime on
    assert all(0.4 <= d <= bound for d in delays.values()), delays
    assert sim.outcome.false_deaths == []


def test_hacore_nodes_exchange_heartbeats_and_nothing_else_once_up() -> None:
    """Acks to hacore peers would be (N-1)/10 times the heartbeat traffic on a shared link."""
    sim = SimCluster(NODES, charge=COST, seed=2)
    sim.run_until(10)
    before = sim.outcome.deliveries
    sim.run_until(20)
    per_node_s = (sim.outcome.deliveries - before) / NODES / 10
    assert abs(per_node_s - (NODES - 1) * 10) <= 1


def test_a_starved_node_is_declared_dead_by_the_others() -> None:
    """node3 needs 60 ms per event (90 a second): its heartbeats leave too late, and the
    others' reach it too late (so it sees them dead too); the others stay fine."""
    sim = SimCluster(NODES, charge=COST, seed=3, slow={"node3": fixed(0.06)})
    sim.run_until(20)
    deaths = sim.outcome.false_deaths
    others = {f"node{i}" for i in range(1, NODES + 1)} - {"node3"}
    assert {d.observer for d in deaths if d.node == "node3"} == others
    assert all("node3" in (d.node, d.observer) for d in deaths)
    assert sim.nodes["node3"].status_lag_s > sim.timing.deadtime_ms / 1000


def test_an_overloaded_cluster_sees_a_death_later_than_promised() -> None:
    """Every node needs 20 ms per event: heartbeats thin out and a death is seen late."""
    sim = SimCluster(NODES, charge=fixed(0.02), seed=3)
    sim.run_until(20)
    sim.kill("node8")
    sim.run_until(25)
    assert max(sim.outcome.detections.values()) > sim.timing.detection_bound_s


def test_cpu_is_the_charged_work_over_the_window() -> None:
    sim = SimCluster(NODES, charge=COST, seed=4)
    sim.run_until(5)
    sim.start_window()
    sim.run_until(15)
    events_per_s = (NODES - 1) * 10 + 10 + 10  # packets, heartbeats, ticks
    for pct in sim.cpu_pct().values():
        assert abs(pct - 100 * events_per_s * 50e-6) < 0.05
