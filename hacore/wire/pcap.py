"""A small pcap reader that pulls heartbeat packets out of a capture.

Tests and benchmarks replay the real daemon's traffic (``tests/data/vectors``) without
tcpdump or third-party libraries. It understands classic pcap files (either byte
order, micro- or nanosecond timestamps) on Ethernet, Linux cooked (SLL) and raw-IP
links, IPv4 only. It yields UDP datagrams to or from the heartbeat port and the data
of ICMP echo requests and replies (Heartbeat's ping packets, docs/protocol.md §10.1). Frames
cut short by the snap length and IP fragments are skipped: neither holds a whole
heartbeat message.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

HEARTBEAT_PORT = 694

_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_LINK_ETHERNET = 1
_LINK_RAW = (101, 12)
_LINK_LINUX_SLL = 113
_ETHERTYPE_IPV4 = 0x0800
_ETHERTYPE_VLAN = (0x8100, 0x88A8)
_PROTO_ICMP = 1
_PROTO_UDP = 17
_ICMP_ECHO_TYPES = (0, 8)


class PcapError(ValueError):
    """The file is not a pcap capture this reader understands."""


@dataclass(frozen=True, slots=True)
class Datagram:
    """One heartbeat packet found in a capture; ``frame`` is its 1-based frame number."""

    frame: int
    timestamp: float
    src: str
    dst: str
    protocol: Literal["udp", "icmp"]
    sport: int | None
    dport: int | None
    icmp_type: int | None
    payload: bytes


def read_frames(path: Path) -> Iterator[tuple[int, float, int, bytes]]:
    """Yield ``(frame number, timestamp, link type, frame bytes)`` of complete frames."""
    data = path.read_bytes()
    if len(data) < 24 or data[:4] not in _MAGIC:
        raise PcapError(f"{path}: not a pcap file")
    order, tick = _MAGIC[data[:4]]
    link_type = struct.unpack_from(order + "I", data, 20)[0] & 0x0FFFFFFF
    record = struct.Struct(order + "IIII")
    pos, frame = 24, 0
    while pos + record.size <= len(data):
        seconds, fraction, captured, original = record.unpack_from(data, pos)
        pos += record.size
        if pos + captured > len(data):
            raise PcapError(f"{path}: frame {frame + 1} runs past the end of the file")
        frame += 1
        if captured == original:
            yield frame, seconds + fraction * tick, link_type, data[pos : pos + captured]
        pos += captured


def heartbeat_datagrams(path: Path, port: int = HEARTBEAT_PORT) -> Iterator[Datagram]:
    """Yield every UDP datagram to or from ``port`` and every ICMP echo's data."""
    for frame, timestamp, link_type, raw in read_frames(path):
        ip = _ipv4_packet(link_type, raw)
        if ip is None or len(ip) < 20 or ip[0] >> 4 != 4:
            continue
        header_len = (ip[0] & 0x0F) * 4
        total_len = int.from_bytes(ip[2:4], "big")
        fragment = int.from_bytes(ip[6:8], "big")
        if fragment & 0x3FFF or total_len > len(ip) or header_len < 20:
            continue
        body = ip[header_len:total_len]
        src = str(ipaddress.IPv4Address(ip[12:16]))
        dst = str(ipaddress.IPv4Address(ip[16:20]))
        if ip[9] == _PROTO_UDP and len(body) >= 8:
            sport, dport, udp_len = struct.unpack_from(">HHH", body)
            if port in (sport, dport) and 8 <= udp_len <= len(body):
                payload = body[8:udp_len]
                yield Datagram(frame, timestamp, src, dst, "udp", sport, dport, None, payload)
        elif ip[9] == _PROTO_ICMP and len(body) >= 8 and body[0] in _ICMP_ECHO_TYPES:
            yield Datagram(frame, timestamp, src, dst, "icmp", None, None, body[0], body[8:])


def _ipv4_packet(link_type: int, raw: bytes) -> bytes | None:
    if link_type == _LINK_ETHERNET:
        offset, ethertype = 14, int.from_bytes(raw[12:14], "big")
        while ethertype in _ETHERTYPE_VLAN and len(raw) >= offset + 4:
            ethertype = int.from_bytes(raw[offset + 2 : offset + 4], "big")
            offset += 4
        return raw[offset:] if ethertype == _ETHERTYPE_IPV4 else None
    if link_type == _LINK_LINUX_SLL:
        return raw[16:] if int.from_bytes(raw[14:16], "big") == _ETHERTYPE_IPV4 else None
    if link_type in _LINK_RAW:
        return raw
    return None
