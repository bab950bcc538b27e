"""Shortcuts for flat netstring messages, both ways: every heartbeat is one.

A flat message holds string and binary fields only, with no comma inside a value. One
regex pass finds every field as ``(len:(T)name=, value)``; the *layout* of a packet is
the tuple of those heads, and consecutive packets of a node share it (only ``seq``,
``ts``, ``ld`` and the signatures change, and their lengths rarely). A layout is checked
once (declared lengths, names, types) and remembered, so a packet costs the regex pass,
one look-up and a comparison of value lengths.

What :func:`parse_flat` accepts, the field-by-field parser in :mod:`hacore.wire.codec`
parses to the same message; what it declines (a struct, a list, a comma in a uuid, a
repeated name, NUL in a string, anything malformed) goes to that parser, which gives
the message or the precise error.

Sending, :func:`signed_parts` encodes a flat message for sealing: its netstring fields
and the classic text its inner ``auth`` field signs, in one pass. A heartbeat repeats
most of its fields from one keepalive to the next, so each field's two encodings are
remembered by (name, value). Anything else goes to the general encoders, which give
the same bytes or the precise error.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from hacore.wire.message import FieldType, Message, WireLayout

_FIELD = re.compile(rb"(\d{1,9}:\([01]\)[^=\x00,]+=)([^,]*),")
_END = b"%%%\n"
MAX_BODY = 4096
"""Longest message body tried: a status is about 300 bytes, and a long packet of tiny
fields must meet the decoder's field budget before it is all matched."""
MAX_LAYOUTS = 256
"""Layouts remembered: a few per node (value lengths change now and then); when full,
the table starts over."""


@dataclass(frozen=True, slots=True)
class _Layout:
    wire: WireLayout
    sizes: list[int]  # the length each value must have
    span: int  # bytes the fields fill, back to back

    def matches(self, raws: tuple[bytes, ...], body: int) -> bool:
        return self.span == body and list(map(len, raws)) == self.sizes


MAX_NAMES = 1024
"""Field names whose heads are remembered (names repeat in every packet)."""
MAX_PIECES = 512
"""(name, value) pairs whose encodings are remembered; values longer than MAX_PIECE_VALUE
(signatures, payloads) are encoded every time."""
MAX_PIECE_VALUE = 64
AUTH_FIELD = "auth"
_NEWLINE_SYMBOL = b"\x13"  # a newline inside a classic string

_layouts: dict[tuple[bytes, ...], _Layout | None] = {}
_UNKNOWN = _Layout(WireLayout((), frozenset()), [], -1)


def parse_flat(data: bytes) -> tuple[WireLayout, tuple[bytes, ...], int] | None:
    """The layout and values of the message ``data`` starts with, and the offset after
    its ``%%%\\n`` (the packet's last one); None when the message is not plainly flat."""
    marker = data.rfind(_END, 4)
    if marker < 4 or marker - 4 > MAX_BODY:
        return None
    items = _FIELD.findall(data, 4, marker)
    if not items:
        return None
    heads, raws = zip(*items)  # noqa: B905 (pairs)
    layout = _layouts.get(heads, _UNKNOWN)
    if layout is _UNKNOWN:
        layout = _learn(heads)
    if layout is None or not layout.matches(raws, marker - 4):
        return None
    wire = layout.wire
    if data.find(b"\0", 4, marker) >= 0 and any(
        b"\0" in raw for name, raw in zip(wire.names, raws, strict=True) if name not in wire.binary
    ):
        return None  # a string holding NUL: the general parser names the field
    return wire, raws, marker + len(_END)


def _learn(heads: tuple[bytes, ...]) -> _Layout | None:
    """Check a new layout's heads; None (remembered too) when one is unusable here."""
    if len(_layouts) >= MAX_LAYOUTS:
        _layouts.clear()
    layout = _layouts[heads] = _layout(heads)
    return layout


