"""Control fields on every outbound message, in the real daemon's order (docs/protocol.md §4.1)."""

from __future__ import annotations

from collections.abc import Callable

from hacore.membership.config import MembershipConfig
from hacore.membership.history import SendHistory
from hacore.wire.message import Field, FieldType, Message

LOADAVG_REFRESH_S = 1.0
_ADDRESSED = frozenset(("dest", "destuuid", "src", "srcuuid", "seq", "hg", "ts", "ld", "ttl"))
"""A message carrying any of these takes the general path (a dest asks for destuuid;
the others are replaced in place)."""


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
        fields = msg.fields
        if sequenced and not any(f.name in _ADDRESSED for f in fields):
            return self._stamp_broadcast(msg, fields, now, wall)
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

    def _stamp_broadcast(
        self, msg: Message, fields: list[Field], now: float, wall: float
    ) -> Message:
        """:meth:`stamp` for a sequenced message to everyone that carries no control
        field yet: every heartbeat. The same fields in the same order, appended at once."""
        self.seq += 1
        fields += (
            Field("src", self._cfg.local_node, FieldType.STRING),
            Field("srcuuid", self._cfg.uuid, FieldType.BINARY),
            Field("seq", f"{self.seq:x}", FieldType.STRING),
            Field("hg", self._hg, FieldType.STRING),
            Field("ts", f"{int(wall):x}", FieldType.STRING),
            Field("ld", self._loadavg(now), FieldType.STRING),
            Field("ttl", self._ttl, FieldType.STRING),
        )
        self._history.add(self.seq, msg)
        return msg

    def _loadavg(self, now: float) -> str:
        if self._load_at is None or now - self._load_at >= LOADAVG_REFRESH_S:
            self._load = self._cfg.loadavg()
            self._load_at = now
        return self._load
