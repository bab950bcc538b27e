"""Progress of a standby/takeover while hactl waits for it to finish.

On a terminal: one spinner line with the elapsed time and the latest group change,
redrawn in place. Otherwise (logs, pipes): one line per group change, plus a
"still waiting" line every few seconds of silence, so a log shows where it hung.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import TextIO

_FRAMES = "|/-\\"
_TTY_INTERVAL = 0.1
_PLAIN_QUIET = 5.0


class Progress:
    def __init__(self, title: str, stream: TextIO) -> None:
        self._title = title
        self._stream = stream
        self._tty = stream.isatty()
        self._started = time.monotonic()
        self._last_line = time.monotonic()
        self._latest = ""
        self._task: asyncio.Task[None] | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def start(self) -> None:
        """Begin showing progress. Off a terminal nothing is printed until there is news
        (a group change, or 5 s of silence): a refused move stays one error line."""
        self._task = asyncio.create_task(self._run())

    def note(self, text: str) -> None:
        """A group changed: show it."""
        self._latest = text
        if not self._tty:
            self._emit(f"[{self.elapsed:6.1f}s] {text}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._tty:
            self._stream.write("\r\033[K")
            self._stream.flush()

    async def _run(self) -> None:
        for frame in _cycle():
            if self._tty:
                line = f"{frame} {self._title} {self.elapsed:5.1f}s  {self._latest}"
                self._stream.write("\r\033[K" + line)
                self._stream.flush()
                await asyncio.sleep(_TTY_INTERVAL)
            else:
                await asyncio.sleep(1.0)
                if time.monotonic() - self._last_line >= _PLAIN_QUIET:
                    self._emit(f"[{self.elapsed:6.1f}s] {self._title}: still waiting")

    def _emit(self, line: str) -> None:
        self._last_line = time.monotonic()
        self._stream.write(line + "\n")
        self._stream.flush()


def _cycle() -> Iterator[str]:
    while True:
        yield from _FRAMES
