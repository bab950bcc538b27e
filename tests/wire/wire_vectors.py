"""Heartbeat 3.0.6's captured packets and their authkeys, shared by the wire tests.

The capture set (real daemons in private namespaces, described in its README.md) is kept
in the repository as ``tests/data/vectors``.
"""

from __future__ import annotations

from pathlib import Path

from hacore_plugins.auth.crc import CRC
from hacore_plugins.auth.md5 import MD5
from hacore_plugins.auth.sha1 import SHA1

from hacore.config.model import AuthKey, AuthKeys

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors"
SESSIONS = VECTORS / "sessions"
SINGLE_VECTORS = sorted(VECTORS.glob("*.bin"))

# The authkeys files of the capture sessions (vectors/README.md), keyed by file prefix.
AUTHKEYS = {
    "crc": AuthKeys(active=1, keys={1: AuthKey(1, CRC, None)}),
    "md5": AuthKeys(
        active=2, keys={1: AuthKey(1, CRC, None), 2: AuthKey(2, MD5, b"md5-vector-key")}
    ),
    "sha1": AuthKeys(active=3, keys={3: AuthKey(3, SHA1, b"sha1-vector-key-3")}),
}


def authkeys_for(path: Path) -> AuthKeys:
    """The authkeys a capture file was made with (its name starts with the method)."""
    name = path.name.removeprefix("hb_")
    return AUTHKEYS[name.split("_", 1)[0]]
