"""SeqTracker: Heartbeat's per-sender sequence rules (docs/protocol.md §5.3–5.5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hacore.membership.tracking import MAX_MISSING, SEQ_GAP_LIMIT, SeqTracker


def tracker(trigger: int = 3, first_delay: float = 0.1, repeat: float = 0.25) -> SeqTracker:
    return SeqTracker(trigger, lambda: first_delay, repeat)


@pytest.mark.parametrize(
    ("seqs", "kinds"),
    [
        ([5, 6, 7], ["new", "new", "new"]),  # the first seq is accepted whatever it is
        ([1, 1, 2, 2], ["new", "duplicate", "new", "duplicate"]),  # one copy per medium
        ([1, 4, 2, 3, 2], ["new", "new", "recovered", "recovered", "old"]),
        ([10, 9], ["new", "old"]),  # below the first seq and never missing
        ([1, 3, 3, 2, 2], ["new", "new", "duplicate", "recovered", "old"]),
    ],
)
def test_verdicts(seqs: list[int], kinds: list[str]) -> None:
    t = tracker()
    assert [t.receive(s, 0.0).kind for s in seqs] == kinds


def test_gap_records_missing_and_reports_loss() -> None:
    t = tracker()
    t.receive(1, 0.0)
    arrival = t.receive(5, 0.0)
    assert arrival.lost == (1, 5) and arrival.lost_count == 3 and not arrival.overflow
    assert sorted(t.missing) == [2, 3, 4] and t.first_missing == 2
    assert t.receive(3, 0.0).kind == "recovered"
    assert t.first_missing == 2
    t.receive(2, 0.0)
    last = t.receive(4, 0.0)
    assert last.drained and not t.missing and t.first_missing is None


def test_gap_over_limit_starts_over() -> None:
    t = tracker()
    t.receive(1, 0.0)
    t.receive(3, 0.0)  # 2 missing
    arrival = t.receive(3 + SEQ_GAP_LIMIT + 2, 0.0)
    assert arrival.overflow and arrival.lost_count == SEQ_GAP_LIMIT + 1
    assert not t.missing and t.last_seq == 3 + SEQ_GAP_LIMIT + 2
    assert t.receive(2, 0.0).kind == "old"  # forgotten with the reset


def test_gap_at_limit_is_recorded() -> None:
    t = tracker()
    t.receive(1, 0.0)
    arrival = t.receive(2 + SEQ_GAP_LIMIT, 0.0)
    assert not arrival.overflow and len(t.missing) == SEQ_GAP_LIMIT


def test_missing_list_is_bounded_by_dropping_the_oldest() -> None:
    t = tracker()
    seq = 1
    t.receive(seq, 0.0)
    while len(t.missing) < MAX_MISSING - 1:
        seq += 3  # two lost each time
        t.receive(seq, 0.0)
    oldest = min(t.missing)
    t.receive(seq + 3, 0.0)
    assert len(t.missing) == MAX_MISSING - 1
    assert oldest not in t.missing and t.first_missing == min(t.missing)


@pytest.mark.parametrize(
    ("trigger", "seqs", "acks"),
    [
        (3, [1, 2, 3, 4, 13], [None, None, 3, None, None]),  # 13 follows a gap: no ack
        (0, [9, 10, 11, 20], [None, 10, None, None]),
        (7, [7, 17], [7, None]),  # 17 opens a gap (8..16 missing)
    ],
)
def test_in_order_acks(trigger: int, seqs: list[int], acks: list[int | None]) -> None:
    t = tracker(trigger)
    assert [t.receive(s, 0.0).ack for s in seqs] == acks


def test_ack_when_gap_closes() -> None:
    t = tracker(trigger=3)
    for s in (1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14):  # 3 and 4 lost
        assert t.receive(s, 0.0).ack is None  # 13 is aligned but there is a gap before it
    assert t.receive(4, 0.0).ack is None  # the gap (3) is still open
    closing = t.receive(3, 0.0)
    # contiguous up to 14; the highest trigger-aligned seq below is 13
    assert closing.ack == 13 and closing.drained


def test_nak_gives_up_a_missing_seq() -> None:
    t = tracker()
    t.receive(1, 0.0)
    t.receive(3, 0.0)
    given_up = t.give_up(2)
    assert given_up is not None and given_up.drained
    assert t.give_up(2) is None
    assert t.receive(2, 0.0).kind == "old"


def test_retransmission_requests_wait_then_repeat() -> None:
    t = tracker(first_delay=0.1, repeat=0.25)
    t.receive(1, 0.0)
    t.receive(4, 1.0)
    assert t.due(1.05) == []
    assert sorted(t.due(1.1)) == [2, 3]
    assert t.due(1.2) == []
    t.receive(2, 1.3)
    assert t.due(1.35) == [3]  # 1.1 + 0.25
    t.receive(3, 1.4)
    assert t.due(5.0) == []


# A sender's stream through a medium that loses, duplicates and reorders packets.
@st.composite
def mangled_streams(draw: st.DrawFn) -> list[int]:
    n = draw(st.integers(min_value=1, max_value=SEQ_GAP_LIMIT - 50))  # never overflows
    out: list[int] = []
    for seq in range(1, n + 1):
        copies = draw(st.sampled_from([0, 1, 1, 1, 2]))
        out.extend([seq] * copies)
    # local reordering: swap some neighbours
    for i in draw(st.lists(st.integers(min_value=0, max_value=max(0, len(out) - 2)), max_size=40)):
        if i + 1 < len(out):
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


@given(mangled_streams(), st.integers(min_value=0, max_value=9))
@settings(max_examples=300, deadline=None)
def test_every_seq_is_accepted_at_most_once(stream: list[int], trigger: int) -> None:
    t = tracker(trigger)
    accepted: list[int] = []
    for seq in stream:
        arrival = t.receive(seq, 0.0)
        if arrival.accepted:
            accepted.append(seq)
        if arrival.ack is not None:
            assert arrival.ack % 10 == trigger
            # never ack past a hole: everything up to the ack was accepted
            assert set(range(1, arrival.ack + 1)) - set(accepted) <= set(range(1, min(accepted)))
    assert len(accepted) == len(set(accepted))
    # whatever arrived at least once and was not below the first accepted seq got in
    first = stream[0] if stream else 0
    assert set(accepted) >= {s for s in stream if s >= first}


@given(st.lists(st.integers(min_value=1, max_value=2000), max_size=400))
@settings(max_examples=200, deadline=None)
def test_arbitrary_input_never_breaks_invariants(stream: list[int]) -> None:
    t = tracker()
    accepted: set[int] = set()
    for seq in stream:
        arrival = t.receive(seq, 0.0)
        if arrival.accepted:
            assert seq not in accepted
            accepted.add(seq)
        assert len(t.missing) < MAX_MISSING
        assert t.last_seq is None or all(m < t.last_seq for m in t.missing)
        assert (t.first_missing is None) == (not t.missing)
        if t.missing:
            assert t.first_missing == min(t.missing)
