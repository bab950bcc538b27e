"""Fan-out of daemon events to any number of API watchers, without back-pressure.

The daemon publishes from its hot path; a watcher may be a ``hactl events`` on a
stalled terminal. Each subscriber therefore gets its own bounded queue, and
publishing never waits: when a queue is full the new event is dropped and counted in
an :class:`EventsLost` marker that sits at the end of the queue (so the queue holds at
most ``maxsize + 1`` items). The watcher sees every event up to the gap, then the
marker, then events again once it has caught up.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from hacore.control.model import Event, EventsLost, TimedEvent

DEFAULT_QUEUE_SIZE = 1000


class Subscription:
    """One watcher's queue; iterate it, and ``aclose()`` it when done."""

    def __init__(self, hub: EventHub, maxsize: int) -> None:
        self._hub = hub
        self._maxsize = maxsize
        self._items: deque[TimedEvent] = deque()
        self._ready = asyncio.Event()
        self._closed = False

    def _offer(self, item: TimedEvent) -> None:
        if len(self._items) < self._maxsize:
            self._items.append(item)
        else:
            last = self._items[-1]
            if isinstance(last.event, EventsLost):
                self._items[-1] = TimedEvent(last.wall, EventsLost(last.event.count + 1))
            else:
                self._items.append(TimedEvent(item.wall, EventsLost(1)))
        self._ready.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> TimedEvent:
        while not self._items:
            if self._closed:
                raise StopAsyncIteration
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._hub._discard(self)
            self._ready.set()

    @property
    def pending(self) -> int:
        return len(self._items)


class EventHub:
    """Publish once, deliver to every current subscriber (see module docstring)."""

    def __init__(
        self, maxsize: int = DEFAULT_QUEUE_SIZE, wall: Callable[[], float] = time.time
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._maxsize = maxsize
        self._wall = wall
        self._subscribers: set[Subscription] = set()

    def subscribe(self) -> Subscription:
        sub = Subscription(self, self._maxsize)
        self._subscribers.add(sub)
        return sub

    def publish(self, event: Event, wall: float | None = None) -> None:
        item = TimedEvent(self._wall() if wall is None else wall, event)
        for sub in self._subscribers:
            sub._offer(item)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    async def close(self) -> None:
        """End every subscription (each watcher sees the end of its stream)."""
        for sub in list(self._subscribers):
            await sub.aclose()

    def _discard(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)
