"""End-to-end scenarios on two real engines (failover_sim); each asserts its outcome.

They read like the seed tutorial: "node1 dies → node2 serves the VIP". The simulator
checks after every 10 ms step that no group runs on both live, connected nodes.
"""

from __future__ import annotations

from collections.abc import Callable

from hacore.api import Scope
from hacore.failover import OperationDone, Transition
from tests.failover.failover_sim import GAMMA, VIP, Cluster

Scenario = Callable[[list[Transition]], None]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def preferred(c: Cluster) -> bool:
    """Each group runs on its own node only, and nothing is in flight."""
    return c.settled_on("node1", [VIP]) and c.settled_on("node2", [GAMMA])


def both_up(trace: list[Transition], **options: object) -> Cluster:
    c = Cluster(trace=trace, **options)  # type: ignore[arg-type]
    c.start("node1")
    c.start("node2")
    c.run_until(lambda: preferred(c), limit=15)
    return c


def last_done(c: Cluster, node: str) -> OperationDone:
    assert c.nodes[node].done, f"{node}: no operation finished"
    return c.nodes[node].done[-1]


@scenario
def cold_start_between_hacore_nodes_places_groups_at_once(trace: list[Transition]) -> None:
    c = Cluster(trace=trace)
    c.start("node1")
    c.start("node2")
    took = c.run_until(lambda: preferred(c), limit=5)
    assert took < 0.3, f"hacore start-up took {took:.2f}s"
    running = [ch.event for ch in c.nodes["node1"].changes if ch.event.group == VIP]
    assert running[-1].holder == "node1" and running[-1].state == "running"
    assert c.engine("node1").holder(GAMMA) == "node2"


@scenario
def cold_start_with_heartbeat_rules_waits_for_the_breaker(trace: list[Transition]) -> None:
    c = Cluster(trace=trace, hacore=False)
    c.start("node1")
    c.start("node2")
    c.run(9.5)
    assert not c.holders(VIP) and not c.holders(GAMMA), "acquired before the 10 s breaker"
    took = c.run_until(lambda: preferred(c), limit=5)
    assert c.now - took < 10.6


@scenario
def node_alone_after_initdead_takes_everything(trace: list[Transition]) -> None:
    c = Cluster(trace=trace)
    c.start("node1")
    c.run_until(lambda: c.settled_on("node1", [VIP, GAMMA]), limit=6)
    assert c.now > c.initdead
    assert "node1: stonith node=node2 result=n_stnth" in c.sent("node1")
    c.start("node2")
    took = c.run_until(lambda: preferred(c), limit=5)
    assert took < 0.5, "the late node did not get its group back at once"


@scenario
def node1_dies_node2_serves_everything(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.kill("node1")
    took = c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=5)
    assert took <= c.deadtime + 0.2
    sent = c.sent("node2")
    assert "node2: stonith node=node1 result=n_stnth" in sent
    assert "node2: resource rsc_hold=foreign info=mach_down" in sent


@scenario
def node1_returns_and_gets_its_vip_back(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.kill("node1")
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=5)
    c.start("node1")
    took = c.run_until(lambda: preferred(c), limit=5)
    assert took < 0.5, f"failback took {took:.2f}s"
    assert "node2: ask_resources rsc_hold=foreign info=me" in c.sent("node2")


@scenario
def auto_failback_off_leaves_groups_until_takeover(trace: list[Transition]) -> None:
    c = both_up(trace, auto_failback="off")
    c.kill("node1")
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=5)
    c.start("node1")
    c.run(5)
    assert c.settled_on("node2", [VIP, GAMMA]), "auto_failback off moved groups back"
    c.takeover("node1", Scope.LOCAL)
    c.run_until(lambda: preferred(c), limit=2)
    assert last_done(c, "node1") == OperationDone(
        "takeover", True, "took over node2's foreign resources"
    )


@scenario
def standby_and_takeover_move_exactly_the_scope(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.standby("node1")
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=2)
    c.run(0.2)
    assert last_done(c, "node1").ok
    c.takeover("node1")
    c.run_until(lambda: c.settled_on("node1", [VIP, GAMMA]), limit=2)
    c.run(0.2)
    assert last_done(c, "node1").op == "takeover" and last_done(c, "node1").ok
    c.standby("node1", Scope.FOREIGN)
    c.run_until(lambda: preferred(c), limit=2)
    c.run(0.2)
    c.standby("node2", Scope.LOCAL)
    c.run_until(lambda: c.settled_on("node1", [VIP, GAMMA]), limit=2)
    c.run(0.2)
    assert last_done(c, "node2") == OperationDone(
        "standby", True, "node1 took over our local resources"
    )


