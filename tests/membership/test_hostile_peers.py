"""Packets a hostile or misconfigured sender can make the engine see, once authenticated
(with ``crc`` anyone can sign): invented names, names that are not UTF-8, our own name,
upper-case names, replays across a death. Each gets one clear, rate-limited line; the
engine's memory and the log stay bounded; nothing already running changes."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from structlog.testing import capture_logs

from hacore.api import LinkStatus, NodeStatus
from hacore.membership import (
    Deliver,
    DropCount,
    Effect,
    LinkChanged,
    Membership,
    NodeChanged,
    PartitionHealed,
    StatusHeard,
)
from hacore.membership.throttle import WINDOW_S
from hacore.wire.message import Message
from tests.membership.membership_sim import WALL_OFFSET
from tests.membership.test_protocol import Pair, cfg, drops, of, raw

NOT_UTF8 = b"n\xffde\n2\x1b[0m".decode("utf-8", "surrogateescape")


def _unknown(name: str, seq: int = 1) -> Message:
    return raw(name, t="status", st="active", ts="5", seq=f"{seq:x}", hg="64")


def _strings(event: Mapping[str, Any]) -> list[str]:
    return [v for v in event.values() if isinstance(v, str)]


def _printable_line(event: Mapping[str, Any]) -> bool:
    """What a strict UTF-8 log file can write, on one line, without control bytes."""
    for text in _strings(event):
        text.encode("utf-8")  # raises UnicodeEncodeError for a raw surrogate
        if not text.isprintable():
            return False
    return True


def _die(p: Pair, start: float) -> float:
    """Tick until node2 and its links are dead; returns the time."""
    t = start
    while (
        p.me.status("node2") is not NodeStatus.DEAD or LinkStatus.UP in p.me.links("node2").values()
    ):
        t += 0.05
        p.me.tick(t)
    return t


def _idle(p: Pair, start: float, seconds: float) -> float:
    """Let time pass with the daemon's ticks (no stall); returns the time."""
    t = start
    while t < start + seconds:
        t += 0.05
        p.me.tick(t)
    return t


def _links_up(effects: Sequence[Effect]) -> list[LinkChanged]:
    return [e for e in of(list(effects), LinkChanged) if e.change.new is LinkStatus.UP]


# ---- invented and undecodable names -------------------------------------------------------


def test_a_name_that_is_not_utf8_is_logged_escaped() -> None:
    m = Membership(cfg())
    with capture_logs() as logs:
        assert drops(m.receive(_unknown(NOT_UTF8), "eth1", 0.0)) == ["unknown_node"]
        assert drops(m.receive(raw(NOT_UTF8, t="x", ts="5"), "eth2", 0.0)) == ["missing_fields"]
    assert [e["event"] for e in logs] == ["unknown_node", "bad_message"]
    assert all(_printable_line(e) for e in logs)
    assert logs[0]["msg"] == "process_status_message: bad node [n\\xffde\\n2\\x1b[0m] in message"


def test_fifty_thousand_invented_names_give_a_bounded_log_and_memory() -> None:
    m = Membership(cfg())
    names = [f"intruder-{i}" for i in range(50_000)]

    def flood(chunk: Sequence[str], start: int) -> list[MutableMapping[str, Any]]:
        with capture_logs() as logs:
            for i, name in enumerate(chunk, start):
                now = i / 1000  # one packet per millisecond: 50 s in all
                assert drops(m.receive(_unknown(name), "eth1", now)) == ["unknown_node"]
                m.receive(raw(name, t="x", ts="5", seq="1"), "eth1", now)  # missing hg: replay?
        return logs

    logs = flood(names[:1000], 0)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        logs += flood(names[1000:], 1000)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    windows = int(50 / WINDOW_S) + 1
    assert 1 <= len([e for e in logs if e["event"] == "unknown_node"]) <= windows
    assert sum(e.get("suppressed", 0) for e in logs if e["event"] == "unknown_node") > 49_000
    assert len(logs) <= 2 * windows
    assert grown < 64 * 1024, f"the engine grew by {grown} bytes for 49,000 new names"


# ---- one name, one node ----------------------------------------------------------------------


def test_names_are_lower_cased_where_they_enter() -> None:
    p = Pair()
    p.peer.set_local_status(NodeStatus.ACTIVE)
    loud = p.peer.stamp(p.peer.status_message(0.0), 0.0, WALL_OFFSET).set("src", "NODE2")
    heard = p.me.receive(loud, "eth1", 0.0)
    to_us = p.peer.stamp(Message(("t", "app"), ("dest", "Node1")), 0.1, WALL_OFFSET)
    to_us.set("src", "Node2")

    delivered = of(p.me.receive(to_us, "eth1", 0.1), Deliver)

    assert of(heard, StatusHeard) == [StatusHeard("node2", "eth1")]
    assert [e.change.node for e in of(heard, NodeChanged)] == ["node2"]
    assert [(d.msg.get("src"), d.msg.get("dest")) for d in delivered] == [("node2", "node1")]


