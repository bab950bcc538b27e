"""EventHub: bounded per-subscriber queues that never block the publisher."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hacore.api import LinkStatus, LinkStatusChanged
from hacore.control.events import EventHub
from hacore.control.model import EventsLost, EventSubscription, TimedEvent


def link_event(i: int) -> LinkStatusChanged:
    return LinkStatusChanged("node2", f"eth{i}", LinkStatus.UP, LinkStatus.DEAD)


async def drain(sub: EventSubscription) -> list[TimedEvent]:
    out = []
    while sub.pending:  # type: ignore[attr-defined]
        out.append(await sub.__anext__())
    return out


async def test_every_subscriber_gets_every_event_with_its_wall_time() -> None:
    hub = EventHub(wall=lambda: 42.0)
    a, b = hub.subscribe(), hub.subscribe()
    assert isinstance(a, EventSubscription)
    hub.publish(link_event(1))
    hub.publish(link_event(2), wall=7.0)
    assert [(e.wall, e.event) for e in await drain(a)] == [
        (42.0, link_event(1)),
        (7.0, link_event(2)),
    ]
    assert len(await drain(b)) == 2


async def test_overflow_becomes_one_marker_then_delivery_resumes() -> None:
    hub = EventHub(maxsize=3)
    sub = hub.subscribe()
    for i in range(10):
        hub.publish(link_event(i))
    got = [e.event for e in await drain(sub)]
    assert got == [link_event(0), link_event(1), link_event(2), EventsLost(7)]
    hub.publish(link_event(10))
    assert [e.event for e in await drain(sub)] == [link_event(10)]


async def test_waiting_subscriber_wakes_and_close_ends_iteration() -> None:
    hub = EventHub()
    sub = hub.subscribe()
    received: list[TimedEvent] = []

    async def consume() -> None:
        async for item in sub:
            received.append(item)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    hub.publish(link_event(1))
    await asyncio.sleep(0.01)
    assert len(received) == 1
    hub.publish(link_event(2))
    await hub.close()  # queued events are still delivered, then the stream ends
    await asyncio.wait_for(task, 1)
    assert [e.event for e in received] == [link_event(1), link_event(2)]
    assert hub.subscriber_count == 0


async def test_closed_subscription_stops_receiving() -> None:
    hub = EventHub()
    sub = hub.subscribe()
    await sub.aclose()
    hub.publish(link_event(1))
    assert sub.pending == 0
    with pytest.raises(StopAsyncIteration):
        await sub.__anext__()


def test_maxsize_must_be_positive() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        EventHub(maxsize=0)


@settings(max_examples=200, deadline=None)
@given(
    maxsize=st.integers(1, 6),
    ops=st.lists(st.one_of(st.just("take"), st.integers(1, 5)), max_size=40),
)
def test_no_event_is_lost_silently(maxsize: int, ops: list[str | int]) -> None:
    """Whatever the interleaving: delivered events are in order, the queue never holds
    more than maxsize + 1 items, and every dropped event is counted by a marker."""

    async def scenario() -> None:
        hub = EventHub(maxsize=maxsize)
        sub = hub.subscribe()
        published = 0
        delivered: list[TimedEvent] = []
        for op in ops:
            if op == "take":
                if sub.pending:
                    delivered.append(await sub.__anext__())
            else:
                for _ in range(int(op)):
                    hub.publish(link_event(published))
                    published += 1
            assert sub.pending <= maxsize + 1
        delivered += await drain(sub)
        seen = [int(e.event.link[3:]) for e in delivered if isinstance(e.event, LinkStatusChanged)]
        lost = sum(e.event.count for e in delivered if isinstance(e.event, EventsLost))
        assert seen == sorted(seen)
        assert len(seen) + lost == published
        kinds = [isinstance(e.event, EventsLost) for e in delivered]
        assert not any(a and b for a, b in itertools.pairwise(kinds))

    asyncio.run(scenario())
