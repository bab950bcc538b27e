"""What a monitored resource's failures add up to: restart it here, or give up.

Pure bookkeeping on a clock the caller passes in, so every rule is tested without
waiting. Pacemaker calls the count a fail count and the window a failure timeout;
the rule is keepalived-simple: a failure is restarted in place while fewer than
``restarts`` restarts happened within the last ``window`` seconds; the next one gives
up, and the core then moves the group to the peer. A cleanup (``hactl cleanup``) forgets
everything but the lifetime totals.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field


class Decision(enum.StrEnum):
    RESTART = "restart"
    GIVE_UP = "give_up"


@dataclass
class RestartBudget:
    """At most ``restarts`` restarts within any ``window`` seconds."""

    restarts: int
    window: float
    _recent: deque[float] = field(default_factory=deque, repr=False)

    def __post_init__(self) -> None:
        if self.restarts < 0 or self.window <= 0:
            raise ValueError("restarts must be >= 0 and window > 0")

    def decide(self, now: float) -> Decision:
        """A failure at ``now``: restart (and count it) or give up."""
        if self.used(now) < self.restarts:
            self._recent.append(now)
            return Decision.RESTART
        return Decision.GIVE_UP

    def used(self, now: float) -> int:
        """Restarts that still count at ``now`` (those less than ``window`` ago)."""
        while self._recent and now - self._recent[0] >= self.window:
            self._recent.popleft()
        return len(self._recent)

    def reset(self) -> None:
        self._recent.clear()


@dataclass
class Health:
    """One monitored resource's counters, as ``hactl status`` and the metrics show them.

    ``fail_count`` counts failures since the daemon started or the last cleanup;
    ``checks``, ``failures`` and ``restarts`` are lifetime totals (Prometheus counters).
    """

    checks: int = 0
    failures: int = 0
    restarts: int = 0
    fail_count: int = 0
    last_result: str = ""  # "ok", "not running", "timeout", "error" ("" = never checked)
    last_check_wall: float | None = None
    last_duration_s: float | None = None
    last_failure: str = ""
    last_failure_wall: float | None = None

    def checked(self, wall: float, seconds: float, result: str) -> None:
        self.checks += 1
        self.last_check_wall = wall
        self.last_duration_s = seconds
        self.last_result = result

    def failed(self, wall: float, reason: str) -> None:
        self.failures += 1
        self.fail_count += 1
        self.last_failure = reason
        self.last_failure_wall = wall

    def cleanup(self) -> int:
        """Forget the fail count; returns what it was."""
        before, self.fail_count = self.fail_count, 0
        self.last_failure = ""
        self.last_failure_wall = None
        return before
