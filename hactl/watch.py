"""``--watch [SECONDS]``: redraw a read command until Ctrl-C, like watch(1).

On a terminal each refresh redraws the screen in place under a header naming the
command and the time. Off a terminal (a log, a pipe) refreshes follow one another,
each with its header; with ``--json`` each refresh is one JSON object on one line.

A daemon that is restarting, slow or refusing is shown in the frame and the watch
goes on: an operator watches precisely while things change. Only errors that no
refresh can cure (a bad argument, permission denied) end it.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TextIO

from hactl.client import Exit, HactlError

Frame = Callable[[], Awaitable[tuple[list[str], Exit]]]
FATAL = frozenset({Exit.USAGE, Exit.PERMISSION})

_HOME = "\033[H"
_CLEAR_LINE = "\033[K"
_CLEAR_BELOW = "\033[J"


async def watch(
    frame: Frame,
    *,
    title: str,
    interval: float,
    count: int = 0,
    json_lines: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> Exit:
    """Refresh every ``interval`` s (``count`` times, 0 = until interrupted).

    Returns the exit code of the last refresh (``--check`` makes it say unhealthy).
    """
    tty = out.isatty()
    shown = 0
    due = time.monotonic()
    while True:
        try:
            lines, code = await frame()
        except HactlError as exc:
            if exc.code in FATAL:
                raise
            lines, code = [f"hactl: {exc.message}"], exc.code
            if json_lines:
                err.write(lines[0] + "\n")
                err.flush()
                lines = []
        if json_lines:
            out.write("".join(line + "\n" for line in lines))
        elif tty:
            screen = [_header(title, interval), "", *lines]
            out.write(_HOME + "".join(f"{line}{_CLEAR_LINE}\n" for line in screen) + _CLEAR_BELOW)
        else:
            out.write("".join(line + "\n" for line in [_header(title, interval), "", *lines, ""]))
        out.flush()
        shown += 1
        if count and shown >= count:
            return code
        due = max(due + interval, time.monotonic())
        await asyncio.sleep(due - time.monotonic())


def _header(title: str, interval: float) -> str:
    return f"Every {interval:g}s: {title}    {time.strftime('%Y-%m-%d %H:%M:%S')}"
