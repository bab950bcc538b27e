"""Heartbeat's ``md5`` authkeys method: HMAC-MD5 (RFC 2104) in lowercase hex.

Heartbeat 3.0.6 calls it "md5" but computes an HMAC keyed with the authkeys
secret; the captured sessions verify with exactly this formula.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from hacore.api import AuthMethod
from hacore.hookspecs import hookimpl


def md5_digest(key: bytes | None, data: bytes) -> str:
    if key is None:
        raise ValueError("md5 needs a key")
    return hmac.digest(key, data, "md5").hex()


MD5 = AuthMethod(name="md5", key_required=True, digest=md5_digest)


@hookimpl
def hacore_auth_methods() -> Sequence[AuthMethod]:
    return [MD5]
