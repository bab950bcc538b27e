"""The short cut for a peer's next heartbeat (hacore.statuspath: its template, then
``Membership.next_status``) against the general receive path, its reference.

Two engines with the same configuration and seed take the same packets, sealed by the
real wire code: one as the daemon's ``Node._on_packet`` takes them (template first,
else open, receive and learn), one by the general path only. Whatever the packets
(gaps, duplicates, reordering, a restart, a status or dt change, values changing
length, an addressed or unknown or own sender, a late one, a tampered one, authkeys
re-read), both must give the same effects (less the ``Deliver`` of a status, which the
daemon drops) and log lines, and end in the same state.
"""

from __future__ import annotations

from typing import Any

from hacore_plugins.auth.sha1 import SHA1
from hypothesis import example, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from hacore.config.model import AuthKey, AuthKeys
from hacore.membership import Deliver, Membership
from hacore.membership.peers import Peer
from hacore.statuspath import StatusTemplates
from hacore.wire.message import Message
from hacore.wire.signing import PacketRejected, PacketSigner
from tests.membership.membership_sim import WALL_OFFSET, make_config

AUTHKEYS = AuthKeys(active=1, keys={1: AuthKey(1, SHA1, b"fast-path-key")})
SIGNER = PacketSigner(AUTHKEYS)
NODES = ("node1", "node2", "node3")
TICK = 0.05
UUIDS = {"node3": b"node3,node3\x00node"}  # a random uuid holds a comma for one node in 16


def _engine() -> Membership:
    return Membership(make_config("node1", NODES, links=("eth1", "eth2")))


class Daemon:
    """What Node._on_packet does with a datagram, without the rest of the node."""

    def __init__(self) -> None:
        self.engine = _engine()
        self.templates = StatusTemplates(self.engine, len(NODES))
        self.short_cuts = 0

    def receive(self, data: bytes, signer: PacketSigner, link: str, now: float) -> list[Any]:
        effects = self.templates.receive(data, signer, link, now)
        if effects is not None:
            self.short_cuts += 1
            return effects
        msg = signer.open(data)
        effects = self.engine.receive(msg, link, now)
        self.templates.learn(data, msg, signer, effects)
        return effects


def _delivered(effects: list[Any]) -> list[Any]:
    """``effects`` less the ``Deliver`` of a status (the daemon drops it)."""
    if effects and isinstance(effects[-1], Deliver) and effects[-1].msg.get("t") == "status":
        return effects[:-1]
    return effects


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
        "tamper": st.sampled_from([None] * 18 + [b"ttl=5", b"auth=3"]),
        "ld": st.sampled_from(
            ["0.14 0.11 0.04 5/98 9440"] * 5
            + ["10.1 0.11 0.04 5/98 19440", "2.16 2.1 1.7 12/239 2"]
        ),
        "lie": st.sampled_from([False] * 20 + [True]),
        "reload": st.sampled_from([False] * 30 + [True]),
    }
)


def _packet(
    p: dict[str, Any], seqs: dict[str, int], gens: dict[str, int], now: float, signer: PacketSigner
) -> bytes:
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
    msg.add("src", src).add("srcuuid", UUIDS.get(src, (src.lower().encode() * 16)[:16]))
    if p["dest"] is not None:
        msg.add("dest", p["dest"])
    msg.add("seq", f"{seqs[src]:x}").add("hg", f"{gens[src]:x}")
    msg.add("ts", f"{int(WALL_OFFSET + now):x}").add("ld", p["ld"])
    packet = signer.seal(msg.add("ttl", "4"))
    if p.get("lie"):  # signed, but ld's netstring says one byte more than it holds
        body = packet[: packet.rindex(b"%%%\n") + 4]
        head = b"%d:(0)ld=" % (6 + len(p["ld"]))
        body = body.replace(head, b"%d:(0)ld=" % (7 + len(p["ld"])))
        signature = signer._sign(body)
        packet = b"%s%d:%s," % (body, len(signature), signature)
    if p["tamper"] == b"auth=3":  # the trailer's signature
        return packet[:-3] + (b"0" if packet[-3:-2] != b"0" else b"1") + packet[-2:]
    return packet.replace(b"ttl=4", p["tamper"]) if p["tamper"] else packet


def _run(steps: list[dict[str, Any]]) -> int:
    """Feed both; returns how many packets took the short cut."""
    daemon, reference = Daemon(), _engine()
    signer = SIGNER
    now = 0.0
    seqs: dict[str, int] = {}
    gens: dict[str, int] = {}
    for engine in (daemon.engine, reference):
        assert engine.tick(now) == []
    for p in steps:
        until = round(now + p["after"], 6)
        while p["tick"] and now + TICK <= until:  # the daemon's ticks, while the peer is silent
            now = round(now + TICK, 6)
            assert daemon.engine.tick(now) == reference.tick(now)
        now = until
        if p["reload"]:  # SIGHUP builds a new signer from the same authkeys
            signer = PacketSigner(AUTHKEYS)
        packet = _packet(p, seqs, gens, now, signer)
        with capture_logs() as logged:
            try:
                effects: list[Any] | str = _delivered(
                    daemon.receive(packet, signer, p["link"], now)
                )
            except PacketRejected as e:
                effects = e.reason
        with capture_logs() as expected:
            try:
                wanted: list[Any] | str = _delivered(
                    reference.receive(signer.open(packet), p["link"], now)
                )
            except PacketRejected as e:
                wanted = e.reason
        assert effects == wanted
        assert logged == expected
        assert _state(daemon.engine) == _state(reference)
        assert daemon.engine.next_deadline() == reference.next_deadline()
    return daemon.short_cuts


STEADY = {
    "after": 0.1, "seq": 1, "gen": 0, "st": "active", "dt": "1f4", "src": "node2",
    "dest": None, "protocol": True, "hacore": None, "link": "eth1", "tick": True,
    "tamper": None, "ld": "0.14 0.11 0.04 5/98 9440", "reload": False, "lie": False,
}  # fmt: skip
BUSY_LOAD = dict(STEADY, ld="2.16 2.12 1.71 12/239 20415")


@settings(max_examples=300, deadline=None)
@example([STEADY] * 30 + [dict(STEADY, after=0.35)] + [STEADY] * 3)  # late: a warning
@example([STEADY] * 5 + [dict(STEADY, tamper=b"auth=3")] + [STEADY] * 2)  # forged trailer
@example([STEADY] * 5 + [dict(STEADY, seq=0, link="eth2")] * 2 + [STEADY])  # a copy on eth2
@example([STEADY] * 5 + [dict(STEADY, lie=True)] + [STEADY] * 2)  # ld's length is wrong
@given(st.lists(packets, min_size=1, max_size=80))
def test_short_path_gives_what_the_general_path_gives(steps: list[dict[str, Any]]) -> None:
    _run(steps)


def test_a_steady_stream_takes_the_short_path() -> None:
    """The comparison above means something only if the short path is taken."""
    assert _run([STEADY] * 50) >= 45  # the first ones bring node2 and its link up


def test_a_load_changing_length_keeps_the_short_path() -> None:
    """``ld`` is the sender's /proc/loadavg: on a busy machine its length changes from
    one heartbeat to the next, and the template must not be lost each time."""
    assert _run([STEADY, BUSY_LOAD] * 25) >= 45


def test_a_uuid_holding_a_comma_keeps_the_short_path() -> None:
    assert _run([dict(STEADY, src="node3")] * 50) >= 45
