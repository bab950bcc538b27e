"""Retransmission and acks, both directions (docs/protocol.md §5.4–5.5).

As receiver: report gaps, ask for missing seqs, ack, give up on NAKs. As sender: keep
our history and answer NS_rexmit with the identical stored messages.

Acks go to Heartbeat peers only. Heartbeat needs them: it pauses its API clients when
250 of its messages are unacked. A peer whose status says ``hacore=1`` keeps no such
window and never waits for an ack, and acks grow faster than anything else with the
cluster: every node acks every peer one message in ten, and on a shared medium every node
receives every ack, (N-1)^2 a second at keepalive 100 ms, (N-1)/10 times the heartbeats:
three times at 32 nodes.
"""

from __future__ import annotations

import structlog

from hacore.membership.effects import Effect, Send
from hacore.membership.history import MAX_REXMIT_BATCH, SendHistory
from hacore.membership.peers import Peer, parse_dec
from hacore.membership.throttle import Throttle
from hacore.membership.tracking import Arrival
from hacore.wire.message import Message
from hacore.wire.printable import printable

log = structlog.get_logger("hacore.membership")


class Retransmission:
    def __init__(self, max_rexmit_delay_ms: int, throttle: Throttle) -> None:
        self.history = SendHistory((max_rexmit_delay_ms - 10) / 1000)
        self._throttle = throttle

    def account(
        self, peer: Peer, arrival: Arrival, now: float, flow_control: bool, out: list[Effect]
    ) -> None:
        """Log a gap, send the ack this arrival calls for (to a Heartbeat peer), note a
        drained gap list."""
        if arrival.lost is not None:
            last, seq = arrival.lost
            text = f"{arrival.lost_count} lost packet(s) for [{peer.name}] [{last}:{seq}]"
            self._throttle("warning", "packets_lost", peer.name, now, msg=text, peer=peer.name)
            if arrival.overflow:
                log.error("packets_lost_many", msg="lost a lot of packets!", peer=peer.name)
        if arrival.ack is not None and flow_control and not peer.hacore:
            ack = Message(("t", "NS_ackmsg"), ("dest", peer.name), ("ackseq", f"{arrival.ack:x}"))
            out.append(Send(ack))
        if arrival.drained:
            log.info("packets_recovered", msg=f"No pkts missing from {peer.name}!", peer=peer.name)

    def request_missing(self, peer: Peer, now: float, out: list[Effect]) -> None:
        """Ask for every missing seq whose (re)request time has come, one request per run
        of consecutive seqs (at most MAX_REXMIT_BATCH, what a sender serves at once).

        Heartbeat asks for one seq per request, but serves any range; on a shared medium
        every node receives every request, so a burst of loss under load would otherwise
        cost each node one packet per lost seq per requester, and feed the overload.
        """
        for first, last in _runs(sorted(peer.track.due(now)), MAX_REXMIT_BATCH):
            rexmit = Message(("t", "NS_rexmit"), ("dest", peer.name))
            out.append(Send(rexmit.add("firstseq", str(first)).add("lastseq", str(last))))

    def give_up(
        self,
        peer: Peer,
        seq: int,
        for_us: bool,
        now: float,
        flow_control: bool,
        out: list[Effect],
    ) -> None:
        """NS_nak_rexmit: the sender no longer has ``seq``."""
        if for_us:
            text = f"Irretrievably lost packet: node {peer.name} seq {seq}"
            self._throttle(
                "error", "packet_lost_for_good", peer.name, now, msg=text, peer=peer.name
            )
        arrival = peer.track.give_up(seq)
        if arrival is not None:
            self.account(peer, arrival, now, flow_control, out)

    def serve(self, peer: Peer, msg: Message, now: float, out: list[Effect]) -> None:
        """Answer ``peer``'s NS_rexmit (decimal seqs) from our history."""
        first, last = parse_dec(msg.get("firstseq")), parse_dec(msg.get("lastseq"))
        if not first or not last or first > last:
            self._throttle(
                "error", "rexmit_invalid", peer.name, now, msg="Invalid rexmit seqnos",
                peer=peer.name, firstseq=printable(msg.get("firstseq")),
                lastseq=printable(msg.get("lastseq")),
            )  # fmt: skip
            return
        plan = self.history.serve(first, last, peer.acked, now)
        out.extend(Send(resend, stamped=True) for resend in plan.resend)
        for seq in plan.too_old:
            text = f"Cannot rexmit pkt {seq} for {peer.name}: seqno too low"
            self._throttle("error", "rexmit_refused", peer.name, now, msg=text, peer=peer.name)
            nak = Message(("t", "NS_nak_rexmit"), ("firstseq", f"{seq:x}"), ("dest", peer.name))
            out.append(Send(nak.add("info", "seqno too low")))
        if plan.beyond is not None:
            text = f"Rexmit of seq {plan.beyond} requested. {self.history.hiseq} is max."
            self._throttle("warning", "rexmit_beyond_max", peer.name, now, msg=text, peer=peer.name)


def _runs(seqs: list[int], longest: int) -> list[tuple[int, int]]:
    """Sorted seqs as (first, last) runs of consecutive seqs, none longer than ``longest``."""
    runs: list[tuple[int, int]] = []
    for seq in seqs:
        if runs and seq == runs[-1][1] + 1 and seq - runs[-1][0] < longest:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs
