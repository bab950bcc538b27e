"""Heartbeat 3.0.6's two message encodings, byte for byte.

* **netstring** (``###\\n`` … ``%%%\\n`` + optional signature trailer): what every
  Heartbeat 3.0.6 node sends on UDP. Every field is ``len:(N)name=value,``; values are
  raw bytes; a struct is a nested netstring message without trailer.
* **classic** (``>>>\\n`` … ``<<<\\n`` + NUL): one ``[(N)]name=value`` line per field.
  Used on serial links, by the FIFO and API, and for the inner ``auth`` field's signed
  text. A ``\\n`` inside a string becomes 0x13; a nested struct is rendered as a classic
  message whose newlines become a depth-specific control byte.

Decisions (where Heartbeat is loose, we are strict, but we accept everything the real
daemon sends):

* Field names are UTF-8 text without ``=`` or NUL (and without ``\\n`` in classic).
  String values are decoded as UTF-8 with ``surrogateescape``, so any byte sequence a
  peer sends survives a decode/encode round trip unchanged; they never contain NUL,
  because Heartbeat's strings are C strings.
* A netstring packet may end right after ``%%%\\n`` or carry exactly one trailer
  netstring; a classic packet may end with one NUL. Anything else after the end marker
  is rejected (Heartbeat silently ignores it).
* A classic packet must contain its ``<<<`` line (Heartbeat also accepts a message cut
  short by a NUL).
* Empty values: rejected in classic (as Heartbeat does), allowed in netstring. Empty
  lists are rejected in both (Heartbeat cannot decode them).
* Cost is bounded per packet, whatever a peer (or anyone, with ``crc``) sends: at most
  :data:`MAX_FIELDS` fields (list items and nested fields included) and, once
  signatures matched, at most :data:`MAX_EXPANDED` bytes produced by decompression in
  :data:`MAX_COMPRESSION_LAYERS` nested layers. Heartbeat has no field limit and
  expands up to 2 MiB; parsing that many fields takes the loop hundreds of
  milliseconds, longer than a keepalive.
* Whole-message compression (``_compressed_payload``, zlib or bz2) is undone on receipt
  (:func:`expand_message`): the control fields are inside it (docs/protocol.md §2.5), so
  the generation and sequence checks cannot come first. Compressed *fields* (type 4,
  Pacemaker's) hold nothing an haresources cluster reads: a received packet keeps them
  compressed, never expanded; :func:`decode` (for tools and tests) expands both.

Every way a packet can be wrong raises :class:`DecodeError` with a short, stable
``reason``; nothing else escapes the decoder.
"""

from __future__ import annotations

import binascii
import bz2
import re
import zlib
from dataclasses import dataclass
from typing import Literal, NoReturn

from hacore.wire.flat import field_heads, parse_flat
from hacore.wire.message import Field, FieldType, Message

MAXMSG = 262144
"""Largest packet accepted from the wire (Heartbeat's MAXMSG)."""
MAXUNCOMPRESSED = 2 * 1024 * 1024
"""Heartbeat's limit on one decompression (docs/protocol.md §2.4); hacore's is lower."""
MAX_EXPANDED = 64 * 1024
"""Most bytes decompression may produce for one packet, all layers and fields together.
An haresources cluster's messages are under 1 KiB and never compressed: Heartbeat
compresses above ``compression_threshold`` (2 KiB) or at MAXMSG only (§2.5)."""
MAX_FIELDS = 500
"""Most fields one packet may hold, counting nested messages, list items and what
decompression produced; Heartbeat's messages have fewer than 20."""
BZ2_HEADER = b"BZh1"
"""The only bz2 stream header accepted: Heartbeat's bz2 plugin writes blockSize100k=1,
and a 900k block costs milliseconds to expand even when sent as a few bytes."""
MAXDEPTH = 16
"""Deepest struct nesting (Heartbeat's MAXDEPTH; the classic format cannot go deeper)."""
MAX_COMPRESSION_LAYERS = 4
"""Compressed messages inside compressed messages; Heartbeat never nests more than two."""

NETSTRING_START = b"###\n"
NETSTRING_END = b"%%%\n"
CLASSIC_START = b">>>\n"
CLASSIC_END = b"<<<\n"
AUTH_FIELD = "auth"
COMPRESSED_FIELD = "_compressed_payload"
COMPRESSION_ALGORITHM_FIELD = "_compression_algorithm"

