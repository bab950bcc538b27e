"""Per-sender sequence tracking: Heartbeat's ``should_drop_message`` seq part.

See docs/protocol.md §5.3–5.5.

One tracker per peer. It decides whether a sequenced packet is new, a recovered gap,
a duplicate or an old copy; records gaps for retransmission requests; and says when an
ack is due. It knows nothing about generations, dest or links: the engine resets it.
Everything here is O(1) per in-order packet; only gaps cost more.

A reset that keeps the generation (the peer was declared dead) keeps a *floor*: the
highest seq seen. Heartbeat forgets everything at a death, so a captured message of
that generation is accepted again afterwards; here only seqs above the floor are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

MAX_MISSING = 500  # Heartbeat's MAXMISSING: missing seqs remembered per sender
SEQ_GAP_LIMIT = 250  # FLOWCONTROL_LIMIT: a bigger gap resets tracking instead of recording it
ACK_DIV = 10  # ACK_MSG_DIV: one ack per ten messages

ArrivalKind = Literal["new", "recovered", "duplicate", "old"]


@dataclass(frozen=True, slots=True)
class Arrival:
    """The verdict on one sequence number.

    ``lost`` is (last seq, this seq) when this packet opened a gap of ``lost_count``;
    ``overflow`` means the gap was too big and tracking started over. ``ack`` is the seq
    to acknowledge now, if any; ``drained`` means the last missing seq just arrived.
    """

    kind: ArrivalKind
    lost: tuple[int, int] | None = None
    lost_count: int = 0
    overflow: bool = False
    ack: int | None = None
    drained: bool = False

    @property
    def accepted(self) -> bool:
        return self.kind in ("new", "recovered")


IN_ORDER = Arrival("new")
"""The next seq, nothing else to say: the common case, one shared value."""
_DUPLICATE = Arrival("duplicate")
_OLD = Arrival("old")


class SeqTracker:
    """Sequence state for one sender.

    ``first_delay`` gives the wait (seconds) before the first retransmission request
    for a newly missing seq; requests then repeat every ``repeat`` seconds.
    """

    __slots__ = (
        "_first_delay",
        "_missing",
        "_next_due",
        "_repeat",
        "ack_trigger",
        "first_missing",
        "floor",
        "last_seq",
    )

    def __init__(self, ack_trigger: int, first_delay: Callable[[], float], repeat: float) -> None:
        self.ack_trigger = ack_trigger
        self._first_delay = first_delay
        self._repeat = repeat
        self.last_seq: int | None = None
        self.floor = 0  # after a death: seqs at or below this are replays
        self.first_missing: int | None = None
        self._missing: dict[int, float] = {}  # seq -> when to (re)request it
        self._next_due = math.inf

    @property
    def missing(self) -> Collection[int]:
        return self._missing.keys()

    @property
    def next_due(self) -> float | None:
        """When the next retransmission request is due (None: nothing is missing)."""
        return None if self._next_due == math.inf else self._next_due

    def reset(self, *, keep_floor: bool = False) -> None:
        """Start over; ``keep_floor`` (same generation) refuses every seq seen so far."""
        self.floor = max(self.floor, self.last_seq or 0) if keep_floor else 0
        self.last_seq = None
        self.first_missing = None
        self._missing.clear()
        self._next_due = math.inf

    def receive(self, seq: int, now: float) -> Arrival:
        last = self.last_seq
        if last is not None and seq != last + 1:
            if seq == last:
                return _DUPLICATE
            if seq > last:
                return self._gap(last, seq, now)
            if seq in self._missing:
                return self._recover(seq)
            return _OLD
        if last is None and seq <= self.floor:
            return _OLD
        self.last_seq = seq
        if seq % ACK_DIV == self.ack_trigger:
            return Arrival("new", ack=self._ack_for(seq))
        return IN_ORDER

    def give_up(self, seq: int) -> Arrival | None:
        """The sender cannot retransmit ``seq`` (NS_nak_rexmit): stop asking for it."""
        return self._recover(seq) if seq in self._missing else None

    def due(self, now: float) -> list[int]:
        """Missing seqs whose retransmission request is due now; reschedules them."""
        if now < self._next_due:
            return []
        due = []
        next_due = math.inf
        for seq, when in self._missing.items():
            if when <= now:
                due.append(seq)
                when = now + self._repeat
                self._missing[seq] = when
            next_due = min(next_due, when)
        self._next_due = next_due
        return due

    def _ack_for(self, seq: int) -> int | None:
        # Called only for trigger-aligned seqs; a gap before it means we cannot ack yet.
        if self.first_missing is not None and seq > self.first_missing:
            return None
        return seq

    def _gap(self, last: int, seq: int, now: float) -> Arrival:
        nlost = seq - last - 1
        if nlost > SEQ_GAP_LIMIT:
            self.reset(keep_floor=True)
            self.last_seq = seq
            return Arrival("new", lost=(last, seq), lost_count=nlost, overflow=True)
        if self.first_missing is None or self.first_missing > last + 1:
            self.first_missing = last + 1
        # One wait for the whole gap (Heartbeat draws one per seq): seqs lost together
        # are then due together and asked for in one request (see Retransmission).
        when = now + self._first_delay()
        for k in range(last + 1, seq):
            self._add_missing(k, when)
        self._next_due = min(self._next_due, when)
        self.last_seq = seq
        return Arrival("new", lost=(last, seq), lost_count=nlost)

    def _add_missing(self, seq: int, when: float) -> None:
        if len(self._missing) >= MAX_MISSING - 1:
            oldest = min(self._missing)  # rare: only when 500 seqs are already missing
            del self._missing[oldest]
            if oldest == self.first_missing:
                self.first_missing = min(self._missing, default=seq)
        self._missing[seq] = when

    def _recover(self, seq: int) -> Arrival:
        del self._missing[seq]
        drained = not self._missing
        ack = None
        if seq == self.first_missing:
            self.first_missing = min(self._missing) if self._missing else None
            contiguous = self.last_seq if self.first_missing is None else self.first_missing - 1
            assert contiguous is not None  # a recorded gap implies a last seq
            candidate = self._aligned_at_or_below(contiguous)
            if candidate >= seq and candidate > 0:
                ack = candidate
        return Arrival("recovered", ack=ack, drained=drained)

    def _aligned_at_or_below(self, seq: int) -> int:
        base = seq // ACK_DIV * ACK_DIV + self.ack_trigger
        return base if base <= seq else base - ACK_DIV
