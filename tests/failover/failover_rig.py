"""One engine (node1) driven by hand: the peer's messages, membership, results, time."""

from __future__ import annotations

from collections.abc import Callable

from hacore.api import NodeStatus, Scope
from hacore.config.model import AutoFailback
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
from tests.failover.failover_sim import GAMMA, GROUPS, VIP, brief

__all__ = ["GAMMA", "TIEBREAKER", "VIP", "Rig"]

TIEBREAKER = "10.0.0.2"


class Rig:
    def __init__(self, mode: AutoFailback = "on", *, hacore: bool = True) -> None:
        self.trace: list[Transition] = []
        config = FailoverConfig("node1", ("node1", "node2"), GROUPS, mode)
        self.engine = Failover(config, lambda _n: hacore, trace=self.trace.append)
        self.now = 0.0
        self.pending: list[tuple[str, str]] = []  # (key, op) issued and not yet reported
        self.log: list[Action] = []

    # ---------------------------------------------------------------- inputs

    def _run(self, call: Callable[[Failover, float], list[Action]]) -> list[Action]:
        actions = call(self.engine, self.now)
        for act in actions:
            if isinstance(act, Acquire):
                self.pending.append((act.key, "acquire"))
            elif isinstance(act, Release):
                self.pending.append((act.key, "release"))
        self.log += actions
        return actions

    def comm_up(self) -> list[Action]:
        return self._run(lambda e, now: e.on_comm_up(now))

    def msg(self, kind: str, **fields: str) -> list[Action]:
        message = Message(("t", kind), *fields.items(), ("src", "node2"))
        return self._run(lambda e, now: e.on_message(message, now))

    def resource(self, hold: str, stable: str, info: str | None = None) -> list[Action]:
        fields = {"rsc_hold": hold, "rtype": "full", "isstable": stable}
        if info is not None:
            fields["info"] = info
        return self.msg("resource", **fields)

    def ask(self, hold: str, info: str) -> list[Action]:
        return self.msg("ask_resources", rsc_hold=hold, info=info)

    def dead(self, *, fenced: bool = False) -> list[Action]:
        return self._run(
            lambda e, now: e.on_node_status(
                "node2", NodeStatus.ACTIVE, NodeStatus.DEAD, now, fenced=fenced
            )
        )

    def alive(self) -> list[Action]:
        """The peer comes back starting (status up)."""
        return self._run(
            lambda e, now: e.on_node_status("node2", NodeStatus.DEAD, NodeStatus.UP, now)
        )

    def returned(self) -> list[Action]:
        """The peer comes back already active: it started alone during a cut."""
        return self._run(
            lambda e, now: e.on_node_status("node2", NodeStatus.DEAD, NodeStatus.ACTIVE, now)
        )

    def restarted(self) -> list[Action]:
        return self._run(lambda e, now: e.on_peer_restarted("node2", now))

    def healed(self) -> list[Action]:
        return self._run(lambda e, now: e.on_partition_healed("node2", now))

    def stall(self) -> list[Action]:
        return self._run(lambda e, now: e.on_local_stall(now))

    def tiebreaker_lost(self) -> list[Action]:
        return self._run(lambda e, now: e.on_tiebreaker_lost(TIEBREAKER, now))

    def tiebreaker_regained(self) -> list[Action]:
        return self._run(lambda e, now: e.on_tiebreaker_regained(TIEBREAKER, now))

    def tick(self, seconds: float) -> list[Action]:
        self.now += seconds
        return self._run(lambda e, now: e.on_tick(now))

    def finish(self, ok: bool = True) -> list[Action]:
        """Report every operation in flight (and those they trigger) as ``ok``."""
        out: list[Action] = []
        while self.pending:
            key, op = self.pending.pop(0)
            out += self._run(lambda e, now: e.on_group_result(key, op, ok, now))  # type: ignore[arg-type]  # noqa: B023
        return out

    def result(self, key: str, op: str, ok: bool) -> list[Action]:
        self.pending.remove((key, op))
        return self._run(lambda e, now: e.on_group_result(key, op, ok, now))  # type: ignore[arg-type]

    def standby(self, scope: Scope = Scope.ALL) -> list[Action]:
        return self._run(lambda e, now: e.request_standby(scope, now))

    def takeover(self, scope: Scope = Scope.ALL) -> list[Action]:
        return self._run(lambda e, now: e.request_takeover(scope, now))

    def shutdown(self) -> list[Action]:
        return self._run(lambda e, now: e.request_shutdown(now))

    def monitor_failure(self, key: str) -> list[Action]:
        """The daemon's monitor used up the restarts of a resource of ``key``."""
        return self._run(lambda e, now: e.on_monitor_failure(key, now))

    def cleanup(self, key: str) -> list[Action]:
        return self._run(lambda e, now: e.on_cleanup(key, now))

    # ---------------------------------------------------------------- set-ups

    def stable_pair(self) -> Rig:
        """Both hacore nodes up: we run the VIP, the peer (stable) runs gamma."""
        self.comm_up()
        self.msg("starting")
        self.resource("none", "0")
        self.finish()
        self.resource("local", "1")
        assert self.engine.holder(VIP) == "node1" and self.engine.holder(GAMMA) == "node2"
        self.log.clear()
        return self

    def isolated_pair(self) -> Rig:
        """From :meth:`stable_pair`: the peer's death is withheld (the runtime waits for
        the tiebreaker), the tiebreaker is lost, and the VIP is released."""
        self.stable_pair()
        self.tiebreaker_lost()
        self.finish()
        assert self.node == "ISOLATED" and self.engine.local_state(VIP) == "stopped"
        self.log.clear()
        return self

    def alone_holding_all(self) -> Rig:
        self.dead()
        self.comm_up()
        self.finish()
        assert self.engine.holder(VIP) == self.engine.holder(GAMMA) == "node1"
        self.log.clear()
        return self

    # ---------------------------------------------------------------- reading actions

    @property
    def node(self) -> str:
        return self.engine.node.value

    @property
    def standby_state(self) -> str:
        return self.engine.standby.value


def sent(actions: list[Action]) -> list[str]:
    return [brief(act.msg) for act in actions if isinstance(act, SendMessage)]


def acquired(actions: list[Action]) -> list[str]:
    return [a.key for a in actions if isinstance(a, Acquire)]


def released(actions: list[Action]) -> list[str]:
    return [a.key for a in actions if isinstance(a, Release)]


def announced(actions: list[Action]) -> list[str]:
    return [a.key for a in actions if isinstance(a, Announce)]


def recovered(actions: list[Action]) -> list[str]:
    return [a.key for a in actions if isinstance(a, Recover)]


def done(actions: list[Action]) -> list[OperationDone]:
    return [a for a in actions if isinstance(a, OperationDone)]


def quiet(actions: list[Action]) -> bool:
    """Nothing but GroupChanged (the cluster view may change; nothing is done)."""
    return all(isinstance(a, GroupChanged) for a in actions)


def shutdown_ready(actions: list[Action]) -> bool:
    return any(isinstance(a, ShutdownReady) for a in actions)
