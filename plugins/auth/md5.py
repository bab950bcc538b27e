"""Heartbeat's ``md5`` authkeys method: HMAC-MD5 (RFC 2104) in lowercase hex.

Heartbeat 3.0.6 calls it "md5" but computes an HMAC keyed with the authkeys
secret; the captured sessions verify with exactly this formula.
"""

from __future__ import annotations

from collections.abc import Sequence

from hacore.api import AuthMethod
from hacore.hookspecs import hookimpl

from ._hmac import keyed_hex_digest

_md5 = keyed_hex_digest("md5")


def md5_digest(key: bytes | None, data: bytes) -> str:
    if key is None:
        raise ValueError("md5 needs a key")
    return _md5(key, data)


MD5 = AuthMethod(name="md5", key_required=True, digest=md5_digest)


@hookimpl
def hacore_auth_methods() -> Sequence[AuthMethod]:
    return [MD5]
