"""When the node counts as the isolated side: edges of "peer gone and tiebreaker lost"."""

from __future__ import annotations

from hacore.fencing.tiebreaker import Edge, Isolation


def test_without_a_tiebreaker_a_node_is_never_isolated() -> None:
    isolation = Isolation(None)
    assert isolation.update(peer_gone=True, reachable=False) is None
    assert not isolation.isolated


def test_isolated_only_when_both_are_lost_and_told_once() -> None:
    isolation = Isolation("10.0.0.2")
    assert isolation.update(peer_gone=True, reachable=True) is None
    assert isolation.update(peer_gone=False, reachable=False) is None
    assert isolation.update(peer_gone=True, reachable=False) == Edge.LOST
    assert isolation.isolated and isolation.since_wall is not None
    assert isolation.update(peer_gone=True, reachable=False) is None, "one edge, not one a tick"
    assert isolation.update(peer_gone=True, reachable=True) == Edge.REGAINED
    assert not isolation.isolated


def test_the_peer_heard_again_ends_it_without_a_regained_tiebreaker() -> None:
    isolation = Isolation("10.0.0.2")
    isolation.update(peer_gone=True, reachable=False)
    assert isolation.update(peer_gone=False, reachable=False) == Edge.PEER_BACK
    assert isolation.update(peer_gone=True, reachable=False) == Edge.LOST
    assert isolation.times == 2
