"""Node and link liveness (docs/protocol.md §6.1–6.2, §10.1) and the self-watch, on a fake clock.

The engine is ticked every 50 ms as the daemon would; peers' packets are injected at
chosen instants.
"""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from hacore.api import LinkStatus, NodeStatus
from hacore.membership import (
    Effect,
    LinkChanged,
    LocalStall,
    Membership,
    NodeChanged,
    PartitionHealed,
)
from hacore.wire.message import Message
from tests.membership.membership_sim import WALL_OFFSET, make_config

TICK = 0.05


class Clock:
    """Drives node1's engine: ticks every 50 ms, packets from node2 in between."""

    def __init__(self, **kw: Any) -> None:
        nodes = kw.pop("nodes", ("node1", "node2"))
        self.me = Membership(make_config("node1", nodes, **kw))
        self.peer = Membership(make_config("node2", nodes, **kw))
        self.now = 0.0
        self.effects: list[tuple[float, Effect]] = []
        self.me.tick(0.0)

    def advance(self, until: float) -> None:
        while self.now + TICK <= until + 1e-9:
            self.now = round(self.now + TICK, 6)
            self.effects += [(self.now, e) for e in self.me.tick(self.now)]
        self.now = until

    def status(self, at: float, link: str = "eth1", msg: Message | None = None) -> None:
        self.advance(at)
        msg = msg or self.peer.status_message(at)
        stamped = self.peer.stamp(msg, at, WALL_OFFSET + at)
        self.effects += [(at, e) for e in self.me.receive(stamped, link, at)]

    def deaths(self, node: str = "node2") -> list[float]:
        return [
            t
            for t, e in self.effects
            if isinstance(e, NodeChanged)
            and e.change.node == node
            and e.change.new is NodeStatus.DEAD
        ]

    def link_changes(self) -> list[tuple[float, str, LinkStatus]]:
        return [
            (t, e.change.link, e.change.new) for t, e in self.effects if isinstance(e, LinkChanged)
        ]

    def comm_up(self) -> None:
        self.status(self.now)
        reply = Message(("dest", "node1"), ("t", "repnodes"), ("nodelist", "node1 node2 "))
        self.status(self.now, msg=reply)
        assert self.me.comm_up


def test_declared_dead_within_one_tick_after_the_advertised_deadtime() -> None:
    c = Clock(deadtime_ms=500)
    c.comm_up()
    for i in range(1, 11):
        c.status(i * 0.1)
    c.advance(3.0)
    [dead] = c.deaths()
    assert 1.0 + 0.5 < dead <= 1.0 + 0.5 + TICK


def test_statuses_just_within_deadtime_never_kill() -> None:
    c = Clock(deadtime_ms=500, warntime_ms=400)
    c.comm_up()
    t = 0.0
    with capture_logs() as logs:
        for _ in range(40):
            t = round(t + 0.49, 6)  # late every time, never past deadtime
            c.status(t)
    assert c.deaths() == []
    late = [e["msg"] for e in logs if e["event"] == "late_heartbeat"]
    assert late[0] == "Late heartbeat: Node node2: interval 490 ms"
    assert len(late) < 10  # rate-limited: one line per 10 s


def test_the_peers_advertised_dt_is_its_dead_interval() -> None:
    c = Clock(deadtime_ms=500)
    c.comm_up()
    slow = Message(("t", "status"), ("st", "active"), ("dt", "7d0"), ("protocol", "1"))
    c.status(0.1, msg=slow)  # node2 says: wait 2000 ms for me
    c.advance(3.0)
    [dead] = c.deaths()
    assert 2.1 < dead <= 2.1 + TICK


def test_late_beyond_our_deadtime_is_critical_and_flaps_the_node() -> None:
    """Heartbeat marks the node dead on such a status, which then brings it back."""
    c = Clock(deadtime_ms=500)
    c.comm_up()
    slow = Message(("t", "status"), ("st", "active"), ("dt", "7d0"), ("protocol", "1"))
    c.status(0.1, msg=slow)
    before = len(c.effects)
    with capture_logs() as logs:
        c.status(0.8, msg=slow.copy())
    changes = [e.change for _, e in c.effects[before:] if isinstance(e, NodeChanged)]
    assert [(ch.old, ch.new) for ch in changes] == [
        (NodeStatus.ACTIVE, NodeStatus.DEAD),
        (NodeStatus.DEAD, NodeStatus.ACTIVE),
    ]
    assert any(isinstance(e, PartitionHealed) for _, e in c.effects[before:])
    crit = [e for e in logs if e["event"] == "late_heartbeat"]
    assert crit[0]["msg"] == "Late heartbeat: Node node2: interval 700 ms (> deadtime)"
    assert crit[0]["log_level"] == "critical"


def test_before_comm_up_silence_is_measured_against_initdead() -> None:
    c = Clock(deadtime_ms=500, initdead_ms=2000, nodes=("node1", "node2", "node3"))
    c.status(0.1)  # node2 heard, node3 not: no comm-up yet
    c.advance(2.5)
    # node3, never heard, dies on initdead counted from start-up; that completes
    # LINKSUP, after which node2's own deadtime applies and it has been silent longer
    [node3_dead] = c.deaths("node3")
    assert 2.0 < node3_dead <= 2.0 + TICK
    assert c.deaths("node2") == [round(node3_dead + TICK, 6)]


