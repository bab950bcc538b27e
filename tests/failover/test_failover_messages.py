"""Wire messages and rsc_hold bits, checked against the real daemon's traffic."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hacore.failover import FAILOVER_MESSAGE_TYPES, messages
from hacore.failover.holdings import Hold, mirror, parse_hold, takeover_standby_hold
from hacore.wire.codec import parse_packet
from hacore.wire.message import Message
from tests.failover.failover_replay import captured_messages
from tests.failover.failover_rig import Rig, quiet
from tests.failover.failover_sim import CONTROL

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors"
API = {"from_id", "to_id", "client_gen"}


def _fields(msg: Message) -> list[tuple[str, object]]:
    return [(f.name, f.value) for f in msg if f.name not in CONTROL]


def _rebuild(msg: Message) -> Message:
    """Our builder's version of a captured failover message."""
    get = msg.get
    kind = msg.type
    if kind == "starting":
        return messages.starting()
    if kind == "shutdone":
        return messages.shutdone()
    if kind == "stonith":
        return messages.stonith(get("node") or "", get("result") or "")
    if kind == "hb_takeover":
        return messages.hb_takeover(get("rsc_hold") or "")
    if kind == "ip-request":
        return messages.ip_request(get("ipaddr") or "")
    if kind == "ip-request-resp":
        return messages.ip_request_resp(
            get("dest") or "", get("ipaddr") or "", weown=get("weown") == "yes"
        )
    hold = parse_hold(get("rsc_hold"))
    assert hold is not None
    if kind == "ask_resources":
        return messages.ask_resources(hold, get("info") or "")
    if get("info") == "mach_down":
        return messages.mach_down()
    return messages.resource(hold, stable=get("isstable") == "1", info=get("info"))


def test_builders_match_every_failover_message_heartbeat_sent() -> None:
    captured = [c.msg for c in captured_messages()]
    legacy = parse_packet((VECTORS / "hb_crc_msgfmt_netstring_ip_request.bin").read_bytes())
    captured.append(legacy.message)
    kinds = set()
    for msg in captured:
        if API & {f.name for f in msg}:
            continue  # sent by an API client (ipfail), not by the daemon
        kinds.add(msg.type)
        assert _fields(_rebuild(msg)) == _fields(msg)
    # The exported types are exactly the failover traffic of a real Heartbeat cluster.
    assert kinds == FAILOVER_MESSAGE_TYPES


@pytest.mark.parametrize("vector", ["hb_crc_resource_nicefailback", "hb_crc_ask_resources_me"])
def test_builders_match_the_single_packet_vectors(vector: str) -> None:
    msg = parse_packet((VECTORS / f"{vector}.bin").read_bytes()).message
    assert _fields(_rebuild(msg)) == _fields(msg)


@given(st.sampled_from(list(Hold)))
def test_mirror_swaps_local_and_foreign(hold: Hold) -> None:
    assert mirror(mirror(hold)) == hold
    assert bool(mirror(hold) & Hold.LOCAL) == bool(hold & Hold.FOREIGN)
    assert parse_hold(hold.word) == hold


def test_unknown_words_are_refused() -> None:
    assert parse_hold("everything") is None and parse_hold(None) is None
    assert takeover_standby_hold("failback") == Hold.ALL  # Heartbeat's unmapped quirk
    assert takeover_standby_hold("local") == Hold.FOREIGN
    assert takeover_standby_hold("bogus") is None


def test_resource_reports_merge_like_heartbeat() -> None:
    def report(**fields: str) -> messages.ResourceReport:
        got = messages.read_resource(Message(("t", "resource"), *fields.items()))
        assert got is not None
        return got

    assert report(rsc_hold="local", rtype="full").merge(Hold.FOREIGN) == Hold.LOCAL
    assert report(rsc_hold="foreign", info="mach_down").merge(Hold.LOCAL) == Hold.ALL
    assert report(rsc_hold="none").merge(Hold.ALL) == Hold.NONE
    assert report(rsc_hold="foreign").stable is None
    assert messages.read_resource(Message(("t", "resource"), ("rsc_hold", "x"))) is None


def test_ask_resources_without_rsc_hold_means_all() -> None:
    msg = Message(("t", "ask_resources"), ("info", "me"))
    assert messages.read_ask_resources(msg) == messages.StandbyMessage(Hold.ALL, "me")
    bad = Message(("t", "ask_resources"), ("rsc_hold", "all"), ("info", "maybe"))
    assert messages.read_ask_resources(bad) is None


@pytest.mark.parametrize(
    "fields",
    [
        {"t": "resource", "rsc_hold": "plenty", "rtype": "full", "isstable": "1"},
        {"t": "ask_resources", "rsc_hold": "all", "info": "later"},
        {"t": "hb_takeover", "rsc_hold": "most"},
        {"t": "ip-request", "ipaddr": "no-such-group"},
    ],
)
def test_malformed_messages_never_move_a_group(fields: dict[str, str]) -> None:
    rig = Rig().stable_pair()
    kind = fields.pop("t")
    assert quiet(rig.msg(kind, **fields))
    assert rig.engine.holder("10.0.0.60") == "node1"


def test_messages_from_strangers_are_ignored() -> None:
    rig = Rig().stable_pair()
    stranger = Message(("t", "shutdone"), ("st", "dead"), ("src", "node3"))
    assert rig.engine.on_message(stranger, rig.now) == []
    anonymous = Message(("t", "shutdone"), ("st", "dead"))
    assert rig.engine.on_message(anonymous, rig.now) == []
