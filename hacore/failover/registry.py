"""Where the names in the transition tables meet the code that runs them.

A table row names its guard and actions as strings; rule modules register one function
per name with :func:`guard` and :func:`action`. Keeping the table as plain data is what
lets ``docs/failover.md`` be rendered from exactly what the engine executes, and lets
a test prove every name has both an implementation and a description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from hacore.failover.holdings import Hold

if TYPE_CHECKING:
    from hacore.failover.machine import Failover

Origin = Literal["api", "peer", "failback", "offer", "takeover"]
"""Who started a standby: the operator here, the peer's hb_takeover, auto-failback,
an offer of a group that failed to start here, or (role B) our own hb_takeover."""


@dataclass
class Ctx:
    """One event and its data, as guards and actions see it."""

    event: str
    hold: Hold = Hold.NONE  # rsc_hold of a message or standby set, relative to its sender
    origin: Origin = "api"
    key: str = ""  # group key (group events, ip-request...)
    ok: bool = True  # job result
    failed: tuple[str, ...] = ()  # keys a job could not bring to its target
    became_stable: bool = False  # this report turned the peer stable
    word: str = ""  # raw word from a message (hb_takeover rsc_hold, ip-request-resp weown)
    text: str = ""  # why (a cancelled standby)


GuardFn = Callable[["Failover", Ctx], bool]
ActionFn = Callable[["Failover", Ctx, str], None]

GUARD_FUNCTIONS: dict[str, GuardFn] = {}
ACTION_FUNCTIONS: dict[str, ActionFn] = {}


def guard(name: str) -> Callable[[GuardFn], GuardFn]:
    def register(fn: GuardFn) -> GuardFn:
        if name in GUARD_FUNCTIONS:
            raise ValueError(f"guard {name!r} registered twice")
        GUARD_FUNCTIONS[name] = fn
        return fn

    return register


def action(name: str) -> Callable[[ActionFn], ActionFn]:
    def register(fn: ActionFn) -> ActionFn:
        if name in ACTION_FUNCTIONS:
            raise ValueError(f"action {name!r} registered twice")
        ACTION_FUNCTIONS[name] = fn
        return fn

    return register
