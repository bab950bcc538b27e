"""``hmac-sha256``: an authkeys method only hacore nodes understand.

Heartbeat 3.0.6 has no such plugin and refuses to start with it in authkeys
(``Invalid authtype``), so use it only when every node runs hacore. The wire
format is unchanged: ``"<index> <64 lowercase hex digits>"``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hacore.api import AuthMethod
from hacore.hookspecs import hookimpl

from ._hmac import keyed_hex_digest

_sha256 = keyed_hex_digest("sha256")


def hmac_sha256_digest(key: bytes | None, data: bytes) -> str:
    if key is None:
        raise ValueError("hmac-sha256 needs a key")
    return _sha256(key, data)


HMAC_SHA256 = AuthMethod(
    name="hmac-sha256",
    key_required=True,
    digest=hmac_sha256_digest,
    heartbeat_compatible=False,
)


@hookimpl
def hacore_auth_methods() -> Sequence[AuthMethod]:
    return [HMAC_SHA256]
