"""Every single packet captured from Heartbeat 3.0.6 verifies and is rebuilt byte for byte."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hacore.wire.codec import classic_auth_text, decode, encode_classic, split_trailer
from hacore.wire.message import Message
from hacore.wire.pcap import PcapError, heartbeat_datagrams
from hacore.wire.signing import PacketSigner
from tests.wire.wire_vectors import VECTORS, authkeys_for


def _without_auth(msg: Message) -> Message:
    stripped = msg.copy()
    stripped.remove("auth")
    return stripped


def test_vector_opens_and_reseals_byte_identically(vector: Path) -> None:
    data = vector.read_bytes()
    decoded = decode(data)
    signer = PacketSigner(authkeys_for(vector), inner_auth="auth" in decoded)

    opened = signer.open(data)

    assert opened == decoded
    if data.startswith(b">>>"):
        assert signer.seal_classic(_without_auth(opened), nul=data.endswith(b"\0")) == data
    else:
        assert signer.seal(_without_auth(opened)) == data


def test_vector_inner_auth_verifies(vector: Path) -> None:
    msg = decode(vector.read_bytes())
    if "auth" in msg:
        PacketSigner(authkeys_for(vector)).verify_inner_auth(msg)
    else:
        assert vector.stem == "hb_crc_msgfmt_netstring_ip_request"  # msgfmt netstring


def _noted(pattern: str, notes: str) -> str:
    found = re.search(pattern, notes)
    assert found, pattern
    return found[1]


def test_vector_signed_bytes_match_the_capture_notes(vector: Path) -> None:
    """The .txt notes spell out the signed byte strings; we rebuild the same ones."""
    data = vector.read_bytes()
    notes = (VECTORS / f"{vector.stem}.txt").read_text()
    msg = decode(data)
    if data.startswith(b"###"):
        signed, trailer = split_trailer(data)
        assert signed == data[: int(_noted(r"signed bytes = payload\[0:(\d+)\]", notes))]
        assert trailer == _noted(r"netstring trailer auth: '([^']+)'", notes).encode()
    if "auth" in msg:
        lines = re.findall(r"^    \| (.*)$", notes, re.MULTILINE)
        assert classic_auth_text(msg) == "".join(f"{line}\n" for line in lines).encode()
        assert f"auth field: '{msg.get('auth')}'" in notes


def test_ping_vector_is_a_bare_ns_st_message() -> None:
    msg = decode((VECTORS / "hb_crc_ping_ns_st_icmp.bin").read_bytes())

    assert [f.name for f in msg] == ["t", "st", "info", "src", "ts", "auth"]
    assert (msg.type, msg.get("src")) == ("NS_st", "172.16.0.1")


def test_classic_vector_decodes_with_and_without_its_nul() -> None:
    data = (VECTORS / "hb_md5_classic_emulated_accepted.bin").read_bytes()
    signer = PacketSigner(authkeys_for(Path("md5")))
    assert data.endswith(b"<<<\n\0")

    with_nul, without_nul = signer.open(data), signer.open(data[:-1])

    assert with_nul == without_nul
    assert with_nul.get("auth") == "2 915e086cf0a8b305f50199c4da359cd3"
    assert encode_classic(with_nul, nul=False) == data[:-1]


def test_pcap_reader_finds_the_vector_payload(vector: Path) -> None:
    (datagram,) = heartbeat_datagrams(vector.with_suffix(".pcap"))

    assert datagram.payload == vector.read_bytes()
    assert datagram.protocol == ("icmp" if "icmp" in vector.stem else "udp")


def test_pcap_reader_refuses_what_is_not_a_capture() -> None:
    with pytest.raises(PcapError, match="not a pcap"):
        list(heartbeat_datagrams(VECTORS / "hb_crc_status_active_ucast.bin"))
