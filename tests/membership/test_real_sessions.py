"""Real Heartbeat 3.0.6 traffic through the engine.

The captured sessions (tests/data/vectors/sessions, README there) are replayed as the
daemon would see them from node1: every packet node2 and the ping node sent, verified
by the real signer, then ``Membership.receive`` at its capture time, with ticks every
100 ms in between. What the engine concludes must match what happened in the session.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hacore.api import NodeStatus
from hacore.config.model import AuthKey, AuthKeys
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
)
from hacore.plugins import load_plugins
from hacore.wire.codec import decode
from hacore.wire.pcap import heartbeat_datagrams
from hacore.wire.signing import PacketRejected, PacketSigner

SESSIONS = Path(__file__).resolve().parents[1] / "data" / "vectors" / "sessions"
NODE1_IP, PING_IP = "172.16.0.50", "172.16.0.1"
TICK = 0.1


def session_authkeys(method: str) -> AuthKeys:
    """The authkeys each capture session was made with (vectors/README.md)."""
    methods = load_plugins().auth_methods
    crc = AuthKey(1, methods["crc"], None)
    return {
        "crc": AuthKeys(active=1, keys={1: crc}),
        "md5": AuthKeys(active=2, keys={1: crc, 2: AuthKey(2, methods["md5"], b"md5-vector-key")}),
        "sha1": AuthKeys(active=3, keys={3: AuthKey(3, methods["sha1"], b"sha1-vector-key-3")}),
    }[method]


@dataclass
class Replay:
    start: float
    effects: list[tuple[float, Effect]] = field(default_factory=list)
    rejected: int = 0
    status_arrivals: list[float] = field(default_factory=list)

    def of(self, kind: type) -> list[tuple[float, Effect]]:
        return [(t, e) for t, e in self.effects if isinstance(e, kind)]

    def drops(self) -> Counter[str]:
        return Counter(e.reason for _, e in self.effects if isinstance(e, DropCount))

    def node2(self) -> list[tuple[float, NodeStatus]]:
        return [
            (t, e.change.new)
            for t, e in self.of(NodeChanged)
            if isinstance(e, NodeChanged) and e.change.node == "node2"
        ]


def replay(name: str, *, ping: bool) -> tuple[Replay, Membership]:
    path = SESSIONS / name
    if not path.exists():
        pytest.fail(f"capture set missing: {path}")
    signer = PacketSigner(session_authkeys(name.split("_", 1)[0]))
    datagrams = list(heartbeat_datagrams(path))
    node1_uuid = next(
        uuid
        for d in datagrams
        if d.src == NODE1_IP and d.protocol == "udp"
        for uuid in [decode(d.payload).get_bytes("srcuuid")]
        if uuid is not None
    )
    pings = (PING_IP,) if ping else ()
    cfg = MembershipConfig(
        local_node="node1",
        nodes=("node1", "node2"),
        ping_nodes=pings,
        links={"node1": ("eth0",), "node2": ("eth0",), **{p: (p,) for p in pings}},
        keepalive_ms=1000,
        deadtime_ms=8000,
        warntime_ms=4000,
        initdead_ms=20000 if ping else 12000,
        uuid=node1_uuid,  # so that destuuid=node1 means us
        tick_ms=100,
        seed=1,
        loadavg=lambda: "n/a",
    )
    engine = Membership(cfg)
    result = Replay(start=datagrams[0].timestamp)
    now = result.start
    engine.tick(now)
    for d in datagrams:
        from_peer = d.protocol == "udp" and d.src != NODE1_IP
        ping_echo = d.protocol == "icmp" and d.icmp_type == 0 and d.dst == NODE1_IP
        if not (from_peer or ping_echo):
            continue
        while now + TICK <= d.timestamp:
            now += TICK
            result.effects += [(now, e) for e in engine.tick(now)]
        try:
            msg = signer.open(d.payload)
        except PacketRejected:
            result.rejected += 1
            continue
        if msg.type == "status":
            result.status_arrivals.append(d.timestamp)
        link = PING_IP if ping_echo else "eth0"
        result.effects += [(d.timestamp, e) for e in engine.receive(msg, link, d.timestamp)]
    for _ in range(100):
        now += TICK
        result.effects += [(now, e) for e in engine.tick(now)]
    return result, engine


def test_crc_session_start_kill_restart_and_stop() -> None:
    """Start-up, node2 SIGKILL, node2 restart (hg+1), graceful stop (vectors/README)."""
    r, engine = replay("crc_ucast_autofailback_on.pcap", ping=True)
    assert r.rejected == 0
    assert len(r.of(CommUp)) == 1
    states = [s for _, s in r.node2()]
    assert states == [
        NodeStatus.UP,
        NodeStatus.ACTIVE,
        NodeStatus.DEAD,  # SIGKILL
        NodeStatus.INIT,  # restarted: its first status says init
        NodeStatus.UP,
        NodeStatus.ACTIVE,
        NodeStatus.DEAD,  # graceful stop, declared after deadtime
    ]
    [(restart_at, restarted)] = r.of(PeerRestarted)
    assert isinstance(restarted, PeerRestarted)
    first_gen = next(
        e.change.generation
        for _, e in r.of(NodeChanged)
        if isinstance(e, NodeChanged) and e.change.node == "node2"
    )
    assert first_gen is not None and restarted.generation == first_gen + 1
    # the SIGKILL death: within one tick after 8 s without a status
    kill_death = next(t for t, s in r.node2() if s is NodeStatus.DEAD)
    last = max(t for t in r.status_arrivals if t < kill_death)
    assert last + 8.0 < kill_death <= last + 8.0 + TICK + 1e-6
    assert restart_at > kill_death
    assert set(r.drops()) <= {"not_for_us"}  # node2's acks and self-grants to itself
    assert not r.of(PartitionHealed)
    assert engine.status(PING_IP) is NodeStatus.PING


def test_md5_session_rejects_exactly_the_emulators_replays() -> None:
    r, _ = replay("md5_bcast_autofailback_on_plus_emulator.pcap", ping=True)
    assert r.rejected == 2  # the two deliberately forged signatures, at the signer
    assert r.drops()["replay"] == 2  # the two older-generation packets, here
    assert r.drops()["unknown_node"] == 0


def test_sha1_lossy_session_fills_every_gap_from_retransmissions() -> None:
    r, engine = replay("sha1_mcast_autofailback_on_with_loss.pcap", ping=True)
    assert r.rejected == 0
    delivered = [e for _, e in r.of(Deliver) if isinstance(e, Deliver)]
    types = {d.msg.type for d in delivered}
    assert types >= {"status", "starting", "resource", "ask_resources"}
    assert r.drops()["duplicate"] > 0  # node2's retransmissions for the real node1
    assert not engine._peers["node2"].track.missing
    assert [s for _, s in r.node2()][-1] is NodeStatus.DEAD  # stopped at the end


def test_legacy_netstring_session() -> None:
    r, _ = replay("crc_ucast_msgfmt_netstring_legacy.pcap", ping=False)
    assert r.rejected == 0
    assert len(r.of(CommUp)) == 1
    assert NodeStatus.ACTIVE in [s for _, s in r.node2()]
    assert set(r.drops()) <= {"not_for_us", "duplicate"}
    types = {e.msg.type for _, e in r.of(Deliver) if isinstance(e, Deliver)}
    assert "ip-request-resp" in types
