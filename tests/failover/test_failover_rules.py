"""The rules object's small interface: what sending does, and what the engine exposes."""

from __future__ import annotations

import pytest

from hacore.failover import Failover, FailoverConfig, SendMessage, messages
from hacore.failover.holdings import Hold
from hacore.failover.model import Ctx
from hacore.failover.rules import Rules
from tests.failover.failover_sim import GROUPS

CONFIG = FailoverConfig("node1", ("node1", "node2"), GROUPS, "on")


def _rules() -> tuple[Rules, list[Ctx]]:
    fired: list[Ctx] = []
    return Rules(CONFIG, lambda _n: True, fire=fired.append), fired


def test_send_raises_no_event() -> None:
    rules, fired = _rules()
    rules.send(messages.starting())
    assert rules.take_actions() == [SendMessage(messages.starting())]
    assert rules.next_event() is None and fired == []


def test_a_resource_report_goes_through_send_report_which_posts_own_resource() -> None:
    rules, fired = _rules()
    report = messages.resource(Hold.LOCAL, stable=False)
    with pytest.raises(ValueError, match="send_report"):
        rules.send(report)
    assert rules.take_actions() == []
    rules.send_report(report)
    assert rules.take_actions() == [SendMessage(report)]
    event = rules.next_event()
    assert event is not None and event.event == "own_resource"
    assert rules.next_event() is None and fired == []
    with pytest.raises(ValueError, match="not a resource report"):
        rules.send_report(messages.starting())


def test_fire_dispatches_at_once_and_post_queues() -> None:
    rules, fired = _rules()
    rules.post(Ctx("comm_up"))
    rules.fire(Ctx("cancel", text="stall"))
    assert [c.event for c in fired] == ["cancel"]
    queued = rules.next_event()
    assert queued is not None and queued.event == "comm_up"


def test_the_engine_has_no_public_state() -> None:
    """Everything the rules know is theirs; the engine offers inputs and read-only queries."""
    engine = Failover(CONFIG, lambda _n: True)
    assert [name for name in vars(engine) if not name.startswith("_")] == []
    for name in ("node", "standby", "stable", "peer_stable"):
        with pytest.raises(AttributeError):
            setattr(engine, name, None)