@scenario
def sigterm_hands_the_vip_over_within_100ms(trace: list[Transition]) -> None:
    c = both_up(trace, op_time=0.03, latency=0.001)
    c.stop("node1")
    left = None
    while c.holders(VIP) != {"node2"}:
        c.run(0.01)
        if left is None and not c.holders(VIP):
            left = c.now
        assert c.now < 5
    gap = c.now - (left or c.now)
    assert gap <= 0.1, f"VIP unanswered for {gap * 1000:.0f} ms"
    assert not c.nodes["node1"].alive and last_done(c, "node2" if False else "node1").ok
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=2)
    c.run(c.deadtime + 0.5)
    assert "node2: stonith node=node1 result=unneeded" in c.sent("node2")


@scenario
def partition_then_heal_leaves_one_holder_per_group(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.partition()
    c.run(c.deadtime + 0.5)
    assert c.holders(VIP) == c.holders(GAMMA) == {"node1", "node2"}
    c.heal()
    took = c.run_until(lambda: preferred(c), limit=3)
    assert took < 1.0, f"split brain took {took:.2f}s to resolve"
    assert c.nodes["node1"].announced == [VIP]
    assert c.nodes["node2"].announced == [GAMMA]
    assert not any("shutdone" in line for line in c.sent())


@scenario
def stall_then_resume_leaves_one_holder(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.stall("node1", c.deadtime + 1.0)
    c.run(c.deadtime + 0.5)
    assert c.holders(VIP) == {"node1", "node2"}, "node2 should have taken over"
    took = c.run_until(lambda: preferred(c), limit=5)
    assert took < 2.0
    assert c.nodes["node1"].announced == [VIP]


@scenario
def legacy_mode_always_fails_back(trace: list[Transition]) -> None:
    c = Cluster(trace=trace, auto_failback="legacy")
    c.start("node2")
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=6)
    c.start("node1")
    c.run_until(lambda: preferred(c), limit=2)
    assert "node1: ip-request ipaddr=10.0.0.60" in c.sent("node1")
    assert not any(" starting" in line or "resource" in line for line in c.sent())
    c.standby("node1")
    assert last_done(c, "node1") == OperationDone(
        "standby", False, "Standby mode only implemented when nice_failback on", refused=True
    )
    c.kill("node1")
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=5)
    c.start("node1")
    c.run_until(lambda: preferred(c), limit=2)
    c.stop("node2")
    c.run_until(lambda: c.settled_on("node1", [VIP, GAMMA]), limit=2)


@scenario
def legacy_partition_heal_converges(trace: list[Transition]) -> None:
    c = both_up(trace, auto_failback="legacy")
    c.partition()
    c.run(c.deadtime + 0.5)
    c.heal()
    c.run_until(lambda: preferred(c), limit=3)
    assert c.nodes["node1"].announced == [VIP]


@scenario
def start_failure_is_offered_to_the_peer(trace: list[Transition]) -> None:
    c = Cluster(trace=trace)
    c.fail_acquire["node1"].add(VIP)
    c.start("node1")
    c.start("node2")
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=2)
    assert "node1: ask_resources rsc_hold=local info=me" in c.sent("node1")


@scenario
def start_failure_on_both_nodes_stays_down_without_ping_pong(trace: list[Transition]) -> None:
    c = Cluster(trace=trace)
    c.fail_acquire["node1"].add(VIP)
    c.fail_acquire["node2"].add(VIP)
    c.start("node1")
    c.start("node2")
    c.run(5)
    assert not c.holders(VIP) and c.holders(GAMMA) == {"node2"}
    offers = [line for line in c.sent() if "info=me" in line]
    assert len(offers) == 1, offers


@scenario
def start_failure_with_heartbeat_peer_is_offered_after_30s(trace: list[Transition]) -> None:
    c = Cluster(trace=trace, hacore=False)
    c.fail_acquire["node1"].add(VIP)
    c.start("node1")
    c.start("node2")
    c.run(11)
    assert not c.holders(VIP), "the breaker start should have failed"
    c.run(28)
    assert not c.holders(VIP), "offered before Heartbeat's 30 s"
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=3)


