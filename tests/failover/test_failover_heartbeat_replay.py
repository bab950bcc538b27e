"""One engine plays a real Heartbeat 3.0.6 node against the other node's captured traffic.

The capture (vectors/sessions/crc_ucast_autofailback_on.pcap) was made with two real
daemons; the engine must send, segment by segment, exactly what the real node sent
(the docs/protocol.md §9.4a sequences): start-up with the 10 s deadlock breaker, standby
all, hb_takeover,
standby foreign, the peer's death, its restart with auto-failback, an ipfail standby and
graceful stops.
"""

from __future__ import annotations

import pytest

from hacore.api import NodeStatus as S
from hacore.api import Scope
from tests.failover.failover_replay import (
    KILL,
    START,
    Replay,
    captured_messages,
    comm_up,
    real,
    restarted,
    shutdown,
    standby,
    status,
    takeover,
)

# Heartbeat, on the peer's shutdone, also runs go_standby(OTHER) for the set it does not
# hold (it re-acquires "ourkeys", which it already holds) and so sends these two extra
# messages to a node that is going away. hacore takes over without that detour.
GO_STANDBY_SIDE_EFFECT = {
    "ask_resources rsc_hold=foreign info=done",
    "resource rsc_hold=all rtype=full isstable=1",
}
API_FIELDS = (" from_id=ipfail to_id=ipfail client_gen=0",)


def _node1() -> Replay:
    replay = Replay(
        "node1",
        [
            (0.0, START),
            (0.0, status("node2", S.INIT, S.ACTIVE)),
            (0.0, comm_up),
            (76.0, standby(Scope.ALL)),
            (96.5, takeover(Scope.ALL)),
            (107.0, standby(Scope.FOREIGN)),
            (132.55, status("node2", S.ACTIVE, S.DEAD)),
            (143.05, restarted("node2")),
            (143.05, status("node2", S.DEAD, S.INIT)),
            (193.55, status("node2", S.INIT, S.DEAD)),
            (200.9, shutdown),
        ],
        busy_until=0.49,  # the real node1 answered node2's first messages only then
    )
    replay.run(210)
    return replay


def _node2() -> Replay:
    replay = Replay(
        "node2",
        [
            (0.0, START),
            (0.0, status("node1", S.INIT, S.ACTIVE)),
            (0.02, comm_up),
            (124.0, KILL),
            (142.9, START),
            (142.9, status("node1", S.INIT, S.ACTIVE)),
            (143.07, comm_up),
            (151.0, standby(Scope.FOREIGN)),  # ipfail's request, through the API
            (182.5, shutdown),
        ],
        busy_until=0.025,
    )
    replay.run(200)
    return replay


SEGMENTS = {
    "start-up (deadlock breaker)": (0, 60),
    "hb_standby all": (70, 90),
    "hb_takeover all": (95, 105),
    "hb_standby foreign": (105, 120),
    "node2 killed": (125, 140),
    "node2 restarted, auto-failback": (140, 150),
    "ipfail standby foreign": (150, 160),
    "node2 stops": (180, 200),
    "node1 stops": (200, 210),
}


@pytest.fixture(scope="module")
def node1() -> Replay:
    return _node1()


@pytest.fixture(scope="module")
def node2() -> Replay:
    return _node2()


def test_capture_is_what_the_segments_assume() -> None:
    kinds = [c.msg.type for c in captured_messages()]
    assert kinds[:3] == ["starting", "starting", "resource"]
    assert kinds.count("shutdone") == 2 and kinds.count("hb_takeover") == 1


@pytest.mark.parametrize("segment", list(SEGMENTS))
def test_engine_as_node1_sends_what_heartbeat_sent(node1: Replay, segment: str) -> None:
    start, end = SEGMENTS[segment]
    expected = real("node1", start, end)
    if segment == "node2 stops":
        expected = [m for m in expected if m not in GO_STANDBY_SIDE_EFFECT]
        assert len(expected) == len(real("node1", start, end)) - 2
    assert node1.between(start, end) == expected


@pytest.mark.parametrize(
    "segment", [s for s in SEGMENTS if s not in ("node2 killed", "node1 stops")]
)
def test_engine_as_node2_sends_what_heartbeat_sent(node2: Replay, segment: str) -> None:
    start, end = SEGMENTS[segment]
    expected = [m.replace(API_FIELDS[0], "") for m in real("node2", start, end)]
    assert node2.between(start, end) == expected


def test_deadlock_breaker_was_honoured(node1: Replay, node2: Replay) -> None:
    """Nothing acquired before 10 s: the peer is a real Heartbeat, not a hacore node."""
    for replay in (node1, node2):
        first = next(at for at, text in replay.sent if "isstable=1" in text)
        assert 10.0 <= first < 11.0