def test_link_up_on_any_packet_and_dead_after_deadtime() -> None:
    c = Clock(deadtime_ms=500, links=("eth0", "eth1"))
    with capture_logs() as logs:
        c.comm_up()
        for i in range(1, 21):
            c.status(i * 0.1, link="eth0")
            if i <= 5:
                c.status(i * 0.1, link="eth1", msg=Message(("t", "filler")))
        c.advance(2.1)
    assert c.deaths() == []
    assert [(link, st) for _, link, st in c.link_changes()] == [
        ("eth1", LinkStatus.UP),
        ("eth0", LinkStatus.UP),
        ("eth1", LinkStatus.DEAD),
    ]
    eth1_dead = c.link_changes()[-1][0]
    assert 0.5 + 0.5 < eth1_dead <= 0.5 + 0.5 + TICK
    texts = [e["msg"] for e in logs if e["event"] in ("link_up", "link_dead")]
    assert texts == ["Link node2:eth1 up.", "Link node2:eth0 up.", "Link node2:eth1 dead."]
    assert c.me.links("node2") == {"eth0": LinkStatus.UP, "eth1": LinkStatus.DEAD}


def test_only_statuses_keep_a_node_alive() -> None:
    c = Clock(deadtime_ms=500)
    c.comm_up()
    c.status(0.1)
    for i in range(2, 20):
        c.status(i * 0.1, msg=Message(("t", "chatter")))
    [dead] = c.deaths()
    assert 0.6 < dead <= 0.6 + TICK
    assert c.me.links("node2") == {"eth1": LinkStatus.UP}


def test_ping_node_lives_on_ns_st_and_dies_after_deadping() -> None:
    c = Clock(ping_nodes=("10.0.0.2",), deadping_ms=1000, deadtime_ms=500)
    ping = Message(("t", "NS_st"), ("st", "ping"), ("info", "ping"), ("src", "10.0.0.2"))
    for i in range(5):
        c.advance(i * 0.1)
        echo = ping.copy().add("ts", f"{int(WALL_OFFSET):x}")
        c.effects += [(c.now, e) for e in c.me.receive(echo, "10.0.0.2", c.now)]
    c.comm_up()
    assert c.me.status("10.0.0.2") is NodeStatus.PING
    c.advance(3.0)
    [dead] = c.deaths("10.0.0.2")
    assert 1.4 < dead <= 1.4 + TICK


def test_stall_longer_than_deadtime_kills_nobody_and_is_reported() -> None:
    c = Clock(deadtime_ms=500)
    c.comm_up()
    c.status(0.1)
    with capture_logs() as logs:
        effects = c.me.tick(2.0)  # SIGSTOP for 1.9 s
    assert [e for e in effects if isinstance(e, LocalStall)] == [LocalStall(1900)]
    assert not [e for e in effects if isinstance(e, NodeChanged)]
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["local_stall"]
    assert logs[0]["msg"].startswith("No local heartbeat")
    # silence after we resumed still counts: a full deadtime of it kills
    c.now = 2.0
    c.advance(3.0)
    [dead] = c.deaths()
    assert 2.5 < dead <= 2.5 + TICK


def test_stall_noticed_by_a_packet_before_the_tick_is_not_a_late_heartbeat() -> None:
    c = Clock(deadtime_ms=500)
    c.comm_up()
    c.status(0.1)
    c.now = 1.5  # the loop resumes and reads a packet before its timer fires
    with capture_logs() as logs:
        c.status(1.5)
    assert not [e for e in logs if e["event"] == "late_heartbeat"]
    assert any(isinstance(e, LocalStall) for _, e in c.effects)
    assert c.deaths() == []


@pytest.mark.parametrize("hiccup", [0.2, 0.35])
def test_short_loop_hiccups_are_not_counted_as_peer_silence(hiccup: float) -> None:
    """A status arrived 0.3 s before the hiccup; without compensation 0.3 + hiccup > 0.5."""
    c = Clock(deadtime_ms=500)
    c.comm_up()
    c.status(0.1)
    c.advance(0.4)
    c.effects += [(0.4 + hiccup, e) for e in c.me.tick(0.4 + hiccup)]
    c.status(0.4 + hiccup + 0.001)
    assert c.deaths() == []
    assert not any(isinstance(e, LocalStall) for _, e in c.effects)


def test_a_daemon_ticking_slower_than_configured_still_detects_death_on_time() -> None:
    me = Membership(make_config("node1", ("node1", "node2"), tick_ms=20, deadtime_ms=500))
    peer = Membership(make_config("node2", ("node1", "node2")))
    reply = Message(("dest", "node1"), ("t", "repnodes"), ("nodelist", "node1 node2 "))
    t, heard, dead_at = 0.0, 0.0, None
    while dead_at is None and t < 3.0:
        effects = me.tick(t)  # every 101 ms, not 20
        if any(isinstance(e, NodeChanged) and e.change.new is NodeStatus.DEAD for e in effects):
            dead_at = t
        if t < 1.0:  # node2 beats until 1 s
            heard = t + 0.001
            me.receive(peer.stamp(peer.status_message(heard), heard, WALL_OFFSET), "eth1", heard)
            if not me.comm_up:
                me.receive(peer.stamp(reply.copy(), heard, WALL_OFFSET), "eth1", heard)
        t = round(t + 0.101, 6)
    assert dead_at is not None and heard + 0.5 < dead_at <= heard + 0.5 + 0.101
