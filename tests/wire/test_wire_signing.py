"""Sealing and opening with authkeys: what is accepted, what is dropped and why."""

from __future__ import annotations

import zlib

import pytest
from hacore_plugins.auth.crc import CRC
from hacore_plugins.auth.hmac_sha256 import HMAC_SHA256
from hacore_plugins.auth.md5 import MD5
from hacore_plugins.auth.sha1 import SHA1

from hacore.api import AuthMethod
from hacore.config.model import AuthKey, AuthKeys
from hacore.wire.codec import decode, encode_netstring
from hacore.wire.message import Field, Message
from hacore.wire.signing import PacketRejected, PacketSigner
from tests.wire.wire_vectors import AUTHKEYS, VECTORS


def _keys(active: int, **entries: tuple[AuthMethod, bytes | None]) -> AuthKeys:
    keys = {int(i[1:]): AuthKey(int(i[1:]), method, key) for i, (method, key) in entries.items()}
    return AuthKeys(active=active, keys=keys)


def _status() -> Message:
    msg = decode((VECTORS / "hb_crc_status_active_ucast.bin").read_bytes())
    msg.remove("auth")
    return msg


def _rejection(signer: PacketSigner, data: bytes) -> PacketRejected:
    with pytest.raises(PacketRejected) as caught:
        signer.open(data)
    return caught.value


SHA1_A = _keys(1, i1=(SHA1, b"key-a"))
SHA1_B = _keys(1, i1=(SHA1, b"key-b"))


def test_seal_appends_the_inner_auth_last_and_leaves_the_message_alone() -> None:
    msg = _status()
    msg.fields.insert(2, Field("auth", "9 stale"))
    before = msg.copy()

    opened = PacketSigner(SHA1_A).open(PacketSigner(SHA1_A).seal(msg))

    assert msg == before
    assert [f.name for f in opened].count("auth") == 1
    assert opened.fields[-1].name == "auth"
    assert str(opened.get("auth")).startswith("1 ")


def test_msgfmt_netstring_sends_the_trailer_only() -> None:
    packet = PacketSigner(SHA1_A, inner_auth=False).seal(_status())

    assert b"auth=" not in packet
    assert PacketSigner(SHA1_A).open(packet) == _status()


@pytest.mark.parametrize("keys", [SHA1_A, _keys(7, i7=(HMAC_SHA256, b"k")), AUTHKEYS["md5"]])
def test_both_formats_round_trip(keys: AuthKeys) -> None:
    signer = PacketSigner(keys)

    for packet in (signer.seal(_status()), signer.seal_classic(_status())):
        opened = signer.open(packet)
        signer.verify_inner_auth(opened)
        opened.remove("auth")
        assert opened == _status()


def test_a_wrong_key_is_rejected_in_both_formats() -> None:
    sender, receiver = PacketSigner(SHA1_A), PacketSigner(SHA1_B)

    assert _rejection(receiver, sender.seal(_status())).reason == "bad_signature"
    assert _rejection(receiver, sender.seal_classic(_status())).reason == "bad_signature"


def test_a_changed_byte_is_rejected() -> None:
    packet = PacketSigner(SHA1_A).seal(_status())
    tampered = packet.replace(b"st=active", b"st=standb")

    rejected = _rejection(PacketSigner(SHA1_A), tampered)

    assert (rejected.reason, rejected.src) == ("bad_signature", "node1")


def test_unknown_key_index_is_rejected() -> None:
    packet = PacketSigner(_keys(5, i5=(SHA1, b"key-a"))).seal(_status())

    assert _rejection(PacketSigner(SHA1_A), packet).reason == "unknown_key_index"


def test_missing_and_garbled_signatures_are_rejected() -> None:
    signer = PacketSigner(AUTHKEYS["crc"])
    body = encode_netstring(_status())

    assert _rejection(signer, body).reason == "missing_signature"
    assert _rejection(signer, body + b"9:garbled!!,").reason == "bad_signature"
    assert _rejection(signer, body + b"11:1 e85824dd ,").reason == "bad_signature"
    assert _rejection(signer, b">>>\nt=status\nsrc=node1\n<<<\n").reason == "missing_signature"
    assert _rejection(signer, b">>>\nt=status\nauth=x\n<<<\n").reason == "bad_signature"


def test_decode_failures_keep_their_reason() -> None:
    signer = PacketSigner(AUTHKEYS["crc"])

    assert _rejection(signer, b"###\n6:(0)t=x").reason == "truncated"
    assert _rejection(signer, b"\x00" * 300000).reason == "oversized"


def test_netstring_trailer_uses_the_local_active_key_as_heartbeat_does() -> None:
    """Heartbeat 3.0.6 checks a trailer with the method of its index but the key of
    the local ``auth N`` entry; a classic packet uses its own index's key."""
    receiver = PacketSigner(_keys(2, i1=(SHA1, b"key-a"), i2=(SHA1, b"key-b")))
    sender = PacketSigner(_keys(1, i1=(SHA1, b"key-a"), i2=(SHA1, b"key-b")))
    impostor = PacketSigner(_keys(1, i1=(SHA1, b"key-b")))

    # trailer index 1 (sha1) checked with key-b: the genuine sender is dropped...
    assert _rejection(receiver, sender.seal(_status())).reason == "bad_signature"
    # ...while its classic packet (index 1 with key-a) and a key-b signer pass.
    assert receiver.open(sender.seal_classic(_status())).get("src") == "node1"
    assert receiver.open(impostor.seal(_status())).get("src") == "node1"


def test_a_trailer_method_needing_a_key_fails_when_the_active_entry_has_none() -> None:
    receiver = PacketSigner(_keys(1, i1=(CRC, None), i2=(MD5, b"md5-key")))
    sender = PacketSigner(_keys(2, i1=(CRC, None), i2=(MD5, b"md5-key")))

    assert _rejection(receiver, sender.seal(_status())).reason == "bad_signature"


def test_a_failing_auth_plugin_drops_the_packet_not_the_daemon() -> None:
    def broken(key: bytes | None, data: bytes) -> str:
        raise RuntimeError("plugin bug")

    packet = PacketSigner(AUTHKEYS["crc"]).seal(_status())
    receiver = PacketSigner(_keys(1, i1=(AuthMethod("broken", False, broken), None)))

    assert "plugin bug" in _rejection(receiver, packet).detail


def test_compressed_packets_are_verified_before_they_are_expanded() -> None:
    signer = PacketSigner(SHA1_A, inner_auth=False)
    wrapped = Message(
        ("_compressed_payload", zlib.compress(encode_netstring(_status()))),
        ("_compression_algorithm", "zlib"),
    )
    packet = signer.seal(wrapped)
    bomb = signer.seal(
        Message(
            ("_compressed_payload", zlib.compress(b"0" * (3 << 20))),
            ("_compression_algorithm", "zlib"),
        )
    )

    assert signer.open(packet) == _status()
    assert _rejection(PacketSigner(SHA1_B), packet).reason == "bad_signature"
    assert _rejection(signer, bomb).reason == "oversized"
