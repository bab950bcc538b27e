"""A two-node cluster of real Failover engines on a simulated clock.

What is fake is only what sits outside the engine: the network (an in-memory pipe
with latency that can be cut), membership (liveness after ``deadtime`` without
contact, generations, partition heals, stalls, retransmission of what a short cut
held back) and the resource manager (operations that take ``op_time`` and succeed
unless told to fail). Every step checks the safety invariant: while both nodes are
alive and connected, no group runs on both. The one exception is the few seconds
after a split ends (a partition heals, a stalled node resumes): both sides then act
for about one round trip on what they knew before, and the holdings audit must have
removed any overlap within ``HEAL_GRACE``, unless the loser's stop failed (FAILED):
then nothing but the operator (or fencing) can end it, which the engine reports.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from hacore.api import NodeStatus, Scope
from hacore.config.model import AutoFailback, ResourceGroup, ResourceSpec
from hacore.failover import (
    Acquire,
    Action,
    Announce,
    Failover,
    FailoverConfig,
    GroupChanged,
    OperationDone,
    Recover,
    Release,
    SendMessage,
    ShutdownReady,
    Transition,
)
from hacore.wire.message import Message

STEP = 0.01
TICK = 0.1
HEAL_GRACE = 3.0  # seconds the end of a split may take to converge


CONTROL = {"src", "srcuuid", "seq", "hg", "ts", "ld", "ttl", "auth", "destuuid"}


def brief(msg: Message) -> str:
    """``t field=value ...`` without control fields, as docs/protocol.md §9.4a writes sequences."""
    body = " ".join(
        f"{f.name}={f.value if isinstance(f.value, str) else repr(f.value)}"
        for f in msg
        if f.name not in CONTROL | {"t"}
    )
    return f"{msg.type} {body}".rstrip()


def group(node: str, *tokens: str) -> ResourceGroup:
    return ResourceGroup(node, tuple(ResourceSpec(t, t.split("::")[0], ()) for t in tokens))


# The seed's layout: node1 serves the VIP + httpd, node2 its own small group.
GROUPS = (group("node1", "10.0.0.60", "httpd"), group("node2", "hbdummy::gamma"))
VIP, GAMMA = "10.0.0.60", "hbdummy::gamma"


class InvariantError(AssertionError):
    pass


@dataclass
class Sent:
    at: float
    src: str
    msg: Message

    def brief(self) -> str:
        return f"{self.src}: {brief(self.msg)}"


@dataclass
class SimNode:
    name: str
    engine: Failover | None = None
    generation: int = 0
    stalled_until: float | None = None
    comm_up: bool = False
    running: set[str] = field(default_factory=set)  # ground truth: may run here
    sees_peer: bool = False  # membership: peer alive in our eyes
    deaths_seen: int = 0  # how often we declared the peer dead (resets seq tracking)
    declared_dead: bool = False  # this instance declared the peer dead
    last_contact: float = 0.0
    peer_generation: int = 0
    started_at: float = 0.0
    ops: dict[str, str] = field(default_factory=dict)  # key -> op in flight
    done: list[OperationDone] = field(default_factory=list)
    changes: list[GroupChanged] = field(default_factory=list)
    announced: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    shutdown_ready: bool = False

    @property
    def alive(self) -> bool:
        return self.engine is not None

    @property
    def stalled(self) -> bool:
        return self.stalled_until is not None


class Cluster:
    def __init__(
        self,
        groups: Iterable[ResourceGroup] = GROUPS,
        auto_failback: AutoFailback = "on",
        *,
        hacore: bool = True,
        latency: float = 0.002,
        op_time: float = 0.05,
        deadtime: float = 2.0,
        initdead: float = 4.0,
        trace: list[Transition] | None = None,
    ) -> None:
        self.groups = tuple(groups)
        self.auto_failback: AutoFailback = auto_failback
        self.hacore = hacore
        self.latency = latency
        self.op_time = op_time
        self.deadtime = deadtime
        self.initdead = initdead
        self.trace = trace
        self.now = 0.0
        self.nodes = {n: SimNode(n) for n in ("node1", "node2")}
        self.connected = True
        self.fail_acquire: dict[str, set[str]] = {n: set() for n in self.nodes}
        self.fail_release: dict[str, set[str]] = {n: set() for n in self.nodes}
        self.wire: list[Sent] = []
        self.held: list[tuple[str, Message, tuple[int, int], int]] = []  # cut off in transit
        self.split_ended_at: float | None = None
        self.overlap_since: dict[str, float] = {}
        self._events: list[tuple[float, int, str, tuple[object, ...]]] = []
        self._seq = itertools.count()
        self._next_tick = 0.0

    # ------------------------------------------------------------ scenario verbs

    def other(self, name: str) -> str:
        return "node2" if name == "node1" else "node1"

    def start(self, name: str) -> None:
        node = self.nodes[name]
        assert not node.alive, f"{name} already running"
        config = FailoverConfig(name, tuple(self.nodes), self.groups, self.auto_failback)
        node.engine = Failover(config, lambda _n: self.hacore, trace=self._traced)
        node.generation += 1
        node.comm_up = False
        node.sees_peer = False
        node.declared_dead = False
        node.peer_generation = 0  # a new instance knows nothing of the peer
        node.started_at = self.now
        node.running.clear()  # release_all_stale at start
        node.ops.clear()
        node.shutdown_ready = False

    def kill(self, name: str) -> None:
        """The machine dies: its process and everything it ran are gone."""
        node = self.nodes[name]
        node.engine = None
        node.running.clear()
        node.ops.clear()
        node.stalled_until = None

    def stop(self, name: str) -> None:
        """SIGTERM: graceful shutdown; the node exits on ShutdownReady."""
        self._apply(name, self._engine(name).request_shutdown(self.now))

    def standby(self, name: str, scope: Scope = Scope.ALL) -> None:
        self._apply(name, self._engine(name).request_standby(scope, self.now))

    def takeover(self, name: str, scope: Scope = Scope.ALL) -> None:
        self._apply(name, self._engine(name).request_takeover(scope, self.now))

    def monitor_failure(self, name: str, key: str) -> None:
        """``name``'s monitor used up the restarts of a resource of ``key`` (if it runs it)."""
        node = self.nodes[name]
        if node.engine is not None and key in node.running and key not in node.ops:
            self._apply(name, node.engine.on_monitor_failure(key, self.now))

    def cleanup(self, name: str, key: str) -> None:
        if self.nodes[name].engine is not None:
            self._apply(name, self._engine(name).on_cleanup(key, self.now))

    def partition(self) -> None:
        self.connected = False

    def heal(self) -> None:
        self.connected = True
        self._release_held()

    def stall(self, name: str, seconds: float) -> None:
        self.nodes[name].stalled_until = self.now + seconds

    def run(self, seconds: float) -> None:
        end = self.now + seconds
        while self.now < end - 1e-9:
            self.now = round(self.now + STEP, 6)
            self._step()

    def run_until(self, condition: object, limit: float = 60.0) -> float:
        """Run until ``condition()`` is true; return the simulated time it took."""
        assert callable(condition)
        start = self.now
        while not condition():
            assert self.now - start < limit, f"condition not met within {limit}s"
            self.now = round(self.now + STEP, 6)
            self._step()
        return self.now - start

    # ------------------------------------------------------------ observations

    def holders(self, key: str) -> set[str]:
        """Where the group may run (ground truth, any node alive)."""
        return {n for n, node in self.nodes.items() if node.alive and key in node.running}

    def settled_on(self, name: str, keys: Iterable[str]) -> bool:
        return all(self.holders(k) == {name} for k in keys) and not self.busy()

    def busy(self) -> bool:
        return any(node.ops for node in self.nodes.values()) or any(
            kind == "deliver" for _, _, kind, _ in self._events
        )

    def sent(self, src: str | None = None, since: float = 0.0) -> list[str]:
        return [s.brief() for s in self.wire if s.at >= since and (src is None or s.src == src)]

    def engine(self, name: str) -> Failover:
        return self._engine(name)

    # ------------------------------------------------------------ machinery

    def _engine(self, name: str) -> Failover:
        engine = self.nodes[name].engine
        assert engine is not None, f"{name} is not running"
        return engine

    def _traced(self, transition: Transition) -> None:
        if self.trace is not None:
            self.trace.append(transition)

    def _schedule(self, at: float, kind: str, *args: object) -> None:
        heapq.heappush(self._events, (at, next(self._seq), kind, args))

    def _step(self) -> None:
        for node in self.nodes.values():
            if node.stalled_until is not None and self.now >= node.stalled_until:
                node.stalled_until = None
                node.last_contact = self.now  # membership resets timestamps after a stall
                self.split_ended_at = self.now
                if node.engine is not None:
                    self._apply(node.name, node.engine.on_local_stall(self.now))
        while self._events and self._events[0][0] <= self.now:
            _at, _seq, kind, args = heapq.heappop(self._events)
            target = str(args[0])
            if self.nodes[target].stalled:
                self._schedule(self.nodes[target].stalled_until or self.now, kind, *args)
                continue
            if kind == "deliver":
                self._deliver(target, args[1], args[2])  # type: ignore[arg-type]
            else:
                self._complete(target, str(args[1]), str(args[2]), int(args[3]))  # type: ignore[call-overload]
        self._membership()
        if self.now >= self._next_tick:
            self._next_tick = self.now + TICK
            for name, node in self.nodes.items():
                if node.engine is not None and not node.stalled:
                    self._apply(name, node.engine.on_tick(self.now))
        self._check_invariant()

    def _membership(self) -> None:
        for name, node in self.nodes.items():
            if node.engine is None or node.stalled:
                continue
            peer = self.nodes[self.other(name)]
            # The new instance's first packet cannot overtake what the old one sent.
            heard = self.now >= peer.started_at + self.latency
            contact = self.connected and peer.alive and not peer.stalled and heard
            if contact:
                node.last_contact = self.now
                if not node.sees_peer or peer.generation != node.peer_generation:
                    self._peer_appears(node, peer)
            elif node.sees_peer and self.now - node.last_contact > self.deadtime:
                node.sees_peer = False
                node.declared_dead = True
                node.deaths_seen += 1
                self._apply(
                    name,
                    node.engine.on_node_status(
                        peer.name, NodeStatus.ACTIVE, NodeStatus.DEAD, self.now
                    ),
                )
            if not node.comm_up and node.engine is not None:
                waited = self.now - node.started_at
                if node.sees_peer or waited > self.initdead:
                    if not node.sees_peer:
                        node.declared_dead = True
                        self._apply(
                            name,
                            node.engine.on_node_status(
                                peer.name, NodeStatus.INIT, NodeStatus.DEAD, self.now
                            ),
                        )
                    node.comm_up = True
                    self._apply(name, node.engine.on_comm_up(self.now))
                    self._now_active(node)

    def _now_active(self, node: SimNode) -> None:
        """Our status turned active: a peer that sees us is told (init → active)."""
        peer = self.nodes[self.other(node.name)]
        if peer.engine is not None and peer.sees_peer and not peer.stalled:
            change = peer.engine.on_node_status(
                node.name, NodeStatus.INIT, NodeStatus.ACTIVE, self.now
            )
            self._apply(peer.name, change)

    def _peer_appears(self, node: SimNode, peer: SimNode) -> None:
        engine = node.engine
        assert engine is not None
        known = node.peer_generation
        old = NodeStatus.DEAD if node.declared_dead else NodeStatus.INIT
        if node.sees_peer:
            old = NodeStatus.ACTIVE  # a restart faster than deadtime
        new = NodeStatus.ACTIVE if peer.comm_up else NodeStatus.INIT
        node.sees_peer = True
        node.declared_dead = False
        node.peer_generation = peer.generation
        if known and peer.generation > known:
            self._apply(node.name, engine.on_peer_restarted(peer.name, self.now))
        elif known:
            self.split_ended_at = self.now
            self._apply(node.name, engine.on_partition_healed(peer.name, self.now))
        elif old == NodeStatus.DEAD and new == NodeStatus.ACTIVE:
            self.split_ended_at = self.now  # it came up alone during the cut
        self._apply(node.name, engine.on_node_status(peer.name, old, new, self.now))

    def _deliver(self, target: str, msg: Message, generations: tuple[int, int]) -> None:
        """Deliver unless the receiver restarted meanwhile or has already seen a newer
        instance of the sender (membership's replay rule)."""
        node = self.nodes[target]
        receiver_generation, sender_generation = generations
        if node.engine is None or node.generation != receiver_generation:
            return
        if node.peer_generation > sender_generation:
            return
        self._apply(target, node.engine.on_message(msg, self.now))

    def _complete(self, name: str, key: str, op: str, generation: int) -> None:
        node = self.nodes[name]
        if node.engine is None or node.generation != generation or node.ops.get(key) != op:
            return
        del node.ops[key]
        if op == "acquire":
            ok = key not in self.fail_acquire[name]
            if not ok:
                node.running.discard(key)  # the RM stops a group whose start failed
        else:
            ok = key not in self.fail_release[name]
            if ok:
                node.running.discard(key)
        self._apply(name, node.engine.on_group_result(key, op, ok, self.now))  # type: ignore[arg-type]

    def _apply(self, name: str, actions: list[Action]) -> None:
        node = self.nodes[name]
        for act in actions:
            if isinstance(act, SendMessage):
                self._send(name, act.msg)
            elif isinstance(act, Acquire | Release):
                op = "acquire" if isinstance(act, Acquire) else "release"
                assert act.key not in node.ops, f"{name}: {op} {act.key} while {node.ops}"
                node.ops[act.key] = op
                if op == "acquire":
                    node.running.add(act.key)  # counts as running from the first moment
                self._schedule(
                    self.now + self.op_time, "complete", name, act.key, op, node.generation
                )
            elif isinstance(act, Announce):
                node.announced.append(act.key)
            elif isinstance(act, Recover):
                assert act.key in node.running, f"{name}: Recover {act.key} not running here"
                node.recovered.append(act.key)
            elif isinstance(act, GroupChanged):
                node.changes.append(act)
            elif isinstance(act, OperationDone):
                node.done.append(act)
            elif isinstance(act, ShutdownReady):
                node.shutdown_ready = True
        if node.shutdown_ready and node.engine is not None:
            assert not node.running, f"{name} exits with {node.running} running"
            node.engine = None

    def _send(self, src: str, msg: Message) -> None:
        stamped = msg.copy()
        stamped.add("src", src)
        self.wire.append(Sent(self.now, src, stamped))
        dest = msg.get("dest")
        target = self.other(src)
        if dest is not None and dest != target:
            return  # self-addressed: the peer drops it (and we never loop back)
        if not self.nodes[target].alive:
            return
        generations = (self.nodes[target].generation, self.nodes[src].generation)
        if not self.connected:
            # Retransmitted after the link returns, unless the receiver declares us
            # dead meanwhile (that resets its sequence tracking: the gap is forgotten).
            self.held.append((target, stamped, generations, self.nodes[target].deaths_seen))
            return
        self._schedule(self.now + self.latency, "deliver", target, stamped, generations)

    def _release_held(self) -> None:
        held, self.held = self.held, []
        for target, msg, generations, deaths in held:
            if self.nodes[target].deaths_seen == deaths:
                self._schedule(self.now + self.latency, "deliver", target, msg, generations)

    def _keys(self) -> list[str]:
        return [g.key for g in self.groups]

    def _check_invariant(self) -> None:
        both = self.connected and all(n.alive and not n.stalled for n in self.nodes.values())
        if not both:
            self.overlap_since.clear()
            return
        ended = self.split_ended_at
        in_grace = ended is not None and self.now - ended <= HEAL_GRACE
        for key in self._keys():
            if len(self.holders(key)) < 2:
                self.overlap_since.pop(key, None)
                continue
            if key not in self.overlap_since and not in_grace:
                raise InvariantError(f"t={self.now:.2f}: {key} started on both nodes")
            self.overlap_since.setdefault(key, self.now)
            stuck = any(
                n.engine is not None and n.engine.local_state(key) == "failed"
                for n in self.nodes.values()
            )
            if not in_grace and not stuck:
                raise InvariantError(f"t={self.now:.2f}: {key} still runs on both nodes")
