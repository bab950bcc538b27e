"""The packet path's fuzz targets, shared by the suite (hypothesis,
tests/wire/test_wire_packet_fuzz.py) and the long run (atheris, bench/fuzz.py).

A target takes arbitrary bytes, turns them into what one stage of the receive path
meets (``prepare``, not measured) and runs that stage (``run``, measured). ``run``
raises only when the stage broke its contract: an exception other than the documented
PacketRejected/DecodeError reasons, a message over the field limit, an expansion over
the byte limit, a log line that a strict UTF-8 file could not hold. Cost is bounded by
construction (the limits are asserted on what was accepted); timings are the bench's.

Seeds are Heartbeat 3.0.6's own packets (tests/data/vectors: single vectors and the
four captured sessions), so mutations start from what real peers send.
"""

from __future__ import annotations

import bz2
import itertools
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from hacore_plugins.auth.crc import CRC, crc_digest
from hacore_plugins.auth.md5 import MD5
from hacore_plugins.auth.sha1 import SHA1

from hacore.config.model import AuthKey, AuthKeys
from hacore.membership import Effect, Membership, MembershipConfig
from hacore.membership.effects import (
    CommUp,
    Deliver,
    DropCount,
    LinkChanged,
    LocalStall,
    NodeChanged,
    PartitionHealed,
    PeerRestarted,
    Send,
    StatusHeard,
)
from hacore.wire.codec import (
    CLASSIC_END,
    CLASSIC_START,
    MAX_EXPANDED,
    MAX_FIELDS,
    NETSTRING_END,
    NETSTRING_START,
    DecodeError,
    DecodeReason,
    decode,
)
from hacore.wire.message import Message
from hacore.wire.pcap import heartbeat_datagrams
from hacore.wire.printable import printable
from hacore.wire.signing import PacketRejected, PacketSigner, RejectReason

VECTORS = Path(__file__).resolve().parents[1] / "tests" / "data" / "vectors"
PACKETS_PER_SESSION = 150
AUTHKEYS = {
    "crc": AuthKeys(active=1, keys={1: AuthKey(1, CRC, None)}),
    "md5": AuthKeys(
        active=2, keys={1: AuthKey(1, CRC, None), 2: AuthKey(2, MD5, b"md5-vector-key")}
    ),
    "sha1": AuthKeys(active=3, keys={3: AuthKey(3, SHA1, b"sha1-vector-key-3")}),
}
SIGNERS = [PacketSigner(keys) for keys in AUTHKEYS.values()]
CRC_SIGNER = PacketSigner(AUTHKEYS["crc"])
DECODE_REASONS = frozenset(get_args(DecodeReason))
REJECT_REASONS = frozenset(get_args(RejectReason))
EFFECTS = (
    Send,
    Deliver,
    NodeChanged,
    LinkChanged,
    CommUp,
    PeerRestarted,
    PartitionHealed,
    StatusHeard,
    DropCount,
    LocalStall,
)
# What the compression target's bombs inflate to: 16x the byte limit for zlib, 1.25x
# for bz2 (compressing repetitive data with bz2 is slow; the harness must stay fast).
ZLIB_BOMB = 16 * MAX_EXPANDED
BZ2_BOMB = MAX_EXPANDED + MAX_EXPANDED // 4
BOMB_CLASS = 31


def seeds() -> list[bytes]:
    """Every single vector and the first packets of every captured session."""
    found = [path.read_bytes() for path in sorted(VECTORS.glob("*.bin"))]
    for session in sorted((VECTORS / "sessions").glob("*.pcap")):
        datagrams = heartbeat_datagrams(session)
        found += [d.payload for d in itertools.islice(datagrams, PACKETS_PER_SESSION)]
    return list(dict.fromkeys(found))


# ---- contracts ----------------------------------------------------------------------------


def loggable(text: str | None) -> None:
    """What a strict UTF-8 log file holds on one line (raises otherwise)."""
    if text is not None:
        text.encode("utf-8")
        assert text.isprintable(), f"unprintable log text {text!r}"


def check_logs(events: Iterable[Mapping[str, Any]]) -> None:
    for event in events:
        for value in event.values():
            if isinstance(value, str):
                loggable(value)


def count_fields(msg: Message) -> int:
    total = 0
    for f in msg.fields:
        total += 1
        if isinstance(f.value, Message):
            total += count_fields(f.value)
        elif isinstance(f.value, list):
            total += len(f.value)
    return total


def _opened(signer: PacketSigner, packet: bytes) -> Message | None:
    try:
        msg = signer.open(packet)
    except PacketRejected as e:
        assert e.reason in REJECT_REASONS, e.reason
        loggable(e.detail)
        loggable(printable(e.src))
        return None
    assert count_fields(msg) <= MAX_FIELDS
    return msg


