"""The engine's one-pass path for a peer's next status (``Membership._next_status``)
against the general receive path, its reference.

Two engines with the same configuration and seed take the same packets, sealed and
opened by the real wire code: one as the daemon runs it, one with the short path
switched off. Whatever the packets (gaps, duplicates, reordering, a restart, a status
or dt change, an addressed or unknown or own sender, a late one, a tampered one), both
must give the same effects and log lines, and end in the same state.
"""

from __future__ import annotations

from typing import Any

from hacore_plugins.auth.sha1 import SHA1
from hypothesis import example, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from hacore.config.model import AuthKey, AuthKeys
from hacore.membership import Membership
from hacore.membership.peers import Peer
from hacore.wire.message import Message
from hacore.wire.signing import PacketRejected, PacketSigner
from tests.membership.membership_sim import WALL_OFFSET, make_config

SIGNER = PacketSigner(AuthKeys(active=1, keys={1: AuthKey(1, SHA1, b"fast-path-key")}))
NODES = ("node1", "node2", "node3")
TICK = 0.05


def _engines() -> tuple[Membership, Membership]:
    fast = Membership(make_config("node1", NODES, links=("eth1", "eth2")))
    reference = Membership(make_config("node1", NODES, links=("eth1", "eth2")))
    reference._next_status = lambda *_: False  # type: ignore[method-assign]
    return fast, reference


def _peer_state(peer: Peer) -> dict[str, Any]:
    track = peer.track
    return {
        "slots": [getattr(peer, name) for name in Peer.__slots__ if name != "track"],
        "links": {name: (link.status, link.last) for name, link in peer.links.items()},
        "track": (track.last_seq, track.floor, track.first_missing, dict(track._missing)),
        "due": track.next_due,
    }


def _state(engine: Membership) -> dict[str, Any]:
    return {
        "peers": {peer.name: _peer_state(peer) for peer in engine._peers},
        "engine": (
            engine.local_status,
            engine.comm_up,
            engine._links_up,
            engine._flow_control,
            engine._reqnodes_due,
            engine.timers_changed,
        ),
    }


packets = st.fixed_dictionaries(
    {
        "after": st.sampled_from([0.0, 0.01, 0.1, 0.1, 0.1, 0.35, 0.45, 0.7]),
        "seq": st.sampled_from([1, 1, 1, 1, 1, 0, 2, 5, -1, -3, 300]),
        "gen": st.sampled_from([0, 0, 0, 0, 1, -1]),
        "st": st.sampled_from(["active", "active", "active", "up", "init", "ACTIVE", "dead"]),
        "dt": st.sampled_from(["1f4", "1f4", "1f4", "2710", None]),
        "src": st.sampled_from(["node2", "node2", "node2", "node3", "NODE2", "node9", "node1"]),
        "dest": st.sampled_from([None, None, None, None, "node1", "node3"]),
        "protocol": st.sampled_from([True, True, True, False]),
        "hacore": st.sampled_from([None, "1", "1", "0"]),
        "link": st.sampled_from(["eth1", "eth1", "eth1", "eth2"]),
        "tick": st.booleans(),
        "tamper": st.sampled_from([False] * 9 + [True]),
    }
)


def _packet(p: dict[str, Any], seqs: dict[str, int], gens: dict[str, int], now: float) -> bytes:
    src = p["src"]
    seqs[src] = max(seqs.get(src, 0) + p["seq"], 1)
    gens[src] = max(gens.get(src, 100) + p["gen"], 1)
    msg = Message(("t", "status"), ("st", p["st"]))
    if p["dt"] is not None:
        msg.add("dt", p["dt"])
    if p["protocol"]:
        msg.add("protocol", "1")
    if p["hacore"] is not None:
        msg.add("hacore", p["hacore"])
    msg.add("src", src).add("srcuuid", (src.lower().encode() * 16)[:16])
    if p["dest"] is not None:
        msg.add("dest", p["dest"])
    msg.add("seq", f"{seqs[src]:x}").add("hg", f"{gens[src]:x}")
    msg.add("ts", f"{int(WALL_OFFSET + now):x}").add("ld", "0.14 0.11 0.04 5/98 9440")
    packet = SIGNER.seal(msg.add("ttl", "4"))
    return packet.replace(b"ttl=4", b"ttl=5") if p["tamper"] else packet


def _run(steps: list[dict[str, Any]]) -> int:
    """Feed both engines; returns how many packets took the short path."""
    fast, reference = _engines()
    taken = 0
    short_path = fast._next_status

    def counted(*args: Any) -> bool:
        nonlocal taken
        done = short_path(*args)
        taken += done
        return done

    fast._next_status = counted  # type: ignore[method-assign]
    now = 0.0
    seqs: dict[str, int] = {}
    gens: dict[str, int] = {}
    for engine in (fast, reference):
        assert engine.tick(now) == []
    for p in steps:
        until = round(now + p["after"], 6)
        while p["tick"] and now + TICK <= until:  # the daemon's ticks, while the peer is silent
            now = round(now + TICK, 6)
            assert fast.tick(now) == reference.tick(now)
        now = until
        packet = _packet(p, seqs, gens, now)
        try:
            mine, theirs = SIGNER.open(packet), SIGNER.open(packet)
        except PacketRejected:
            assert p["tamper"]
            continue
        with capture_logs() as logged:
            effects = fast.receive(mine, p["link"], now)
        with capture_logs() as expected:
            assert effects == reference.receive(theirs, p["link"], now)
        assert logged == expected
        assert _state(fast) == _state(reference)
        assert fast.next_deadline() == reference.next_deadline()
    return taken


STEADY = {
    "after": 0.1, "seq": 1, "gen": 0, "st": "active", "dt": "1f4", "src": "node2",
    "dest": None, "protocol": True, "hacore": None, "link": "eth1", "tick": True,
    "tamper": False,
}  # fmt: skip


@settings(max_examples=300, deadline=None)
@example([STEADY] * 30 + [dict(STEADY, after=0.35)] + [STEADY] * 3)  # late: a warning
@given(st.lists(packets, min_size=1, max_size=80))
def test_short_path_gives_what_the_general_path_gives(steps: list[dict[str, Any]]) -> None:
    _run(steps)


def test_a_steady_stream_takes_the_short_path() -> None:
    """The comparison above means something only if the short path is taken."""
    assert _run([STEADY] * 50) >= 45  # the first ones bring node2 and its link up
