"""Rate limiting for log lines a misbehaving or hostile peer could repeat every packet."""

from __future__ import annotations

from typing import Any

WINDOW_S = 10.0
MAX_KEYS = 1024
"""A safety net: keys are configured names (nodes, links), so a real cluster stays far
below; should a caller ever pass a name a peer chose, extra keys share one slot per event
instead of growing the table or resetting every window."""
OVERFLOW_KEY = "*"


class Throttle:
    """At most one line per (event, key) per window; the next one says how many were hidden.

    The key must be something the configuration bounds (a node or link name), never a
    name taken from a packet: a sender inventing a new name per packet would otherwise
    get a line each. Time comes from the caller (the engine's injected clock), so tests
    stay deterministic.
    """

    def __init__(self, logger: Any, window: float = WINDOW_S) -> None:
        self._log = logger
        self._window = window
        self._state: dict[tuple[str, str], list[float]] = {}  # key -> [window start, hidden]

    def __call__(self, level: str, event: str, key: str, now: float, **kw: Any) -> None:
        slot = (event, key)
        state = self._state.get(slot)
        if state is None and len(self._state) >= MAX_KEYS:
            slot = (event, OVERFLOW_KEY)
            state = self._state.get(slot)
        if state is not None and now - state[0] < self._window:
            state[1] += 1
            return
        hidden = int(state[1]) if state else 0
        self._state[slot] = [now, 0]
        if hidden:
            kw["suppressed"] = hidden
        getattr(self._log, level)(event, **kw)

    def __len__(self) -> int:
        """How many keys are remembered (bounded by MAX_KEYS plus one per event)."""
        return len(self._state)
