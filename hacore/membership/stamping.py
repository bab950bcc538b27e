"""Control fields on every outbound message, in the real daemon's order (docs/protocol.md §4.1)."""

from __future__ import annotations

from collections.abc import Callable

from hacore.membership.config import MembershipConfig
from hacore.membership.history import SendHistory
from hacore.wire.message import Field, FieldType, Message

LOADAVG_REFRESH_S = 1.0
_CONTROL = frozenset(("destuuid", "src", "srcuuid", "seq", "hg", "ts", "ld", "ttl"))
"""Fields :meth:`Stamper.stamp` adds; one a message already carries is replaced in place
(sequenced types) or kept (NS_ types)."""


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
        carried = {f.name for f in fields if f.name in _CONTROL}
        control = self._control(msg.get("dest"), sequenced, now, wall)
        if not carried:  # every heartbeat: appended at once
            fields += control
        else:
            for field in control:
                if field.name not in carried:
                    fields.append(field)
                elif sequenced:  # NS_ types keep theirs (a ping echo's src: the ping node)
                    msg.set(field.name, field.value)
        if sequenced:
            self._history.add(self.seq, msg)
        return msg

    def _control(self, dest: str | None, sequenced: bool, now: float, wall: float) -> list[Field]:
        """The control fields in Heartbeat's order; a sequenced message takes the next seq."""
        dest_uuid = self._uuid_of(dest) if dest is not None else None
        control = [] if dest_uuid is None else [Field("destuuid", dest_uuid, FieldType.BINARY)]
        control += (
            Field("src", self._cfg.local_node, FieldType.STRING),
            Field("srcuuid", self._cfg.uuid, FieldType.BINARY),
        )
        if sequenced:
            self.seq += 1
            control.append(Field("seq", f"{self.seq:x}", FieldType.STRING))
        control += (
            Field("hg", self._hg, FieldType.STRING),
            Field("ts", f"{int(wall):x}", FieldType.STRING),
        )
        if sequenced:
            control.append(Field("ld", self._loadavg(now), FieldType.STRING))
        control.append(Field("ttl", self._ttl, FieldType.STRING))
        return control

    def _loadavg(self, now: float) -> str:
        if self._load_at is None or now - self._load_at >= LOADAVG_REFRESH_S:
            self._load = self._cfg.loadavg()
            self._load_at = now
        return self._load
