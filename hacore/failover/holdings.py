"""Heartbeat's ``rsc_hold`` bits: which groups a node holds, relative to that node.

Heartbeat v1 never names single groups on the wire. It splits haresources into the
sender's *local* groups (its own lines) and *foreign* groups (everyone else's) and
sends two bits. The same word therefore means different groups on each side: a
peer's ``local`` is our ``foreign``. :func:`mirror` converts between the two views.
"""

from __future__ import annotations

import enum

from hacore.api import Scope


class Hold(enum.IntFlag):
    """``rsc_hold`` as a bit set: none=0, local=1, foreign=2, all=3."""

    NONE = 0
    LOCAL = 1
    FOREIGN = 2
    ALL = 3

    @property
    def word(self) -> str:
        """The wire word (``none``/``local``/``foreign``/``all``)."""
        return _WORDS[self]


_WORDS = {Hold.NONE: "none", Hold.LOCAL: "local", Hold.FOREIGN: "foreign", Hold.ALL: "all"}
_BY_WORD = {word: hold for hold, word in _WORDS.items()}


def parse_hold(word: str | None) -> Hold | None:
    """The bits a wire word stands for; None for a missing or unknown word.

    Heartbeat turns an unknown word into ``none`` (``encode_resources: bad resource
    type``); we refuse it instead, because reading garbage as "holds nothing" could
    make us start a group the sender still runs.
    """
    if word is None:
        return None
    return _BY_WORD.get(word)


def mirror(hold: Hold) -> Hold:
    """The same groups seen from the other node (local and foreign swap)."""
    out = Hold.NONE
    if hold & Hold.LOCAL:
        out |= Hold.FOREIGN
    if hold & Hold.FOREIGN:
        out |= Hold.LOCAL
    return out


def scope_hold(scope: Scope) -> Hold:
    """hb_standby's argument as bits (relative to the node going standby)."""
    return {Scope.ALL: Hold.ALL, Scope.LOCAL: Hold.LOCAL, Scope.FOREIGN: Hold.FOREIGN}[scope]


def takeover_standby_hold(word: str) -> Hold | None:
    """What the peer's ``rc.d/hb_takeover`` asks us to give up for ``hb_takeover <word>``.

    all→all, local→foreign, foreign→local. ``failback`` is not mapped by the script,
    so hb_standby runs without an argument, which means all (Heartbeat's quirk, kept).
    """
    return {
        "all": Hold.ALL,
        "local": Hold.FOREIGN,
        "foreign": Hold.LOCAL,
        "failback": Hold.ALL,
    }.get(word)