# ---- targets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    prepare: Callable[[bytes], Any]
    run: Callable[[Any], None]


def _open_raw(packet: bytes) -> None:
    """As received: nearly every mutation fails authentication, before any parsing."""
    for signer in SIGNERS:
        _opened(signer, packet)


def _signed(data: bytes) -> bytes:
    """``data`` given a valid crc signature, so the parser behind the check sees it."""
    if data.startswith(NETSTRING_START):
        end = data.rfind(NETSTRING_END)
        body = data[: end + len(NETSTRING_END)] if end >= 0 else data + NETSTRING_END
        signature = _crc_signature(body)
        return b"%s%d:%s," % (body, len(signature), signature)
    if data.startswith(CLASSIC_START):
        body = data.split(CLASSIC_END, 1)[0][len(CLASSIC_START) :]
        lines = [line for line in body.split(b"\n") if line and not line.startswith(b"auth=")]
        signed = b"".join(line + b"\n" for line in lines)
        auth = b"auth=" + _crc_signature(signed) + b"\n"
        return CLASSIC_START + signed + auth + CLASSIC_END
    return data


def _crc_signature(data: bytes) -> bytes:
    return b"1 " + crc_digest(None, data).encode()


def _open_signed(packet: bytes) -> None:
    _opened(CRC_SIGNER, packet)


def _decode(packet: bytes) -> None:
    """The codec alone, compressed fields expanded too (what tools use)."""
    try:
        msg = decode(packet)
    except DecodeError as e:
        assert e.reason in DECODE_REASONS, e.reason
        loggable(e.detail)
        return
    assert count_fields(msg) <= MAX_FIELDS


def _compressed(data: bytes) -> tuple[bytes, int]:
    """The first byte picks the algorithm (bit 0) and how often the rest is repeated
    (bits 1-5: 1 to 64 times, 1 to 8 for bz2, whose compressor is slow; class 31: a
    bomb past the limit); the compressed result travels as a signed packet."""
    head, inner = (data[0], data[1:]) if data else (0, b"")
    algorithm = "bz2" if head & 1 else "zlib"
    bomb = BZ2_BOMB if algorithm == "bz2" else ZLIB_BOMB
    repeat = (head >> 1) & 31
    if repeat == BOMB_CLASS:
        inner = (inner or b"\0") * (bomb // max(len(inner), 1) + 1)
    else:
        inner *= 1 << (repeat % (4 if algorithm == "bz2" else 7))
    inner = inner[:bomb]
    payload = bz2.compress(inner, 1) if algorithm == "bz2" else zlib.compress(inner)
    wrapped = Message(("_compressed_payload", payload), ("_compression_algorithm", algorithm))
    return CRC_SIGNER.seal(wrapped), len(inner)


def _open_compressed(prepared: tuple[bytes, int]) -> None:
    packet, inflated = prepared
    if _opened(CRC_SIGNER, packet) is not None:
        assert inflated <= MAX_EXPANDED, f"{inflated} bytes expanded"


class Receiver:
    """One long-lived engine (node3 of node1..node3, the captured nodes' generations
    current) fed decoded packets on a clock that advances a millisecond per packet."""

    def __init__(self) -> None:
        cfg = MembershipConfig(
            local_node="node3",
            nodes=("node1", "node2", "node3"),
            ping_nodes=("172.16.0.1", "10.0.0.2"),
            links={"node1": ("eth0", "eth1"), "node2": ("eth0", "eth1")},
            keepalive_ms=1000,
            deadtime_ms=8000,
            warntime_ms=4000,
            initdead_ms=20000,
            generation=0x6B05AB70,
            uuid=bytes(range(16)),
            loadavg=lambda: "0.00 0.00 0.00 1/1 1",
            seed=3,
        )
        self.engine = Membership(cfg)
        self.now = 0.0
        self.packets = 0

    def prepare(self, packet: bytes) -> Message | None:
        try:
            return decode(packet)
        except DecodeError:
            return None

    def run(self, msg: Message | None) -> None:
        if msg is None:
            return
        self.packets += 1
        self.now += 0.001
        link = ("eth0", "eth1", "lo")[self.packets % 3]
        effects: list[Effect] = self.engine.receive(msg, link, self.now)
        if self.packets % 100 == 0:
            effects += self.engine.tick(self.now)
        assert all(isinstance(e, EFFECTS) for e in effects)


def targets() -> list[Target]:
    receiver = Receiver()
    return [
        Target("open_raw", bytes, _open_raw),
        Target("open_signed", _signed, _open_signed),
        Target("decode", bytes, _decode),
        Target("compressed", _compressed, _open_compressed),
        Target("membership", receiver.prepare, receiver.run),
    ]
