"""Whole captured conversations of Heartbeat 3.0.6: every daemon packet verifies.

Each session pcap holds thousands of real packets (UDP heartbeats and ICMP ping
packets). All of them must open with the session's authkeys, their inner ``auth``
field must verify too, and re-encoding them must give back the captured bytes. In the
md5 session a Python emulator also sent two packets with a deliberately wrong
signature: exactly those two are rejected.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hacore.wire.codec import encode_classic, encode_netstring, split_trailer
from hacore.wire.message import Message
from hacore.wire.pcap import Datagram, heartbeat_datagrams
from hacore.wire.signing import PacketRejected, PacketSigner
from tests.wire.wire_vectors import SESSIONS, authkeys_for

# session file -> (packets in the capture, forged ones, accepted ones with an inner auth)
SESSION_FILES = {
    "crc_ucast_autofailback_on.pcap": (1376, 0, 1376),
    "crc_ucast_msgfmt_netstring_legacy.pcap": (1850, 0, 0),  # msgfmt netstring: trailer only
    "md5_bcast_autofailback_on_plus_emulator.pcap": (735, 2, 730),
    "sha1_mcast_autofailback_on_with_loss.pcap": (746, 0, 746),
}


@dataclass
class Session:
    signer: PacketSigner
    accepted: list[tuple[Datagram, Message]] = field(default_factory=list)
    rejected: list[tuple[Datagram, PacketRejected]] = field(default_factory=list)


def _open_all(path: Path) -> Session:
    session = Session(PacketSigner(authkeys_for(path)))
    for datagram in heartbeat_datagrams(path):
        try:
            session.accepted.append((datagram, session.signer.open(datagram.payload)))
        except PacketRejected as e:
            session.rejected.append((datagram, e))
    return session


@pytest.mark.parametrize("name", sorted(SESSION_FILES))
def test_every_daemon_packet_of_the_session_verifies(name: str) -> None:
    packets, forged, with_inner_auth = SESSION_FILES[name]

    session = _open_all(SESSIONS / name)

    assert len(session.accepted) + len(session.rejected) == packets
    assert len(session.rejected) == forged
    assert all(e.reason == "bad_signature" for _, e in session.rejected)
    inner = [msg for _, msg in session.accepted if "auth" in msg]
    assert len(inner) == with_inner_auth
    for msg in inner:
        session.signer.verify_inner_auth(msg)


def test_the_forged_md5_packets_are_the_emulators_classic_ones() -> None:
    session = _open_all(SESSIONS / "md5_bcast_autofailback_on_plus_emulator.pcap")

    forged = [d for d, _ in session.rejected]

    assert [d.payload[:4] for d in forged] == [b">>>\n", b">>>\n"]
    assert {d.src for d in forged} == {"172.16.0.51"}


def test_emulator_packets_in_all_four_shapes_were_accepted() -> None:
    """Classic with and without NUL, netstring with and without inner auth
    (docs/protocol.md §2.3)."""
    session = _open_all(SESSIONS / "md5_bcast_autofailback_on_plus_emulator.pcap")

    shapes = Counter(
        (d.payload[:4], d.payload.endswith(b"\0"), "auth" in msg) for d, msg in session.accepted
    )

    assert shapes[(b">>>\n", True, True)] >= 1
    assert shapes[(b">>>\n", False, True)] >= 1
    assert shapes[(b"###\n", False, True)] >= 1
    assert shapes[(b"###\n", False, False)] >= 1


@pytest.mark.parametrize("name", sorted(SESSION_FILES))
def test_every_accepted_packet_re_encodes_to_the_captured_bytes(name: str) -> None:
    session = _open_all(SESSIONS / name)

    for datagram, msg in session.accepted:
        payload = datagram.payload
        if payload.startswith(b"###"):
            signed, _ = split_trailer(payload)
            assert encode_netstring(msg) == signed, datagram.frame
        else:
            assert encode_classic(msg, nul=payload.endswith(b"\0")) == payload, datagram.frame
