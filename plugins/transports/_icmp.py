"""ICMP echo packets exactly as Heartbeat's ping media build and read them (RFC 792).

Pure byte work, no sockets, so the layout can be checked against a real Heartbeat capture.

Heartbeat stores its identifier in the ICMP header *without* ``htons`` (``icmp_id =
getpid() & 0xFFFF``), so on the wire the id is in host byte order while the sequence
number is in network order. We do the same: the ping node only echoes the bytes back, so
the order does not matter to it, but it keeps our requests byte-identical to Heartbeat's.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

ECHO_REPLY = 0
ECHO_REQUEST = 8
HEADER_LEN = 8
IPV4_MIN_HEADER_LEN = 20
MAX_DATA_LEN = 0xFFFF - IPV4_MIN_HEADER_LEN - HEADER_LEN
"""The most an echo can carry: an IPv4 datagram is at most 65535 bytes."""

_TYPE_CODE_SUM = struct.Struct("!BBH")
_IDENT = struct.Struct("=H")  # host order, as Heartbeat writes it
_SEQ = struct.Struct("!H")


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``; 0 over a packet that carries a
    correct one.

    The ones' complement sum of the 16-bit words is the words' value as one big
    number, modulo 0xFFFF (2**16 is 1 there: the end-around carry), with 0xFFFF for a
    multiple of it that is not 0: one C-level operation instead of a loop per word."""
    if len(data) % 2:
        data += b"\0"
    total = int.from_bytes(data, "big")
    folded = total % 0xFFFF
    if folded == 0 and total:
        folded = 0xFFFF
    return ~folded & 0xFFFF


def echo_request(ident: int, seq: int, data: bytes) -> bytes:
    """An ICMP echo request (type 8, code 0) carrying ``data``, checksum filled in."""
    body = _IDENT.pack(ident) + _SEQ.pack(seq) + data
    unsummed = _TYPE_CODE_SUM.pack(ECHO_REQUEST, 0, 0) + body
    return _TYPE_CODE_SUM.pack(ECHO_REQUEST, 0, checksum(unsummed)) + body


@dataclass(frozen=True)
class EchoReply:
    ident: int
    seq: int
    data: bytes


def parse_echo_reply(datagram: bytes) -> EchoReply | None:
    """The echo reply in ``datagram`` as a raw IPv4 socket reads it (IP header first),
    or None for anything else: another ICMP type, a truncated packet, a bad checksum."""
    if len(datagram) < IPV4_MIN_HEADER_LEN or datagram[0] >> 4 != 4:
        return None
    ip_header_len = (datagram[0] & 0x0F) * 4
    if ip_header_len < IPV4_MIN_HEADER_LEN or len(datagram) < ip_header_len + HEADER_LEN:
        return None
    icmp = datagram[ip_header_len:]
    icmp_type, code, _ = _TYPE_CODE_SUM.unpack_from(icmp)
    if icmp_type != ECHO_REPLY or code != 0 or checksum(icmp) != 0:
        return None
    (ident,) = _IDENT.unpack_from(icmp, 4)
    (seq,) = _SEQ.unpack_from(icmp, 6)
    return EchoReply(ident, seq, icmp[HEADER_LEN:])
