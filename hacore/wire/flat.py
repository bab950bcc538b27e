"""The receive path's shortcut for flat netstring messages: every heartbeat is one.

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hacore.wire.message import WireLayout

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
