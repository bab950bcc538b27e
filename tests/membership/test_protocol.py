"""Receive path: checks (docs/protocol.md §4.2), generations, sequencing, retransmission,
acks, start-up."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from structlog.testing import capture_logs

from hacore.api import LinkStatus, NodeStatus
from hacore.membership import (
    CommUp,
    Deliver,
    DropCount,
    Effect,
    Membership,
    MembershipConfig,
    NodeChanged,
    PartitionHealed,
    PeerRestarted,
    Send,
)
from hacore.wire.message import Message
from tests.membership.membership_sim import WALL_OFFSET, make_config

NODES = ("node1", "node2")


def cfg(local: str = "node1", **kw: Any) -> MembershipConfig:
    return make_config(local, kw.pop("nodes", NODES), **kw)


class Pair:
    """node1 (under test) and a real engine playing node2, which crafts its packets."""

    def __init__(self, **kw: Any) -> None:
        self.me = Membership(cfg("node1", **kw))
        self.peer = Membership(cfg("node2", **kw))

    def from_peer(self, msg: Message, now: float, link: str = "eth1") -> list[Effect]:
        stamped = self.peer.stamp(msg, now, WALL_OFFSET + now)
        return self.me.receive(stamped.copy(), link, now)

    def status(self, now: float, link: str = "eth1") -> list[Effect]:
        return self.from_peer(self.peer.status_message(now), now, link)

    def establish(self, now: float = 0.0) -> None:
        """Both ways heard, node1's reqnodes answered, node2 active."""
        self.peer.set_local_status(NodeStatus.ACTIVE)
        self.status(now)
        reply = Message(("dest", "node1"), ("t", "repnodes"), ("nodelist", "node1 node2 "))
        assert of(self.from_peer(reply, now), CommUp)

    def skip_seq(self, n: int = 1) -> None:
        """The peer sends ``n`` messages that never arrive."""
        for _ in range(n):
            self.peer.stamp(Message(("t", "lost")), 0.0, WALL_OFFSET)


def of(effects: list[Effect], kind: type) -> list[Any]:
    return [e for e in effects if isinstance(e, kind)]


def drops(effects: list[Effect]) -> list[str]:
    return [e.reason for e in of(effects, DropCount)]


def sent(effects: list[Effect], mtype: str) -> list[Message]:
    return [e.msg for e in of(effects, Send) if e.msg.type == mtype]


def texts(logs: Sequence[Mapping[str, Any]], event: str) -> list[str]:
    return [e.get("msg", "") for e in logs if e["event"] == event]


def raw(src: str = "node2", **fields: str) -> Message:
    msg = Message()
    for name, value in fields.items():
        msg.add(name, value)
    if "src" not in fields:
        msg.add("src", src)
    return msg


# ------------------------------------------------------- docs/protocol.md §4.2 receive checks


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"t": "app", "seq": "1"}, "process_clustermsg: missing from/ts/type"),
        ({"ts": "5", "seq": "1"}, "process_clustermsg: missing from/ts/type"),
        ({"t": "app", "ts": "5"}, "process_clustermsg: missing seqno"),
        ({"t": "app", "ts": "5", "seq": "zz"}, "process_clustermsg: missing seqno"),
        ({"t": "status", "ts": "5", "seq": "1", "st": "sleepy"}, "status update without st"),
    ],
)
def test_malformed_packets_are_dropped_with_heartbeats_error(
    fields: dict[str, str], text: str
) -> None:
    m = Membership(cfg())
    with capture_logs() as logs:
        effects = m.receive(raw(**fields), "eth1", 0.0)
    assert drops(effects) == ["missing_fields"]
    assert not of(effects, Deliver)
    assert any(text in e.get("msg", "") and e["log_level"] == "error" for e in logs)


def test_zero_or_bad_timestamp_is_dropped_silently() -> None:
    m = Membership(cfg())
    for ts in ("0", "nothex"):
        assert drops(m.receive(raw(t="app", ts=ts, seq="1"), "eth1", 0.0)) == ["missing_fields"]


def test_unknown_node_is_refused_and_the_error_rate_limited() -> None:
    m = Membership(cfg())
    with capture_logs() as logs:
        for t in (0.0, 1.0, 2.0, 11.0):
            effects = m.receive(raw("intruder", t="app", ts="5", seq="1"), "eth1", t)
            assert drops(effects) == ["unknown_node"]
    lines = [e for e in logs if e["event"] == "unknown_node"]
    assert [e["msg"] for e in lines] == [
        "process_status_message: bad node [intruder] in message"
    ] * 2
    assert lines[1]["suppressed"] == 2


