"""N hacore nodes in one process: the real engines on a simulated multicast link.

Every node is a real :class:`~hacore.membership.Membership` engine with a real
:class:`~hacore.wire.signing.PacketSigner` (sha1 authkeys, as the lab's seed): each packet
is stamped, encoded and signed by its sender, and verified, decoded and fed to the engine
by every other node. Only the wire and the sockets are simulated.

Time is simulated too, and that is what makes its timings honest. A node runs on its own
CPU, as it would on its own machine: it handles one event at a time (a packet, a tick, a
heartbeat due), and each event costs it the CPU time the real code took for it in this
process, measured with the thread's CPU clock (so a preemption by another process on a
busy machine is not charged). Events that arrive while a node is busy wait, as they wait
in a socket; its ticks and heartbeats run late by as much. So overload shows up exactly
as in a real cluster: packets queue, heartbeats leave late, peers declare the node dead.

The alternatives were worse. On the wall clock (an asyncio loop), one process would run
the work of all N machines on one core: 128 nodes at keepalive 100 ms receive about 160,000
packets a second together, which no Python process verifies in real time, so every false
death would be an artefact of the simulation. On a virtual clock where work takes no time,
nothing could ever be late, and the run would prove the protocol's logic but not that a
node keeps up. Here the protocol timings are the configured ones and the work is real;
what is not counted is what lies outside the engines (syscalls, the event loop, metrics,
log I/O), so the CPU figures are a lower bound for a daemon (bench.scaling measures that
on real daemons at 32 nodes).

The node loop mirrors hacore/node.py: a status every keepalive (drift-free, no burst
after a stall), a tick one tick period after the previous one finished.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import structlog
from hacore_plugins.auth.sha1 import SHA1

from hacore.api import NodeStatus
from hacore.config.model import AuthKey, AuthKeys
from hacore.membership import LocalStall, Membership, MembershipConfig, NodeChanged, Send
from hacore.membership.effects import Effect
from hacore.statuspath import StatusTemplates
from hacore.wire.signing import PacketSigner

LINK = "eth1"
LATENCY_S = 0.0002  # one bridge hop between namespaces, roughly
GENERATION = 1_796_544_420
_LIVE = (NodeStatus.UP, NodeStatus.ACTIVE)

Charge = Callable[[float], float]
"""What an event costs a node, given the CPU seconds the real code took for it."""


def measured(cpu_s: float) -> float:
    return cpu_s


def fixed(seconds: float) -> Charge:
    """Every event costs ``seconds``: deterministic runs (tests), or an overload on purpose."""
    return lambda _cpu_s: seconds


@dataclass(frozen=True)
class Timing:
    keepalive_ms: int = 100
    deadtime_ms: int = 500
    warntime_ms: int = 300
    initdead_ms: int = 2000

    @property
    def keepalive_s(self) -> float:
        return self.keepalive_ms / 1000

    @property
    def tick_s(self) -> float:
        """hacore/node.py's tick: one keepalive, at most 100 ms."""
        return min(100, self.keepalive_ms) / 1000

    @property
    def detection_bound_s(self) -> float:
        """The promise: a death is seen within deadtime + one keepalive."""
        return (self.deadtime_ms + self.keepalive_ms) / 1000


FAST = Timing()  # the lab's fast profile


@dataclass
class SimNode:
    name: str
    engine: Membership
    signer: PacketSigner
    charge: Charge
    statuses: StatusTemplates  # the receive path's short cut, as in the daemon
    up: bool = True
    free_at: float = 0.0  # its CPU is busy until then
    busy_s: float = 0.0  # CPU charged in the window (start_window)
    status_due: float = 0.0
    status_lag_s: float = 0.0  # in the window, the latest a heartbeat left after it was due
    sees: set[str] = field(default_factory=set)  # peers whose status is up/active here
    inbox: deque[Callable[[], None]] = field(default_factory=deque)  # waiting for the CPU


@dataclass(frozen=True)
class Death:
    at: float
    observer: str
    node: str
    reason: str


