"""Heartbeat's time syntax (cluster-glue ``cl_get_msec``), reproduced quirk for quirk.

ha.cf files written for Heartbeat must mean the same thing here: ``2`` is two seconds,
``500ms`` half a second, and ``2s`` is an error (glue has no ``s`` unit). Like glue, only
the first two letters of the unit are compared (``10msec`` works, so does ``10msx``), the
number is read the way ``atof`` reads it (``1.2.3`` is 1.2) and the result is rounded
half up to a whole millisecond (``499us`` is 0).
"""

from __future__ import annotations

import math
import re

_NUMCHARS = "0123456789."
_WHITESPACE = " \t\n\r\f"
_ATOF_PREFIX = re.compile(r"\d*(?:\.\d*)?")


def parse_msec(text: str) -> int:
    """Convert Heartbeat time text to milliseconds; ``ValueError`` when glue says -1."""
    start = text.lstrip(_WHITESPACE)
    digits_end = len(start) - len(start.lstrip(_NUMCHARS))
    if digits_end == 0:
        raise ValueError(f"[{text}] is not a time: it must start with a number")
    units = start[digits_end:].lstrip(_WHITESPACE)
    multiplier, divisor = _units(units, text)
    number = _ATOF_PREFIX.match(start)
    assert number is not None  # the pattern matches the empty string
    value = float(number.group()) if any(c.isdigit() for c in number.group()) else 0.0
    value = value * multiplier / divisor + 0.5
    if not math.isfinite(value):
        raise ValueError(f"[{text}] is too large")
    return int(value)


def _units(units: str, text: str) -> tuple[int, int]:
    prefix = units[:2].lower()
    if prefix == "ms":
        return 1, 1
    if prefix == "us":
        return 1, 1000
    if units:
        raise ValueError(
            f"[{text}] has an unknown unit: use a plain number of seconds (2, 1.5), "
            "ms or us (500ms); 's' is not accepted"
        )
    return 1000, 1
