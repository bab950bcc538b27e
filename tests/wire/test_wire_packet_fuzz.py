"""Hypothesis over the whole receive path, seeded from Heartbeat 3.0.6's captured packets:
authentication (raw and behind a valid signature), netstring and classic decoding,
decompression (bombs refused before they are expanded) and the membership engine.

Only documented rejections may come out, accepted messages stay within the field and
byte limits, and every log line is printable UTF-8 (bench/fuzz_targets.py says how).
Derandomized and a few hundred examples per target, so the suite stays fast; the long
run with atheris is bench/fuzz.py.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from bench.fuzz_targets import (
    BOMB_CLASS,
    CRC_SIGNER,
    Target,
    check_logs,
    seeds,
    targets,
)
from hacore.wire.codec import MAX_EXPANDED
from hacore.wire.signing import PacketRejected

FUZZ = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SEEDS = seeds()
TARGETS = {t.name: t for t in targets()}

_TOKENS = st.sampled_from(
    [b"###\n", b"%%%\n", b">>>\n", b"<<<\n", b"(0)", b"(1)", b"(2)", b"(3)", b"(4)", b"(9)",
     b"=", b",", b":", b"\n", b"\0", b"\x13", b"\x14", b"5:", b"12:", b"0:", b"99999999:",
     b"t=status", b"src=NODE1", b"src=\xff\xfe", b"auth=1 ab", b"_compressed_payload",
     b"_compression_algorithm=zlib", b"hg=6b05ab65", b"seq=ffffffff", b"\xff"]
)  # fmt: skip


@st.composite
def _mutated_seed(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "repeat"]))
        if action == "flip" and pos < len(data):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif action == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        elif action == "insert":
            data[pos:pos] = draw(_TOKENS | st.binary(min_size=1, max_size=4))
        elif action == "truncate":
            del data[pos:]
        else:
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 30))] * draw(st.integers(1, 40))
    return bytes(data)


PACKETS = st.one_of(
    st.sampled_from(SEEDS),
    _mutated_seed(),
    st.builds(lambda start, parts: start + b"".join(parts),
              st.sampled_from([b"###\n", b">>>\n"]), st.lists(_TOKENS | st.binary(max_size=6))),
    st.binary(max_size=300),
)  # fmt: skip


def _run(target: Target, data: bytes) -> None:
    with capture_logs() as logs:
        target.run(target.prepare(data))
    check_logs(logs)


@FUZZ
@pytest.mark.parametrize("name", ["open_raw", "open_signed", "decode", "membership"])
@given(data=PACKETS)
def test_any_packet_meets_only_documented_outcomes(name: str, data: bytes) -> None:
    _run(TARGETS[name], data)


@FUZZ
@given(head=st.integers(0, 255), data=st.sampled_from(SEEDS) | _mutated_seed())
def test_any_compressed_packet_is_expanded_within_the_limit(head: int, data: bytes) -> None:
    _run(TARGETS["compressed"], bytes([head]) + data)


@settings(max_examples=20, derandomize=True, deadline=None)
@given(data=st.sampled_from(SEEDS), algorithm=st.sampled_from([0, 1]))
def test_a_bomb_is_refused_before_it_is_expanded(data: bytes, algorithm: int) -> None:
    packet, inflated = TARGETS["compressed"].prepare(bytes([BOMB_CLASS << 1 | algorithm]) + data)
    assert inflated > MAX_EXPANDED

    with pytest.raises(PacketRejected) as refused:
        CRC_SIGNER.open(packet)

    assert refused.value.detail == f"decompresses to more than {MAX_EXPANDED} bytes"
