"""Outbound messages: control fields exactly as real Heartbeat 3.0.6 emits them
(docs/protocol.md §4.1, §4.3)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from hacore.api import ConfigError, NodeStatus
from hacore.config.model import HaCf, PingNode
from hacore.membership import Membership, MembershipConfig, Send
from hacore.wire.message import Message
from tests.membership.membership_sim import make_config

VECTOR = Path(__file__).resolve().parents[1] / "data/vectors/hb_crc_status_active_ucast.txt"
_FIELD = re.compile(r"^\s+\((\d)\) (\S+) = (.*)$")


def vector_fields() -> list[tuple[str, str | bytes]]:
    """The 'decoded fields' section of the vector, without the signer's ``auth``."""
    text = VECTOR.read_text()
    section = text.split("decoded fields", 1)[1].split("netstring trailer", 1)[0]
    fields: list[tuple[str, str | bytes]] = []
    for line in section.splitlines():
        m = _FIELD.match(line)
        if not m:
            continue
        ftype, name, value = m.groups()
        if ftype == "1":
            fields.append((name, bytes.fromhex(value.split()[0].removeprefix("hex:"))))
        elif name != "auth":
            fields.append((name, value))
    return fields


def vector_node() -> tuple[Membership, dict[str, str | bytes]]:
    expected = dict(vector_fields())
    assert isinstance(expected["srcuuid"], bytes)
    cfg = make_config(
        "node1",
        ["node1", "node2"],
        ping_nodes=("172.16.0.1",),
        generation=int(str(expected["hg"]), 16),
        deadtime_ms=8000,
        keepalive_ms=1000,
    )
    cfg = dataclasses.replace(cfg, uuid=expected["srcuuid"])
    return Membership(cfg), expected


def names(msg: Message) -> list[str]:
    return [f.name for f in msg]


def test_stamped_status_matches_the_real_daemons_packet() -> None:
    m, expected = vector_node()
    wall = int(str(expected["ts"]), 16) + 0.7
    for _ in range(int(str(expected["seq"]), 16) - 1):  # the vector's status is seq 0xa
        m.stamp(Message(("t", "status")), 0.0, wall)
    msg = Message(("t", "status"), ("st", "active"), ("dt", "2710"), ("protocol", "1"))
    stamped = m.stamp(msg, 0.0, wall)
    assert [(f.name, f.value) for f in stamped] == vector_fields()
    assert [f.type for f in stamped if f.name == "srcuuid"] == [1]


def test_status_message_fields_and_deadtime_bump_for_a_real_heartbeat_peer() -> None:
    m, _ = vector_node()
    first = m.status_message(0.0)
    assert [(f.name, f.value) for f in first] == [
        ("t", "status"),
        ("st", "init"),
        ("dt", "1f40"),  # 8000: no real Heartbeat peer known yet
        ("protocol", "1"),
        ("hacore", "1"),
    ]
    # node2 turns out to be a real Heartbeat (no hacore field) within our first 5 s
    peer = Message(("t", "status"), ("st", "up"), ("dt", "1f40"), ("protocol", "1"))
    peer.add("src", "node2").add("seq", "1").add("hg", "5").add("ts", "6b05ab68")
    m.receive(peer, "eth1", 1.0)
    m.set_local_status(NodeStatus.ACTIVE)
    bumped = m.status_message(2.0)
    assert [(f.name, f.value) for f in bumped][:4] == [
        (n, v) for n, v in vector_fields()[:4] if isinstance(v, str)
    ]
    assert m.status_message(5.5).get("dt") == "1f40"  # the bump lasts 5 s


def test_sequenced_and_unsequenced_stamping() -> None:
    m = Membership(make_config("node1", ["node1", "node2"], ping_nodes=("10.0.0.2",)))
    a = m.stamp(Message(("t", "starting")), 0.0, 0x6B05ACCE)
    ack = m.stamp(Message(("t", "NS_ackmsg"), ("dest", "node2"), ("ackseq", "3")), 0.0, 0x6B05ACCE)
    b = m.stamp(Message(("t", "resource"), ("rsc_hold", "none")), 0.0, 0x6B05ACCF)
    assert (a.get("seq"), b.get("seq")) == ("1", "2")  # NS_ types take no seq
    assert names(a) == ["t", "src", "srcuuid", "seq", "hg", "ts", "ld", "ttl"]
    assert names(ack) == ["t", "dest", "ackseq", "src", "srcuuid", "hg", "ts", "ttl"]
    assert a.get("ttl") == "4"  # hopfudge 1 + two nodes + one ping node
    assert (a.get("hg"), a.get("ts")) == ("64", "6b05acce")


