"""Rate limiting for log lines a misbehaving or hostile peer could repeat every packet."""

from __future__ import annotations

from typing import Any

WINDOW_S = 10.0
MAX_KEYS = 1024  # keys include peer-chosen names: bound the memory they can take


class Throttle:
    """At most one line per (event, key) per window; the next one says how many were hidden.

    Time comes from the caller (the engine's injected clock), so tests stay deterministic.
    """

    def __init__(self, logger: Any, window: float = WINDOW_S) -> None:
        self._log = logger
        self._window = window
        self._state: dict[tuple[str, str], list[float]] = {}  # key -> [window start, hidden]

    def __call__(self, level: str, event: str, key: str, now: float, **kw: Any) -> None:
        state = self._state.get((event, key))
        if state is not None and now - state[0] < self._window:
            state[1] += 1
            return
        if len(self._state) >= MAX_KEYS:
            self._state.clear()
        hidden = int(state[1]) if state else 0
        self._state[(event, key)] = [now, 0]
        if hidden:
            kw["suppressed"] = hidden
        getattr(self._log, level)(event, **kw)
