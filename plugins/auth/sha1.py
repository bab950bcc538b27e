"""Heartbeat's ``sha1`` authkeys method: HMAC-SHA1 (RFC 2104) in lowercase hex.

The strongest method the real daemon understands, so the one to use in a mixed
Heartbeat/hacore cluster.
"""

from __future__ import annotations

from collections.abc import Sequence

from hacore.api import AuthMethod
from hacore.hookspecs import hookimpl

from ._hmac import keyed_hex_digest

_sha1 = keyed_hex_digest("sha1")


def sha1_digest(key: bytes | None, data: bytes) -> str:
    if key is None:
        raise ValueError("sha1 needs a key")
    return _sha1(key, data)


SHA1 = AuthMethod(name="sha1", key_required=True, digest=sha1_digest)


@hookimpl
def hacore_auth_methods() -> Sequence[AuthMethod]:
    return [SHA1]