def test_destuuid_goes_right_after_user_fields_once_the_uuid_is_known() -> None:
    m = Membership(make_config("node1", ["node1", "node2"]))
    before = m.stamp(Message(("t", "reqnodes"), ("dest", "node2")), 0.0, 1.0)
    assert "destuuid" not in before
    peer_uuid = bytes(range(16))
    hello = Message(("t", "status"), ("st", "up"), ("dt", "1f4"), ("protocol", "1"))
    hello.add("src", "node2").add("srcuuid", peer_uuid).add("seq", "1").add("ts", "5")
    m.receive(hello, "eth1", 0.1)
    after = m.stamp(Message(("t", "reqnodes"), ("dest", "node2")), 0.2, 1.0)
    assert names(after)[:4] == ["t", "dest", "destuuid", "src"]
    assert after.get_bytes("destuuid") == peer_uuid
    ns = m.stamp(Message(("t", "NS_rexmit"), ("dest", "node2"), ("firstseq", "7")), 0.2, 1.0)
    assert names(ns)[:4] == ["t", "dest", "firstseq", "destuuid"]


def test_existing_src_is_replaced_in_place_for_sequenced_types() -> None:
    """As ipfail's messages show on the wire: src stays where the client put it."""
    m = Membership(make_config("node1", ["node1", "node2"]))
    msg = Message(("t", "num_ping_nodes"), ("src", "someone"), ("num_ping", "1"))
    m.stamp(msg, 0.0, 1.0)
    assert names(msg)[:5] == ["t", "src", "num_ping", "srcuuid", "seq"]
    assert msg.get("src") == "node1"


def test_ns_types_keep_control_fields_they_already_carry() -> None:
    m = Membership(make_config("node1", ["node1", "node2"]))
    msg = Message(("t", "NS_st"), ("st", "ping"), ("src", "10.0.0.2"), ("ts", "abc"))
    m.stamp(msg, 0.0, 0x6B05ACCE)
    assert (msg.get("src"), msg.get("ts")) == ("10.0.0.2", "abc")
    assert "seq" not in msg and "ld" not in msg


def test_repnodes_answer_lists_every_normal_node_with_dest_first() -> None:
    m = Membership(make_config("node2", ["node1", "node2", "node3"], ping_nodes=("10.0.0.2",)))
    ask = Message(("t", "reqnodes"), ("dest", "node2"), ("src", "node1"), ("seq", "1"))
    ask.add("hg", "9").add("ts", "5")
    sends = [e for e in m.receive(ask, "eth1", 0.0) if isinstance(e, Send)]
    assert len(sends) == 1 and not sends[0].stamped
    reply = sends[0].msg
    assert [(f.name, f.value) for f in reply] == [
        ("dest", "node1"),
        ("t", "repnodes"),
        ("nodelist", "node1 node2 node3 "),
        ("delnodelist", " "),
    ]
    stamped = m.stamp(reply, 0.0, 1.0)
    assert names(stamped)[:5] == ["dest", "t", "nodelist", "delnodelist", "src"]


def test_loadavg_is_read_at_most_once_a_second() -> None:
    calls: list[int] = []

    def loadavg() -> str:
        calls.append(1)
        return f"0.0{len(calls)} 0.00 0.00 1/1 1"

    cfg = make_config("node1", ["node1"])
    m = Membership(dataclasses.replace(cfg, loadavg=loadavg))
    lds = [m.stamp(Message(("t", "x")), t, 1.0).get("ld") for t in (0.0, 0.5, 0.99, 1.0, 1.5)]
    assert lds == ["0.01 0.00 0.00 1/1 1"] * 3 + ["0.02 0.00 0.00 1/1 1"] * 2
    assert len(calls) == 2


def test_stamping_a_message_without_type_is_refused() -> None:
    m = Membership(make_config("node1", ["node1"]))
    with pytest.raises(ValueError, match="no 't' field"):
        m.stamp(Message(("st", "x")), 0.0, 1.0)


def test_config_from_hacf_follows_heartbeats_layout(tmp_path: Path) -> None:
    hacf = HaCf(path=tmp_path / "ha.cf", nodes=["node1", "node2"], keepalive_ms=120)
    hacf.ping_nodes.append(PingNode("10.0.0.2", ("10.0.0.2",), group=False))
    cfg = MembershipConfig.from_hacf(hacf, "node1", ["eth0", "eth1"], generation=7, uuid=b"u" * 16)
    assert dict(cfg.links) == {
        "node1": ("eth0", "eth1"),
        "node2": ("eth0", "eth1"),
        "10.0.0.2": ("10.0.0.2",),
    }
    assert (cfg.tick_ms, cfg.deadtime_ms, cfg.generation) == (60, 30000, 7)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"local_node": "node9"}, "local node 'node9' is not a configured node"),
        ({"uuid": b"short"}, "uuid must be 16 bytes"),
        ({"deadtime_ms": 0}, "deadtime_ms must be positive"),
        ({"ping_nodes": ("node2",)}, "appears twice"),
        ({"links": {"node7": ("eth0",)}}, "links given for unknown nodes"),
    ],
)
def test_bad_membership_config_is_refused_clearly(change: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        dataclasses.replace(make_config("node1", ["node1", "node2"]), **change)
