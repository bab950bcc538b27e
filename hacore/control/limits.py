"""How many API connections hacored serves, for how long, and the descriptors it keeps
for what matters more (docs/api.md, "Limits").

Every API connection costs the daemon three file descriptors (the caller's socket, the
relay's socket to the gRPC server, and that server's end). Unbounded, idle callers can
exhaust the descriptor limit, and then a takeover fails starting its first resource
(``EMFILE``). So the daemon raises its soft limit to the hard one at start, serves at
most :data:`MAX_API_CONNECTIONS`, closes callers that stay silent or idle, and refuses
new callers while fewer than a reserve of descriptors remain.
"""

from __future__ import annotations

import os
import resource
import time

import structlog

FDS_PER_CONNECTION = 3  # the caller's socket, the relay's, the gRPC server's
MAX_API_CONNECTIONS = 64
"""API connections served at once; more are closed as soon as they are accepted."""
FIRST_BYTES_TIMEOUT_S = 10.0
"""A caller that sends nothing this long after connecting is disconnected."""
IDLE_TIMEOUT_S = 300.0
"""A connection with no call in progress this long is closed (gRPC's max_connection_idle)."""
FD_RESERVE = 256
"""Descriptors kept free for resource actions: no new API connection below this margin
(a quarter of the limit when the limit is small)."""
REPORT_INTERVAL_S = 60.0

_original_soft: int | None = None


def raise_fd_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; return the limit now in force.

    Children get the original soft limit back (see :func:`restore_child_fd_limit`):
    programs that still use ``select()`` or close every possible descriptor at start
    expect the usual 1024.
    """
    global _original_soft
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if _original_soft is None:
        _original_soft = soft
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


def restore_child_fd_limit() -> None:
    """In a child before exec: the soft limit hacored itself was started with."""
    if _original_soft is not None:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if _original_soft < soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (_original_soft, hard))


def descriptors_left(reserve: int = FD_RESERVE) -> int:
    """Descriptors still free above the reserve (negative: inside the reserve). Counting
    them takes one descriptor: when even that one is refused, none is left (the caller
    must not die of it: it was the accept loop, and the API with it)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return reserve
    try:
        in_use = len(os.listdir("/proc/self/fd")) - 1  # less the one listdir used
    except OSError:
        return -min(reserve, soft // 4)
    return soft - in_use - min(reserve, soft // 4)


class Throttled:
    """One warning line per ``interval`` for a recurring condition, with the count of
    the occurrences it stands for, so a flood of refusals or accept errors cannot flood
    the log."""

    def __init__(self, event: str, interval: float = REPORT_INTERVAL_S) -> None:
        self._event = event
        self._interval = interval
        self._last = -interval
        self._held = 0

    def warn(self, msg: str, **context: object) -> None:
        now = time.monotonic()
        self._held += 1
        if now - self._last < self._interval:
            return
        count, self._held, self._last = self._held, 0, now
        structlog.get_logger("hacore.control").warning(
            self._event, msg=f"{msg} ({count} in the last {self._interval:g} s)", **context
        )
