"""The two encodings, field by field, and every way a packet can be wrong."""

from __future__ import annotations

import bz2
import zlib
from collections.abc import Callable

import pytest

from hacore.wire.codec import (
    MAXDEPTH,
    MAXMSG,
    DecodeError,
    EncodeError,
    classic_auth_text,
    decode,
    encode_classic,
    encode_netstring,
    split_trailer,
)
from hacore.wire.message import Field, FieldType, Message
from tests.wire.wire_vectors import VECTORS

STATUS = VECTORS / "hb_crc_status_active_ucast.bin"
CLASSIC = VECTORS / "hb_md5_classic_emulated_accepted.bin"

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "zlib": zlib.compress,
    "bz2": lambda data: bz2.compress(data, 1),  # Heartbeat's bz2 plugin: blockSize100k=1
}


def _reason(data: bytes) -> str:
    with pytest.raises(DecodeError) as caught:
        decode(data)
    return caught.value.reason


def _nested(depth: int) -> Message:
    msg = Message(("leaf", "v"))
    for level in range(depth):
        msg = Message((f"s{level}", msg))
    return msg


# ---- exact bytes ----------------------------------------------------------------------


def test_netstring_counts_type_name_and_value_bytes() -> None:
    msg = Message(("t", "status"), ("srcuuid", b"\x00\xff"), ("nl", "a\nb"))

    assert encode_netstring(msg) == (
        b"###\n11:(0)t=status,13:(1)srcuuid=\x00\xff,9:(0)nl=a\nb,%%%\n"
    )


def test_netstring_nests_structs_and_packs_lists() -> None:
    msg = Message(("s", Message(("a", "b"))), ("l", ["p", "qq"]))

    assert encode_netstring(msg) == (b"###\n22:(2)s=###\n6:(0)a=b,%%%\n,14:(3)l=1:p,2:qq,,%%%\n")


def test_classic_escapes_newlines_and_base64s_binary() -> None:
    msg = Message(("nl", "a\nb"), ("uuid", b"\xca\xaa\x83"), ("l", ["x"]))

    assert encode_classic(msg) == b">>>\nnl=a\x13b\n(1)uuid=yqqD\n(3)l=1:x,\n<<<\n\0"
    assert encode_classic(msg, nul=False).endswith(b"<<<\n")


def test_classic_struct_newlines_become_depth_symbols() -> None:
    msg = Message(("s", Message(("a", "b"), ("d", Message(("x", "1\n2"))))))

    assert encode_classic(msg, nul=False) == (
        b">>>\n(2)s=>>>\x14a=b\x14(2)d=>>>\x15x=1\x132\x15<<<\x15\x14<<<\x14\n<<<\n"
    )


def test_auth_text_skips_only_top_level_auth_fields() -> None:
    msg = Message(("t", "x"), ("auth", "1 abc"), ("s", Message(("auth", "kept"))), ("z", "1"))

    assert classic_auth_text(msg) == b"t=x\n(2)s=>>>\x14auth=kept\x14<<<\x14\nz=1\n"


def test_split_trailer_returns_the_signed_bytes_and_the_signature() -> None:
    data = STATUS.read_bytes()

    signed, trailer = split_trailer(data)

    assert signed == data[:231]
    assert trailer == b"1 e85824dd"
    assert split_trailer(signed) == (signed, None)
    with pytest.raises(DecodeError):
        split_trailer(CLASSIC.read_bytes())


# ---- round trips of awkward values ---------------------------------------------------


def test_arbitrary_value_bytes_survive_decode_and_encode() -> None:
    raw = b"###\n11:(0)v=\xff\xfe\x80ok\xc3,%%%\n"

    msg = decode(raw)

    assert encode_netstring(msg) == raw
    assert msg.get("v") == "\udcff\udcfe\udc80ok\udcc3"


def test_empty_values_travel_in_netstring_only() -> None:
    msg = Message(("e", ""), ("b", b""))

    assert decode(encode_netstring(msg)) == msg
    with pytest.raises(EncodeError, match="empty value"):
        encode_classic(msg)


