"""Sealing and opening packets with authkeys, exactly as Heartbeat 3.0.6 does.

Two signatures exist (docs/protocol.md §3):

* the **trailer** after a netstring message, ``len:"<index> <hex>",``, over the bytes
  from ``###`` through ``%%%\\n``;
* the **inner** ``auth`` field, the last field of the message, over
  :func:`~hacore.wire.codec.classic_auth_text` (every other field as classic lines).

Sending mirrors the real daemon's default (``msgfmt classic``): netstring + trailer,
with the inner field too (``inner_auth=True``). ``msgfmt netstring`` drops the inner
field. Receiving follows the first bytes: ``###`` is verified by its trailer only (an
inner ``auth`` field stays in the message as an ordinary field, as in Heartbeat; the
core ignores it), ``>>>`` by its inner field.

Signatures are checked on the raw bytes, before any field is parsed: a forged packet
costs a digest, not a parse. The trailer signs a byte range found without parsing; a
classic packet's signed text is its lines minus the ``auth`` lines, which is what
Heartbeat's re-rendering produces for every packet a Heartbeat node sends (hacore accepts
no other encoding of the same fields: the signature covers the bytes that are parsed).

Heartbeat 3.0.6 quirk, reproduced on purpose: a netstring trailer is checked with the
*method* of the index it names but the *key* of the local active (``auth N``) entry,
so two nodes interoperate only with identical authkeys (docs/protocol.md §3.3 asks for that
anyway). A classic packet is checked with both the method and the key of its index.
When a message holds several ``auth`` fields, the last one is the signature (Heartbeat
reads the last; all of them are left out of the signed text).

A rejected packet raises :class:`PacketRejected` and nothing else; logging is left to
the receiver, which knows the link and rate-limits. Heartbeat logs
``string2msg_ll: node [<src>] failed authentication`` (classic) and
``netstring authentication failed, s=…, autotoken=…`` (netstring).
"""

from __future__ import annotations

import hmac
import re
from typing import Literal

from hacore.config.model import AuthKey, AuthKeys
from hacore.wire.codec import (
    AUTH_FIELD,
    CLASSIC_START,
    COMPRESSED_FIELD,
    MAXMSG,
    NETSTRING_END,
    NETSTRING_START,
    Budget,
    DecodeError,
    DecodeReason,
    EncodeError,
    check_size,
    classic_auth_text,
    classic_body,
    classic_lines,
    encode_classic,
    encode_netstring,
    expand_message,
    netstring_end,
    parse_message,
    parse_signed_netstring,
    parse_trailer,
)
from hacore.wire.flat import parse_flat, signed_parts, string_field
from hacore.wire.message import Field, FieldType, Message

RejectReason = Literal[DecodeReason, "bad_signature", "missing_signature", "unknown_key_index"]

# Heartbeat parses signatures with sscanf("%d %s"); we accept exactly what it writes.
_SIGNATURE = re.compile(rb"(\d{1,9}) (\S+)")
# A whole trailer netstring, ``len:"<index> <hex>",``: the form every sender uses.
_TRAILER = re.compile(rb"(\d{1,9}):((\d{1,9}) (\S+)),")
# A classic line naming the auth field, with the "(N)" type prefix the parser allows.
_AUTH_LINE = re.compile(rb"(\([0-9]\))?auth=(.*)", re.DOTALL)
# Where a packet says who sent it, for the log line of a rejected one (never trusted).
_CLAIMED_SRC = re.compile(rb"[\n,]\d{1,9}:\(0\)src=([^,\0]{1,100}),|\nsrc=([^\n\0]{1,100})\n")


class PacketRejected(Exception):
    """A received packet was dropped. ``reason`` is one stable word; ``detail`` says why;
    ``src`` is the sender the packet claims to be, when it says (looked up in ``packet``
    only when asked: a flood's rejections are counted, and only some are logged)."""

    def __init__(
        self, reason: RejectReason, detail: str, src: str | None = None, packet: bytes = b""
    ) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: RejectReason = reason
        self.detail = detail
        self._src = src
        self._packet = packet

    @property
    def src(self) -> str | None:
        if self._src is None and self._packet:
            self._src, self._packet = claimed_src(self._packet), b""
        return self._src


