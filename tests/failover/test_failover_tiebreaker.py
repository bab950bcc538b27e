"""The tiebreaker's engine side (ISOLATED) through whole stories rather than single rows:
what is in flight when the node finds itself isolated, and how it comes back."""

from __future__ import annotations

from structlog.testing import capture_logs

from hacore.api import Scope
from hacore.failover.facts import WAITING_MESSAGES_MAX
from tests.failover.failover_rig import GAMMA, VIP, Rig, acquired, done, released, sent


def test_isolation_cuts_a_standby_short_and_keeps_nothing() -> None:
    r = Rig().stable_pair()
    r.standby()
    r.ask("all", "other")  # role A: the VIP is being released for the peer
    out = r.tiebreaker_lost()
    assert [d.detail for d in done(out)] == ["standby cancelled: isolated"]
    assert r.standby_state == "NOT" and r.node == "ISOLATED"
    r.finish()
    assert acquired(r.log) == [], "a cancelled standby must not want the set back"
    assert r.engine.local_state(VIP) == "stopped"


def test_a_start_in_flight_when_isolated_is_stopped_once_it_completes() -> None:
    r = Rig()
    r.comm_up()
    r.msg("starting")
    assert acquired(r.resource("none", "0")) == [VIP]
    out = r.tiebreaker_lost()
    assert released(out) == [] and r.engine.local_state(VIP) == "starting"
    assert released(r.result(VIP, "acquire", True)) == [VIP]
    r.finish()
    assert r.engine.local_state(VIP) == "stopped"


def test_a_group_that_will_not_stop_stays_claimed_while_isolated() -> None:
    """A FAILED group may still run here: isolation retries its stop, and when that fails
    too the node keeps claiming it (the peer must not start it)."""
    r = Rig().stable_pair()
    r.standby()
    r.ask("all", "other")
    r.finish(ok=False)
    assert r.engine.local_state(VIP) == "failed"
    out = r.tiebreaker_lost()
    assert released(out) == [VIP], "the stop of a FAILED group is tried again"
    r.finish(ok=False)
    assert r.engine.local_state(VIP) == "failed" and r.engine.rsc_hold() == "local"
    assert r.node == "ISOLATED"


def test_operator_requests_and_failback_wait_while_isolated() -> None:
    r = Rig().alone_holding_all()
    r.tiebreaker_lost()
    r.finish()
    assert not done(r.takeover(Scope.ALL))[0].ok
    assert acquired(r.tick(5.0)) == [], "no timer acquires anything while isolated"
    out = r.tiebreaker_regained()
    assert acquired(out) == [VIP, GAMMA] and r.node == "STABLE"
    assert sent(out)[0] == f"ip-request-resp dest=node1 ipaddr={VIP} weown=yes ok=OK"


def test_the_tiebreaker_may_come_and_go() -> None:
    r = Rig().isolated_pair()
    assert sent(r.tiebreaker_regained()) == [] and r.node == "ISOLATED"
    out = r.tiebreaker_lost()
    assert released(out) == [] and r.node == "ISOLATED"
    r.dead()
    assert r.engine.holder(VIP) is None, "cut off: the peer's death changes nothing yet"
    assert acquired(r.tiebreaker_regained()) == [VIP, GAMMA]


def test_the_peer_heard_after_the_tiebreaker_came_back_negotiates_once_it_can_hear() -> None:
    """Link and tiebreaker come back together: the isolated node must not have sent its
    `starting` into the void before the peer can hear it."""
    r = Rig().isolated_pair()
    assert sent(r.tiebreaker_regained()) == []
    out = r.alive()
    assert sent(out) == ["starting"] and r.node == "STARTING"
    out = r.resource("local", "1")  # the peer kept only its own group: the VIP is ours
    assert acquired(out) == [VIP] and r.node == "STABLE"


def test_a_returning_peer_that_speaks_before_its_status_still_gets_its_groups_back() -> None:
    """The peer was isolated, we took its groups over. The link heals: the peer hears our
    status first and at once reports and negotiates (as at start-up), all before its own
    status reaches us. Those messages wait for the status: read while we still held the
    peer dead, its stable report refused the failback ("alone"), and the partition heal
    that followed marked the peer unstable again with nothing left to make it report, so
    the failback never came (the tiebreaker lab test, one run in four)."""
    r = Rig().stable_pair()
    r.dead()
    r.finish()
    assert r.engine.holder(GAMMA) == "node1"
    r.resource("none", "0")  # its split-brain report, sent while isolated
    r.msg("starting")
    r.resource("none", "1")  # after our holdings: stable, holding nothing
    r.healed()
    r.returned()
    r.tick(3.0)
    assert "ask_resources rsc_hold=foreign info=me" in sent(r.log), sent(r.log)


def test_what_an_old_instance_said_while_held_dead_is_dropped_when_it_restarts() -> None:
    r = Rig().stable_pair()
    r.dead()
    r.finish()
    r.log.clear()
    r.msg("starting", hg="5")  # the old instance, before it died for good
    r.engine.on_peer_restarted("node2", r.now, 6)
    assert "resource" not in " ".join(sent(r.alive())), "the old starting was answered"
    out = r.msg("starting", hg="6")
    assert any(m.startswith("resource rsc_hold=") for m in sent(out)), sent(out)


def test_a_peer_held_dead_that_keeps_talking_has_its_oldest_messages_dropped() -> None:
    r = Rig().stable_pair()
    r.dead()
    r.finish()
    r.log.clear()
    r.msg("starting")  # the oldest: it goes
    with capture_logs() as logs:
        for _ in range(WAITING_MESSAGES_MAX):
            r.resource("none", "0")
    assert [e["type"] for e in logs if e["event"] == "peer_message_dropped"] == ["starting"]
    out = r.alive()
    assert sent(out) == [], "the dropped starting was answered"
