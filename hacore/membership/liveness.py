"""How a peer's and its links' state change, with Heartbeat's log lines (docs/protocol.md §6.1–6.2).

Every transition appends its effect to ``out`` and logs the text Heartbeat logs, so
the receive path and the timers share one definition of "node dead", "link up", etc.
"""

from __future__ import annotations

import structlog

from hacore.api import LinkStatus, LinkStatusChanged, NodeStatus, NodeStatusChanged
from hacore.membership.config import MembershipConfig
from hacore.membership.effects import (
    Effect,
    LinkChanged,
    LocalStall,
    NodeChanged,
    PartitionHealed,
    PeerRestarted,
)
from hacore.membership.peers import Link, Peer, PeerTable
from hacore.membership.throttle import Throttle

log = structlog.get_logger("hacore.membership")


def exceeds(elapsed_s: float, limit_ms: int) -> bool:
    """``elapsed > limit`` in Heartbeat's whole milliseconds, immune to float noise."""
    return round(elapsed_s * 1000, 3) > limit_ms


class Liveness:
    """``changed`` is set by every transition (a node or link up or dead, a restart):
    the engine's deadlines may have moved earlier."""

    def __init__(self, cfg: MembershipConfig, throttle: Throttle) -> None:
        self._deadtime_ms = cfg.deadtime_ms
        self._warntime_ms = cfg.warntime_ms
        self._throttle = throttle
        self.changed = False

    def expire(self, peer: Peer, now: float, limit_ms: int, out: list[Effect]) -> None:
        """Timer pass: the node and each link die after ``limit_ms`` of silence."""
        if peer.status is not NodeStatus.DEAD and exceeds(now - peer.alive_ref, limit_ms):
            self.mark_dead(peer, "no heartbeat within deadtime", out)
        for name, link in peer.links.items():
            if (
                link.status is LinkStatus.UP
                and link.last is not None
                and exceeds(now - link.last, limit_ms)
            ):
                self.set_link(peer, name, link, LinkStatus.DEAD, out)

    def check_late(self, peer: Peer, now: float, out: list[Effect]) -> bool:
        """Heartbeat's late-heartbeat check on a status; True if it declared the node dead."""
        if peer.last_status is None or peer.status is NodeStatus.DEAD:
            return False
        interval = int((now - peer.last_status) * 1000)
        if interval > self._deadtime_ms:
            text = f"Late heartbeat: Node {peer.name}: interval {interval} ms (> deadtime)"
            log.critical("late_heartbeat", msg=text, peer=peer.name, interval_ms=interval)
            self.mark_dead(peer, "late heartbeat", out)
            return True
        if interval > self._warntime_ms:
            text = f"Late heartbeat: Node {peer.name}: interval {interval} ms"
            self._throttle(
                "warning", "late_heartbeat", peer.name, now, msg=text, peer=peer.name,
                interval_ms=interval,
            )  # fmt: skip
        return False

    def on_time(self, peer: Peer, now: float) -> bool:
        """Whether :meth:`check_late` has nothing to say about a status arriving now."""
        last = peer.last_status
        if last is None:
            return True
        interval = int((now - last) * 1000)
        return interval <= self._warntime_ms and interval <= self._deadtime_ms

    def note_status(
        self, peer: Peer, status: NodeStatus, now: float, late_death: bool, out: list[Effect]
    ) -> None:
        """A fresh status (or ping echo) arrived: the node lives, and says ``status``."""
        peer.last_status = peer.alive_ref = peer.heard_at = now
        if peer.status is status:
            return
        old, peer.status = peer.status, status
        self.changed = True
        if late_death:
            self.partition_healed(peer, out)  # declared dead a moment ago, yet here it is
        text = f"Status update for node {peer.name}: status {status.value}"
        log.info("node_status", msg=text, peer=peer.name, old=old.value, new=status.value)
        change = NodeStatusChanged(
            peer.name, old, status, peer.generation or None, "status message"
        )
        out.append(NodeChanged(change))

    def mark_dead(self, peer: Peer, reason: str, out: list[Effect]) -> None:
        self.changed = True
        old = peer.status
        peer.status = NodeStatus.DEAD
        peer.heard = False
        peer.remote_ts = 0
        peer.forget_sequence(same_generation=True)
        log.warning("node_dead", msg=f"node {peer.name}: is dead", peer=peer.name, reason=reason)
        change = NodeStatusChanged(peer.name, old, NodeStatus.DEAD, peer.generation or None, reason)
        out.append(NodeChanged(change))

    def restarted(self, peer: Peer, generation: int, out: list[Effect]) -> None:
        """A status with a higher generation: whatever we knew of its messages is void."""
        if peer.generation > 0:
            text = f"Heartbeat restart on node {peer.name}"
            log.info("peer_restarted", msg=text, peer=peer.name, generation=generation)
            out.append(PeerRestarted(peer.name, generation))
        self.changed = True
        peer.forget_sequence(same_generation=False)
        peer.last_status = None
        peer.status_seq = 0
        peer.remote_ts = 0

    def partition_healed(self, peer: Peer, out: list[Effect]) -> None:
        text = f"Cluster node {peer.name} returning after partition."
        log.critical("partition_healed", msg=text, peer=peer.name)
        log.warning("deadtime_too_small", msg="Deadtime value may be too small.", peer=peer.name)
        out.append(PartitionHealed(peer.name))

    def touch_link(self, peer: Peer, name: str, now: float, out: list[Effect]) -> None:
        """Any packet from ``peer`` on link ``name`` (duplicates too) proves the link."""
        link = peer.links.get(name)
        if link is None:
            link = peer.links[name] = Link()
        link.last = now
        if link.status is not LinkStatus.UP:
            self.set_link(peer, name, link, LinkStatus.UP, out)

    def set_link(
        self, peer: Peer, name: str, link: Link, status: LinkStatus, out: list[Effect]
    ) -> None:
        old, link.status = link.status, status
        self.changed = True
        text = f"Link {peer.name}:{name} {status.value}."
        log.info(f"link_{status.value}", msg=text, peer=peer.name, link=name)
        out.append(LinkChanged(LinkStatusChanged(peer.name, name, old, status)))