def _layout(heads: tuple[bytes, ...]) -> _Layout | None:
    sizes: list[int] = []
    names: list[str] = []
    binary: set[str] = set()
    for head in heads:
        digits, _, rest = head.partition(b":")
        raw_name = rest[3:-1]
        try:
            name = raw_name.decode()
        except UnicodeDecodeError:
            return None
        size = int(digits) - len(raw_name) - 4
        if size < 0 or name in names:
            return None
        sizes.append(size)
        names.append(name)
        if rest[1] == 0x31:
            binary.add(name)
    span = sum(map(len, heads)) + sum(sizes) + len(heads)
    return _Layout(WireLayout(names, binary), sizes, span)


# ---- sending --------------------------------------------------------------------------

_heads: dict[str, tuple[bytes, bytes, bytes] | None] = {}
_pieces: dict[tuple[str, str | bytes], tuple[bytes, bytes]] = {}


def field_heads(name: str) -> tuple[bytes, bytes, bytes] | None:
    """What precedes a value of field ``name``: netstring string ``(0)name=``, classic
    string ``name=``, binary (both formats) ``(1)name=``; None for a name one of the
    formats refuses (empty, ``=``, NUL, newline, a leading ``(``, not text)."""
    heads = _heads.get(name, _NO_HEADS)
    if heads is _NO_HEADS:
        heads = _new_heads(name)
        if len(_heads) < MAX_NAMES:
            _heads[name] = heads
    return heads


_NO_HEADS = (b"",) * 3


def _new_heads(name: str) -> tuple[bytes, bytes, bytes] | None:
    try:
        raw = name.encode()
    except UnicodeEncodeError:
        return None
    if not raw or any(c in raw for c in (b"=", b"\0", b"\n")) or raw.startswith(b"("):
        return None
    return b"(0)%s=" % raw, b"%s=" % raw, b"(1)%s=" % raw


def string_field(name: str, value: bytes) -> bytes:
    """One string field in netstring form, for a name :func:`field_heads` accepts."""
    heads = field_heads(name)
    assert heads is not None, name
    return b"%d:%s%s," % (len(heads[0]) + len(value), heads[0], value)


def signed_parts(msg: Message) -> tuple[list[bytes], bytes] | None:
    """A flat message's netstring start (``###\\n`` and every field but ``auth``, in
    order) and the classic text its inner ``auth`` signs; None when a field is not a
    plain string or binary value, or would be refused."""
    parts = [b"###\n"]
    lines: list[bytes] = []
    for f in msg.fields:
        name, value = f.name, f.value
        if name == AUTH_FIELD:
            continue
        if value.__class__ is str:
            if f.type is not FieldType.STRING:
                return None
        elif value.__class__ is not bytes or f.type is not FieldType.BINARY:
            return None
        key = (name, value)
        piece = _pieces.get(key)
        if piece is None:
            piece = _piece(name, value)
            if piece is None:
                return None
            if len(value) <= MAX_PIECE_VALUE:
                if len(_pieces) >= MAX_PIECES:
                    _pieces.clear()
                _pieces[key] = piece
        parts.append(piece[0])
        lines.append(piece[1])
    return parts, b"".join(lines)


def _piece(name: str, value: str | bytes) -> tuple[bytes, bytes] | None:
    """Field ``name``'s netstring form and classic signing line."""
    heads = field_heads(name)
    if heads is None:
        return None
    if isinstance(value, bytes):
        line = b"%s%s\n" % (heads[2], binascii.b2a_base64(value, newline=False))
        return b"%d:%s%s," % (len(heads[2]) + len(value), heads[2], value), line
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return None
    if b"\0" in raw:
        return None
    line = b"%s%s\n" % (heads[1], raw.replace(b"\n", _NEWLINE_SYMBOL))
    return b"%d:%s%s," % (len(heads[0]) + len(raw), heads[0], raw), line
