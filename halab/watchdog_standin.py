"""A stand-in for /dev/watchdog: a FIFO whose reader records every byte and when.

hacored is pointed at the FIFO (``watchdog /var/lib/hacore/watchdog`` in a lab node) and
writes it as it would the device: one byte per keepalive, ``V`` before a clean close.
The reader checks the cadence (``longest_gap``) and the magic close (``magic_closed``).
The machine's real watchdog is never opened.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import select
import threading
import time
from pathlib import Path


class WatchdogStandIn:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.writes: list[tuple[float, bytes]] = []  # (time.monotonic(), byte)
        self.closed_at: float | None = None  # the writer closed its end
        self._stop = threading.Event()
        self._fd: int | None = None
        self._thread = threading.Thread(target=self._run, name="watchdog-standin", daemon=True)

    def start(self) -> None:
        """Create the FIFO and open its reading end (the daemon's open needs a reader)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(self.path, 0o600)
        self._fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def feeds(self, since: float = 0.0) -> list[float]:
        return [t for t, byte in self.writes if byte != b"V" and t >= since]

    def longest_gap(self, since: float, until: float) -> float:
        """The longest time without a feed between ``since`` and ``until``."""
        marks = [since, *(t for t in self.feeds(since) if t <= until), until]
        return max(b - a for a, b in itertools.pairwise(marks))

    @property
    def magic_closed(self) -> bool:
        """The last byte before the writer closed was the magic 'V'."""
        return self.closed_at is not None and bool(self.writes) and self.writes[-1][1] == b"V"

    def _run(self) -> None:
        assert self._fd is not None
        opened = False
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fd], [], [], 0.05)
            if not ready:
                continue
            data = os.read(self._fd, 4096)
            now = time.monotonic()
            if not data:
                if opened and self.closed_at is None:
                    self.closed_at = now  # every writer is gone
                time.sleep(0.01)  # a FIFO without writers reads EOF at once: do not spin
                continue
            opened = True
            self.closed_at = None
            self.writes += [(now, data[i : i + 1]) for i in range(len(data))]
