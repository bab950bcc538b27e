"""The wire messages of haresources failover (docs/protocol.md §4.3), built and read.

Builders return unstamped messages with the type-specific fields in the order the
real daemon emits them; the daemon adds the control fields. Readers turn a received
message into a small typed value, or None when a field is missing or unknown (the
caller logs and ignores it: a malformed message must never move a group).
"""

from __future__ import annotations

from dataclasses import dataclass

from hacore.failover.holdings import Hold, parse_hold
from hacore.wire.message import Message

STONITH_NOT_CONFIGURED = "n_stnth"
FAILED_FIELD = "hacore_failed"
"""hacore extension of ``resource`` reports: the keys of the groups whose monitored
resources keep failing on the sender (space-separated; absent: none). Heartbeat ignores
fields it does not know, and hacore sends it only when there is something to say."""

FAILOVER_MESSAGE_TYPES = frozenset(
    {
        "starting",
        "resource",
        "ask_resources",
        "hb_takeover",
        "shutdone",
        "stonith",
        "ip-request",
        "ip-request-resp",
    }
)
"""Every message type this module builds: the daemon hands these to the engine (which
reads all but ``stonith``, a notice for the log) and the rest to helpers and observers."""


def starting() -> Message:
    return Message(("t", "starting"))


def resource(hold: Hold, *, stable: bool, info: str | None = None) -> Message:
    """``resource rsc_hold=.. rtype=full isstable=0|1 [info=..]``: a full holdings report."""
    msg = Message(
        ("t", "resource"),
        ("rsc_hold", hold.word),
        ("rtype", "full"),
        ("isstable", "1" if stable else "0"),
    )
    if info is not None:
        msg.add("info", info)
    return msg


def mach_down() -> Message:
    """What Heartbeat's mach_down script sends after taking a dead node's groups."""
    return Message(("t", "resource"), ("rsc_hold", "foreign"), ("info", "mach_down"))


def ask_resources(hold: Hold, info: str) -> Message:
    """The standby protocol message; ``info`` is ``me``, ``other`` or ``done``."""
    return Message(("t", "ask_resources"), ("rsc_hold", hold.word), ("info", info))


def hb_takeover(word: str) -> Message:
    return Message(("t", "hb_takeover"), ("rsc_hold", word))


def shutdone() -> Message:
    return Message(("t", "shutdone"), ("st", "dead"))


def stonith(node: str, result: str) -> Message:
    return Message(("t", "stonith"), ("node", node), ("result", result))


def ip_request(key: str) -> Message:
    return Message(("t", "ip-request"), ("ipaddr", key))


def ip_request_resp(dest: str, key: str, *, weown: bool) -> Message:
    return Message(
        ("t", "ip-request-resp"),
        ("dest", dest),
        ("ipaddr", key),
        ("weown", "yes" if weown else "no"),
        ("ok", "OK"),
    )


def add_failed(msg: Message, keys: frozenset[str] | set[str]) -> Message:
    """Name the groups that keep failing here in a ``resource`` report (if any)."""
    if keys:
        msg.add(FAILED_FIELD, " ".join(sorted(keys)))
    return msg


@dataclass(frozen=True)
class ResourceReport:
    """A peer's ``resource`` message.

    ``full`` replaces what we knew (``rtype=full``); otherwise the bits are ORed in and
    ``none`` clears them (Heartbeat's HB_UPD_RSC). ``stable`` is None when the message
    carries no ``isstable`` (the mach_down script's report). ``failed``: the groups the
    sender's monitoring gave up (:data:`FAILED_FIELD`; Heartbeat never sends it).
    """

    hold: Hold
    full: bool
    stable: bool | None
    info: str | None
    failed: frozenset[str] = frozenset()

    def merge(self, known: Hold) -> Hold:
        if self.full or self.hold == Hold.NONE:
            return self.hold
        return known | self.hold


def read_resource(msg: Message) -> ResourceReport | None:
    hold = parse_hold(msg.get("rsc_hold"))
    if hold is None:
        return None
    stable_word = msg.get("isstable")
    stable = None if stable_word is None else stable_word == "1"
    failed = frozenset((msg.get(FAILED_FIELD) or "").split())
    return ResourceReport(hold, msg.get("rtype") == "full", stable, msg.get("info"), failed)


@dataclass(frozen=True)
class StandbyMessage:
    """A peer's ``ask_resources``: ``hold`` is relative to the node going standby."""

    hold: Hold
    info: str


def read_ask_resources(msg: Message) -> StandbyMessage | None:
    info = msg.get("info")
    word = msg.get("rsc_hold")
    # Heartbeat reads a missing rsc_hold as "all".
    hold = Hold.ALL if word is None else parse_hold(word)
    if hold is None or info not in ("me", "other", "done"):
        return None
    return StandbyMessage(hold, info)
