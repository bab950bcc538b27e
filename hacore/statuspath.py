"""A peer's heartbeats, recognised by their bytes: the receive path's short cut.

A node's consecutive statuses are the same bytes but for ``seq``, ``ts``, ``ld`` and
the two signatures, at the same lengths but for ``ld`` (the sender's /proc/loadavg,
whose process counts and last pid change length all the time). Once a status of a peer
has passed the general path (open, decode, :meth:`Membership.receive`), its bytes become
a *template*: one regex with every other byte literal. A packet the template matches is
that status with a new seq, ts and load: its trailer is checked, and the engine's
:meth:`~hacore.membership.Membership.next_status` takes it without a message being
built. Whatever either declines (another layout or value, a bad signature, anything
the engine does not take in one pass) goes the general way, which stays the reference;
a changed status (a new layout) becomes the peer's new template there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from hacore.membership.effects import Deliver, Effect, StatusHeard
from hacore.membership.engine import Membership, StatusShape
from hacore.wire.codec import COMPRESSED_FIELD
from hacore.wire.message import Message
from hacore.wire.signing import PacketSigner

VARYING = frozenset({b"seq", b"ts", b"ld", b"auth"})
"""The fields a node changes from one heartbeat to the next."""
_HEX = (b"seq", b"ts")
_ANY_LENGTH = b"ld"
_COMPRESSED = COMPRESSED_FIELD.encode()
_FIELD_HEAD = re.compile(rb"(\d{1,9}):\(([01])\)([^=\x00,]+)=")
_MAX_FIELDS = 64
_ANY_LENGTH_HEAD = len(b"(0)ld=")  # its netstring length is this + the value's
_SRC_HEAD = b"(0)src="
_TRAILER = re.compile(rb"(\d{1,9}):(\d{1,9}) ([^,%\s]+),")


@dataclass(frozen=True, slots=True)
class Template:
    signer: PacketSigner  # a reload builds another: its templates then match no more
    pattern: re.Pattern[bytes]  # groups: seq, ts, signed (its end), token; ldn, ld
    shape: StatusShape
    any_length: bool  # the pattern has the ldn and ld groups


class StatusTemplates:
    """The last template of each peer (a few: one per node of the cluster)."""

    def __init__(self, membership: Membership, limit: int) -> None:
        self._membership = membership
        self._limit = limit
        self._by_src: dict[bytes, Template] = {}  # by the src bytes its packets carry

    def receive(
        self, data: bytes, signer: PacketSigner, link: str, now: float
    ) -> list[Effect] | None:
        """The effects of ``data`` when a template takes it; None: the general path
        decides (nothing has changed)."""
        template = self._by_src.get(_claimed_src(data))
        if template is None or template.signer is not signer:
            return None
        found = template.pattern.fullmatch(data)
        if found is None:
            return None
        if template.any_length and int(found["ldn"]) != _ANY_LENGTH_HEAD + len(found["ld"]):
            return None  # a netstring that lies about its length: the general path refuses
        if not signer.trailer_signs(data[: found.end("signed")], found["token"]):
            return None
        seq, ts = int(found["seq"], 16), int(found["ts"], 16)
        return self._membership.next_status(template.shape, seq, ts, link, now)

    def learn(
        self, data: bytes, msg: Message, signer: PacketSigner, effects: Sequence[Effect]
    ) -> None:
        """After the general path: ``data`` (opened as ``msg``, giving ``effects``)
        becomes its sender's template if it was a status the engine accepted (those end
        with the status heard and delivered)."""
        if [e.__class__ for e in effects[-2:]] != [StatusHeard, Deliver]:
            return
        shape = self._membership.status_shape(msg)
        src = _claimed_src(data)
        if shape is None or (src not in self._by_src and len(self._by_src) >= self._limit):
            return
        known = self._by_src.get(src)
        if known is not None and known.signer is signer and known.pattern.fullmatch(data):
            return  # its template matched, but the engine wanted the general path
        template = _template(data, shape, signer)
        if template is not None:
            self._by_src[src] = template


def _claimed_src(data: bytes) -> bytes:
    """The bytes of the first ``src`` field, as the sender wrote them: which template
    to try (one look-up, however many peers); the template's full match decides. Not
    :func:`hacore.wire.signing.claimed_src`: that one is exact about the field's place
    and reads classic packets too, for log lines, at four times the cost."""
    start = data.find(_SRC_HEAD)
    if start < 0:
        return b""
    start += len(_SRC_HEAD)
    return data[start : data.find(b",", start)]


def _template(data: bytes, shape: StatusShape, signer: PacketSigner) -> Template | None:
    """The regex of ``data`` with the varying values as groups; None for a packet
    this short cut does not cover (not flat, no seq or ts, another trailer form)."""
    parsed = _fields(data) if data.__class__ is bytes else None
    if parsed is None:
        return None
    fields, end = parsed
    names = [name for _, name, _ in fields]
    strings = {name for kind, name, _ in fields if kind == b"0"}
    trailer = _TRAILER.fullmatch(data, end)
    if (
        trailer is None
        or int(trailer[2]) != signer.active_index
        or int(trailer[1]) != len(trailer[2]) + 1 + len(trailer[3])
        or len(set(names)) != len(names)
        or _COMPRESSED in names
        or not all(name in strings for name in _HEX)
    ):
        return None
    parts = [re.escape(b"###\n")]
    any_length = False  # names are unique: at most one ld
    for kind, name, raw in fields:
        if name == _ANY_LENGTH and kind == b"0":
            parts.append(rb"(?P<ldn>\d{1,9}):\(0\)ld=(?P<ld>[^,\x00]*),")
            any_length = True
            continue
        head = b"%d:(%s)%s=" % (len(name) + 4 + len(raw), kind, name)
        if name in _HEX:
            if not 0 < len(raw) <= 16:
                return None
            value = b"(?P<%s>[0-9a-fA-F]{%d})" % (name, len(raw))
        elif name in VARYING:
            value = b"[^,\\x00]{%d}" % len(raw)
        else:
            value = re.escape(raw)
        parts.append(re.escape(head) + value + b",")
    parts.append(re.escape(b"%%%\n") + b"(?P<signed>)")
    parts.append(re.escape(b"%s:%s " % (trailer[1], trailer[2])))
    parts.append(b"(?P<token>[^,%%\\s]{%d})," % len(trailer[3]))
    return Template(signer, re.compile(b"".join(parts)), shape, any_length)


def _fields(data: bytes) -> tuple[list[tuple[bytes, bytes, bytes]], int] | None:
    """(kind, name, value) of each field of the flat message ``data`` starts with, read
    by their netstring lengths, and the offset after its ``%%%\\n``; None when it is not
    one. Not :func:`hacore.wire.flat.parse_flat`: that one reads the fields with one
    regex, which a comma in a binary value defeats, and a random ``srcuuid`` holds one
    for one node in sixteen."""
    if not data.startswith(b"###\n"):
        return None
    fields: list[tuple[bytes, bytes, bytes]] = []
    at = 4
    while not data.startswith(b"%%%\n", at):
        head = _FIELD_HEAD.match(data, at)
        if head is None or len(fields) >= _MAX_FIELDS:
            return None
        value_end = at + len(head[1]) + 1 + int(head[1])
        if value_end < head.end() or data[value_end : value_end + 1] != b",":
            return None
        fields.append((head[2], head[3], data[head.end() : value_end]))
        at = value_end + 1
    return fields, at + 4