def test_own_looped_back_packets_are_dropped() -> None:
    m = Membership(cfg())
    mine = m.stamp(Message(("t", "app")), 0.0, WALL_OFFSET)
    assert drops(m.receive(mine.copy(), "eth0", 0.0)) == ["own"]
    impostor = mine.copy().set("srcuuid", b"x" * 16)
    with capture_logs() as logs:
        assert drops(m.receive(impostor, "eth0", 0.0)) == ["duplicate_node_name"]
    assert [e["event"] for e in logs] == ["duplicate_node_name"]


# ---------------------------------------------------------------- generations docs/protocol.md §5.2


def test_older_generation_is_a_replay() -> None:
    p = Pair()
    p.status(0.0)
    old = dataclasses.replace(cfg("node2"), generation=99)
    replayed = Membership(old).stamp(Message(("t", "app")), 0.1, WALL_OFFSET)
    with capture_logs() as logs:
        effects = p.me.receive(replayed, "eth1", 0.1)
    assert drops(effects) == ["replay"] and not of(effects, Deliver)
    assert texts(logs, "replay_dropped") == [
        "should_drop_message: attempted replay attack [node2]? [gen = 99, curgen = 100]"
    ]
    assert [e["log_level"] for e in logs if e["event"] == "replay_dropped"] == ["error"]


def test_missing_generation_counts_as_zero() -> None:
    p = Pair()
    p.status(0.0)
    assert drops(p.me.receive(raw(t="app", ts="5", seq="9"), "eth1", 0.1)) == ["replay"]


def test_restart_with_a_higher_generation_is_recognised() -> None:
    p = Pair()
    p.establish(0.0)
    p.me.tick(0.05)
    p.status(0.1)
    assert p.me.status("node2") is NodeStatus.ACTIVE
    p.peer = Membership(dataclasses.replace(cfg("node2"), generation=101))
    with capture_logs() as logs:
        effects = p.status(0.2)  # seq 1 again: accepted because the generation grew
    assert of(effects, PeerRestarted) == [PeerRestarted("node2", 101)]
    changes = [e.change for e in of(effects, NodeChanged)]
    assert [(c.old, c.new, c.generation) for c in changes] == [
        (NodeStatus.ACTIVE, NodeStatus.INIT, 101)
    ]
    assert effects.index(of(effects, PeerRestarted)[0]) < effects.index(of(effects, NodeChanged)[0])
    assert texts(logs, "peer_restarted") == ["Heartbeat restart on node node2"]
    assert p.me.generation("node2") == 101


def test_first_contact_is_not_a_restart() -> None:
    p = Pair()
    assert not of(p.status(0.0), PeerRestarted)
    assert p.me.generation("node2") == 100


def test_partition_heal_same_generation_after_death() -> None:
    p = Pair()
    p.establish(0.0)
    t = 0.0
    while p.me.status("node2") is not NodeStatus.DEAD:
        t += 0.05
        p.me.tick(t)
    assert 0.5 < t <= 0.55
    stale = p.peer.stamp(p.peer.status_message(t), t, WALL_OFFSET)
    with capture_logs() as logs:
        back = p.status(t + 1.0)
    assert of(back, PartitionHealed) == [PartitionHealed("node2")]
    assert [(c.change.old, c.change.new) for c in of(back, NodeChanged)] == [
        (NodeStatus.DEAD, NodeStatus.ACTIVE)
    ]
    assert texts(logs, "partition_healed") == ["Cluster node node2 returning after partition."]
    assert [e["log_level"] for e in logs if e["event"] == "partition_healed"] == ["critical"]
    # the status the peer sent while we thought it dead, arriving now, changes nothing
    assert drops(p.me.receive(stale, "eth1", t + 1.1)) == ["duplicate"]


def test_stale_status_from_a_dead_node_is_dropped() -> None:
    p = Pair()
    p.status(0.0)
    early = p.peer.stamp(p.peer.status_message(0.1), 0.1, WALL_OFFSET)  # seq 2, lost
    p.status(0.2)  # seq 3
    t = 0.2
    while p.me.status("node2") is not NodeStatus.DEAD:
        t += 0.05
        p.me.tick(t)
    assert drops(p.me.receive(early, "eth1", t + 0.01)) == ["stale"]
    assert p.me.status("node2") is NodeStatus.DEAD


