"""Control fields on every outbound message, in the real daemon's order (docs/protocol.md §4.1)."""

from __future__ import annotations

from collections.abc import Callable

from hacore.membership.config import MembershipConfig
from hacore.membership.history import SendHistory
from hacore.wire.message import Message

LOADAVG_REFRESH_S = 1.0


class Stamper:
    """Owns our sequence counter: one for every sequenced message, whatever its dest.

    ``uuid_of`` gives a node's uuid once known (learned from its ``srcuuid``), for the
    ``destuuid`` field.
    """

    def __init__(
        self,
        cfg: MembershipConfig,
        history: SendHistory,
        uuid_of: Callable[[str], bytes | None],
    ) -> None:
        self._cfg = cfg
        self._history = history
        self._uuid_of = uuid_of
        self._ttl = str(cfg.hopfudge + len(cfg.nodes) + len(cfg.ping_nodes))
        self._hg = f"{cfg.generation:x}"
        self.seq = 0
        self._load = "n/a"
        self._load_at: float | None = None

    def stamp(self, msg: Message, now: float, wall: float) -> Message:
        mtype = msg.type
        if not mtype:
            raise ValueError(f"stamp: message has no 't' field: {msg!r}")
        sequenced = not mtype.startswith("NS_")
        dest = msg.get("dest")
        dest_uuid = self._uuid_of(dest) if dest is not None else None
        control: list[tuple[str, str | bytes]] = []
        if dest_uuid is not None:
            control.append(("destuuid", dest_uuid))
        control += (("src", self._cfg.local_node), ("srcuuid", self._cfg.uuid))
        if sequenced:
            self.seq += 1
            control.append(("seq", f"{self.seq:x}"))
        control += (("hg", self._hg), ("ts", f"{int(wall):x}"))
        if sequenced:
            control.append(("ld", self._loadavg(now)))
        control.append(("ttl", self._ttl))
        present = {f.name for f in msg.fields}
        for name, value in control:
            if name not in present:
                msg.add(name, value)
            elif sequenced:  # NS_ types keep what they carry (a ping echo's src is the ping node)
                msg.set(name, value)
        if sequenced:
            self._history.add(self.seq, msg)
        return msg

    def _loadavg(self, now: float) -> str:
        if self._load_at is None or now - self._load_at >= LOADAVG_REFRESH_S:
            self._load = self._cfg.loadavg()
            self._load_at = now
        return self._load
