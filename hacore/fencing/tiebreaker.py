"""Is this node the isolated side of a two-node cluster? (ha.cf ``tiebreaker``, hacore
extension, off by default as in Heartbeat.)

A node that hears neither its peer nor the tiebreaker ping node cannot tell a dead peer
from its own isolation, so it assumes the worse: it releases every group and acquires
none (the failover engine's ISOLATED state), and the side that still reaches the
tiebreaker (the outside world) keeps or takes the service. The check runs every tick and
only looks at facts the node already has: the peer's membership status and the
tiebreaker's last echo.

A peer counts as gone when membership declared it dead, unless

* we reset it ourselves (STONITH said OK): it is down for certain, nobody else can serve,
  and releasing would only add an outage; or
* it shut down cleanly (``shutdone``): it holds nothing and takes nothing.

With a STONITH device the isolated node releases too. Its peer, which reaches the
tiebreaker, resets it after the fence delay and takes over only after the reset, so the
release does not race anything; it stops the resources cleanly (file systems unmounted,
data flushed) before the hard reset arrives, and if the peer's device cannot reach this
node, the service is down either way (the peer never takes over without the reset), but
no data is written behind a cluster that has written this node off.

The trade-off, documented for operators: the tiebreaker is a single point of the
decision. A tiebreaker outage while the peer is really down (or a switch failure that
cuts both nodes from it) leaves nobody serving; and a cut heartbeat link with both
sides still reaching the tiebreaker is not decided by it (that is what STONITH and the
fence delay are for).
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass


class Edge(enum.Enum):
    LOST = "lost"  # peer gone and tiebreaker unreachable: tell the engine
    REGAINED = "regained"  # the tiebreaker answers again, the peer is still gone: tell it
    PEER_BACK = "peer_back"  # the peer is heard again: the engine learnt it from membership


@dataclass
class Isolation:
    """Edge detection on "peer gone and tiebreaker unreachable" (see the module doc)."""

    tiebreaker: str | None
    isolated: bool = False
    since_wall: float | None = None  # when the node last became isolated
    times: int = 0  # how often it did since start

    def update(self, peer_gone: bool, reachable: bool) -> Edge | None:
        """The state at this tick; an edge when the node becomes or stops being isolated."""
        if self.tiebreaker is None:
            return None
        if not self.isolated:
            if not (peer_gone and not reachable):
                return None
            self.isolated = True
            self.since_wall = time.time()
            self.times += 1
            return Edge.LOST
        if not peer_gone:
            self.isolated = False
            return Edge.PEER_BACK
        if reachable:
            self.isolated = False
            return Edge.REGAINED
        return None