# ---------------------------------------------------------------- sequencing docs/protocol.md §5.3


def test_duplicates_refresh_the_link_but_are_not_delivered() -> None:
    p = Pair(links=("eth0", "eth1"))
    pkt = p.peer.stamp(Message(("t", "app")), 0.0, WALL_OFFSET)
    first = p.me.receive(pkt.copy(), "eth0", 0.0)
    second = p.me.receive(pkt.copy(), "eth1", 0.0)
    assert len(of(first, Deliver)) == 1 and not of(second, Deliver)
    assert drops(second) == ["duplicate"]
    assert p.me.links("node2") == {"eth0": LinkStatus.UP, "eth1": LinkStatus.UP}


def test_messages_for_other_nodes_advance_the_sequence_only() -> None:
    m = Membership(cfg(nodes=("node1", "node2", "node3")))
    peer = Membership(cfg("node2", nodes=("node1", "node2", "node3")))
    for_3 = peer.stamp(Message(("t", "app"), ("dest", "node3")), 0.0, WALL_OFFSET)
    for_me = peer.stamp(Message(("t", "app"), ("dest", "node1")), 0.0, WALL_OFFSET)
    assert drops(m.receive(for_3, "eth1", 0.0)) == ["not_for_us"]
    effects = m.receive(for_me, "eth1", 0.0)
    assert len(of(effects, Deliver)) == 1
    assert not [e for e in drops(effects)], "seq 2 after seq 1 must not look like a gap"


def test_destuuid_decides_over_dest() -> None:
    m = Membership(cfg())
    base = {"t": "app", "ts": "5", "hg": "64", "dest": "node1"}
    elsewhere = raw(**base, seq="1").add("destuuid", b"\x01" * 16)
    assert drops(m.receive(elsewhere, "eth1", 0.0)) == ["not_for_us"]
    mine = raw(**{**base, "dest": "nodeX"}, seq="2").add("destuuid", m.cfg.uuid)
    assert of(m.receive(mine, "eth1", 0.0), Deliver)


def test_gap_is_logged_requested_after_a_delay_repeated_and_recovered() -> None:
    p = Pair()
    p.status(0.0)
    lost = p.peer.stamp(Message(("t", "app"), ("n", "2")), 0.0, WALL_OFFSET)
    with capture_logs() as logs:
        p.from_peer(Message(("t", "app"), ("n", "3")), 0.01)
    assert texts(logs, "packets_lost") == ["1 lost packet(s) for [node2] [1:3]"]
    assert not sent(p.me.tick(0.05), "NS_rexmit")  # earliest request: 50 ms after the gap
    requests = [(t, sent(p.me.tick(t), "NS_rexmit")) for t in (0.1, 0.15, 0.2, 0.25, 0.3)]
    first = next(t for t, r in requests if r)
    req = next(r for _, r in requests if r)[0]
    assert [(f.name, f.value) for f in req] == [
        ("t", "NS_rexmit"),
        ("dest", "node2"),
        ("firstseq", "2"),
        ("lastseq", "2"),
    ]
    again = [t for t, r in requests if r and t > first]
    assert not again or again[0] - first >= 0.25 - 1e-9
    assert sent(p.me.tick(first + 0.25), "NS_rexmit")  # repeated every max_rexmit_delay
    with capture_logs() as logs:
        effects = p.me.receive(lost, "eth1", 0.5)
    assert [m.get("n") for m in (e.msg for e in of(effects, Deliver))] == ["2"]
    assert any(e.get("msg") == "No pkts missing from node2!" for e in logs)
    assert not sent(p.me.tick(2.0), "NS_rexmit")


def _requested(effects: list[Effect]) -> list[tuple[int, int]]:
    return [
        (int(r.get("firstseq") or ""), int(r.get("lastseq") or ""))
        for r in sent(effects, "NS_rexmit")
    ]


def test_seqs_lost_together_are_asked_for_in_one_request() -> None:
    p = Pair()
    p.status(0.0)
    lost = [p.peer.stamp(Message(("t", "app")), 0.0, WALL_OFFSET) for _ in range(3)]
    p.from_peer(Message(("t", "app")), 0.0)
    assert _requested(p.me.tick(0.3)) == [(2, 4)]
    p.me.receive(lost[1].copy(), "eth1", 0.35)  # seq 3 arrives
    assert _requested(p.me.tick(0.6)) == [(2, 2), (4, 4)]


