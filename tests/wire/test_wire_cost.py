"""What one received packet may cost, whoever sent it.

Signatures are checked on the raw bytes before any field is parsed (docs/protocol.md
§3.1); a packet holds at most MAX_FIELDS fields; decompression stops at MAX_EXPANDED
bytes and accepts Heartbeat's bz2 block size only (§2.5); compressed fields are carried,
never expanded, on receipt. Costs are shown by construction (what is refused, and the
memory a refusal touched), never by timing.
"""

from __future__ import annotations

import bz2
import tracemalloc
import zlib
from collections.abc import Callable

import pytest
from hacore_plugins.auth.sha1 import SHA1

from hacore.config.model import AuthKey, AuthKeys
from hacore.wire.codec import MAX_EXPANDED, MAX_FIELDS, decode, encode_netstring
from hacore.wire.message import Field, FieldType, Message
from hacore.wire.signing import PacketRejected, PacketSigner
from tests.wire.wire_vectors import VECTORS

SIGNER = PacketSigner(AuthKeys(active=1, keys={1: AuthKey(1, SHA1, b"key-a")}), inner_auth=False)
FORGER = PacketSigner(AuthKeys(active=1, keys={1: AuthKey(1, SHA1, b"key-b")}), inner_auth=False)
# What the finding measured: ~2 MB of tiny fields, under Heartbeat's 2 MiB limit, that
# took the loop half a second to parse.
TINY_FIELDS_2MB = b"###\n" + b"6:(0)a=b," * 230_000 + b"%%%\n"
COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "zlib": zlib.compress,
    "bz2": lambda data: bz2.compress(data, 1),
}


def _status() -> Message:
    msg = decode((VECTORS / "hb_crc_status_active_ucast.bin").read_bytes())
    msg.remove("auth")
    return msg


def _rejection(data: bytes, signer: PacketSigner = SIGNER) -> PacketRejected:
    with pytest.raises(PacketRejected) as caught:
        signer.open(data)
    return caught.value


def _compressed(payload: bytes, algorithm: str) -> Message:
    return Message(("_compressed_payload", payload), ("_compression_algorithm", algorithm))


# ---- signatures before parsing -------------------------------------------------------


def test_a_forged_netstring_packet_is_refused_before_its_fields_are_parsed() -> None:
    unparsable = b"###\nthis is not a field%%%\n"

    assert _rejection(unparsable + b"10:1 deadbeef,").reason == "bad_signature"
    assert _rejection(unparsable).reason == "missing_signature"


def test_a_forged_classic_packet_is_refused_before_its_lines_are_parsed() -> None:
    unparsable = b">>>\na line without an equals sign\nauth=1 deadbeef\n<<<\n"

    assert _rejection(unparsable).reason == "bad_signature"
    assert _rejection(unparsable.replace(b"auth=1 deadbeef\n", b"")).reason == "missing_signature"


def test_a_forged_packet_with_too_many_fields_is_refused_unparsed() -> None:
    many = Message(*[("f", "v")] * (2 * MAX_FIELDS))

    assert _rejection(FORGER.seal(many)).reason == "bad_signature"
    # a classic packet's lines are counted before its signed text is gathered
    assert _rejection(FORGER.seal_classic(many)).reason == "oversized"
    assert _rejection(b">>>\n" + b"\n" * 100_000 + b"a=b\nauth=1 0\n<<<\n").reason == (
        "bad_signature"
    )


def test_a_rejected_packet_names_the_sender_it_claims() -> None:
    rejected = _rejection(FORGER.seal(_status()))
    rejected_classic = _rejection(FORGER.seal_classic(_status()))

    assert (rejected.reason, rejected.src) == ("bad_signature", "node1")
    assert (rejected_classic.reason, rejected_classic.src) == ("bad_signature", "node1")


def test_classic_packets_are_verified_on_their_lines_as_sent() -> None:
    """The signed text is the lines minus the auth line; empty lines do not count."""
    packet = SIGNER.seal_classic(_status())
    spaced = packet.replace(b"\n", b"\n\n", 3)

    assert SIGNER.open(spaced) == SIGNER.open(packet)
    assert _rejection(packet.replace(b"st=active", b"st=standby")).reason == "bad_signature"


# ---- fields ------------------------------------------------------------------------------


def test_a_signed_packet_may_hold_max_fields_and_no_more() -> None:
    full = Message(*[("f", "v")] * MAX_FIELDS)
    over = Message(*[("f", "v")] * (MAX_FIELDS + 1))

    assert len(SIGNER.open(SIGNER.seal(full))) == MAX_FIELDS
    assert _rejection(SIGNER.seal(over)).reason == "oversized"
    assert _rejection(SIGNER.seal_classic(over)).reason == "oversized"


def test_list_items_and_nested_fields_count_towards_the_limit() -> None:
    long_list = Message(("nodes", ["n"] * MAX_FIELDS))
    nested = Message(("outer", Message(*[("f", "v")] * MAX_FIELDS)))

    assert _rejection(SIGNER.seal(long_list)).detail == f"more than {MAX_FIELDS} fields"
    assert _rejection(SIGNER.seal(nested)).reason == "oversized"


# ---- decompression -----------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", sorted(COMPRESSORS))
def test_the_reported_bomb_is_refused_before_it_is_expanded(algorithm: str) -> None:
    bomb = SIGNER.seal(_compressed(COMPRESSORS[algorithm](TINY_FIELDS_2MB), algorithm))
    assert len(bomb) < 5000

    tracemalloc.start()
    try:
        rejected = _rejection(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert rejected.reason == "oversized"
    assert rejected.detail == f"decompresses to more than {MAX_EXPANDED} bytes"
    # The 2 MB were never produced (bz2's own state for a 100k block included).
    assert peak < 1 << 20


def test_compressed_payloads_and_expansions_within_the_limits_are_accepted() -> None:
    inner = Message(("t", "cib"), ("blob", "x" * (MAX_EXPANDED // 2)))
    for algorithm, compress in COMPRESSORS.items():
        packet = SIGNER.seal(_compressed(compress(encode_netstring(inner)), algorithm))

        assert SIGNER.open(packet) == inner


def test_an_oversized_compressed_payload_is_refused_unread() -> None:
    incompressible = bytes(range(256)) * (MAX_EXPANDED // 256 + 1)

    assert _rejection(SIGNER.seal(_compressed(incompressible, "zlib"))).reason == "oversized"


def test_bz2_streams_with_larger_blocks_than_heartbeats_are_refused() -> None:
    payload = bz2.compress(encode_netstring(_status()), 9)

    rejected = _rejection(SIGNER.seal(_compressed(payload, "bz2")))

    assert (rejected.reason, rejected.detail) == (
        "malformed",
        "bz2 payload does not start with b'BZh1'",
    )


def test_compressed_fields_are_carried_but_never_expanded_on_receipt() -> None:
    field_bomb = zlib.compress(b"0" * (3 << 20))
    msg = Message(("t", "cib"), ("_compression_algorithm", "zlib"))
    msg.fields.append(Field("data", field_bomb, FieldType.COMPRESS))
    packet = SIGNER.seal(msg)

    opened = SIGNER.open(packet)

    assert opened.fields[2] == Field("data", field_bomb, FieldType.COMPRESS)
    with pytest.raises(ValueError, match="oversized"):
        decode(packet)  # the tool that wants the content gets it, within the limits
