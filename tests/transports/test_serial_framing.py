"""Heartbeat's serial reader, as a push parser fed with whatever the tty returns."""

from __future__ import annotations

from pathlib import Path

from hacore_plugins.transports.serial import FrameReassembler
from hypothesis import given
from hypothesis import strategies as st

VECTOR = Path(__file__).resolve().parents[1] / "data/vectors/hb_md5_classic_emulated_accepted.bin"
FRAME = b">>>\nt=status\nst=active\nsrc=node1\n<<<\n"


def feed_all(chunks: list[bytes], reassembler: FrameReassembler | None = None) -> list[bytes]:
    reassembler = reassembler or FrameReassembler()
    return [frame for chunk in chunks for frame in reassembler.feed(chunk)]


def test_a_real_classic_packet_is_one_frame_without_its_nul() -> None:
    packet = VECTOR.read_bytes()
    assert packet.endswith(b"<<<\n\0")
    assert feed_all([packet, packet]) == [packet[:-1], packet[:-1]]


def test_noise_before_between_and_after_frames_is_discarded() -> None:
    stream = b"modem noise\nt=stray\n<<<\n" + FRAME + b"\0garbage\n\n" + FRAME + b"tail"
    assert feed_all([stream]) == [FRAME, FRAME]


def test_crlf_lines_and_leading_nuls_are_tolerated() -> None:
    crlf = FRAME.replace(b"\n", b"\r\n")
    assert feed_all([b"\0\0" + crlf]) == [FRAME]


def test_start_and_end_lines_match_on_their_first_three_bytes_like_heartbeat() -> None:
    assert feed_all([b">>>x\na=b\n<<<y\n"]) == [b">>>x\na=b\n<<<y\n"]


def test_a_new_start_line_restarts_a_frame_that_was_cut_short() -> None:
    assert feed_all([b">>>\nt=sta", b"\n>>>\nt=status\n<<<\n"]) == [b">>>\nt=status\n<<<\n"]


def test_an_oversized_frame_is_dropped_and_the_next_one_still_arrives() -> None:
    reassembler = FrameReassembler(max_frame=64)
    big = b">>>\n" + b"x=" + b"y" * 100 + b"\n<<<\n"
    assert feed_all([big, FRAME], reassembler) == [FRAME]
    assert reassembler.oversized == 1


def test_an_endless_line_does_not_grow_the_buffer_forever() -> None:
    reassembler = FrameReassembler(max_frame=64)
    for _ in range(100):
        reassembler.feed(b"z" * 50)
    assert reassembler.oversized >= 1
    assert feed_all([b"\n" + FRAME], reassembler) == [FRAME]


field = st.from_regex(rb"\A[a-z]{1,8}=[ -~]{1,20}\Z")
frames = st.lists(field, min_size=1, max_size=6).map(
    lambda fields: b">>>\n" + b"".join(f + b"\n" for f in fields) + b"<<<\n"
)
noise_line = st.from_regex(rb"\A[^\n]{0,30}\n\Z").filter(
    lambda line: not line.lstrip(b"\0").startswith(b">>>")
)


@given(
    st.lists(st.tuples(st.lists(noise_line, max_size=3), frames), max_size=5),
    st.lists(st.integers(min_value=1, max_value=40), min_size=1),
)
def test_frames_survive_any_noise_and_any_split(
    pieces: list[tuple[list[bytes], bytes]], cuts: list[int]
) -> None:
    stream = b"".join(b"".join(noise) + frame for noise, frame in pieces)
    chunks, position, n = [], 0, 0
    while position < len(stream):
        size = cuts[n % len(cuts)]
        chunks.append(stream[position : position + size])
        position, n = position + size, n + 1
    assert feed_all(chunks) == [frame for _, frame in pieces]