def test_deepest_struct_round_trips_and_one_more_level_is_refused() -> None:
    deepest = _nested(MAXDEPTH)

    assert decode(encode_netstring(deepest)) == deepest
    assert decode(encode_classic(deepest)) == deepest
    with pytest.raises(EncodeError, match="deeper"):
        encode_netstring(_nested(MAXDEPTH + 1))
    with pytest.raises(EncodeError, match="deeper"):
        encode_classic(_nested(MAXDEPTH + 1))


@pytest.mark.parametrize(
    ("msg", "message"),
    [
        (Message(("a=b", "v")), "without '='"),
        (Message(("", "v")), "non-empty"),
        (Message(("n", "a\0b")), "NUL"),
        (Message(("l", [])), "empty list"),
        (Message(("l", [""])), "cannot be empty"),
        (Message(("s", "\udc80\ud800")), "not encodable"),
    ],
)
def test_unsendable_fields_are_refused_in_both_formats(msg: Message, message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        encode_netstring(msg)
    with pytest.raises(EncodeError, match=message):
        encode_classic(msg)


@pytest.mark.parametrize(
    "msg",
    [
        Message(("n", "a\x13b")),  # 0x13 would come back as a newline
        Message(("(1)x", "v")),  # would read back as a type prefix
        Message(("a\nb", "v")),
        Message(("l", ["a\nb"])),
        Message(("s", Message(("x", "a\x14b")))),  # the depth-0 struct symbol
    ],
)
def test_what_classic_cannot_carry_is_refused(msg: Message) -> None:
    with pytest.raises(EncodeError):
        encode_classic(msg)


def test_field_type_and_value_must_agree() -> None:
    msg = Message()
    msg.fields.append(Field("x", "text", FieldType.BINARY))

    with pytest.raises(EncodeError, match="cannot have type"):
        encode_netstring(msg)
    msg.fields[0] = Field("x", Message(("a", "b")), FieldType.UNCOMPRESS)
    with pytest.raises(EncodeError, match="type 5"):
        encode_classic(msg)


# ---- rejected input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "truncated"),
        (b"##", "truncated"),
        (b"hello", "malformed"),
        (b"###\n6:(0)t=x,", "truncated"),
        (b"###\n5:(0)t=x,%%%\n", "malformed"),
        (b"###\n6:(0)t=x,%%", "truncated"),
        (b"###\n99:(0)t=x,%%%\n", "truncated"),
        (b"###\n6:(0)t=x;%%%\n", "malformed"),
        (b"###\n6:[0)t=x,%%%\n", "malformed"),
        (b"###\n6:(7)t=x,%%%\n", "bad_field_type"),
        (b"###\n5:(0)tx,%%%\n", "malformed"),
        (b"###\n4:(0)=x,%%%\n", "malformed"),
        (b"###\nx:(0)t=x,%%%\n", "malformed"),
        (b"###\n1234567890:(0)t=x,%%%\n", "malformed"),
        (b"###\n6:(0)t=\0,%%%\n", "malformed"),
        (b"###\n7:(0)\xff\xfe=x,%%%\n", "malformed"),
        (b"###\n6:(0)t=x,%%%\n4:1 ab", "truncated"),
        (b"###\n6:(0)t=x,%%%\n4:1 ab,junk", "malformed"),
        (b"###\n6:(0)t=x,%%%\njunk", "malformed"),
        (b"###\n13:(2)s=###\n6:,%%%\n", "malformed"),
        (b"###\n11:(3)l=2:a,,%%%\n", "malformed"),
        (b"###\n8:(3)l=0:,,%%%\n", "malformed"),
        (b">>>\nt=x\n", "truncated"),
        (b">>>\nt=x\n<<<\n\0\0", "malformed"),
        (b">>>\nt=x\n<<<\nmore", "malformed"),
        (b">>>\nt=\n<<<\n", "empty_value"),
        (b">>>\nnoequals\n<<<\n", "malformed"),
        (b">>>\n=x\n<<<\n", "malformed"),
        (b">>>\n(0)t=x\n<<<\n", "bad_field_type"),
        (b">>>\n(5)t=x\n<<<\n", "bad_field_type"),
        (b">>>\n(9)t=x\n<<<\n", "bad_field_type"),
        (b">>>\n(1t=x\n<<<\n", "malformed"),
        (b">>>\n(1)u=not*base64\n<<<\n", "malformed"),
        (b">>>\n(2)s=no-struct\n<<<\n", "malformed"),
        (b">>>\nt=a\0b\n<<<\n", "malformed"),
    ],
)
def test_bad_packets_are_refused_with_a_stable_reason(data: bytes, reason: str) -> None:
    assert _reason(data) == reason


