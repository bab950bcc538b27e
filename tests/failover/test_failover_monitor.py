"""Groups that keep failing (ha.cf ``monitor``) on two engines wired back to back, and the
paths where the move cannot happen.

The daemon's monitor restarts a failing resource itself; these tests start where its
restarts are used up (``on_monitor_failure``).
"""

from __future__ import annotations

from tests.failover.failover_rig import Rig, recovered, released, sent
from tests.failover.failover_sim import GAMMA, VIP, Cluster


def started_pair(*, hacore: bool = True) -> Cluster:
    c = Cluster(auto_failback="on", hacore=hacore)
    c.start("node1")
    c.start("node2")
    c.run_until(lambda: c.settled_on("node1", [VIP]) and c.settled_on("node2", [GAMMA]))
    return c


def test_failing_group_moves_and_is_not_handed_back_when_it_fails_there_too() -> None:
    c = started_pair()
    c.monitor_failure("node1", VIP)
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=5)
    assert c.engine("node2").failed_on(VIP) == ("node1",), "node2 learned it from the report"
    # It fails on node2 as well: node2 keeps it and restarts it there (no ping-pong).
    c.monitor_failure("node2", VIP)
    c.run(2)
    assert c.holders(VIP) == {"node2"} and c.nodes["node2"].recovered == [VIP]
    assert c.engine("node1").failed_on(VIP) == ("node1", "node2")
    # node1's cleanup: node2's next failure gives it back to node1.
    c.cleanup("node1", VIP)
    c.run(1)
    assert c.engine("node2").failed_on(VIP) == ("node2",)
    c.monitor_failure("node2", VIP)
    c.run_until(lambda: c.settled_on("node1", [VIP]), limit=5)
    assert c.holders(GAMMA) == {"node2"}, "only the failing category moved"


def test_heartbeat_peer_gets_heartbeats_own_standby_at_once() -> None:
    c = started_pair(hacore=False)
    since = c.now
    c.monitor_failure("node1", VIP)
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=5)
    node1_said = c.sent("node1", since)
    assert node1_said[0] == "node1: ask_resources rsc_hold=local info=me", "no 30 s offer delay"
    assert not any("hacore_failed" in line for line in node1_said), "Heartbeat's fields only"
    assert c.engine("node1").failed_on(VIP) == ("node1",)


def test_failing_group_is_offered_not_adopted_when_the_peer_restarts() -> None:
    """The peer that took it restarts and holds nothing: we do not start it again here,
    we offer it to the peer (which may run it), and a cleanup lets us adopt it again."""
    c = started_pair()
    c.monitor_failure("node1", VIP)
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=5)
    c.kill("node2")
    c.start("node2")
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=20)
    assert c.engine("node1").failed_on(VIP) == ("node1",)
    c.stop("node2")
    c.run_until(lambda: c.settled_on("node1", [VIP, GAMMA]), limit=10)


def test_dead_peer_leaves_the_failing_group_to_us() -> None:
    """Nobody else can run it: we take it back on the peer's death and keep monitoring."""
    c = started_pair()
    c.monitor_failure("node1", VIP)
    c.run_until(lambda: c.settled_on("node2", [VIP, GAMMA]), limit=5)
    c.kill("node2")
    c.run_until(lambda: c.settled_on("node1", [VIP, GAMMA]), limit=10)
    c.monitor_failure("node1", VIP)
    c.run(0.5)
    assert c.nodes["node1"].recovered == [VIP], "alone: restart in place"


def test_unanswered_move_restarts_the_group_here() -> None:
    r = Rig().stable_pair()
    assert "ask_resources rsc_hold=local info=me" in sent(r.monitor_failure(VIP))
    out = r.tick(10.0)
    assert recovered(out) == [VIP] and not released(out)
    assert r.standby_state == "NOT"


def test_peer_dying_before_a_refused_move_is_retried_restarts_it_here() -> None:
    r = Rig().stable_pair()
    r.msg("starting")
    r.monitor_failure(VIP)  # refused: the peer is in flux; retried every second
    r.dead()
    r.finish()
    assert recovered(r.tick(1.0)) == [VIP]


def test_shutdown_drops_a_pending_move() -> None:
    r = Rig().stable_pair()
    r.msg("starting")
    r.monitor_failure(VIP)
    r.shutdown()
    out = r.tick(1.0)
    assert not recovered(out) and "info=me" not in " ".join(sent(out))