class PacketSigner:
    """Seals outgoing and opens incoming packets with one node's authkeys.

    Build a new signer when authkeys is re-read (SIGHUP); a signer never changes.
    """

    __slots__ = ("_active", "_digest", "_key", "_keys", "_prefix", "inner_auth")

    def __init__(self, authkeys: AuthKeys, *, inner_auth: bool = True) -> None:
        signer = authkeys.signer
        self._keys: dict[int, AuthKey] = dict(authkeys.keys)
        self._digest = signer.method.digest
        # The active entry's key signs, and also verifies every netstring trailer (quirk).
        self._key = signer.key
        self._prefix = f"{signer.index} "
        self.inner_auth = inner_auth
        # Trailers naming the active entry are checked on the short path of open().
        usable = signer.key is not None or not signer.method.key_required
        self._active = signer.index if usable else None

    # ---- sending ---------------------------------------------------------------------

    def seal(self, msg: Message) -> bytes:
        """The wire packet for ``msg``: netstring, inner ``auth`` (when ``inner_auth``),
        trailer. ``msg`` itself is not modified. Raises EncodeError for unsendable fields."""
        flat = signed_parts(msg) if self.inner_auth else None
        if flat is not None:
            parts, text = flat
            parts += (string_field(AUTH_FIELD, self._sign(text)), NETSTRING_END)
            body = b"".join(parts)
        else:
            body = encode_netstring(self._with_inner_auth(msg) if self.inner_auth else msg)
        signature = self._sign(body)
        return b"%s%d:%s," % (body, len(signature), signature)

    def seal_classic(self, msg: Message, nul: bool = True) -> bytes:
        """The classic packet for ``msg`` with its inner ``auth`` field (serial links)."""
        return encode_classic(self._with_inner_auth(msg), nul)

    def _with_inner_auth(self, msg: Message) -> Message:
        """A copy of ``msg`` with any ``auth`` field replaced by a fresh one, last."""
        signed = Message()
        signed.fields = [f for f in msg.fields if f.name != AUTH_FIELD]
        signature = self._sign(classic_auth_text(signed)).decode()
        signed.fields.append(Field(AUTH_FIELD, signature, FieldType.STRING))
        return signed

    def _sign(self, data: bytes) -> bytes:
        return (self._prefix + self._digest(self._key, data)).encode()

    # ---- receiving -------------------------------------------------------------------

    def open(self, data: bytes) -> Message:
        """Authenticate one received packet on its raw bytes, then parse it and undo
        whole-message compression (compressed fields stay compressed, see
        :mod:`hacore.wire.codec`). Raises PacketRejected, never anything else."""
        return self._open_plain(data) or self._open(data)

    def _open_plain(self, data: bytes) -> Message | None:
        """The short path, for what every heartbeat is: a flat netstring message with a
        correct trailer naming the active entry. None for anything else (or anything
        wrong): the general path then decides, and says why it refuses."""
        if data.__class__ is not bytes or len(data) > MAXMSG:
            return None
        end = data.rfind(NETSTRING_END) + len(NETSTRING_END)
        if not data.startswith(NETSTRING_START) or not 8 <= end < len(data):
            return None
        trailer = _TRAILER.fullmatch(data, end)
        if trailer is None or int(trailer[3]) != self._active:
            return None
        try:
            expected = self._digest(self._key, data[:end]).encode()
        except Exception:
            return None
        if int(trailer[1]) != len(trailer[2]) or not hmac.compare_digest(expected, trailer[4]):
            return None
        flat = parse_flat(data)
        if flat is None or flat[2] != end or COMPRESSED_FIELD in flat[0].index:
            return None
        return Message.from_wire(flat[0], flat[1])

    @property
    def active_index(self) -> int | None:
        """The authkeys entry whose trailers :meth:`trailer_signs` checks (None: none)."""
        return self._active

    def trailer_signs(self, signed: bytes, token: bytes) -> bool:
        """Whether ``token``, in a trailer naming :attr:`active_index`, signs ``signed``
        (what :meth:`open`'s short path checks, for a caller that found both itself)."""
        try:
            expected = self._digest(self._key, signed).encode()
        except Exception:  # a plugin's bug: the general path says what is wrong
            return False
        return hmac.compare_digest(expected, token)

    def _open(self, data: bytes) -> Message:
        try:
            check_size(data)
            data = bytes(data)
            budget = Budget()
            try:
                if data.startswith(NETSTRING_START):
                    msg = parse_signed_netstring(data, self._verify_trailer(data), budget)
                else:
                    if data.startswith(CLASSIC_START):
                        self._verify_classic(data)
                    msg = parse_message(data, budget)
            except PacketRejected as e:
                raise PacketRejected(e.reason, e.detail, packet=data) from None
        except DecodeError as e:
            raise PacketRejected(e.reason, e.detail) from None
        try:
            return expand_message(msg, budget)
        except DecodeError as e:
            raise PacketRejected(e.reason, e.detail, msg.get("src")) from None

    def verify_inner_auth(self, msg: Message) -> None:
        """Check the inner ``auth`` field with the method and key of its index."""
        src = msg.get("src")
        auth = None
        for f in msg.fields:
            if f.name == AUTH_FIELD:
                auth = f
        if auth is None:
            raise PacketRejected("missing_signature", "no auth field", src)
        if not isinstance(auth.value, str):
            raise PacketRejected("bad_signature", "the auth field is not a string", src)
        index, token = self._parse_signature(auth.value.encode("utf-8", "surrogateescape"), src)
        entry = self._entry(index, src)
        try:
            text = classic_auth_text(msg)
        except EncodeError as e:
            raise PacketRejected(
                "bad_signature", f"cannot rebuild the signed text: {e}", src
            ) from None
        self._check(entry, entry.key, text, token, src)

    def _verify_trailer(self, data: bytes) -> int:
        """Check a netstring packet's trailer; returns where the signed part ends."""
        end = netstring_end(data)
        if end == len(data):
            raise PacketRejected("missing_signature", "netstring packet without trailer")
        trailer = _TRAILER.fullmatch(data, end)
        entry = self._keys.get(int(trailer[3])) if trailer else None
        if trailer is not None and entry is not None and int(trailer[1]) == len(trailer[2]):
            token = trailer[4]
        else:  # not the plain form: the general readers say what is wrong
            index, token = self._parse_signature(parse_trailer(data, end), None)
            entry = self._entry(index, None)
        self._check(entry, self._key, data[:end], token, None)
        return end

    def _verify_classic(self, data: bytes) -> None:
        """The inner ``auth`` field of a classic packet, checked on its lines as sent."""
        signed: list[bytes] = []
        auth = None
        for line in classic_lines(classic_body(data)):  # at most MAX_FIELDS
            match = _AUTH_LINE.fullmatch(line)
            if match is None:
                signed += (line, b"\n")
            else:
                auth = match  # the last one signs, as in Heartbeat
        if auth is None:
            raise PacketRejected("missing_signature", "no auth field")
        if auth[1]:
            raise PacketRejected("bad_signature", "the auth field is not a string")
        index, token = self._parse_signature(auth[2], None)
        entry = self._entry(index, None)
        self._check(entry, entry.key, b"".join(signed), token, None)

    def _parse_signature(self, text: bytes, src: str | None) -> tuple[int, bytes]:
        match = _SIGNATURE.fullmatch(text)
        if match is None:
            raise PacketRejected("bad_signature", f"garbled signature {text[:80]!r}", src)
        return int(match[1]), match[2]

    def _entry(self, index: int, src: str | None) -> AuthKey:
        entry = self._keys.get(index)
        if entry is None:
            raise PacketRejected("unknown_key_index", f"authkeys has no entry {index}", src)
        return entry

    @staticmethod
    def _check(
        entry: AuthKey, key: bytes | None, data: bytes, token: bytes, src: str | None
    ) -> None:
        method = entry.method
        if method.key_required and key is None:
            raise PacketRejected(
                "bad_signature", f"entry {entry.index} ({method.name}) has no key here", src
            )
        try:
            expected = method.digest(key, data).encode()
        except Exception as e:  # a plugin's bug must drop the packet, not the daemon
            raise PacketRejected(
                "bad_signature", f"{method.name} digest failed: {e!r}", src
            ) from None
        if not hmac.compare_digest(expected, token):
            raise PacketRejected(
                "bad_signature", f"{method.name} signature of entry {entry.index} differs", src
            )


def claimed_src(data: bytes) -> str | None:
    """The ``src`` a raw packet claims, for the log line saying it was rejected."""
    match = _CLAIMED_SRC.search(data, 0, 1024)
    if match is None:
        return None
    return (match[1] or match[2]).decode("utf-8", "surrogateescape")