def test_every_cut_of_a_netstring_packet_is_truncated() -> None:
    data = STATUS.read_bytes()
    signed, _ = split_trailer(data)

    for cut in range(len(data)):
        if cut == len(signed):
            assert decode(data[:cut]) == decode(data)  # a complete message without trailer
        else:
            assert _reason(data[:cut]) == "truncated", cut


def test_every_cut_of_a_classic_packet_is_truncated() -> None:
    data = CLASSIC.read_bytes()

    for cut in range(len(data) - 1):
        assert _reason(data[:cut]) == "truncated", cut


def test_oversized_packets_are_refused_before_parsing() -> None:
    assert _reason(b"###\n" + b"x" * MAXMSG) == "oversized"
    assert _reason(b"###\n" + b"x" * (MAXMSG - 4)) == "malformed"


def test_structs_deeper_than_heartbeat_allows_are_refused() -> None:
    netstring = encode_netstring(_nested(MAXDEPTH)).replace(b"(0)leaf=v", b"(2)leaf=v")
    classic = encode_classic(_nested(MAXDEPTH)).replace(b"leaf=v", b"(2)leaf=v")

    assert _reason(netstring) == "too_deep"
    assert _reason(classic) == "too_deep"


# ---- compression --------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", sorted(COMPRESSORS))
@pytest.mark.parametrize("inner_format", ["netstring", "classic"])
def test_compressed_packets_are_expanded(algorithm: str, inner_format: str) -> None:
    original = decode(STATUS.read_bytes())
    inner = encode_netstring(original) if inner_format == "netstring" else encode_classic(original)
    wrapped = Message(
        ("_compressed_payload", COMPRESSORS[algorithm](inner)),
        ("_compression_algorithm", algorithm),
    )

    assert decode(encode_netstring(wrapped)) == original
    assert decode(encode_classic(wrapped)) == original


@pytest.mark.parametrize("algorithm", sorted(COMPRESSORS))
def test_compressed_fields_become_their_message(algorithm: str) -> None:
    payload = Message(("cib", "x" * 5000), ("n", "1"))
    msg = Message(("t", "cib"), ("_compression_algorithm", algorithm))
    msg.fields.append(
        Field("data", COMPRESSORS[algorithm](encode_netstring(payload)), FieldType.COMPRESS)
    )

    decoded = decode(encode_netstring(msg))

    assert decoded.fields[2] == Field("data", payload, FieldType.UNCOMPRESS)
    assert decode(encode_netstring(decoded)) == decoded  # type 5 travels as a nested message


def test_decompression_bombs_are_refused() -> None:
    bomb = Message(
        ("_compressed_payload", zlib.compress(b"0" * (3 << 20))),
        ("_compression_algorithm", "zlib"),
    )

    assert _reason(encode_netstring(bomb)) == "oversized"


@pytest.mark.parametrize(
    ("payload", "algorithm"),
    [
        (zlib.compress(b"###\n6:(0)t=x,%%%\n"), "lzma"),
        (b"not compressed at all", "zlib"),
        (zlib.compress(b"###\n6:(0)t=x,%%%\n")[:-3], "zlib"),
        (bz2.compress(b"###\n6:(0)t=x,%%%\n")[:-3], "bz2"),
        (zlib.compress(b"garbage"), "zlib"),
    ],
)
def test_bad_compressed_payloads_are_malformed(payload: bytes, algorithm: str) -> None:
    msg = Message(("_compressed_payload", payload), ("_compression_algorithm", algorithm))

    assert _reason(encode_netstring(msg)) == "malformed"


def test_compression_nesting_is_bounded() -> None:
    packet = encode_netstring(Message(("t", "x")))
    for _ in range(5):
        wrapper = Message(
            ("_compressed_payload", zlib.compress(packet)), ("_compression_algorithm", "zlib")
        )
        packet = encode_netstring(wrapper)

    assert _reason(packet) == "too_deep"
