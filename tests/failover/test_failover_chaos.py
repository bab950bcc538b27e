"""Random operator and failure sequences on two engines.

Whatever happens, two live, connected nodes never run the same group (checked every
10 ms by the simulator), and once everything is back up and quiet the groups are where
the mode says: on the preferred node in legacy mode and with auto_failback on (unless
an operator moved them: a standby stays until the next failover), on exactly one node
otherwise.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from hacore.api import Scope
from tests.failover.failover_sim import GAMMA, VIP, Cluster

NODES = st.sampled_from(["node1", "node2"])
OPERATIONS = st.one_of(
    st.tuples(st.just("kill"), NODES),
    st.tuples(st.just("start"), NODES),
    st.tuples(st.just("stop"), NODES),
    st.tuples(st.just("standby"), NODES, st.sampled_from(list(Scope))),
    st.tuples(st.just("takeover"), NODES, st.sampled_from(list(Scope))),
    st.tuples(st.just("partition")),
    st.tuples(st.just("heal")),
    st.tuples(st.just("stall"), NODES, st.floats(0.5, 4.0)),
    st.tuples(st.just("wait"), st.floats(0.0, 5.0)),
)


def _apply(c: Cluster, op: tuple[object, ...]) -> None:
    kind = op[0]
    node = c.nodes[str(op[1])] if len(op) > 1 and op[1] in c.nodes else None
    usable = node is not None and node.alive and not node.stalled
    if kind == "kill" and node is not None and node.alive:
        c.kill(node.name)
    elif kind == "start" and node is not None and not node.alive:
        c.start(node.name)
    elif kind == "stop" and usable and node is not None:
        c.stop(node.name)
    elif kind == "standby" and usable and node is not None:
        c.standby(node.name, op[2])  # type: ignore[arg-type]
    elif kind == "takeover" and usable and node is not None:
        c.takeover(node.name, op[2])  # type: ignore[arg-type]
    elif kind == "partition":
        c.partition()
    elif kind == "heal":
        c.heal()
    elif kind == "stall" and usable and node is not None:
        c.stall(node.name, float(op[2]))  # type: ignore[arg-type]
    elif kind == "wait":
        c.run(float(op[1]))  # type: ignore[arg-type]
    c.run(0.05)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["on", "off", "legacy"]),
    st.booleans(),
    st.lists(OPERATIONS, max_size=12),
)
# The old node2's shutdone reaches the restarted node1 after node2 itself restarted: the
# new instance's `starting` must clear it, or node1 never fails back (found by hypothesis).
@example("on", True, [("kill", "node1"), ("stop", "node2"), ("start", "node1"), ("start", "node2")])
# node2, started during a cut, first hears node1's old instance's shutdone and then the new
# instance's ip-request: the new instance did not leave (found by hypothesis).
@example(
    "legacy",
    False,
    [
        ("kill", "node2"),
        ("wait", 0.0),
        ("partition",),
        ("start", "node2"),
        ("stop", "node1"),
        ("start", "node1"),
    ],
)
def test_random_failures_never_double_run_and_converge(
    mode: str, hacore: bool, operations: list[tuple[object, ...]]
) -> None:
    c = Cluster(auto_failback=mode, hacore=hacore)  # type: ignore[arg-type]
    c.start("node1")
    c.start("node2")
    c.run(0.5)
    for op in operations:
        _apply(c, op)
    c.heal()
    c.run(5)  # stalls end, shutdowns finish
    for name, node in c.nodes.items():
        if not node.alive:
            c.start(name)
    c.run(25)  # deadlock breakers, failbacks, 30 s offers are not involved (no failures)
    holders = {key: c.holders(key) for key in (VIP, GAMMA)}
    moved_by_hand = any(op[0] in ("standby", "takeover") for op in operations)
    if mode == "legacy" or (mode == "on" and not moved_by_hand):
        assert holders == {VIP: {"node1"}, GAMMA: {"node2"}}, holders
    else:  # off, or a standby that stays until the next failover
        assert all(len(h) == 1 for h in holders.values()), holders
    for name in c.nodes:
        engine = c.engine(name)
        for key, where in holders.items():
            assert engine.holder(key) in where, (name, key, engine.holder(key), where)


FAULTS = st.tuples(
    st.sampled_from(["fail_start", "fail_stop"]),
    NODES,
    st.sampled_from([VIP, GAMMA]),
    st.booleans(),
)
# ha.cf `monitor`: a group's restarts used up on a node, and `hactl cleanup` there.
MONITORING = st.tuples(
    st.sampled_from(["monitor_failure", "cleanup"]), NODES, st.sampled_from([VIP, GAMMA])
)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["on", "off", "legacy"]),
    st.booleans(),
    st.lists(st.one_of(OPERATIONS, FAULTS, MONITORING), max_size=14),
)
def test_random_failures_with_broken_resources_never_double_run(
    mode: str, hacore: bool, operations: list[tuple[object, ...]]
) -> None:
    """Starts and stops that fail (FAILED groups included), and monitored groups that keep
    failing, still never run a group twice."""
    c = Cluster(auto_failback=mode, hacore=hacore)  # type: ignore[arg-type]
    c.start("node1")
    c.start("node2")
    c.run(0.5)
    for op in operations:
        if op[0] in ("fail_start", "fail_stop"):
            broken = c.fail_acquire if op[0] == "fail_start" else c.fail_release
            keys = broken[str(op[1])]
            if op[3]:
                keys.add(str(op[2]))
            else:
                keys.discard(str(op[2]))
            continue
        if op[0] == "monitor_failure":
            c.monitor_failure(str(op[1]), str(op[2]))
            c.run(0.05)
            continue
        if op[0] == "cleanup":
            c.cleanup(str(op[1]), str(op[2]))
            c.run(0.05)
            continue
        _apply(c, op)
    c.heal()
    c.run(40)  # the simulator raises if a group ever runs on both live, connected nodes
