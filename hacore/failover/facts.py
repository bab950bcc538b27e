"""How the engine's inputs become facts about the peer and events for the tables.

Facts (what the peer reported, whether it lives) are recorded before any row runs, so
every guard of the event's rows sees them. A None answer means the input concerns
nothing the rules track and the engine returns at once.
"""

from __future__ import annotations

import structlog

from hacore.api import NodeStatus
from hacore.failover.base import RulesBase
from hacore.failover.holdings import takeover_standby_hold
from hacore.failover.messages import read_ask_resources, read_resource
from hacore.failover.model import Ctx, NodeState
from hacore.wire.message import Message

log = structlog.get_logger("hacore.failover")

WAITING_MESSAGES_MAX = 64
"""Messages kept from a peer we hold dead; past this the oldest goes (a peer that talks
this much without one status reaching us is not coming back through this link)."""


class Facts(RulesBase):
    def is_peer(self, node: str | None) -> bool:
        return node is not None and node == self.peer.name

    def wait_for_status(self, msg: Message) -> bool:
        """Keep a message of the peer we hold dead until its status revives it.

        After a partition the peer often hears us first, and reports and negotiates at
        once, a keepalive before its status reaches us. Read then, its negotiation meets
        a node that still counts it gone (a failback is refused: no live peer), and the
        heal that follows starts an audit the peer, already stable, never answers: the
        failback would never come. A peer that left (shutdone) is not waited for: what
        follows comes from a new instance; nor is a shutdone, which needs no peer alive.
        """
        if self.peer.alive or self.peer.left or msg.type == "shutdone":
            return False
        if not self.is_peer(msg.get("src")):
            return False
        if len(self.peer.waiting) >= WAITING_MESSAGES_MAX:
            dropped = self.peer.waiting.pop(0)
            log.warning(
                "peer_message_dropped",
                peer=self.peer.name,
                type=dropped.type,
                msg=f"Dropping a {dropped.type} message from {self.peer.name}: "
                f"{WAITING_MESSAGES_MAX} wait for its status already",
            )
        self.peer.waiting.append(msg)
        return True

    def waited(self) -> list[Message]:
        """The peer's kept messages, in order, once it lives again (else none)."""
        if not self.peer.alive or not self.peer.waiting:
            return []
        waiting, self.peer.waiting = self.peer.waiting, []
        log.info(
            "peer_messages_waited",
            peer=self.peer.name,
            count=len(waiting),
            msg=f"{self.peer.name} is alive again: reading the {len(waiting)} messages it "
            "sent before its status reached us",
        )
        return waiting

    def read_message(self, msg: Message) -> Ctx | None:
        """The event a peer message stands for, after recording the facts it carries."""
        if not self.is_peer(msg.get("src")):
            return None
        self.peer.heard = True
        kind = msg.type
        if kind == "starting":
            # A new instance announces itself: whatever an older one said when it left
            # (shutdone, perhaps delivered only now) no longer holds.
            self.peer.left = False
            return Ctx("peer_starting")
        if kind == "shutdone":
            return Ctx("peer_shutdone")
        if self.peer.left:
            # Membership hands over an instance's messages in order and drops an older
            # instance's, so anything after a shutdone comes from a newer instance, even
            # when no status of the old one ever reached us to mark the restart.
            self.peer.left = False
        if kind == "resource":
            return self._read_resource(msg)
        if kind == "ask_resources":
            standby = read_ask_resources(msg)
            if standby is None:
                return _bad(msg)
            return Ctx(f"peer_{standby.info}", hold=standby.hold)
        if kind == "hb_takeover":
            word = msg.get("rsc_hold") or "all"
            hold = takeover_standby_hold(word)
            return _bad(msg) if hold is None else Ctx("peer_hb_takeover", hold=hold, word=word)
        if kind in ("ip-request", "ip-request-resp"):
            key = msg.get("ipaddr")
            if key not in self.records:
                return _bad(msg)
            if kind == "ip-request":
                return Ctx("ip_request", key=key)
            if msg.get("dest") != self.me or msg.get("ok") != "OK":
                return None
            return Ctx("ip_request_resp", key=key, word=msg.get("weown") or "")
        return None

    def _read_resource(self, msg: Message) -> Ctx | None:
        report = read_resource(msg)
        if report is None:
            return _bad(msg)
        became = False
        if not self.is_legacy:
            # A shutdown notice comes before the release: the peer holds what it
            # held until its shutdone says the release is over.
            if report.info != "shutdown":
                self.peer.hold = report.merge(self.peer.hold)
            if report.stable is True and not self.peer.stable:
                self.peer.stable = became = True
            elif report.stable is False:
                self.peer.stable = False
        cleaned = bool(self.peer.failed - report.failed)
        self.peer.failed = report.failed
        return Ctx("peer_resource", hold=report.hold, became_stable=became, peer_cleaned=cleaned)

    def peer_status(
        self, node: str, new: NodeStatus, *, fenced: bool = False
    ) -> tuple[Ctx, ...] | None:
        """The events of a status change of ``node`` (None: not the peer, or dead again)."""
        if not self.is_peer(node):
            return None
        if new == NodeStatus.DEAD:
            if not self.peer.alive:
                return None
            self.peer.alive = False
            return (Ctx("peer_dead", fenced=fenced),)
        returned: tuple[Ctx, ...] = ()
        if not self.peer.alive:
            self.peer.alive = True
            self.peer.left = False
            self.peer.stable = False
            if new == NodeStatus.ACTIVE:
                # Already past comm-up without us: it ran alone and may hold anything.
                returned = (Ctx("peer_returned"),)
        self.peer.heard = True
        if self.node == NodeState.ISOLATED:
            # Whether or not its death reached us (the runtime withholds it while the
            # tiebreaker is lost), a peer we hear is no longer a reason to stay isolated.
            self.peer.stable = False
            return (Ctx("peer_heard"),)
        return returned

    def peer_restarted(self, node: str, generation: int | None = None) -> bool:
        """Record a new generation of the peer; False if ``node`` is not the peer. What
        an older instance said while we held it dead is void."""
        if not self.is_peer(node):
            return False
        if generation is not None:
            self.peer.waiting = [m for m in self.peer.waiting if _generation(m) >= generation]
        self.peer.left = False
        self.peer.failed = frozenset()  # a new instance has failed nothing yet
        return True

    def partition_healed(self, node: str) -> bool:
        """Record that the peer we declared dead speaks again; False if not the peer."""
        if not self.is_peer(node):
            return False
        self.peer.alive = True
        self.peer.left = False
        return True

    def tiebreaker(self, *, lost: bool) -> None:
        """Record the runtime's word on the tiebreaker before its event is dispatched."""
        self.tiebreaker_lost = lost

    def next_timer(self) -> float | None:
        """When :meth:`due_timers` next has an event (None: none is armed that would
        fire). Keep the two in step."""
        t = self.timers
        armed = [t.standby_deadline, t.failback_at, t.offer_at, t.move_at]
        if self.node == NodeState.RSCRCVD:
            armed.append(t.deadlock_at)
        due = [when for when in armed if when is not None]
        return min(due) if due else None

    def due_timers(self, now: float) -> list[Ctx]:
        """The events of the timers due at ``now`` (each is disarmed)."""
        t = self.timers
        due: list[Ctx] = []
        if self.node == NodeState.RSCRCVD and t.deadlock_at is not None and now >= t.deadlock_at:
            t.deadlock_at = None
            due.append(Ctx("deadlock_timer"))
        if t.standby_deadline is not None and now >= t.standby_deadline:
            t.standby_deadline = None
            due.append(Ctx("standby_timer"))
        if t.failback_at is not None and now >= t.failback_at:
            t.failback_at = None
            due.append(Ctx("failback_timer"))
        if t.offer_at is not None and now >= t.offer_at:
            t.offer_at = None
            due.append(Ctx("offer_timer"))
        if t.move_at is not None and now >= t.move_at:
            t.move_at = None
            due.append(Ctx("move_timer"))
        return due


def _bad(msg: Message) -> Ctx | None:
    """Log a malformed failover message; it is ignored (it must never move a group)."""
    log.warning(
        "bad_failover_message",
        type=msg.type,
        message=repr(msg),
        msg=f"Ignoring malformed {msg.type} message from {msg.get('src')}",
    )
    return None


def _generation(msg: Message) -> int:
    """The sender's generation (``hg``, hex); missing or unreadable counts as the newest."""
    try:
        return int(msg.get("hg") or "", 16)
    except ValueError:
        return 1 << 64
