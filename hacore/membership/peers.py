"""What the engine remembers about each other node and each of its links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from hacore.api import LinkStatus, NodeStatus
from hacore.membership.effects import StatusHeard
from hacore.membership.tracking import SeqTracker

_HEX_DIGITS = "0123456789abcdefABCDEF"
_DEC = re.compile(r"[0-9]{1,19}")

# The words a status message may carry in ``st``; anything else is a malformed status.
STATUS_WORDS = {s.value: s for s in (NodeStatus.INIT, NodeStatus.UP, NodeStatus.ACTIVE)}


def parse_hex(text: str | None) -> int | None:
    """Heartbeat's ``%lx`` fields (seq, hg, ts, dt, ackseq), strictly: 1 to 16 hex
    digits and nothing else (no sign, prefix, blank or underscore ``int`` would take)."""
    if text is None or not 0 < len(text) <= 16 or text.strip(_HEX_DIGITS):
        return None
    return int(text, 16)


def parse_dec(text: str | None) -> int | None:
    """The decimal fields (NS_rexmit firstseq/lastseq)."""
    return int(text) if text is not None and _DEC.fullmatch(text) else None


@dataclass(slots=True)
class Link:
    status: LinkStatus = LinkStatus.DEAD
    last: float | None = None  # local arrival of the last packet on it (stall-shifted)


class Peer:
    """One other node (normal or ping) as seen from here.

    ``last_status`` is the local arrival time of the last accepted status, used for the
    late-heartbeat check (None when unknown, e.g. right after a restart); ``alive_ref``
    is what the dead check measures silence from (start-up, then the last status).
    Both are shifted forward when our own loop stalls, so time we were not running is
    never counted as the peer's silence. ``heard_at`` is the unshifted arrival time,
    for operators.
    """

    __slots__ = (
        "_heard_on",
        "acked",
        "alive_ref",
        "dead_after_ms",
        "generation",
        "hacore",
        "heard",
        "heard_at",
        "last_status",
        "links",
        "name",
        "ping",
        "remote_ts",
        "status",
        "status_seq",
        "track",
        "uuid",
    )

    def __init__(
        self,
        name: str,
        *,
        ping: bool,
        links: tuple[str, ...],
        track: SeqTracker,
        dead_after_ms: int,
    ) -> None:
        self.name = name
        self.ping = ping
        self.track = track
        self.dead_after_ms = dead_after_ms  # the sender's advertised dt (deadping for ping nodes)
        self.links = {link: Link() for link in links}
        self.status = NodeStatus.INIT
        self.uuid: bytes | None = None
        self.generation = 0
        self.acked = 0  # highest of our seqs this node acknowledged
        self.status_seq = 0
        self.remote_ts = 0
        self.last_status: float | None = None
        self.alive_ref = 0.0
        self.heard_at: float | None = None
        self.heard = False  # any packet since start or since declared dead (comm-up)
        self.hacore: bool | None = None  # None until a status says
        self._heard_on: dict[str, StatusHeard] = {}

    def heard_on(self, link: str) -> StatusHeard:
        """The (immutable) effect saying one of its statuses passed the checks on ``link``."""
        heard = self._heard_on.get(link)
        if heard is None:
            heard = self._heard_on[link] = StatusHeard(self.name, link)
        return heard

    def forget_sequence(self, *, same_generation: bool) -> None:
        """Death or restart: its gaps and acks mean nothing any more. After a death
        (``same_generation``) its old seqs stay refused: they can only be replays."""
        self.track.reset(keep_floor=same_generation)
        self.acked = 0

    def shift_clock(self, delta: float | None, now: float) -> None:
        """Forget our own stall: shift by ``delta`` seconds, or to ``now`` when None."""

        def moved(t: float) -> float:
            return now if delta is None else t + delta

        self.alive_ref = moved(self.alive_ref)
        if self.last_status is not None:
            self.last_status = moved(self.last_status)
        for link in self.links.values():
            if link.last is not None:
                link.last = moved(link.last)


class PeerTable:
    """Every other node, found by the srcuuid it sends first and by name second."""

    def __init__(self, local: str, local_uuid: bytes, peers: list[Peer]) -> None:
        self._local = local
        self._local_uuid = local_uuid
        self.normal = [p for p in peers if not p.ping]  # ha.cf order: reqnodes asks the first
        self._by_name = {p.name: p for p in peers}
        self._by_uuid: dict[bytes, Peer] = {}

    def __iter__(self) -> Iterator[Peer]:
        return iter(self._by_name.values())

    def __getitem__(self, node: str) -> Peer:
        try:
            return self._by_name[node]
        except KeyError:
            raise KeyError(f"unknown node {node!r}") from None

    def find(self, src: str, uuid: bytes | None) -> Peer | None:
        """The sender of a packet, learning its uuid on the way (None: not configured)."""
        peer = self._by_uuid.get(uuid) if uuid else None
        if peer is None:
            peer = self._by_name.get(src)
        if peer is not None and uuid and len(uuid) == 16 and peer.uuid != uuid and not peer.ping:
            if peer.uuid is not None:
                self._by_uuid.pop(peer.uuid, None)
            peer.uuid = uuid
            self._by_uuid[uuid] = peer
        return peer

    def uuid_of(self, node: str) -> bytes | None:
        if node == self._local:
            return self._local_uuid
        peer = self._by_name.get(node)
        return peer.uuid if peer is not None else None
