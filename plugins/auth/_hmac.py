"""HMAC (RFC 2104) with the key's pads hashed once, for the methods that sign every packet.

``hmac.digest`` starts from the key on every call (a provider look-up, two key blocks
hashed); a heartbeat signs and checks with the same few authkeys keys all day. Here the
inner and outer hash states after each key's pad block are kept, and a signature costs
two copies and two updates of those states. The result is the same HMAC, byte for byte
(the RFC 2202 and 4231 vectors in tests/wire check it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

MAX_KEYS = 16
"""Keys remembered per method: authkeys holds a handful; a reload may bring new ones."""

_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def keyed_hex_digest(algorithm: str) -> Callable[[bytes, bytes], str]:
    """``digest(key, data)``: the lowercase hex HMAC of ``data`` under ``key``."""
    pads: dict[bytes, tuple[Any, Any]] = {}
    block = hashlib.new(algorithm).block_size

    def states(key: bytes) -> tuple[Any, Any]:
        padded = hashlib.new(algorithm, key).digest() if len(key) > block else key
        padded = padded.ljust(block, b"\0")
        found = (
            hashlib.new(algorithm, padded.translate(_IPAD)),
            hashlib.new(algorithm, padded.translate(_OPAD)),
        )
        if len(pads) >= MAX_KEYS:
            pads.clear()
        pads[key] = found
        return found

    def digest(key: bytes, data: bytes) -> str:
        found = pads.get(key)
        inner, outer = found if found is not None else states(key)
        inner = inner.copy()
        inner.update(data)
        outer = outer.copy()
        outer.update(inner.digest())
        return str(outer.hexdigest())

    return digest
