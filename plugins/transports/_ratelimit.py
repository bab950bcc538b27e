"""Rate-limited failure reporting shared by every transport.

A dead link fails on every keepalive (once a second, per medium); logging each failure
would bury the one line an operator needs. The first failure is logged at once, later
ones at most every ``interval`` seconds with the number that were not shown.
"""

from __future__ import annotations

import time
from typing import Any

import structlog

log = structlog.get_logger("hacore.transport")

LOG_INTERVAL_S = 10.0


class FailureLog:
    """Counts the failures of one transport and logs them without flooding."""

    def __init__(self, link: str, medium: str, interval: float = LOG_INTERVAL_S) -> None:
        self.link = link
        self.medium = medium
        self.interval = interval
        self.count = 0
        self._unlogged = 0
        self._last_logged: float | None = None

    def report(self, event: str, **context: Any) -> None:
        self.count += 1
        now = time.monotonic()
        if self._last_logged is not None and now - self._last_logged < self.interval:
            self._unlogged += 1
            return
        log.warning(
            event,
            link=self.link,
            medium=self.medium,
            not_logged_since_last=self._unlogged,
            **context,
        )
        self._unlogged = 0
        self._last_logged = now