def test_a_long_run_is_asked_for_fifty_seqs_at_a_time() -> None:
    """A sender answers at most 50 seqs per request (MAX_REXMIT_BATCH)."""
    p = Pair()
    p.status(0.0)
    p.skip_seq(120)
    p.from_peer(Message(("t", "app")), 0.0)
    assert _requested(p.me.tick(0.3)) == [(2, 51), (52, 101), (102, 121)]


def test_the_requested_range_is_served_as_separate_identical_messages() -> None:
    p = Pair()
    p.status(0.0)
    p.skip_seq(3)
    p.from_peer(Message(("t", "app")), 0.0)
    [request] = sent(p.me.tick(0.3), "NS_rexmit")
    stamped = p.me.stamp(request, 0.3, WALL_OFFSET + 0.3)
    resent = [e.msg for e in of(p.peer.receive(stamped.copy(), "eth1", 0.3), Send) if e.stamped]
    assert [m.get("seq") for m in resent] == ["2", "3", "4"]
    delivered = [e for m in resent for e in p.me.receive(m.copy(), "eth1", 0.31)]
    assert [e.msg.get("seq") for e in of(delivered, Deliver)] == ["2", "3", "4"]
    assert _requested(p.me.tick(1.0)) == []


def test_rexmit_delay_is_random_between_50_ms_and_max() -> None:
    delays = []
    for seed in range(30):
        p = Pair(seed=seed)
        p.status(0.0)
        p.skip_seq()
        p.from_peer(Message(("t", "app")), 0.0)
        t = 0.0
        while not sent(p.me.tick(t), "NS_rexmit"):
            t = round(t + 0.01, 2)
        delays.append(t)
    assert min(delays) >= 0.05 and max(delays) <= 0.25 and len(set(delays)) > 5


def test_huge_gap_resets_tracking() -> None:
    p = Pair()
    p.status(0.0)
    p.skip_seq(300)
    with capture_logs() as logs:
        effects = p.from_peer(Message(("t", "app")), 0.1)
    assert of(effects, Deliver)
    assert [e["msg"] for e in logs if e["log_level"] == "error"] == ["lost a lot of packets!"]
    assert not sent(p.me.tick(5.0), "NS_rexmit")


def test_nak_gives_up_the_packet() -> None:
    p = Pair()
    p.status(0.0)
    p.skip_seq()
    p.from_peer(Message(("t", "app")), 0.0)  # seq 2 missing
    nak = raw(t="NS_nak_rexmit", firstseq="2", dest="node1", info="seqno too low", ts="5")
    with capture_logs() as logs:
        effects = p.me.receive(nak, "eth1", 0.01)
    assert not of(effects, Deliver)
    assert texts(logs, "packet_lost_for_good") == ["Irretrievably lost packet: node node2 seq 2"]
    assert not sent(p.me.tick(1.0), "NS_rexmit")


# ---------------------------------------------------- serving NS_rexmit docs/protocol.md §5.4


def request(first: int, last: int | None = None, dest: str = "node1") -> Message:
    return raw(t="NS_rexmit", dest=dest, firstseq=str(first), lastseq=str(last or first), ts="5")


def test_rexmit_resends_the_identical_stamped_message() -> None:
    m = Membership(cfg())
    originals = [
        m.stamp(Message(("t", "app"), ("n", str(i))), 0.0, WALL_OFFSET).copy() for i in range(3)
    ]
    effects = m.receive(request(2, 3), "eth1", 1.0)
    assert [s.stamped for s in of(effects, Send) if s.msg.type == "app"] == [True, True]
    assert resends(effects) == originals[1:]
    # other media deliver the same request: not resent again within max_rexmit_delay-10ms
    assert not resends(m.receive(request(2), "eth0", 1.1))
    assert resends(m.receive(request(2), "eth0", 1.24))


def resends(effects: list[Effect]) -> list[Message]:
    return [e.msg for e in of(effects, Send) if e.stamped]


def test_rexmit_skips_what_the_peer_acked() -> None:
    m = Membership(cfg())
    for _ in range(5):
        m.stamp(Message(("t", "app")), 0.0, WALL_OFFSET)
    m.receive(raw(t="NS_ackmsg", dest="node1", ackseq="3", ts="5"), "eth1", 0.5)
    resent = [m.get("seq") for m in resends(m.receive(request(1, 5), "eth1", 1.0))]
    assert resent == ["4", "5"]


