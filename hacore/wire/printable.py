"""Peer-supplied text made safe to log.

Received string values keep undecodable bytes as lone surrogates (the codec decodes
with ``surrogateescape``), so they round-trip unchanged. A log handler encoding such a
string raises ``UnicodeEncodeError`` and the line is lost in a traceback instead, and a
newline in a name could forge a second log line. Every name or value taken from a
packet goes through :func:`printable` before it reaches a log call.
"""

from __future__ import annotations

MAX_SHOWN = 100
"""Characters of one peer-supplied value shown in a log line (Heartbeat's HOSTLENG)."""


def printable(text: str | None, limit: int = MAX_SHOWN) -> str:
    """``text`` with every character that is not printable UTF-8 escaped (a raw byte
    0xff as ``\\xff``, a newline as ``\\n``), cut to ``limit`` characters; None as ``?``."""
    if text is None:
        return "?"
    cut = text[:limit]
    try:
        raw = cut.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate the codec never produces
        raw = cut.encode("utf-8", "backslashreplace")
    shown = raw.decode("utf-8", "backslashreplace")
    if not shown.isprintable():
        shown = "".join(c if c.isprintable() else _escaped(c) for c in shown)
    return shown + "..." if len(text) > limit else shown


def _escaped(char: str) -> str:
    return char.encode("unicode_escape").decode("ascii")
