"""The membership engine: Heartbeat 3.0.6's node/link liveness, sequencing, generations,
retransmission, acks and start-up exchange (docs/protocol.md §4–§6, §10.1), as a pure state machine.

No I/O and no clock: every input carries ``now`` (``time.monotonic()`` seconds) and
every consequence comes back as an effect (see :mod:`hacore.membership.effects`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import structlog

from hacore.api import LinkStatus, NodeStatus
from hacore.membership.config import MembershipConfig
from hacore.membership.effects import CommUp, Deliver, DropCount, Effect, Send
from hacore.membership.liveness import Liveness, SelfWatch
from hacore.membership.peers import STATUS_WORDS, Peer, PeerTable, parse_hex
from hacore.membership.rexmit import Retransmission
from hacore.membership.stamping import Stamper
from hacore.membership.throttle import Throttle
from hacore.membership.tracking import IN_ORDER, SeqTracker
from hacore.wire.message import Message
from hacore.wire.printable import printable

log = structlog.get_logger("hacore.membership")

DEADTIME_BUMP_MS = 2000  # Heartbeat's hb_add_deadtime(2000) during the first 5 s
DEADTIME_BUMP_S = 5.0
REQNODES_RETRY_S = 1.0
DEADLINE_MARGIN_S = 0.001
"""A silence "exceeds" deadtime only past it (whole ms, as Heartbeat): a tick at the
deadline itself would find nothing and ask again at once."""
_LIVE = (NodeStatus.INIT, NodeStatus.UP, NodeStatus.ACTIVE)


@dataclass(frozen=True, slots=True)
class StatusShape:
    """The fields of a status that a peer repeats from one heartbeat to the next."""

    src: str
    uuid: bytes | None
    generation: int
    status: NodeStatus
    dead_after_ms: int | None
    hacore: bool
    protocol: bool


class Membership:
    """Who is alive, over which links, and which of their messages to accept."""

    def __init__(self, cfg: MembershipConfig) -> None:
        self.cfg = cfg
        self._rng = random.Random(cfg.seed)
        self._throttle = Throttle(log)
        max_delay = cfg.max_rexmit_delay_ms
        low = 50 if max_delay >= 100 else 0

        def first_delay() -> float:
            return self._rng.uniform(low, max_delay) / 1000

        def peer(name: str, ping: bool) -> Peer:
            track = SeqTracker(self._rng.randrange(10), first_delay, max_delay / 1000)
            links = cfg.links.get(name, (name,) if ping else ())
            dead_after = cfg.deadping_ms if ping else cfg.deadtime_ms
            return Peer(name, ping=ping, links=links, track=track, dead_after_ms=dead_after)

        normal = [peer(n, False) for n in cfg.nodes if n != cfg.local_node]
        pings = [peer(n, True) for n in cfg.ping_nodes]
        self._peers = PeerTable(cfg.local_node, cfg.uuid, normal + pings)
        self._live = Liveness(cfg, self._throttle)
        self._rexmit = Retransmission(max_delay, self._throttle)
        self._stamper = Stamper(cfg, self._rexmit.history, self._peers.uuid_of)
        self._watch = SelfWatch(cfg)
        self._local_status = NodeStatus.INIT
        self._init_sent = False
        self._start: float | None = None
        self._links_up = False  # every node heard from or declared dead (LINKSUP)
        self._comm_up = False
        self._reqnodes_due: float | None = None  # set while waiting for repnodes
        self._timers_changed = True  # tells the daemon to ask next_deadline again
        self._quiet_until = -math.inf  # before it, tick has nothing to do but the stall check
        self._flow_control = True
        self._own_status_key: tuple[NodeStatus, int, bool] | None = None
        self._own_status_fields: tuple[tuple[str, str], ...] = ()

    # ---------------------------------------------------------------- outbound

    def status_message(self, now: float) -> Message:
        """Our heartbeat, unstamped; the daemon stamps, seals and sends it."""
        self._begin(now)
        if self._local_status is NodeStatus.INIT:
            self._init_sent = True
        key = (self._local_status, self._advertised_dt(now), self._flow_control)
        if key != self._own_status_key:  # the fields change rarely: build them then
            self._own_status_key = key
            status, dt, flow_control = key
            fields = [("t", "status"), ("st", status.value), ("dt", f"{dt:x}")]
            if flow_control:
                fields.append(("protocol", "1"))
            self._own_status_fields = (*fields, ("hacore", "1"))
        return Message.of_strings(self._own_status_fields)

    def stamp(self, msg: Message, now: float, wall: float) -> Message:
        """Add the control fields in Heartbeat's order (docs/protocol.md §4.1); remember
        sequenced messages.

        Mutates and returns ``msg``. NS_ types get no seq/ld and keep control fields they
        already carry. Do not change the message afterwards: history holds a copy.
        """
        self._begin(now)
        return self._stamper.stamp(msg, now, wall)

    def set_local_status(self, status: NodeStatus) -> bool:
        """Change what our heartbeats say; True if it changed (the daemon then sends one)."""
        if status not in _LIVE:
            raise ValueError(f"local status must be init, up or active, not {status!r}")
        return self._set_local(status)

    # ---------------------------------------------------------------- queries

    @property
    def local_status(self) -> NodeStatus:
        return self._local_status

    @property
    def comm_up(self) -> bool:
        return self._comm_up

    def status(self, node: str) -> NodeStatus:
        return self._local_status if node == self.cfg.local_node else self._peers[node].status

    def links(self, node: str) -> dict[str, LinkStatus]:
        """Link states; our own links show ``dead``, as Heartbeat never refreshes them."""
        if node == self.cfg.local_node:
            return dict.fromkeys(self.cfg.links.get(node, ()), LinkStatus.DEAD)
        return {name: link.status for name, link in self._peers[node].links.items()}

    def generation(self, node: str) -> int | None:
        if node == self.cfg.local_node:
            return self.cfg.generation
        return self._peers[node].generation or None

    def last_heard(self, node: str) -> float | None:
        """Local arrival time of the node's last accepted status (None: never)."""
        return None if node == self.cfg.local_node else self._peers[node].heard_at

    def is_hacore(self, node: str) -> bool:
        return node == self.cfg.local_node or self._peers[node].hacore is True

    # ---------------------------------------------------------------- inbound

    def receive(self, msg: Message, link: str, now: float) -> list[Effect]:
        """One authenticated packet that arrived on ``link``.

        This is where peer-supplied node names enter: ``src`` and ``dest`` are lower-cased
        in ``msg`` itself (ha.cf's names are, docs/protocol.md §7.1), so every layer after
        this one sees ``node1`` for ``NODE1``. Log lines show names through
        :func:`~hacore.wire.printable.printable` and are rate-limited per link, never per
        a name the sender chose.
        """
        self._begin(now)
        out: list[Effect] = []
        self._watch.on_packet(now, self._peers, out)
        self._receive(msg, link, now, out)
        if not self._links_up:
            self._check_links_up(now, out)
        return out

    @property
    def timers_changed(self) -> bool:
        """Whether a timer may now be due sooner than :meth:`next_deadline` said last
        (a node or link came up, a gap opened, a deadline shrank): ask it again."""
        return self._timers_changed or self._live.changed

    def next_deadline(self) -> float | None:
        """When :meth:`tick` next has something to do, on the ``now`` clock (None:
        nothing is pending). Calling ``tick`` earlier is harmless: a deadline a packet
        pushed back is found not to have expired, and this is asked again."""
        self._timers_changed = self._live.changed = False
        self._quiet_until = math.inf
        due: list[float] = []
        if self._reqnodes_due is not None:
            due.append(self._reqnodes_due)
        for peer in self._peers:
            limit = self._dead_limit_ms(peer) / 1000 + DEADLINE_MARGIN_S
            if peer.status is not NodeStatus.DEAD:
                due.append(peer.alive_ref + limit)
            for link in peer.links.values():
                if link.status is LinkStatus.UP and link.last is not None:
                    due.append(link.last + limit)
            rexmit = peer.track.next_due
            if rexmit is not None:
                due.append(rexmit)
        if due:
            self._quiet_until = min(due)
        return min(due, default=None)

    def tick(self, now: float) -> list[Effect]:
        """Timers: deaths, link deaths, rexmit requests, reqnodes retries, comm-up.

        The daemon calls it every keepalive (which shows a stall of its own loop) and
        at :meth:`next_deadline`; before that deadline only the stall check runs."""
        self._begin(now)
        out: list[Effect] = []
        self._watch.on_tick(now, self._peers, out)
        if self._local_status is NodeStatus.INIT and self._init_sent:
            self._set_local(NodeStatus.UP)
            out.append(Send(self.status_message(now)))
        if now < self._quiet_until and not self.timers_changed:
            return out  # a stall only pushes deadlines back
        for peer in self._peers:
            self._live.expire(peer, now, self._dead_limit_ms(peer), out)
            self._rexmit.request_missing(peer, now, out)
        if self._reqnodes_due is not None and now >= self._reqnodes_due:
            self._request_nodes(now, out)
        if not self._links_up:
            self._check_links_up(now, out)
        return out

    # ---------------------------------------------------------------- receive path

    def status_shape(self, msg: Message) -> StatusShape | None:
        """What a status says besides its seq and ts, for :meth:`next_status`; None
        when it is no plain broadcast status of another node."""
        mtype, src, hg, st, dt, hacore = msg.strings("t", "src", "hg", "st", "dt", "hacore")
        if mtype != "status" or src is None or src == self.cfg.local_node:
            return None
        if "dest" in msg or msg.get_bytes("destuuid") is not None:
            return None
        status = STATUS_WORDS.get(st or "")
        generation = parse_hex(hg or "0")
        if status is None or generation is None:
            return None
        return StatusShape(
            src,
            msg.get_bytes("srcuuid"),
            generation,
            status,
            parse_hex(dt),
            hacore == "1",
            "protocol" in msg,
        )

    def next_status(
        self, shape: StatusShape, seq: int, stamp_time: int, link: str, now: float
    ) -> list[Effect] | None:
        """:meth:`receive` in one pass for the common case: a status of ``shape``, the
        peer's next in order, on a link that is up, saying what the peer's last one said
        (status, generation, dt), not late, our loop not stalled; or the last one's
        copy on another link. None, with nothing changed, for anything else:
        :meth:`receive`, the reference, then decides. The effects are receive's, less
        the ``Deliver`` of the status (the daemon delivers no status);
        tests/membership/test_fast_status.py compares both."""
        if self._start is None or not self._watch.quiet(now) or not stamp_time:
            return None
        if self._flow_control and not shape.protocol:
            return None
        peer = self._peers.find(shape.src, shape.uuid)
        if peer is None or peer.name != shape.src or peer.ping or peer.status is NodeStatus.DEAD:
            return None
        link_state = peer.links.get(link)
        if link_state is None or link_state.status is not LinkStatus.UP:
            return None
        if shape.generation != peer.generation:
            return None
        last = peer.track.last_seq
        if last is not None and seq == last:  # its copy on another link, most likely
            peer.heard = True
            link_state.last = now
            return self._links_checked(now, [peer.heard_on(link), DropCount("duplicate")])
        if last is None or seq != last + 1 or seq < peer.status_seq:
            return None
        if shape.status is not peer.status:
            return None
        dead_after = shape.dead_after_ms
        if (dead_after and dead_after != peer.dead_after_ms) or not self._live.on_time(peer, now):
            return None
        out: list[Effect] = []
        peer.heard = True
        arrival = peer.track.receive(seq, now)
        link_state.last = now
        if arrival is not IN_ORDER:  # an ack is due
            self._rexmit.account(peer, arrival, now, self._flow_control, out)
        peer.hacore = shape.hacore
        peer.last_status = peer.alive_ref = peer.heard_at = now
        peer.remote_ts = stamp_time
        peer.status_seq = seq
        out.append(peer.heard_on(link))
        return self._links_checked(now, out)

    def _links_checked(self, now: float, out: list[Effect]) -> list[Effect]:
        """``out``, after what :meth:`receive` does last."""
        if not self._links_up:
            self._check_links_up(now, out)
        return out

    def _receive(self, msg: Message, link: str, now: float, out: list[Effect]) -> None:
        mtype, src, ts, dest, seq_text = msg.strings("t", "src", "ts", "dest", "seq")
        if mtype is None or src is None or ts is None:
            self._bad(out, now, link, "process_clustermsg: missing from/ts/type", src)
            return
        if src != src.lower() or (dest is not None and dest != dest.lower()):
            src, dest = _lower_case_names(msg, src, dest)
        sequenced = not mtype.startswith("NS_")
        seq = parse_hex(seq_text)
        if sequenced and seq is None:
            self._bad(out, now, link, "process_clustermsg: missing seqno", src)
            return
        stamp_time = parse_hex(ts)
        if not stamp_time:
            out.append(DropCount("missing_fields"))  # Heartbeat drops these silently
            return
        if src == self.cfg.local_node:
            self._own(msg, link, now, out)
            return
        peer = self._peers.find(src, msg.get_bytes("srcuuid"))
        if peer is None:
            shown = printable(src)
            text = f"process_status_message: bad node [{shown}] in message"
            self._throttle("error", "unknown_node", link, now, msg=text, src=shown, link=link)
            out.append(DropCount("unknown_node"))
            return
        peer.heard = True
        if peer.ping:
            self._from_ping_node(peer, msg, mtype, link, now, out)
        elif sequenced:
            assert seq is not None
            self._sequenced(peer, msg, mtype, seq, stamp_time, dest, link, now, out)
        else:
            self._unsequenced(peer, msg, mtype, link, now, out)

    def _sequenced(
        self,
        peer: Peer,
        msg: Message,
        mtype: str,
        seq: int,
        stamp_time: int,
        dest: str | None,
        link: str,
        now: float,
        out: list[Effect],
    ) -> None:
        gen = parse_hex(msg.get("hg") or "0")
        if seq <= 0 or gen is None:
            self._bad(out, now, link, "should_drop_message: bad sequence or generation", peer.name)
            return
        is_status = mtype == "status" or mtype.lower() == "status"
        if gen < peer.generation:
            self._replay(peer, gen, now, out)
            return
        healed = False
        if is_status:
            if gen == peer.generation and gen > 0 and peer.status is NodeStatus.DEAD:
                if seq <= peer.status_seq:
                    out.append(DropCount("stale"))
                    return
                healed = True
            elif gen > peer.generation:
                self._live.restarted(peer, gen, out)
            peer.generation = gen
        arrival = peer.track.receive(seq, now)
        if arrival.kind == "old":  # neither new, nor missing, nor another link's copy
            out.append(DropCount("duplicate"))
            return
        self._live.touch_link(peer, link, now, out)
        if arrival is not IN_ORDER:  # a gap, an ack due, a recovered seq
            self._timers_changed |= arrival.lost is not None
            self._rexmit.account(peer, arrival, now, self._flow_control, out)
        if not arrival.accepted:
            if is_status:
                out.append(peer.heard_on(link))
            out.append(DropCount("duplicate"))
            return
        dest_uuid = msg.get_bytes("destuuid")
        if dest_uuid is not None:
            to_us = dest_uuid == self.cfg.uuid
        else:
            to_us = dest is None or dest == self.cfg.local_node
        if not to_us:
            out.append(DropCount("not_for_us"))
            return
        if healed:
            self._live.partition_healed(peer, out)
        if is_status:
            self._on_status(peer, msg, seq, stamp_time, link, now, out)
        elif mtype == "reqnodes":
            nodelist = "".join(f"{n} " for n in self.cfg.nodes)
            reply = Message(("dest", peer.name), ("t", "repnodes"), ("nodelist", nodelist))
            out.append(Send(reply.add("delnodelist", " ")))
        elif mtype == "repnodes":
            self._on_repnodes(peer, msg, now, out)
        else:
            out.append(Deliver(msg, link))

    def _unsequenced(
        self, peer: Peer, msg: Message, mtype: str, link: str, now: float, out: list[Effect]
    ) -> None:
        gen = parse_hex(msg.get("hg"))
        if gen is not None and gen < peer.generation:
            self._replay(peer, gen, now, out)  # Heartbeat checks sequenced messages only
            return
        self._live.touch_link(peer, link, now, out)
        dest = msg.get("dest")
        for_us = dest is None or dest == self.cfg.local_node
        if mtype.lower() == "ns_nak_rexmit":
            seq = parse_hex(msg.get("firstseq"))
            if not seq:
                self._bad(out, now, link, "should_drop_message: bad nak seq number", peer.name)
                return
            self._rexmit.give_up(peer, seq, for_us, now, self._flow_control, out)
        elif not for_us:
            out.append(DropCount("not_for_us"))
        elif mtype == "NS_ackmsg":
            ackseq = parse_hex(msg.get("ackseq"))
            if ackseq is not None and peer.acked < ackseq <= self._stamper.seq:
                peer.acked = ackseq
        elif mtype == "NS_rexmit":
            self._rexmit.serve(peer, msg, now, out)
        else:
            out.append(Deliver(msg, link))

    def _from_ping_node(
        self, peer: Peer, msg: Message, mtype: str, link: str, now: float, out: list[Effect]
    ) -> None:
        if mtype != "NS_st" or msg.get("st") != NodeStatus.PING.value:
            text = f"unexpected {printable(mtype)} message from ping node"
            self._bad(out, now, link, text, peer.name)
            return
        self._live.touch_link(peer, link, now, out)
        late_death = self._live.check_late(peer, now, out)
        self._live.note_status(peer, NodeStatus.PING, now, late_death, out)

    def _on_status(
        self,
        peer: Peer,
        msg: Message,
        seq: int,
        stamp_time: int,
        link: str,
        now: float,
        out: list[Effect],
    ) -> None:
        st, hacore, dt = msg.strings("st", "hacore", "dt")
        status = STATUS_WORDS.get(st) if st is not None else None
        if status is None:
            status = STATUS_WORDS.get((st or "").lower())
        if status is None:
            self._bad(out, now, link, "HBDoMsg_T_STATUS: status update without st field", peer.name)
            return
        if seq < peer.status_seq:
            # A retransmitted status older than one we hold. Heartbeat also requires an
            # older ts (whole seconds), so it can replay a stale st within one second.
            out.append(DropCount("stale"))
            return
        if self._flow_control and "protocol" not in msg:
            self._disable_flow_control(peer, now, out)
        peer.hacore = hacore == "1"
        dead_after = parse_hex(dt)
        if dead_after and dead_after != peer.dead_after_ms:
            peer.dead_after_ms = dead_after
            self._timers_changed = True
        late_death = self._live.check_late(peer, now, out)
        self._live.note_status(peer, status, now, late_death, out)
        peer.remote_ts = stamp_time
        peer.status_seq = seq
        out.append(peer.heard_on(link))
        out.append(Deliver(msg, link))

    def _on_repnodes(self, peer: Peer, msg: Message, now: float, out: list[Effect]) -> None:
        if self._reqnodes_due is None:
            log.debug("repnodes_unsolicited", peer=peer.name)
            return
        theirs = (msg.get("nodelist") or "").split()
        if sorted(theirs) != sorted(self.cfg.nodes):
            # Heartbeat would drop nodes missing from the list; hacore keeps ha.cf's list.
            shown = printable(" ".join(theirs), limit=1000)
            log.warning(
                "repnodes_mismatch",
                msg=f"{peer.name} lists nodes [{shown}]; keeping ha.cf's list",
                peer=peer.name,
                ours=list(self.cfg.nodes),
            )
        self._comm_now_up(now, out)

    # ---------------------------------------------------------------- state changes

    def _set_local(self, status: NodeStatus) -> bool:
        if status is self._local_status:
            return False
        self._local_status = status
        log.info(
            "local_status", msg=f"Local status now set to: '{status.value}'", status=status.value
        )
        return True

    def _disable_flow_control(self, peer: Peer, now: float, out: list[Effect]) -> None:
        text = "flow control disabled due to different version heartbeat"
        log.info("flow_control_disabled", msg=text, peer=peer.name)
        self._flow_control = False
        if self._reqnodes_due is not None:
            self._comm_now_up(now, out)  # an old peer will never answer reqnodes

    # ---------------------------------------------------------------- start-up

    def _check_links_up(self, now: float, out: list[Effect]) -> None:
        if not all(p.heard or p.status is NodeStatus.DEAD for p in self._peers):
            return
        self._links_up = self._timers_changed = True  # deadtime replaces initdead
        log.info("links_up", msg="every node heard from or declared dead")
        if self._flow_control:
            self._request_nodes(now, out)
        else:
            self._comm_now_up(now, out)

    def _request_nodes(self, now: float, out: list[Effect]) -> None:
        target = next((p for p in self._peers.normal if p.status is not NodeStatus.DEAD), None)
        if target is None:
            self._comm_now_up(now, out)
            return
        out.append(Send(Message(("t", "reqnodes"), ("dest", target.name))))
        self._reqnodes_due = now + REQNODES_RETRY_S
        self._timers_changed = True

    def _comm_now_up(self, now: float, out: list[Effect]) -> None:
        if self._comm_up:
            return
        self._comm_up = self._links_up = True
        self._reqnodes_due = None
        log.info("comm_up", msg="Comm_now_up(): updating status to active")
        self._set_local(NodeStatus.ACTIVE)
        out.append(Send(self.status_message(now)))
        out.append(CommUp())

    # ---------------------------------------------------------------- helpers

    def _begin(self, now: float) -> None:
        if self._start is None:
            self._start = now
            for peer in self._peers:
                peer.alive_ref = now

    def _dead_limit_ms(self, peer: Peer) -> int:
        if not self._links_up:
            return self.cfg.initdead_ms
        return peer.dead_after_ms

    def _advertised_dt(self, now: float) -> int:
        start = self._start if self._start is not None else now
        if now - start < DEADTIME_BUMP_S and any(p.hacore is False for p in self._peers.normal):
            return self.cfg.deadtime_ms + DEADTIME_BUMP_MS
        return self.cfg.deadtime_ms

    def _own(self, msg: Message, link: str, now: float, out: list[Effect]) -> None:
        """A packet in our name: our own, looped back by bcast/mcast, or another node
        configured with the same name (another uuid, or another generation: a cloned
        machine keeps the uuid file). Heartbeat 3.0.6 takes the latter for its own and
        at most logs ``node <name> changed its uuid to <uuid>`` (hb_uuid.c)."""
        uuid = msg.get_bytes("srcuuid")
        gen = parse_hex(msg.get("hg"))
        if (uuid is None or uuid == self.cfg.uuid) and gen in (None, self.cfg.generation):
            out.append(DropCount("own"))
            return
        theirs = f"uuid {uuid.hex() if uuid else 'none'}, generation {gen}"
        ours = f"uuid {self.cfg.uuid.hex()}, generation {self.cfg.generation}"
        text = (
            f"Duplicate node name: another node also calls itself {self.cfg.local_node} "
            f"({theirs}; ours: {ours}); its packets are ignored"
        )
        self._throttle("error", "duplicate_node_name", link, now, msg=text, link=link)
        out.append(DropCount("duplicate_node_name"))

    def _replay(self, peer: Peer, gen: int, now: float, out: list[Effect]) -> None:
        text = (
            f"should_drop_message: attempted replay attack [{peer.name}]? "
            f"[gen = {gen}, curgen = {peer.generation}]"
        )
        self._throttle("error", "replay_dropped", peer.name, now, msg=text, peer=peer.name)
        out.append(DropCount("replay"))

    def _bad(self, out: list[Effect], now: float, link: str, text: str, src: str | None) -> None:
        shown = printable(src)
        self._throttle("error", "bad_message", link, now, msg=text, src=shown, link=link)
        out.append(DropCount("missing_fields"))


def _lower_case_names(msg: Message, src: str, dest: str | None) -> tuple[str, str | None]:
    """Lower-case ``src`` and ``dest`` in place; returns the new ones."""
    lowered = src.lower()
    if lowered != src:
        msg.set("src", lowered)
    if dest is not None and dest != dest.lower():
        dest = dest.lower()
        msg.set("dest", dest)
    return lowered, dest
