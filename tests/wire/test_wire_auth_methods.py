"""The four built-in authkeys methods: digests, key rules, and registration as plugins."""

from __future__ import annotations

import hmac
from importlib.metadata import entry_points

from hacore_plugins.auth import crc, hmac_sha256, md5, sha1
from hypothesis import given, settings
from hypothesis import strategies as st

from hacore.hookspecs import ENTRY_POINT_GROUP
from hacore.plugins import load_plugins


def _crc32_posix_bitwise(data: bytes) -> int:
    """The textbook MSB-first CRC (poly 0x04C11DB7, init 0, xorout ~0): the oracle."""
    register = 0
    for byte in data:
        register ^= byte << 24
        for _ in range(8):
            register = (register << 1) ^ 0x04C11DB7 if register & 0x80000000 else register << 1
            register &= 0xFFFFFFFF
    return register ^ 0xFFFFFFFF


def test_crc_check_value() -> None:
    assert crc.CRC.digest(None, b"123456789") == "765e7680"


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_crc_matches_the_bitwise_definition(data: bytes) -> None:
    assert crc.CRC.digest(None, data) == format(_crc32_posix_bitwise(data), "x")


def test_crc_prints_without_leading_zeros() -> None:
    short = next(
        data
        for data in (i.to_bytes(4, "big") for i in range(100000))
        if _crc32_posix_bitwise(data) < 0x10000000
    )

    digest = crc.CRC.digest(None, short)

    assert len(digest) < 8
    assert not digest.startswith("0")


def test_crc_takes_no_key_and_warns() -> None:
    assert crc.CRC.key_required is False
    assert crc.CRC.startup_warning and "authenticates nothing" in crc.CRC.startup_warning


def test_hmac_methods_match_rfc_2202_and_4231() -> None:
    key, data = b"Jefe", b"what do ya want for nothing?"

    assert md5.MD5.digest(key, data) == "750c783e6ab0b503eaa86e310a5db738"
    assert sha1.SHA1.digest(key, data) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
    assert hmac_sha256.HMAC_SHA256.digest(key, data) == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


@settings(max_examples=300)
@given(key=st.binary(max_size=200), data=st.binary(max_size=400))
def test_hmac_methods_with_remembered_key_pads_equal_the_standard_library(
    key: bytes, data: bytes
) -> None:
    """Keys longer than the hash block are hashed first; every call reuses the pads."""
    for method, algorithm in ((md5.MD5, "md5"), (sha1.SHA1, "sha1")):
        assert method.digest(key, data) == hmac.digest(key, data, algorithm).hex()
        assert method.digest(key, data + b"x") == hmac.digest(key, data + b"x", algorithm).hex()
    sha256 = hmac_sha256.HMAC_SHA256
    assert sha256.digest(key, data) == hmac.digest(key, data, "sha256").hex()


def test_hmac_methods_require_a_key_and_only_sha256_is_hacore_only() -> None:
    methods = [md5.MD5, sha1.SHA1, hmac_sha256.HMAC_SHA256]

    assert all(m.key_required for m in methods)
    assert [m.heartbeat_compatible for m in methods] == [True, True, False]


def test_the_plugin_kernel_indexes_the_four_methods() -> None:
    registry = load_plugins(extra=[crc, md5, sha1, hmac_sha256], autoload=False)

    assert sorted(registry.auth_methods) == ["crc", "hmac-sha256", "md5", "sha1"]
    assert registry.auth_methods["sha1"] is sha1.SHA1


def test_entry_points_name_these_modules() -> None:
    eps = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}

    assert eps["crc"] == "hacore_plugins.auth.crc"
    assert eps["md5"] == "hacore_plugins.auth.md5"
    assert eps["sha1"] == "hacore_plugins.auth.sha1"
    assert eps["hmac-sha256"] == "hacore_plugins.auth.hmac_sha256"