class SelfWatch:
    """Notices our own loop stalling (SIGSTOP, CPU starvation) from the gaps between ticks.

    Time we did not run cannot count as a peer's silence: its packets were waiting in
    our sockets. A hiccup shifts every peer's clocks by the lost time; a stall longer
    than deadtime restarts them from now and is reported, since peers have probably
    declared *us* dead meanwhile. A hiccup is a gap of more than two tick periods and
    more than half a keepalive (shorter ones cannot push a peer that keeps its keepalive
    past a sane deadtime). The tick period is learnt from the ticks themselves, so a
    daemon ticking slower than ``tick_ms`` says does not get its timers shifted forever.
    """

    def __init__(self, cfg: MembershipConfig) -> None:
        self._declared_period_s = cfg.tick_ms / 1000
        self._half_keepalive_s = cfg.keepalive_ms / 2000
        self._deadtime_ms = cfg.deadtime_ms
        self._learnt_period_s: float | None = None
        self._last_tick: float | None = None

    def on_tick(self, now: float, peers: PeerTable, out: list[Effect]) -> None:
        if self._last_tick is not None:
            gap = now - self._last_tick
            self._absorb(gap, now, peers, out)
            if gap * 1000 < self._deadtime_ms / 2:
                learnt = self._learnt_period_s
                self._learnt_period_s = gap if learnt is None else learnt + (gap - learnt) / 8
        self._last_tick = now

    def quiet(self, now: float) -> bool:
        """Whether :meth:`on_packet` has nothing to do at ``now``."""
        last = self._last_tick
        return last is None or not self._hiccup(now - last)

    def on_packet(self, now: float, peers: PeerTable, out: list[Effect]) -> None:
        """A packet read before the first tick after a stall must not see stale clocks."""
        if self._last_tick is not None and self._absorb(now - self._last_tick, now, peers, out):
            self._last_tick = now

    def _hiccup(self, gap: float) -> bool:
        period = max(self._declared_period_s, self._learnt_period_s or 0.0)
        return gap > max(2 * period, self._half_keepalive_s)

    def _absorb(self, gap: float, now: float, peers: PeerTable, out: list[Effect]) -> bool:
        if not self._hiccup(gap):
            return False
        period = max(self._declared_period_s, self._learnt_period_s or 0.0)
        gap_ms = int(gap * 1000)
        if gap_ms <= self._deadtime_ms:
            log.debug("loop_late", gap_ms=gap_ms)
            for peer in peers:
                peer.shift_clock(gap - period, now)
            return True
        text = f"No local heartbeat: our loop stalled {gap_ms} ms; peers' silence not counted"
        log.error("local_stall", msg=text, stall_ms=gap_ms)
        for peer in peers:
            peer.shift_clock(None, now)
        out.append(LocalStall(gap_ms))
        return True
