"""Heartbeat's ``crc`` authkeys method: CRC-32/POSIX without the length suffix.

It detects corruption and nothing else: anyone on the link can forge a valid
crc packet, hence the start-up warning.

Heartbeat's variant is the non-reflected CRC (poly 0x04C11DB7, init 0, xorout
0xFFFFFFFF) printed with ``%lx``: lowercase, no leading zeros. Python's
``zlib.crc32`` is the *reflected* CRC with the same polynomial, and the two are
mirror images: reflecting every input byte, running the reflected CRC with a zero
register and reflecting the 32-bit result gives the non-reflected value. The byte
reflection is a precomputed 256-entry table applied by ``bytes.translate``, so the
whole digest runs in C (about half a microsecond for a status packet) instead of a
per-byte Python loop on every heartbeat.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from hacore.api import AuthMethod
from hacore.hookspecs import hookimpl

_REFLECT_BYTE = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))
_MASK32 = 0xFFFFFFFF


def crc32_posix(data: bytes) -> int:
    """CRC-32/POSIX of ``data`` without cksum's length suffix (check value 0x765e7680)."""
    # zlib inverts the start value on entry and the result on exit: start 0xFFFFFFFF
    # means a zero register, and inverting the result undoes the exit inversion.
    register = ~zlib.crc32(data.translate(_REFLECT_BYTE), _MASK32) & _MASK32
    reflected = register.to_bytes(4, "little").translate(_REFLECT_BYTE)
    return int.from_bytes(reflected, "big") ^ _MASK32


def crc_digest(key: bytes | None, data: bytes) -> str:
    """The signature text: ``%lx`` of the CRC (``key`` is always None for crc)."""
    return f"{crc32_posix(data):x}"


CRC = AuthMethod(
    name="crc",
    key_required=False,
    digest=crc_digest,
    startup_warning=(
        "authkeys method crc authenticates nothing: anyone who can reach the heartbeat "
        "links can forge messages; use sha1 (or hmac-sha256 between hacore nodes)"
    ),
)


@hookimpl
def hacore_auth_methods() -> Sequence[AuthMethod]:
    return [CRC]
