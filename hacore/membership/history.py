"""Our last 500 sequenced messages, kept to answer NS_rexmit (docs/protocol.md §5.4).

Seqs come from one counter, so the history is contiguous and a seq's slot is found by
subtraction: serving a request never scans the history.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from hacore.wire.message import Field, FieldType, Message

MAX_HISTORY = 500  # MAXMSGHIST
MAX_REXMIT_BATCH = 50  # resends (and naks) per request, so a serial link is not flooded


_Snapshot = list[tuple[str, str | bytes | Message | list[str], FieldType]]


@dataclass(slots=True)
class _Sent:
    seq: int
    fields: _Snapshot  # the message as it was sent: later changes to it do not count
    resent_at: float | None = None

    def message(self) -> Message:
        msg = Message()
        msg.fields = [Field(name, value, kind) for name, value, kind in self.fields]
        return msg


@dataclass
class RexmitPlan:
    """How to answer one NS_rexmit: messages to resend as they are, seqs to refuse."""

    resend: list[Message] = field(default_factory=list)
    too_old: list[int] = field(default_factory=list)
    beyond: int | None = None  # first requested seq above our highest (logged, not refused)


class SendHistory:
    """The sender side of retransmission.

    ``min_resend_gap`` (seconds) is max_rexmit_delay - 10 ms: a request for a seq we
    resent more recently than that is ignored, since several media deliver the same
    request and the peer repeats it anyway.
    """

    def __init__(self, min_resend_gap: float) -> None:
        self._sent: deque[_Sent] = deque(maxlen=MAX_HISTORY)
        self._min_resend_gap = min_resend_gap
        self.hiseq = 0

    def add(self, seq: int, msg: Message) -> None:
        """Remember ``msg`` as it is now (a snapshot: the caller may change it later)."""
        if self._sent and seq != self.hiseq + 1:
            raise ValueError(f"history must be contiguous: got seq {seq} after {self.hiseq}")
        self._sent.append(_Sent(seq, [(f.name, f.value, f.type) for f in msg.fields]))
        self.hiseq = seq

    def serve(self, first: int, last: int, acked: int, now: float) -> RexmitPlan:
        """Plan the answer to a request for ``first..last`` from a peer that acked ``acked``."""
        plan = RexmitPlan()
        oldest = self._sent[0].seq if self._sent else self.hiseq + 1
        seq = max(first, acked + 1)
        while seq <= last:
            if seq > self.hiseq:
                plan.beyond = seq
                break
            if seq < oldest:
                plan.too_old.append(seq)
                if len(plan.too_old) >= MAX_REXMIT_BATCH:
                    seq = oldest  # the rest below the history gets no individual nak
                    continue
            else:
                entry = self._sent[seq - oldest]
                if entry.resent_at is None or now - entry.resent_at >= self._min_resend_gap:
                    if len(plan.resend) >= MAX_REXMIT_BATCH:
                        break
                    entry.resent_at = now
                    plan.resend.append(entry.message())
            seq += 1
        return plan