def test_rexmit_of_forgotten_seqs_is_naked_in_hex() -> None:
    m = Membership(cfg())
    for _ in range(520):
        m.stamp(Message(("t", "app")), 0.0, WALL_OFFSET)
    with capture_logs() as logs:
        effects = m.receive(request(20), "eth1", 1.0)
    [nak] = sent(effects, "NS_nak_rexmit")
    assert [(f.name, f.value) for f in nak] == [
        ("t", "NS_nak_rexmit"),
        ("firstseq", "14"),
        ("dest", "node2"),
        ("info", "seqno too low"),
    ]
    assert texts(logs, "rexmit_refused") == ["Cannot rexmit pkt 20 for node2: seqno too low"]


def test_rexmit_batch_is_bounded() -> None:
    m = Membership(cfg())
    for _ in range(300):
        m.stamp(Message(("t", "app")), 0.0, WALL_OFFSET)
    assert len(resends(m.receive(request(1, 300), "eth1", 1.0))) == 50


def test_rexmit_beyond_our_highest_seq_is_logged() -> None:
    m = Membership(cfg())
    m.stamp(Message(("t", "app")), 0.0, WALL_OFFSET)
    with capture_logs() as logs:
        assert not resends(m.receive(request(5, 9), "eth1", 1.0))
    assert texts(logs, "rexmit_beyond_max") == ["Rexmit of seq 5 requested. 1 is max."]


@pytest.mark.parametrize(("first", "last"), [("0", "3"), ("5", "2"), ("a", "3"), ("1", "")])
def test_invalid_rexmit_requests(first: str, last: str) -> None:
    m = Membership(cfg())
    m.stamp(Message(("t", "app")), 0.0, WALL_OFFSET)
    msg = raw(t="NS_rexmit", dest="node1", firstseq=first, lastseq=last, ts="5")
    with capture_logs() as logs:
        assert not resends(m.receive(msg, "eth1", 1.0))
    assert texts(logs, "rexmit_invalid") == ["Invalid rexmit seqnos"]


def test_ns_messages_for_another_node_are_ignored() -> None:
    m = Membership(cfg())
    m.stamp(Message(("t", "app")), 0.0, WALL_OFFSET)
    effects = m.receive(request(1, dest="node3"), "eth1", 1.0)
    assert drops(effects) == ["not_for_us"] and not resends(effects)


# ---------------------------------------------------------------- acks docs/protocol.md §5.5


def test_acks_every_tenth_message_at_the_random_trigger() -> None:
    p = Pair()
    acks = []
    for i in range(30):
        acks += sent(p.from_peer(Message(("t", "app")), i * 0.01), "NS_ackmsg")
    trigger = p.me._peers["node2"].track.ack_trigger
    expected = [s for s in range(1, 31) if s % 10 == trigger]
    assert [(a.get("dest"), int(a.get("ackseq") or "", 16)) for a in acks] == [
        ("node2", s) for s in expected
    ]


def test_a_peer_whose_status_says_hacore_gets_no_acks() -> None:
    """hacore keeps no flow-control window: acks to it would only load a large cluster."""
    p = Pair()
    assert p.from_peer(Message(("t", "app")), 0.0) is not None  # seq 1: nothing known yet
    acks = sent(p.status(0.01), "NS_ackmsg")  # seq 2 says hacore=1
    for i in range(2, 40):
        acks += sent(p.from_peer(Message(("t", "app")), i * 0.01), "NS_ackmsg")
    assert acks == [] and p.me.is_hacore("node2")


def test_a_peer_without_the_hacore_field_keeps_heartbeats_acks() -> None:
    p = Pair()
    heartbeat_status = p.peer.status_message(0.0)
    heartbeat_status.remove("hacore")
    acks = sent(p.from_peer(heartbeat_status, 0.0), "NS_ackmsg")
    for i in range(1, 30):
        acks += sent(p.from_peer(Message(("t", "app")), i * 0.01), "NS_ackmsg")
    trigger = p.me._peers["node2"].track.ack_trigger
    assert [int(a.get("ackseq") or "", 16) for a in acks] == [
        s for s in range(1, 31) if s % 10 == trigger
    ]


def test_missing_protocol_disables_flow_control() -> None:
    p = Pair()
    old_style = Message(("t", "status"), ("st", "up"), ("dt", "1f4"))
    with capture_logs() as logs:
        p.from_peer(old_style, 0.0)
    assert texts(logs, "flow_control_disabled") == [
        "flow control disabled due to different version heartbeat"
    ]
    acks = [a for i in range(30) for a in sent(p.from_peer(Message(("t", "x")), 0.1), "NS_ackmsg")]
    assert acks == []
    assert "protocol" not in p.me.status_message(0.2)
    assert not p.me.is_hacore("node2")


