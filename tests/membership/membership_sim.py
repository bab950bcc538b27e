"""A discrete-event simulation of hacore nodes wired through lossy links.

Each simulated node runs the real ``Membership`` engine exactly as the daemon does:
a status every keepalive, ``tick`` every tick period, every ``Send`` effect stamped
(unless already stamped) and put on every link. Packets are copied on the "wire" so no
state leaks between engines; loss is decided per packet, link and receiver by a seeded
RNG, so every run is reproducible.
"""

from __future__ import annotations

import heapq
import itertools
import random
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from hacore.api import NodeStatus
from hacore.membership import (
    CommUp,
    Deliver,
    Effect,
    Membership,
    MembershipConfig,
    NodeChanged,
    Send,
)
from hacore.wire.message import Message

WALL_OFFSET = 1_795_533_672.0  # the vectors' era, so ts looks like real Heartbeat's


def make_config(
    local: str,
    nodes: Iterable[str],
    *,
    links: tuple[str, ...] = ("eth1",),
    ping_nodes: tuple[str, ...] = (),
    generation: int = 100,
    **timing: Any,
) -> MembershipConfig:
    nodes = tuple(nodes)
    link_map = {n: links for n in nodes}
    link_map.update({p: (p,) for p in ping_nodes})
    defaults: dict[str, Any] = dict(
        keepalive_ms=100,
        deadtime_ms=500,
        warntime_ms=300,
        initdead_ms=2000,
        deadping_ms=500,
        tick_ms=50,
        seed=zlib.crc32(local.encode()),
    )
    defaults.update(timing)
    return MembershipConfig(
        local_node=local,
        nodes=nodes,
        ping_nodes=ping_nodes,
        links=link_map,
        generation=generation,
        uuid=(local.encode() * 16)[:16],
        loadavg=lambda: "0.14 0.11 0.04 5/98 9440",
        **defaults,
    )


@dataclass
class SimNode:
    name: str
    membership: Membership
    running: bool = True
    effects: list[tuple[float, Effect]] = field(default_factory=list)
    delivered: list[tuple[float, Message]] = field(default_factory=list)

    def first(self, kind: type, when: Callable[[Any], bool] = lambda e: True) -> float | None:
        return next((t for t, e in self.effects if isinstance(e, kind) and when(e)), None)

    def deaths(self, node: str) -> list[float]:
        return [
            t
            for t, e in self.effects
            if isinstance(e, NodeChanged)
            and e.change.node == node
            and e.change.new is NodeStatus.DEAD
        ]

    def comm_up_at(self) -> float | None:
        return self.first(CommUp)

    def app_messages(self) -> list[Message]:
        return [m for _, m in self.delivered if m.type == "app"]


class SimNet:
    """Nodes, links and a clock. ``loss`` is the drop probability per packet per link."""

    def __init__(
        self,
        configs: Iterable[MembershipConfig],
        *,
        loss: float = 0.0,
        latency: float = 0.001,
        seed: int = 0,
    ) -> None:
        self.rng = random.Random(seed)
        self.loss = loss
        self.latency = latency
        self.now = 0.0
        self.nodes: dict[str, SimNode] = {}
        self.configs: dict[str, MembershipConfig] = {}
        self.cut: set[frozenset[str]] = set()  # node pairs that cannot hear each other
        self.arrivals: list[tuple[float, str, str, Message]] = []  # (t, from, to, msg)
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        for cfg in configs:
            self.configs[cfg.local_node] = cfg
            self.start(cfg.local_node, cfg)

    # ------------------------------------------------------------------ control

    def start(self, name: str, cfg: MembershipConfig | None = None) -> SimNode:
        """(Re)start a node with ``cfg`` (a restart passes a config with a new generation)."""
        cfg = cfg or self.configs[name]
        self.configs[name] = cfg
        node = SimNode(name, Membership(cfg))
        old = self.nodes.get(name)
        if old is not None:
            old.running = False
        self.nodes[name] = node
        phase = self.rng.uniform(0, cfg.keepalive_ms / 1000)
        self._every(cfg.keepalive_ms / 1000, phase, node, self._heartbeat)
        self._every(cfg.tick_ms / 1000, self.rng.uniform(0, cfg.tick_ms / 1000), node, self._tick)
        return node

    def stop(self, name: str) -> None:
        self.nodes[name].running = False

    def send_app(self, name: str, body: str, dest: str | None = None) -> None:
        """Have ``name`` send an application message (what failover would send)."""
        msg = Message(("t", "app"), ("body", body))
        if dest is not None:
            msg.add("dest", dest)
        self._send(self.nodes[name], msg, stamped=False)

    def run_until(self, until: float) -> None:
        while self._queue and self._queue[0][0] <= until:
            when, _, action = heapq.heappop(self._queue)
            self.now = when
            action()
        self.now = until

    # ------------------------------------------------------------------ internals

    def _at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._queue, (when, next(self._order), action))

    def _every(
        self, period: float, phase: float, node: SimNode, job: Callable[[SimNode], None]
    ) -> None:
        def fire() -> None:
            if not node.running:
                return
            job(node)
            self._at(self.now + period, fire)

        self._at(self.now + phase, fire)

    def _heartbeat(self, node: SimNode) -> None:
        self._send(node, node.membership.status_message(self.now), stamped=False)

    def _tick(self, node: SimNode) -> None:
        self._apply(node, node.membership.tick(self.now))

    def _apply(self, node: SimNode, effects: list[Effect]) -> None:
        for effect in effects:
            node.effects.append((self.now, effect))
            if isinstance(effect, Send):
                self._send(node, effect.msg, stamped=effect.stamped)
            elif isinstance(effect, Deliver):
                node.delivered.append((self.now, effect.msg))

    def _send(self, node: SimNode, msg: Message, *, stamped: bool) -> None:
        if not node.running:
            return
        if not stamped:
            msg = node.membership.stamp(msg, self.now, WALL_OFFSET + self.now)
        cfg = self.configs[node.name]
        for other in self.nodes.values():
            if other is node or frozenset((node.name, other.name)) in self.cut:
                continue
            for link in cfg.links[node.name]:
                if self.rng.random() < self.loss:
                    continue
                self._at(self.now + self.latency, self._receiver(other, msg.copy(), link))

    def _receiver(self, node: SimNode, msg: Message, link: str) -> Callable[[], None]:
        def deliver() -> None:
            if node.running:
                self.arrivals.append((self.now, msg.get("src") or "", node.name, msg))
                self._apply(node, node.membership.receive(msg, link, self.now))

        return deliver
