"""Everything the membership engine needs to know, fixed for the life of one daemon run."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from hacore.api import ConfigError
from hacore.config.model import HaCf

LOADAVG_PATH = Path("/proc/loadavg")


def read_loadavg() -> str:
    """The ``ld`` field: /proc/loadavg up to the newline, ``n/a`` when unreadable.

    Read with one open and one read (every second, on the heartbeat's wake-up)."""
    try:
        fd = os.open(LOADAVG_PATH, os.O_RDONLY | os.O_CLOEXEC)
        try:
            raw = os.read(fd, 256)
        finally:
            os.close(fd)
    except OSError:
        return "n/a"
    return raw.split(b"\n", 1)[0].decode("ascii", "replace") or "n/a"


@dataclass(frozen=True)
class MembershipConfig:
    """One node's view of the cluster, in Heartbeat's units (milliseconds).

    ``nodes`` are the normal nodes in ha.cf order and include ``local_node``;
    ``ping_nodes`` are ping node names (the address, or the ping_group name). ``links``
    maps a node to the link names its packets can arrive on (a ping node's one link is
    named after it). ``tick_ms`` is how often the daemon calls ``tick``: a longer gap
    between ticks means our own loop stalled, and stalled time is not counted as a
    peer's silence. ``loadavg`` and ``seed`` exist so tests can make the engine fully
    deterministic.
    """

    local_node: str
    nodes: tuple[str, ...]
    ping_nodes: tuple[str, ...] = ()
    links: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    keepalive_ms: int = 1000
    deadtime_ms: int = 30000
    warntime_ms: int = 15000
    initdead_ms: int = 30000
    deadping_ms: int = 30000
    max_rexmit_delay_ms: int = 250
    hopfudge: int = 1
    generation: int = 0
    uuid: bytes = bytes(16)
    tick_ms: int = 100
    loadavg: Callable[[], str] = read_loadavg
    seed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "links", MappingProxyType(dict(self.links)))
        if self.local_node not in self.nodes:
            raise ConfigError(
                f"membership: local node {self.local_node!r} is not a configured node"
            )
        if len(set(self.nodes) | set(self.ping_nodes)) != len(self.nodes) + len(self.ping_nodes):
            raise ConfigError("membership: a node name appears twice (node and ping lines)")
        if len(self.uuid) != 16:
            raise ConfigError(f"membership: uuid must be 16 bytes, got {len(self.uuid)}")
        for name in ("keepalive_ms", "deadtime_ms", "initdead_ms", "deadping_ms", "tick_ms"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"membership: {name} must be positive, got {getattr(self, name)}")
        if self.warntime_ms < 0 or self.max_rexmit_delay_ms <= 0 or self.hopfudge < 0:
            raise ConfigError("membership: warntime, max_rexmit_delay and hopfudge must be >= 0")
        if self.generation < 0:
            raise ConfigError(f"membership: generation must be >= 0, got {self.generation}")
        unknown = set(self.links) - set(self.nodes) - set(self.ping_nodes)
        if unknown:
            raise ConfigError(f"membership: links given for unknown nodes {sorted(unknown)}")

    @classmethod
    def from_hacf(
        cls,
        hacf: HaCf,
        local_node: str,
        link_names: Sequence[str],
        *,
        generation: int,
        uuid: bytes,
        tick_ms: int | None = None,
    ) -> MembershipConfig:
        """Heartbeat's layout: every normal node is reachable on every non-ping medium.

        ``tick_ms`` defaults to the daemon's tick: 100 ms or keepalive/2, the smaller.
        """
        pings = tuple(p.name for p in hacf.ping_nodes)
        links = {n: tuple(link_names) for n in hacf.nodes}
        links.update({p: (p,) for p in pings})
        return cls(
            local_node=local_node,
            nodes=tuple(hacf.nodes),
            ping_nodes=pings,
            links=links,
            keepalive_ms=hacf.keepalive_ms,
            deadtime_ms=hacf.deadtime_ms,
            warntime_ms=hacf.warntime_ms,
            initdead_ms=hacf.initdead_ms,
            deadping_ms=hacf.deadping_ms,
            max_rexmit_delay_ms=hacf.max_rexmit_delay_ms,
            hopfudge=hacf.hopfudge,
            generation=generation,
            uuid=uuid,
            tick_ms=tick_ms or max(1, min(100, hacf.keepalive_ms // 2)),
        )
