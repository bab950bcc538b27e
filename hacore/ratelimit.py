"""Rate-limited warnings for dropped packets.

A flood of forged or garbage packets must not flood the log. The key is what we control
(the reason and the link), never a name the sender chose: a sender inventing a new name per
packet would otherwise get a line each and grow the table without bound.
"""

from __future__ import annotations

import time

import structlog

from hacore.membership.throttle import Throttle
from hacore.wire.printable import printable
from hacore.wire.signing import PacketRejected

log = structlog.get_logger("hacore.node")

AUTH_FAILURES = frozenset({"bad_signature", "missing_signature", "unknown_key_index"})
WARN_INTERVAL_S = 10.0


class DropWarnings:
    """One line per (reason, link) every ``WARN_INTERVAL_S``, saying how many were held back
    (the membership engine's :class:`~hacore.membership.throttle.Throttle`, on the clock)."""

    def __init__(self, interval_s: float = WARN_INTERVAL_S) -> None:
        self._throttle = Throttle(log, interval_s)

    def warn(self, exc: PacketRejected, link: str) -> None:
        text = None
        if exc.reason in AUTH_FAILURES:
            text = f"string2msg_ll: node [{printable(exc.src)}] failed authentication"
        self._throttle(
            "warning",
            "packet_dropped",
            f"{exc.reason}/{link}",
            time.monotonic(),
            msg=text,
            reason=exc.reason,
            link=link,
            src=printable(exc.src) if exc.src is not None else None,
            detail=exc.detail,
        )