@dataclass
class Outcome:
    """What a run saw; times are simulated seconds since the start."""

    converged_at: float | None = None
    false_deaths: list[Death] = field(default_factory=list)
    detections: dict[str, float] = field(default_factory=dict)  # survivor -> delay after kill
    stalls: int = 0  # LocalStall effects (a node saw its own loop stall past deadtime)
    log_events: dict[str, int] = field(default_factory=dict)  # engine log events by level
    packets: int = 0  # packets sent (each reaches every node)
    deliveries: int = 0  # packets handed to a receiving engine


class SimCluster:
    """``nodes`` engines on one simulated multicast link; see the module docstring."""

    def __init__(
        self,
        nodes: int,
        timing: Timing = FAST,
        charge: Charge = measured,
        seed: int = 0,
        slow: Mapping[str, Charge] | None = None,
    ) -> None:
        """``charge`` prices every node's events; ``slow`` overrides it for some nodes (a
        starved machine among healthy ones)."""
        self.timing = timing
        self.rng = random.Random(seed)
        self.now = 0.0
        self.outcome = Outcome()
        names = tuple(f"node{i}" for i in range(1, nodes + 1))
        keys = AuthKeys(active=1, keys={1: AuthKey(1, SHA1, b"somekey")})
        engines = {name: Membership(self._config(name, names, seed)) for name in names}
        self.nodes = {
            name: SimNode(
                name,
                engine,
                PacketSigner(keys),
                (slow or {}).get(name, charge),
                StatusTemplates(engine, nodes),
            )
            for name, engine in engines.items()
        }
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._killed: dict[str, float] = {}
        self._window_start = 0.0
        self._complete = 0  # nodes that see every other up
        for node in self.nodes.values():
            phase = self.rng.uniform(0, timing.keepalive_s)
            node.status_due = phase
            self._on(node, phase, partial(self._heartbeat, node))
            self._on(node, phase + self.rng.uniform(0, timing.tick_s), partial(self._tick, node))

    def _config(self, name: str, names: tuple[str, ...], seed: int) -> MembershipConfig:
        t = self.timing
        return MembershipConfig(
            local_node=name,
            nodes=names,
            links={n: (LINK,) for n in names},
            keepalive_ms=t.keepalive_ms,
            deadtime_ms=t.deadtime_ms,
            warntime_ms=t.warntime_ms,
            initdead_ms=t.initdead_ms,
            deadping_ms=t.deadtime_ms,
            generation=GENERATION,
            uuid=name.encode().ljust(16, b"-")[:16],
            tick_ms=round(t.tick_s * 1000),
            seed=zlib.crc32(f"{seed} {name}".encode()),
        )

    # ------------------------------------------------------------------ driving

    def run_until(self, until: float) -> None:
        with _counted_logs(self.outcome.log_events):
            while self._queue and self._queue[0][0] <= until:
                when, _, action = heapq.heappop(self._queue)
                self.now = when
                action()
        self.now = until

    def run_until_converged(self, timeout: float) -> float | None:
        """Run until every node sees every other up; the simulated time then, or None."""
        step = self.timing.keepalive_s
        while self.outcome.converged_at is None and self.now < timeout:
            self.run_until(min(timeout, self.now + step))
        return self.outcome.converged_at

    def kill(self, name: str) -> None:
        """Crash ``name`` now: it sends and handles nothing more."""
        self.nodes[name].up = False
        self._killed[name] = self.now

    def start_window(self) -> None:
        """Start a new measuring window now: CPU charged, and how late heartbeats left."""
        self._window_start = self.now
        for node in self.nodes.values():
            node.busy_s = 0.0
            node.status_lag_s = 0.0

    def cpu_pct(self) -> dict[str, float]:
        """Per live node, CPU charged since ``start_window`` as % of the simulated time."""
        span = self.now - self._window_start
        return {n.name: 100 * n.busy_s / span for n in self.nodes.values() if n.up and span > 0}

    # ------------------------------------------------------------------ node loop

    def _at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._queue, (when, next(self._order), action))

    def _on(self, node: SimNode, when: float, action: Callable[[], None]) -> None:
        """``action`` reaches ``node`` at ``when``; it runs once the node's CPU is free,
        after what reached it earlier (a socket's queue, the event loop's ready list)."""

        def arrive() -> None:
            if not node.up:
                return
            node.inbox.append(action)
            if len(node.inbox) == 1:
                self._at(max(self.now, node.free_at), partial(self._serve, node))

        self._at(when, arrive)

    def _serve(self, node: SimNode) -> None:
        if not node.up:
            node.inbox.clear()
            return
        node.inbox[0]()
        node.inbox.popleft()
        if node.inbox:
            self._at(node.free_at, partial(self._serve, node))

    def _work(self, node: SimNode, job: Callable[[], list[Effect]]) -> float:
        """Run ``job`` on ``node`` now, charge it, act on its effects; returns the end."""
        start = self.now
        cpu = time.thread_time()
        effects = job()
        packets = [self._seal(node, e) for e in effects if isinstance(e, Send)]
        spent = node.charge(time.thread_time() - cpu)
        node.busy_s += spent
        node.free_at = end = start + spent
        for packet in packets:
            self._multicast(node, packet, end)
        self._observe(node, effects, start)
        return end

    def _heartbeat(self, node: SimNode) -> None:
        node.status_lag_s = max(node.status_lag_s, self.now - node.status_due)
        end = self._work(node, lambda: [Send(node.engine.status_message(self.now))])
        node.status_due += self.timing.keepalive_s
        if node.status_due < end:  # stalled: no burst to catch up (node.py)
            node.status_due = end
        self._on(node, node.status_due, partial(self._heartbeat, node))

    def _tick(self, node: SimNode) -> None:
        end = self._work(node, lambda: node.engine.tick(self.now))
        self._on(node, end + self.timing.tick_s, partial(self._tick, node))

    def _seal(self, node: SimNode, send: Send) -> bytes:
        msg = send.msg
        if not send.stamped:
            msg = node.engine.stamp(msg, self.now, time.time())
        return node.signer.seal(msg)

    def _multicast(self, sender: SimNode, packet: bytes, sent: float) -> None:
        """To every other node: the lab's mcast line has loop 0, so no copy comes back."""
        self.outcome.packets += 1
        arrival = sent + LATENCY_S
        for receiver in self.nodes.values():
            if receiver is not sender:
                self._on(receiver, arrival, partial(self._receive, receiver, packet))

    def _receive(self, node: SimNode, packet: bytes) -> None:
        self.outcome.deliveries += 1

        def handle() -> list[Effect]:  # what Node._on_packet does
            effects = node.statuses.receive(packet, node.signer, LINK, self.now)
            if effects is None:
                msg = node.signer.open(packet)
                effects = node.engine.receive(msg, LINK, self.now)
                node.statuses.learn(packet, msg, node.signer, effects)
            return effects

        self._work(node, handle)

    # ------------------------------------------------------------------ observing

    def _observe(self, node: SimNode, effects: list[Effect], at: float) -> None:
        for effect in effects:
            if isinstance(effect, LocalStall):
                self.outcome.stalls += 1
            if not isinstance(effect, NodeChanged):
                continue
            change = effect.change
            complete = len(node.sees) == len(self.nodes) - 1
            if change.new in _LIVE:
                node.sees.add(change.node)
            elif change.new is NodeStatus.DEAD:
                node.sees.discard(change.node)
                self._note_death(Death(at, node.name, change.node, change.reason))
            self._complete += (len(node.sees) == len(self.nodes) - 1) - complete
            if self._complete == len(self.nodes) and self.outcome.converged_at is None:
                self.outcome.converged_at = at

    def _note_death(self, death: Death) -> None:
        killed_at = self._killed.get(death.node)
        if killed_at is None:
            self.outcome.false_deaths.append(death)
        elif death.observer not in self.outcome.detections:
            self.outcome.detections[death.observer] = death.at - killed_at


@contextmanager
def _counted_logs(counts: MutableMapping[str, int]) -> Iterator[None]:
    """The engines' log events are counted by level and dropped while the cluster runs
    (in a daemon they go to a file; steady state writes none)."""
    saved = structlog.get_config()

    def count(_logger: Any, method: str, _event: Mapping[str, Any]) -> Mapping[str, Any]:
        counts[method] = counts.get(method, 0) + 1
        raise structlog.DropEvent

    structlog.configure(processors=[count], cache_logger_on_first_use=False)
    try:
        yield
    finally:
        structlog.configure(**saved)
