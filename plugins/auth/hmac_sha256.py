"""``hmac-sha256``: an authkeys method only hacore nodes understand.

Heartbeat 3.0.6 has no such plugin and refuses to start with it in authkeys
(``Invalid authtype``), so use it only when every node runs hacore. The wire
format is unchanged: ``"<index> <64 lowercase hex digits>"``.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from hacore.api import AuthMethod
from hacore.hookspecs import hookimpl


def hmac_sha256_digest(key: bytes | None, data: bytes) -> str:
    if key is None:
        raise ValueError("hmac-sha256 needs a key")
    return hmac.digest(key, data, "sha256").hex()


HMAC_SHA256 = AuthMethod(
    name="hmac-sha256",
    key_required=True,
    digest=hmac_sha256_digest,
    heartbeat_compatible=False,
)


@hookimpl
def hacore_auth_methods() -> Sequence[AuthMethod]:
    return [HMAC_SHA256]