_NEWLINE_SYMBOL = b"\x13"
# Newlines of a struct nested in a message at depth d become _DEPTH_SYMBOLS[d].
_DEPTH_SYMBOLS = tuple(bytes([b]) for b in (*range(20, 32), 15, 16, 17, 18))
_FIELD_TYPES = tuple(FieldType)
_MAX_LENGTH_DIGITS = 9
# A netstring field's head: "len:(N)name=". Anything this does not match is diagnosed
# by _field_error, off the hot path.
_FIELD_HEAD = re.compile(rb"(\d{1,9}):\(([0-5])\)([^=\x00]+)=")
# Field names repeat in every packet; remembering their validated form keeps encoding
# and decoding cheap. Bounded, so a peer sending random names cannot grow it forever.
_EMPTY_LINES = re.compile(rb"\n\n+")
_NAME_CACHE_LIMIT = 1024
_name_bytes_cache: dict[str, bytes] = {}
_name_text_cache: dict[bytes, str] = {}

DecodeReason = Literal[
    "malformed", "truncated", "oversized", "bad_field_type", "empty_value", "too_deep"
]


class EncodeError(ValueError):
    """The message cannot be written in the requested format (the text says why)."""


class DecodeError(ValueError):
    """A packet is not a valid Heartbeat message.

    ``reason`` is one stable word (for metrics and tests); ``detail`` says what and where.
    """

    def __init__(self, reason: DecodeReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: DecodeReason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Packet:
    """A parsed packet before compression is undone.

    ``signed`` is what a netstring trailer signs (from ``###`` through ``%%%\\n``,
    empty for classic); ``trailer`` is the trailer's text (``b"1 e85824dd"``), None
    when absent.
    """

    message: Message
    netstring: bool
    signed: bytes
    trailer: bytes | None


# --------------------------------------------------------------------------------------
# Encoding


def encode_netstring(msg: Message) -> bytes:
    """The netstring encoding of ``msg``, without signature trailer."""
    return _netstring_message(msg, 0)


def encode_classic(msg: Message, nul: bool = True) -> bytes:
    """The classic encoding of ``msg``; ``nul`` appends the NUL Heartbeat's encoder adds."""
    out = [CLASSIC_START]
    _classic_lines(msg, 0, out, skip_auth=False, signing=False)
    out.append(CLASSIC_END)
    if nul:
        out.append(b"\0")
    return b"".join(out)


def classic_auth_text(msg: Message) -> bytes:
    """The bytes an inner ``auth`` field signs: every field except ``auth``, in order,
    as classic ``[(N)]name=value\\n`` lines, without the ``>>>``/``<<<`` markers."""
    out: list[bytes] = []
    _classic_lines(msg, 0, out, skip_auth=True, signing=True)
    return b"".join(out)


def _netstring_message(msg: Message, depth: int) -> bytes:
    out = [NETSTRING_START]
    for f in msg.fields:
        value = f.value
        if f.type is FieldType.STRING and isinstance(value, str):
            heads = field_heads(f.name)
            if heads is not None:
                head = heads[0]
                raw = _string_bytes(f.name, value)
                out.append(b"%d:%s%s," % (len(head) + len(raw), head, raw))
                continue
        name = _name_bytes(f.name)
        raw = _netstring_value(f, depth)
        out.append(b"%d:(%d)%s=%s," % (len(name) + len(raw) + 4, f.type, name, raw))
    out.append(NETSTRING_END)
    return b"".join(out)


def _netstring_value(f: Field, depth: int) -> bytes:
    t, v = f.type, f.value
    if t is FieldType.STRING and isinstance(v, str):
        return _string_bytes(f.name, v)
    if (t is FieldType.BINARY or t is FieldType.COMPRESS) and isinstance(v, bytes):
        return v
    if (t is FieldType.STRUCT or t is FieldType.UNCOMPRESS) and isinstance(v, Message):
        if depth >= MAXDEPTH:
            raise EncodeError(f"field {f.name!r}: structs nested deeper than {MAXDEPTH}")
        return _netstring_message(v, depth + 1)
    if t is FieldType.LIST and isinstance(v, list):
        return _list_bytes(f.name, v, classic=False)
    raise EncodeError(f"field {f.name!r}: a {type(v).__name__} value cannot have type {t!r}")


def _classic_lines(
    msg: Message, depth: int, out: list[bytes], *, skip_auth: bool, signing: bool
) -> None:
    for f in msg.fields:
        if skip_auth and f.name == AUTH_FIELD:
            continue
        name = _name_bytes(f.name)
        if b"\n" in name:
            raise EncodeError(f"field {f.name!r}: a classic field name cannot hold a newline")
        value = _classic_value(f, depth, signing)
        if not value and not signing:
            raise EncodeError(f"field {f.name!r}: classic format cannot carry an empty value")
        if f.type is FieldType.STRING:
            if name.startswith(b"("):
                raise EncodeError(f"field {f.name!r}: a classic string name cannot start with '('")
            out.append(b"%s=%s\n" % (name, value))
        else:
            out.append(b"(%d)%s=%s\n" % (f.type, name, value))


def _classic_value(f: Field, depth: int, signing: bool) -> bytes:
    t, v = f.type, f.value
    if t is FieldType.STRING and isinstance(v, str):
        raw = _string_bytes(f.name, v)
        if not signing and _NEWLINE_SYMBOL in raw:
            raise EncodeError(f"field {f.name!r}: byte 0x13 cannot travel in classic format")
        return raw.replace(b"\n", _NEWLINE_SYMBOL)
    if (t is FieldType.BINARY or t is FieldType.COMPRESS) and isinstance(v, bytes):
        return binascii.b2a_base64(v, newline=False)
    if t is FieldType.STRUCT and isinstance(v, Message):
        if depth >= MAXDEPTH:
            raise EncodeError(f"field {f.name!r}: structs nested deeper than {MAXDEPTH}")
        out = [CLASSIC_START]
        _classic_lines(v, depth + 1, out, skip_auth=False, signing=signing)
        out.append(CLASSIC_END)
        nested = b"".join(out)
        symbol = _DEPTH_SYMBOLS[depth]
        if symbol in nested:
            raise EncodeError(
                f"field {f.name!r}: byte {symbol[0]:#x} cannot travel in a struct at depth {depth}"
            )
        return nested.replace(b"\n", symbol)
    if t is FieldType.LIST and isinstance(v, list):
        return _list_bytes(f.name, v, classic=True)
    if t is FieldType.UNCOMPRESS:
        raise EncodeError(f"field {f.name!r}: Heartbeat has no classic form for type 5")
    raise EncodeError(f"field {f.name!r}: a {type(v).__name__} value cannot have type {t!r}")


def _name_bytes(name: str) -> bytes:
    raw = _name_bytes_cache.get(name)
    if raw is not None:
        return raw
    try:
        raw = name.encode()
    except UnicodeEncodeError:
        raise EncodeError(f"field name {name!r} is not valid text") from None
    if not raw or b"=" in raw or b"\0" in raw:
        raise EncodeError(f"field name {name!r} must be non-empty, without '=' or NUL")
    if len(_name_bytes_cache) < _NAME_CACHE_LIMIT:
        _name_bytes_cache[name] = raw
    return raw


def _string_bytes(name: str, value: str) -> bytes:
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise EncodeError(f"field {name!r}: value is not encodable text") from None
    if b"\0" in raw:
        raise EncodeError(f"field {name!r}: string values cannot hold NUL")
    return raw


def _list_bytes(name: str, items: list[str], *, classic: bool) -> bytes:
    if not items:
        raise EncodeError(f"field {name!r}: Heartbeat cannot decode an empty list")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise EncodeError(f"field {name!r}: list items must be strings")
        raw = _string_bytes(name, item)
        if not raw:
            raise EncodeError(f"field {name!r}: list items cannot be empty")
        if classic and b"\n" in raw:
            raise EncodeError(f"field {name!r}: classic list items cannot hold a newline")
        out.append(b"%d:%s," % (len(raw), raw))
    return b"".join(out)


# --------------------------------------------------------------------------------------
# Decoding


class Budget:
    """What one packet may still cost: fields to parse, bytes to decompress."""

    __slots__ = ("expandable", "fields")

    def __init__(self) -> None:
        self.fields = MAX_FIELDS
        self.expandable = MAX_EXPANDED

    def take_fields(self, count: int) -> None:
        self.fields -= count
        if self.fields < 0:
            raise DecodeError("oversized", f"more than {MAX_FIELDS} fields")


def decode(data: bytes) -> Message:
    """Parse one packet (netstring or classic) and undo any compression, fields too.

    A netstring trailer is checked for syntax only; :mod:`hacore.wire.signing`
    verifies signatures.
    """
    budget = Budget()
    return expand_compressed(parse_packet(data, budget).message, budget)


def split_trailer(data: bytes) -> tuple[bytes, bytes | None]:
    """Split a netstring packet into (signed part, trailer text or None)."""
    packet = parse_packet(data)
    if not packet.netstring:
        raise DecodeError("malformed", "not a netstring packet")
    return packet.signed, packet.trailer


def parse_packet(data: bytes, budget: Budget | None = None) -> Packet:
    """Parse one wire packet without undoing compression (signatures cover the
    compressed form, so they are checked before :func:`expand_message`)."""
    check_size(data)
    return _parse_wire(bytes(data), budget or Budget())


def parse_message(data: bytes, budget: Budget) -> Message:
    """:func:`parse_packet`'s message alone, for a ``bytes`` packet whose size was
    checked (the receive path: no :class:`Packet` to build)."""
    if data.startswith(NETSTRING_START):
        message, end = _parse_top_netstring(data, budget)
        if end < len(data):
            parse_trailer(data, end)
        return message
    return _parse_wire(data, budget).message


def parse_signed_netstring(data: bytes, signed_end: int, budget: Budget) -> Message:
    """:func:`parse_message` for a netstring packet whose trailer, from ``signed_end``,
    the caller has read already (so it is not parsed twice)."""
    message, end = _parse_top_netstring(data, budget)
    if end != signed_end and end < len(data):
        parse_trailer(data, end)
    return message


def check_size(data: bytes) -> None:
    if len(data) > MAXMSG:
        raise DecodeError("oversized", f"{len(data)} bytes, limit {MAXMSG}")


def expand_message(msg: Message, budget: Budget) -> Message:
    """Undo whole-message compression: the message a compressed packet holds, or
    ``msg`` itself. Compressed fields stay compressed."""
    return _expand(msg, budget, 0, fields=False)


def expand_compressed(msg: Message, budget: Budget | None = None) -> Message:
    """Undo whole-message and per-field compression of a freshly parsed message.

    Returns the inner message for a compressed packet; otherwise replaces compressed
    fields in place (by type-5 fields holding their message) and returns ``msg``.
    """
    return _expand(msg, budget or Budget(), 0, fields=True)


def classic_body(data: bytes, *, top_level: bool = True) -> bytes:
    """The lines of a classic message that fills ``data`` (one trailing NUL allowed at
    the top level), without its ``>>>``/``<<<`` markers; each line ends with ``\\n``."""
    if top_level and data.endswith(b"\0"):
        data = data[:-1]
    if not data.startswith(CLASSIC_START):
        raise DecodeError("malformed", "no '>>>' start marker")
    if data.startswith(CLASSIC_END, 4):
        body_end, after = 4, 8
    else:
        marker = data.find(b"\n<<<\n", 4)
        if marker < 0:
            raise DecodeError("truncated" if top_level else "malformed", "no '<<<' end marker")
        body_end, after = marker + 1, marker + 5
    if after != len(data):
        raise DecodeError("malformed", "bytes after the '<<<' end marker")
    return data[4:body_end]


def netstring_end(data: bytes) -> int:
    """Where the signed part of a netstring packet ends (after its last ``%%%\\n``).

    A trailer holds ``<index> <digest>`` without a newline, so the last end marker is
    the message's own; found without parsing the fields.
    """
    end = data.rfind(NETSTRING_END)
    if end < 0:
        raise DecodeError("truncated", "no '%%%' end marker")
    return end + len(NETSTRING_END)


def _parse_wire(data: bytes, budget: Budget) -> Packet:
    if data.startswith(NETSTRING_START):
        message, end = _parse_top_netstring(data, budget)
        trailer = parse_trailer(data, end) if end < len(data) else None
        return Packet(message, True, data[:end], trailer)
    if data.startswith(CLASSIC_START):
        return Packet(_parse_classic(data, 0, budget, top_level=True), False, b"", None)
    if len(data) < 4 and (NETSTRING_START.startswith(data) or CLASSIC_START.startswith(data)):
        raise DecodeError("truncated", f"{len(data)} bytes, no complete start marker")
    raise DecodeError("malformed", "neither '###' (netstring) nor '>>>' (classic) start marker")


def parse_trailer(data: bytes, pos: int) -> bytes:
    """The text of the trailer netstring that fills ``data`` from ``pos``."""
    end = len(data)
    colon = data.find(b":", pos, min(end, pos + _MAX_LENGTH_DIGITS + 1))
    digits = data[pos:colon]
    if colon < 0 or not digits.isdigit():
        if end - pos <= _MAX_LENGTH_DIGITS and data[pos:end].isdigit():
            raise DecodeError("truncated", f"signature trailer cut short at byte {pos}")
        raise DecodeError("malformed", f"bytes after '%%%' at byte {pos} are not a trailer")
    start = colon + 1
    stop = start + int(digits)
    if stop >= end:
        raise DecodeError("truncated", f"signature trailer at byte {pos} cut short")
    if data[stop] != 0x2C or stop + 1 != end:
        raise DecodeError("malformed", f"signature trailer at byte {pos} is not one netstring")
    return data[start:stop]


def _parse_top_netstring(data: bytes, budget: Budget) -> tuple[Message, int]:
    """The message a netstring packet starts with, and the offset after its end marker."""
    flat = parse_flat(data)
    if flat is None:
        return _parse_netstring(data, 0, len(data), 0, budget)
    layout, raws, end = flat
    budget.take_fields(len(raws))
    return Message.from_wire(layout, raws), end


def _parse_netstring(
    buf: bytes, pos: int, end: int, depth: int, budget: Budget
) -> tuple[Message, int]:
    """Parse the message starting at ``pos``; returns it and the offset after ``%%%\\n``."""
    if not buf.startswith(NETSTRING_START, pos, end):
        raise DecodeError("malformed", f"no '###' start marker at byte {pos}")
    pos += 4
    fields: list[Field] = []
    append = fields.append
    match_head = _FIELD_HEAD.match
    while True:
        head = match_head(buf, pos, end)
        if head is None:
            if buf.startswith(NETSTRING_END, pos, end):
                break
            _field_error(buf, pos, end)
        budget.take_fields(1)
        value_start = head.end()
        stop = head.end(1) + 1 + int(head[1])
        if stop >= end or value_start > stop or buf[stop] != 0x2C:
            _field_error(buf, pos, end)
        name = _name_text(head[3], pos)
        field_type = _FIELD_TYPES[buf[head.end(1) + 2] - 48]
        value: str | bytes | Message | list[str]
        if field_type is FieldType.STRING:
            value = _string_text(buf[value_start:stop], name)
        elif field_type is FieldType.BINARY or field_type is FieldType.COMPRESS:
            value = buf[value_start:stop]
        elif field_type is FieldType.LIST:
            value = _parse_list(buf[value_start:stop], name, budget)
        else:
            value = _parse_nested_netstring(buf, value_start, stop, depth, name, budget)
        append(Field(name, value, field_type))
        pos = stop + 1
    msg = Message()
    msg.fields = fields
    return msg, pos + 4


def _field_error(buf: bytes, pos: int, end: int) -> NoReturn:
    """Say precisely why the netstring field at ``pos`` does not parse."""
    colon = buf.find(b":", pos, min(end, pos + _MAX_LENGTH_DIGITS + 1))
    digits = buf[pos:colon]
    if colon < 0 or not digits.isdigit():
        rest = buf[pos : min(end, pos + _MAX_LENGTH_DIGITS + 1)]
        if end - pos <= _MAX_LENGTH_DIGITS and (rest.isdigit() or NETSTRING_END.startswith(rest)):
            raise DecodeError("truncated", f"message cut short at byte {pos}")
        raise DecodeError("malformed", f"expected a field length at byte {pos}")
    start = colon + 1
    stop = start + int(digits)
    if stop >= end:
        raise DecodeError("truncated", f"field at byte {pos} runs past the end")
    if buf[stop] != 0x2C:
        raise DecodeError("malformed", f"field at byte {pos} does not end with ','")
    if stop - start < 3 or buf[start] != 0x28 or buf[start + 2] != 0x29:
        raise DecodeError("malformed", f"field at byte {pos} does not start with '(N)'")
    if 0x36 <= buf[start + 1] <= 0x39:
        raise DecodeError("bad_field_type", f"field at byte {pos} has type {buf[start + 1] - 48}")
    raise DecodeError("malformed", f"field at byte {pos} has no type digit or no 'name='")


def _parse_nested_netstring(
    buf: bytes, pos: int, end: int, depth: int, name: str, budget: Budget
) -> Message:
    if depth >= MAXDEPTH:
        raise DecodeError("too_deep", f"field {name!r}: structs nested deeper than {MAXDEPTH}")
    try:
        nested, nested_end = _parse_netstring(buf, pos, end, depth + 1, budget)
    except DecodeError as e:
        if e.reason != "truncated":
            raise
        raise DecodeError("malformed", f"field {name!r}: {e.detail}") from None
    if nested_end != end:
        raise DecodeError("malformed", f"field {name!r}: bytes after the nested message")
    return nested


def _parse_classic(buf: bytes, depth: int, budget: Budget, *, top_level: bool) -> Message:
    """Parse a classic message that fills ``buf`` exactly."""
    body = classic_body(buf, top_level=top_level)
    if b"\0" in body:
        raise DecodeError("malformed", "NUL inside a classic message")
    lines = classic_lines(body)
    budget.take_fields(len(lines))
    msg = Message()
    msg.fields = [_parse_classic_line(line, depth, budget) for line in lines]
    return msg


def classic_lines(body: bytes) -> list[bytes]:
    """The field lines of a classic body (Heartbeat skips empty lines). More than
    MAX_FIELDS are refused before the body is split: counting costs microseconds."""
    if body.count(b"\n") > MAX_FIELDS:
        body = _EMPTY_LINES.sub(b"\n", body)
        if body.count(b"\n") > MAX_FIELDS + 1:
            raise DecodeError("oversized", f"more than {MAX_FIELDS} fields")
    return list(filter(None, body.split(b"\n")))


def _parse_classic_line(line: bytes, depth: int, budget: Budget) -> Field:
    raw_name, equals, raw_value = line.partition(b"=")
    if not equals or not raw_name:
        raise DecodeError("malformed", f"line {_excerpt(line)} has no 'name='")
    field_type = FieldType.STRING
    if raw_name[0] == 0x28:
        if len(raw_name) < 4 or raw_name[2] != 0x29 or not 0x30 <= raw_name[1] <= 0x39:
            raise DecodeError("malformed", f"line {_excerpt(line)} has a bad '(N)' prefix")
        type_digit = raw_name[1] - 48
        if type_digit in (FieldType.STRING, FieldType.UNCOMPRESS) or type_digit > 5:
            raise DecodeError("bad_field_type", f"line {_excerpt(line)} has type {type_digit}")
        field_type = _FIELD_TYPES[type_digit]
        raw_name = raw_name[3:]
    name = _name_text(raw_name, None)
    if not raw_value:
        raise DecodeError("empty_value", f"field {name!r} has an empty value")
    value: str | bytes | Message | list[str]
    if field_type is FieldType.STRING:
        value = _string_text(raw_value.replace(_NEWLINE_SYMBOL, b"\n"), name)
    elif field_type is FieldType.BINARY or field_type is FieldType.COMPRESS:
        try:
            value = binascii.a2b_base64(raw_value, strict_mode=True)
        except binascii.Error:
            raise DecodeError("malformed", f"field {name!r}: bad base64") from None
    elif field_type is FieldType.LIST:
        value = _parse_list(raw_value, name, budget)
    else:
        if depth >= MAXDEPTH:
            raise DecodeError("too_deep", f"field {name!r}: structs nested deeper than {MAXDEPTH}")
        nested = raw_value.replace(_DEPTH_SYMBOLS[depth], b"\n")
        value = _parse_classic(nested, depth + 1, budget, top_level=False)
    return Field(name, value, field_type)


def _parse_list(raw: bytes, name: str, budget: Budget) -> list[str]:
    if not raw:
        raise DecodeError("malformed", f"field {name!r}: empty list")
    items = []
    pos, end = 0, len(raw)
    while pos < end:
        budget.take_fields(1)
        colon = raw.find(b":", pos, pos + _MAX_LENGTH_DIGITS + 1)
        digits = raw[pos:colon]
        if colon < 0 or not digits.isdigit() or int(digits) == 0:
            raise DecodeError("malformed", f"field {name!r}: bad list item length")
        start = colon + 1
        stop = start + int(digits)
        if stop >= end or raw[stop] != 0x2C:
            raise DecodeError("malformed", f"field {name!r}: list item overruns the value")
        items.append(_string_text(raw[start:stop], name))
        pos = stop + 1
    return items


def _name_text(raw: bytes, pos: int | None) -> str:
    name = _name_text_cache.get(raw)
    if name is not None:
        return name
    where = f" at byte {pos}" if pos is not None else ""
    if b"\0" in raw:
        raise DecodeError("malformed", f"field name{where} holds NUL")
    try:
        name = raw.decode()
    except UnicodeDecodeError:
        raise DecodeError("malformed", f"field name{where} is not UTF-8") from None
    if len(_name_text_cache) < _NAME_CACHE_LIMIT:
        _name_text_cache[raw] = name
    return name


def _string_text(raw: bytes, name: str) -> str:
    if b"\0" in raw:
        raise DecodeError("malformed", f"field {name!r}: NUL inside a string")
    return raw.decode("utf-8", "surrogateescape")


def _excerpt(line: bytes) -> str:
    return repr(line[:40])


# --------------------------------------------------------------------------------------
# Compression


def _expand(msg: Message, budget: Budget, layer: int, *, fields: bool) -> Message:
    """Undo compression of a message that stands alone on the wire (a packet, or what a
    compressed payload held): whole-message compression first, then (``fields``) its
    compressed fields."""
    for f in msg.fields if COMPRESSED_FIELD in msg else ():
        if f.name == COMPRESSED_FIELD:
            # Heartbeat looks at the first field of that name only, and only if binary.
            if f.type is FieldType.BINARY and isinstance(f.value, bytes):
                inner = _decompress_message(msg, f.value, budget, layer)
                return _expand(inner, budget, layer + 1, fields=fields)
            break
    if fields:
        _expand_fields(msg, budget, layer)
    return msg


def _expand_fields(msg: Message, budget: Budget, layer: int) -> None:
    for f in msg.fields:
        if f.type is FieldType.COMPRESS and isinstance(f.value, bytes):
            inner = _decompress_message(msg, f.value, budget, layer)
            f.value = _expand(inner, budget, layer + 1, fields=True)
            f.type = FieldType.UNCOMPRESS
        elif isinstance(f.value, Message):
            _expand_fields(f.value, budget, layer)


def _decompress_message(owner: Message, payload: bytes, budget: Budget, layer: int) -> Message:
    """Expand ``payload`` without ever producing more than the budget allows: the
    decompressor stops at the limit, so a bomb costs what its first bytes cost."""
    if layer >= MAX_COMPRESSION_LAYERS:
        raise DecodeError("too_deep", f"more than {MAX_COMPRESSION_LAYERS} nested compressions")
    if len(payload) > MAX_EXPANDED:
        raise DecodeError("oversized", f"compressed payload of {len(payload)} bytes")
    algorithm = owner.get(COMPRESSION_ALGORITHM_FIELD)
    decompressor: zlib._Decompress | bz2.BZ2Decompressor
    if algorithm == "zlib":
        decompressor = zlib.decompressobj()
    elif algorithm == "bz2":
        if not payload.startswith(BZ2_HEADER):
            raise DecodeError("malformed", f"bz2 payload does not start with {BZ2_HEADER!r}")
        decompressor = bz2.BZ2Decompressor()
    else:
        raise DecodeError("malformed", f"unknown compression algorithm {algorithm!r}")
    try:
        inner = decompressor.decompress(payload, budget.expandable + 1)
    except (zlib.error, OSError, EOFError, ValueError) as e:
        raise DecodeError("malformed", f"{algorithm} payload does not decompress: {e}") from None
    if len(inner) > budget.expandable:
        raise DecodeError("oversized", f"decompresses to more than {MAX_EXPANDED} bytes")
    if not decompressor.eof:
        raise DecodeError("malformed", f"{algorithm} payload is cut short")
    budget.expandable -= len(inner)
    return _parse_wire(inner, budget).message
