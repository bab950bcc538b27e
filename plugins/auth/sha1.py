"""Heartbeat's ``sha1`` authkeys method: HMAC-SHA1 (RFC 2104) in lowercase hex.

The strongest method the real daemon understands, so the one to use in a mixed
Heartbeat/hacore cluster.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from hacore.api import AuthMethod
from hacore.hookspecs import hookimpl


def sha1_digest(key: bytes | None, data: bytes) -> str:
    if key is None:
        raise ValueError("sha1 needs a key")
    return hmac.digest(key, data, "sha1").hex()


SHA1 = AuthMethod(name="sha1", key_required=True, digest=sha1_digest)


@hookimpl
def hacore_auth_methods() -> Sequence[AuthMethod]:
    return [SHA1]