def test_another_node_using_our_name_is_reported_and_ignored() -> None:
    m = Membership(cfg())
    echo = m.stamp(Message(("t", "status"), ("st", "active")), 0.0, WALL_OFFSET)
    clone = Membership(cfg(generation=250))  # a cloned machine: same uuid file, other run
    cloned = clone.stamp(Message(("t", "status"), ("st", "active")), 0.0, WALL_OFFSET)
    renamed = Membership(cfg("node2")).stamp(Message(("t", "app")), 0.0, WALL_OFFSET)
    renamed.set("src", "NODE1")

    with capture_logs() as logs:
        assert drops(m.receive(echo.copy(), "eth1", 0.0)) == ["own"]
        for t in (0.1, 0.2):
            assert drops(m.receive(cloned.copy(), "eth1", t)) == ["duplicate_node_name"]
        assert drops(m.receive(renamed, "eth1", 0.3)) == ["duplicate_node_name"]
        assert drops(m.receive(cloned.copy(), "eth1", WINDOW_S + 1)) == ["duplicate_node_name"]

    lines = [e for e in logs if e["event"] == "duplicate_node_name"]
    assert [e["log_level"] for e in lines] == ["error", "error"]
    assert lines[0]["msg"].startswith("Duplicate node name: another node also calls itself node1")
    assert "generation 250; ours: uuid" in lines[0]["msg"]
    assert lines[1]["suppressed"] == 2
    assert m.status("node2") is NodeStatus.INIT


# ---- metrics input -------------------------------------------------------------------------


def test_only_statuses_that_pass_the_checks_are_heard() -> None:
    p = Pair(links=("eth1", "eth2"))
    status = p.peer.stamp(p.peer.status_message(0.0), 0.0, WALL_OFFSET)
    first = p.me.receive(status.copy(), "eth1", 0.0)
    copy = p.me.receive(status.copy(), "eth2", 0.0)
    replayed = p.me.receive(status.copy().set("hg", "63"), "eth1", 0.1)
    unknown = p.me.receive(_unknown("node3"), "eth1", 0.1)
    app = p.from_peer(Message(("t", "app")), 0.2)

    assert of(first, StatusHeard) == [StatusHeard("node2", "eth1")]
    assert of(copy, StatusHeard) == [StatusHeard("node2", "eth2")]
    assert not of(replayed + unknown + app, StatusHeard)
    assert drops(replayed + unknown) == ["replay", "unknown_node"]


# ---- replays across a death -------------------------------------------------------------------


def test_a_message_captured_before_a_death_is_not_accepted_after_it() -> None:
    p = Pair()
    p.establish(0.0)
    captured = p.peer.stamp(Message(("t", "resource"), ("rsc_hold", "all")), 0.1, WALL_OFFSET)
    assert of(p.me.receive(captured.copy(), "eth1", 0.1), Deliver)
    dead_at = _die(p, 0.1)
    assert p.me.links("node2") == {"eth1": LinkStatus.DEAD}

    replayed = p.me.receive(captured.copy(), "eth1", dead_at + 0.1)

    assert drops(replayed) == ["duplicate"]
    assert not of(replayed, Deliver) and not _links_up(replayed)
    assert p.me.status("node2") is NodeStatus.DEAD
    assert p.me.links("node2") == {"eth1": LinkStatus.DEAD}


def test_the_peer_itself_comes_back_after_the_death() -> None:
    p = Pair()
    p.establish(0.0)
    captured = p.peer.stamp(Message(("t", "app")), 0.1, WALL_OFFSET)
    p.me.receive(captured.copy(), "eth1", 0.1)
    dead_at = _die(p, 0.1)

    t = _idle(p, dead_at, 1.0)
    back = p.status(t)  # its next seq: a healed partition, as Heartbeat says
    later = p.from_peer(Message(("t", "app")), t)

    assert of(back, PartitionHealed) == [PartitionHealed("node2")]
    assert _links_up(back) and of(later, Deliver)
    assert drops(p.me.receive(captured.copy(), "eth1", t)) == ["duplicate"]


def test_a_restart_forgets_the_old_sequence() -> None:
    p = Pair()
    p.establish(0.0)
    for _ in range(5):
        p.from_peer(Message(("t", "app")), 0.1)
    dead_at = _die(p, 0.1)
    p.peer = Membership(cfg("node2", generation=101))

    restarted = p.status(dead_at + 1.0)  # seq 1 of a new generation

    assert [(c.change.old, c.change.new) for c in of(restarted, NodeChanged)] == [
        (NodeStatus.DEAD, NodeStatus.INIT)
    ]


def test_an_unsequenced_message_from_an_older_generation_is_a_replay() -> None:
    p = Pair()
    p.establish(0.0)
    old_ack = Membership(cfg("node2", generation=99)).stamp(
        Message(("t", "NS_ackmsg"), ("dest", "node1"), ("ackseq", "1")), 0.0, WALL_OFFSET
    )
    dead_at = _die(p, 0.0)

    replayed = p.me.receive(old_ack, "eth1", dead_at + 0.1)

    assert of(replayed, DropCount) == [DropCount("replay")] and not _links_up(replayed)
