"""Replay a real Heartbeat 3.0.6 session against one Failover engine.

The capture ``tests/data/vectors/sessions/crc_ucast_autofailback_on.pcap`` holds two real
Heartbeat nodes going through start-up, standby, takeover, a kill, a restart with
auto-failback and graceful stops. We let one engine play one of the nodes: it receives
the *other* node's real messages at their captured times (plus the membership events
and operator commands the capture implies) and must send what the real node sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hacore.api import NodeStatus, Scope
from hacore.config.model import ResourceGroup, ResourceSpec
from hacore.failover import (
    FAILOVER_MESSAGE_TYPES,
    Acquire,
    Action,
    Failover,
    FailoverConfig,
    Release,
    SendMessage,
    Transition,
)
from hacore.wire.codec import parse_packet
from hacore.wire.message import Message
from hacore.wire.pcap import heartbeat_datagrams
from tests.failover.failover_sim import brief

SESSION = (
    Path(__file__).resolve().parents[1] / "data/vectors/sessions/crc_ucast_autofailback_on.pcap"
)
OP_TIME = 0.05


def _group(node: str, *tokens: str) -> ResourceGroup:
    return ResourceGroup(node, tuple(ResourceSpec(t, t.split("::")[0], ()) for t in tokens))


# The session's haresources (vectors/README.md).
GROUPS = (
    _group("node1", "hbdummy::alpha", "hbdummy::beta"),
    _group("node2", "hbdummy::gamma"),
)


@dataclass(frozen=True)
class Captured:
    at: float
    src: str
    seq: int
    msg: Message


def captured_messages(path: Path = SESSION) -> list[Captured]:
    """Every failover message once (media duplicates dropped), times relative to the first.

    Within one sender generation, messages are put in seq (= send) order: the capture
    sometimes shows two messages sent in the same millisecond the other way round.
    """
    seen: set[tuple[str, str, int]] = set()
    by_sender: dict[tuple[str, str], list[Captured]] = {}
    start: float | None = None
    for datagram in heartbeat_datagrams(path):
        if datagram.protocol != "udp":
            continue
        msg = parse_packet(datagram.payload).message
        src, seq, generation = msg.get("src"), msg.get("seq"), msg.get("hg") or ""
        if msg.type not in FAILOVER_MESSAGE_TYPES or src is None or seq is None:
            continue
        if (src, generation, int(seq, 16)) in seen:
            continue
        seen.add((src, generation, int(seq, 16)))
        start = datagram.timestamp if start is None else start
        by_sender.setdefault((src, generation), []).append(
            Captured(datagram.timestamp - start, src, int(seq, 16), msg)
        )
    out: list[Captured] = []
    for items in by_sender.values():
        latest = 0.0
        for item in sorted(items, key=lambda c: c.seq):
            latest = max(latest, item.at)
            out.append(Captured(latest, item.src, item.seq, item.msg))
    return sorted(out, key=lambda c: (c.at, c.src, c.seq))


Step = Callable[[Failover, float], list[Action]]


@dataclass
class Replay:
    """One engine playing ``role``; ``script`` adds membership events and commands."""

    role: str
    script: list[tuple[float, Step]]
    busy_until: float = 0.0  # the real node processed nothing before this (its first reply)
    hacore_peer: bool = False
    trace: list[Transition] = field(default_factory=list)
    sent: list[tuple[float, str]] = field(default_factory=list)

    def run(self, until: float) -> None:
        peer = "node2" if self.role == "node1" else "node1"
        inbox = [
            (max(c.at, self.busy_until), c.msg)
            for c in captured_messages()
            if c.src == peer and c.msg.get("dest") in (None, self.role)
        ]
        engine: Failover | None = None
        ops: list[tuple[float, str, str]] = []
        script = sorted(self.script, key=lambda s: s[0])
        now = 0.0
        next_tick = 0.0
        while now < until:
            now = round(now + 0.01, 6)
            for at, step in [s for s in script if s[0] <= now]:
                script.remove((at, step))
                if step is START:
                    engine = self._engine()
                    ops.clear()
                    continue
                if step is KILL:
                    engine = None
                    continue
                assert engine is not None
                self._apply(now, engine, step(engine, now), ops)
            if engine is None:
                inbox = [(at, m) for at, m in inbox if at > now]
                continue
            while inbox and inbox[0][0] <= now:
                _, msg = inbox.pop(0)
                self._apply(now, engine, engine.on_message(msg, now), ops)
            for done in [op for op in ops if op[0] <= now]:
                ops.remove(done)
                result = engine.on_group_result(done[1], done[2], True, now)  # type: ignore[arg-type]
                self._apply(now, engine, result, ops)
            if now >= next_tick:
                next_tick = now + 0.1
                self._apply(now, engine, engine.on_tick(now), ops)

    def between(self, start: float, end: float) -> list[str]:
        return [text for at, text in self.sent if start <= at < end]

    def _engine(self) -> Failover:
        config = FailoverConfig(self.role, ("node1", "node2"), GROUPS, "on")
        return Failover(config, lambda _n: self.hacore_peer, trace=self.trace.append)

    def _apply(
        self, now: float, engine: Failover, actions: list[Action], ops: list[tuple[float, str, str]]
    ) -> None:
        for act in actions:
            if isinstance(act, SendMessage):
                self.sent.append((now, brief(act.msg)))
            elif isinstance(act, Acquire):
                ops.append((now + OP_TIME, act.key, "acquire"))
            elif isinstance(act, Release):
                ops.append((now + OP_TIME, act.key, "release"))


def real(role: str, start: float, end: float) -> list[str]:
    return [brief(c.msg) for c in captured_messages() if c.src == role and start <= c.at < end]


def _marker(_: Failover, __: float) -> list[Action]:
    return []


START: Step = _marker
KILL: Step = lambda engine, now: []  # noqa: E731 - a distinct marker object


def comm_up(engine: Failover, now: float) -> list[Action]:
    return engine.on_comm_up(now)


def status(peer: str, old: NodeStatus, new: NodeStatus) -> Step:
    return lambda engine, now: engine.on_node_status(peer, old, new, now)


def restarted(peer: str) -> Step:
    return lambda engine, now: engine.on_peer_restarted(peer, now)


def standby(scope: Scope) -> Step:
    return lambda engine, now: engine.request_standby(scope, now)


def takeover(scope: Scope) -> Step:
    return lambda engine, now: engine.request_takeover(scope, now)


def shutdown(engine: Failover, now: float) -> list[Action]:
    return engine.request_shutdown(now)