@scenario
def group_failing_after_a_handover_is_not_offered_back(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.fail_acquire["node2"].add(VIP)
    c.standby("node1")
    c.run(2)
    assert not c.holders(VIP) and c.holders(GAMMA) == {"node2"}
    assert sum("info=me" in line for line in c.sent()) == 1


@scenario
def stop_failure_during_standby_keeps_the_group_claimed(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.fail_release["node1"].add(VIP)
    c.standby("node1")
    c.run(1)
    assert c.holders(VIP) == {"node1"} and c.holders(GAMMA) == {"node2"}
    assert c.engine("node1").local_state(VIP) == "failed"
    assert c.engine("node2").holder(VIP) == "node1"
    done = last_done(c, "node1")
    assert not done.ok and "could not stop 10.0.0.60" in done.detail
    c.kill("node2")  # even alone, a FAILED group is not restarted elsewhere
    c.run(c.deadtime + 1)
    assert c.engine("node1").local_state(VIP) == "failed"
    c.fail_release["node1"].clear()
    c.start("node2")
    c.run(1)
    c.standby("node1")  # the operator fixed it: standby retries the release
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=2)


@scenario
def shutdown_aborts_on_stop_failure_and_succeeds_when_retried(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.fail_release["node1"].add(VIP)
    c.stop("node1")
    c.run(1)
    assert c.nodes["node1"].alive and c.holders(VIP) == {"node1"}
    assert not last_done(c, "node1").ok
    assert not any("shutdone" in line for line in c.sent("node1"))
    c.fail_release["node1"].clear()
    c.stop("node1")
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=2)
    assert not c.nodes["node1"].alive and last_done(c, "node1").ok


@scenario
def shutdown_while_acquiring_waits_for_the_start(trace: list[Transition]) -> None:
    c = Cluster(trace=trace, op_time=0.5)
    c.start("node1")
    c.start("node2")
    c.run(0.1)
    c.stop("node1")
    c.run(0.2)
    assert c.nodes["node1"].alive and c.holders(VIP) == {"node1"}
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=3)
    assert not c.nodes["node1"].alive


@scenario
def peer_dying_mid_standby_cancels_it(trace: list[Transition]) -> None:
    c = both_up(trace, op_time=0.3)
    c.standby("node1")
    c.run(0.05)
    c.kill("node2")
    c.run_until(lambda: c.settled_on("node1", [VIP, GAMMA]), limit=5)
    assert last_done(c, "node1") == OperationDone("standby", False, "standby cancelled: peer dead")


@scenario
def standby_without_reply_times_out(trace: list[Transition]) -> None:
    c = both_up(trace, deadtime=30.0)
    c.stall("node2", 12)  # alive (deadtime 30 s) but silent for longer than 10 s
    c.standby("node1")
    c.run(10.5)
    assert last_done(c, "node1") == OperationDone(
        "standby", False, "No reply to standby request.  Standby request cancelled."
    )
    c.run(3)  # node2 wakes up, accepts the stale request, then learns it was dropped
    assert preferred(c)
    assert c.engine("node2").standby == "NOT"
    c.standby("node1")  # the protocol works again afterwards
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=2)


@scenario
def takeover_without_reply_fails(trace: list[Transition]) -> None:
    c = both_up(trace, deadtime=30.0)
    c.stall("node2", 12)
    c.takeover("node1")
    c.run(10.5)
    assert last_done(c, "node1").op == "takeover" and not last_done(c, "node1").ok


@scenario
def short_partition_loses_no_protocol_message(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.standby("node1")
    c.partition()
    c.run(1.0)
    c.heal()  # shorter than deadtime: membership retransmits what was cut off
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=2)
    assert last_done(c, "node1").ok


@scenario
def crossing_standby_requests_are_both_refused(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.standby("node1")
    c.standby("node2")
    c.run(11)
    assert not last_done(c, "node1").ok and not last_done(c, "node2").ok
    assert preferred(c)


@scenario
def standby_is_refused_in_flux_and_alone(trace: list[Transition]) -> None:
    c = Cluster(trace=trace, op_time=0.5)
    c.start("node1")
    c.start("node2")
    c.run(0.05)
    c.standby("node1")
    assert "local resources in flux" in last_done(c, "node1").detail
    c.run_until(lambda: preferred(c), limit=2)
    c.kill("node2")
    c.run(c.deadtime + 1)
    c.standby("node1")
    assert last_done(c, "node1") == OperationDone(
        "standby", False, "No live peer to take over the resources; standby refused.", refused=True
    )


@scenario
def quick_restart_of_the_holder_leaves_nothing_orphaned(trace: list[Transition]) -> None:
    c = both_up(trace, auto_failback="off")
    c.kill("node1")
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=5)
    c.start("node1")
    c.run(1)
    c.kill("node2")  # crash and restart before anyone declares it dead
    c.start("node2")
    c.run_until(lambda: preferred(c), limit=2)


@scenario
def quick_restart_of_a_standby_peer_fails_back(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.standby("node2")
    c.run_until(lambda: c.settled_on("node1", [VIP, GAMMA]), limit=2)
    c.kill("node2")
    c.start("node2")
    c.run_until(lambda: preferred(c), limit=2)


@scenario
def both_nodes_stop_gracefully(trace: list[Transition]) -> None:
    c = both_up(trace)
    c.stop("node2")
    c.run_until(lambda: c.settled_on("node1", [VIP, GAMMA]), limit=2)
    c.stop("node1")
    c.run(0.5)
    assert not c.nodes["node1"].alive and not c.holders(VIP) and not c.holders(GAMMA)
