"""Rate-limited warnings for dropped packets.

A flood of forged or garbage packets must not flood the log. The key is what we control
(the reason and the link), never a name the sender chose: a sender inventing a new name per
packet would otherwise get a line each and grow the table without bound.
"""

from __future__ import annotations

import time

import structlog

from hacore.wire.printable import printable
from hacore.wire.signing import PacketRejected

log = structlog.get_logger("hacore.node")

AUTH_FAILURES = frozenset({"bad_signature", "missing_signature", "unknown_key_index"})
WARN_INTERVAL_S = 10.0


class DropWarnings:
    """One line per (reason, link) every ``WARN_INTERVAL_S``, saying how many were held back."""

    def __init__(self, interval_s: float = WARN_INTERVAL_S) -> None:
        self._interval = interval_s
        self._last: dict[tuple[str, str], float] = {}
        self._held: dict[tuple[str, str], int] = {}

    def warn(self, exc: PacketRejected, link: str) -> None:
        key = (exc.reason, link)
        now = time.monotonic()
        if now - self._last.get(key, -1e9) < self._interval:
            self._held[key] = self._held.get(key, 0) + 1
            return
        self._last[key] = now
        suppressed = self._held.pop(key, 0)
        text = None
        if exc.reason in AUTH_FAILURES:
            text = f"string2msg_ll: node [{printable(exc.src)}] failed authentication"
        log.warning(
            "packet_dropped",
            msg=text,
            reason=exc.reason,
            link=link,
            src=printable(exc.src) if exc.src is not None else None,
            detail=exc.detail,
            suppressed=suppressed or None,
        )