# ---------------------------------------------------------------- start-up docs/protocol.md §6.3


def test_startup_init_then_up_then_reqnodes_until_repnodes_then_active() -> None:
    p = Pair()
    assert p.me.status_message(0.0).get("st") == "init"
    ups = sent(p.me.tick(0.01), "status")
    assert [s.get("st") for s in ups] == ["up"] and p.me.local_status is NodeStatus.UP
    effects = p.status(0.05)
    [ask] = sent(effects, "reqnodes")
    assert (ask.get("dest"), p.me.comm_up) == ("node2", False)
    assert not sent(p.me.tick(0.5), "reqnodes")
    assert sent(p.me.tick(1.06), "reqnodes")  # re-sent every second until answered
    reply = sent(
        p.peer.receive(p.me.stamp(ask, 1.06, WALL_OFFSET).copy(), "eth1", 1.06), "repnodes"
    )
    effects = p.from_peer(reply[0], 1.07)
    assert of(effects, CommUp) and p.me.comm_up
    assert [s.get("st") for s in sent(effects, "status")] == ["active"]
    assert effects.index(of(effects, CommUp)[0]) > effects.index(of(effects, Send)[0])
    assert not sent(p.me.tick(3.0), "reqnodes")


def test_lone_node_comes_up_after_initdead() -> None:
    m = Membership(cfg(initdead_ms=2000))
    ups = []
    t = 0.0
    while t < 3.0:
        if of(m.tick(t), CommUp):
            ups.append(t)
        t = round(t + 0.05, 2)
    assert ups == [2.05]
    assert m.status("node2") is NodeStatus.DEAD and m.local_status is NodeStatus.ACTIVE


def test_single_node_cluster_is_up_at_once() -> None:
    m = Membership(make_config("solo", ["solo"]))
    assert of(m.tick(0.0), CommUp)


def test_comm_up_waits_for_ping_nodes() -> None:
    m = Membership(cfg(ping_nodes=("10.0.0.2",)))
    p = Membership(cfg("node2", ping_nodes=("10.0.0.2",)))
    status = p.stamp(p.status_message(0.0), 0.0, WALL_OFFSET)
    assert not sent(m.receive(status, "eth1", 0.0), "reqnodes")
    ping = raw("10.0.0.2", t="NS_st", st="ping", info="ping", ts="5")
    effects = m.receive(ping, "10.0.0.2", 0.1)
    assert sent(effects, "reqnodes")
    assert m.status("10.0.0.2") is NodeStatus.PING
    assert m.links("10.0.0.2") == {"10.0.0.2": LinkStatus.UP}


def test_unsolicited_repnodes_does_not_bring_comm_up() -> None:
    p = Pair()
    reply = Message(("dest", "node1"), ("t", "repnodes"), ("nodelist", "node1 node2 "))
    assert not of(p.from_peer(reply, 0.0), CommUp)


def test_repnodes_with_a_different_node_list_is_reported() -> None:
    p = Pair()
    p.status(0.0)
    reply = Message(("dest", "node1"), ("t", "repnodes"), ("nodelist", "node1 node2 node9 "))
    with capture_logs() as logs:
        assert of(p.from_peer(reply, 0.01), CommUp)
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == ["repnodes_mismatch"]


# ---------------------------------------------------------------- queries


def test_queries() -> None:
    p = Pair()
    p.status(0.25)
    m = p.me
    assert m.status("node1") is NodeStatus.INIT and m.status("node2") is NodeStatus.INIT
    assert m.links("node1") == {"eth1": LinkStatus.DEAD}  # as Heartbeat shows its own links
    assert m.links("node2") == {"eth1": LinkStatus.UP}
    assert (m.generation("node1"), m.generation("node2")) == (100, 100)
    assert (m.last_heard("node1"), m.last_heard("node2")) == (None, 0.25)
    assert m.is_hacore("node1") and m.is_hacore("node2")
    with pytest.raises(KeyError, match="unknown node 'node7'"):
        m.status("node7")
    with pytest.raises(ValueError):
        m.set_local_status(NodeStatus.DEAD)
    assert m.set_local_status(NodeStatus.UP) and not m.set_local_status(NodeStatus.UP)
