"""ha.cf ``watchdog DEVICE``: Heartbeat's use of a Linux watchdog device.

The device is opened at start, written one byte every keepalive from the daemon's main
loop, and closed with the magic ``V`` on a clean stop (which disarms it). A daemon whose
loop hangs, or that is stopped (SIGSTOP), stops feeding, and the kernel resets the
machine once the timeout (deadtime + 10 ms, rounded up to seconds, as Heartbeat sets it)
runs out. A self-fence (failfast) exits without the magic close on purpose.

Anything that accepts writes can stand in for the device (tests use a FIFO): the
timeout ioctl is only sent to a character device.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import struct
import time
from pathlib import Path

import structlog

log = structlog.get_logger("hacore.watchdog")

WDIOC_SETTIMEOUT = 0xC0045706  # _IOWR('W', 6, int)
MAGIC_CLOSE = b"V"


class Watchdog:
    def __init__(self, path: Path, deadtime_ms: int) -> None:
        self.path = path
        self.timeout_s = (deadtime_ms + 10 + 999) // 1000
        self._fd: int | None = None
        self.feeds = 0
        self.last_feed: float | None = None  # time.monotonic()

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    def open(self) -> bool:
        try:
            # Non-blocking: a FIFO stand-in without a reader fails at once instead of
            # hanging the daemon's start; a real device ignores the flag.
            fd = os.open(self.path, os.O_WRONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError as exc:
            log.error(
                "watchdog_open_failed",
                error=exc.strerror,
                msg=f"Cannot open watchdog device: {self.path}",
            )
            return False
        self._fd = fd
        log.info("watchdog_open", msg=f"Using watchdog device: {self.path}")
        if stat.S_ISCHR(os.fstat(fd).st_mode):
            try:
                fcntl.ioctl(fd, WDIOC_SETTIMEOUT, struct.pack("i", self.timeout_s))
            except OSError as exc:
                log.error(
                    "watchdog_timeout_failed",
                    error=exc.strerror,
                    msg=f"WDIOC_SETTIMEOUT: Failed to set watchdog timer to "
                    f"{self.timeout_s} seconds.",
                )
        self.feed()
        return True

    def feed(self) -> None:
        if self._fd is None:
            return
        try:
            os.write(self._fd, b"\0")
        except BlockingIOError:
            return  # a slow stand-in reader: the next keepalive feeds again
        except OSError as exc:
            log.error(
                "watchdog_write_failed",
                error=exc.strerror,
                msg=f"Watchdog write failure: closing {self.path}!",
            )
            self.close()
            return
        self.feeds += 1
        self.last_feed = time.monotonic()

    def close(self, *, disarm: bool = True) -> None:
        """Close the device; ``disarm`` writes the magic 'V' first (clean stop only)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if disarm:
            try:
                os.write(fd, MAGIC_CLOSE)
            except OSError as exc:
                log.error(
                    "watchdog_magic_failed",
                    error=exc.strerror,
                    msg=f"Watchdog write magic character failure: closing {self.path}!",
                )
        with contextlib.suppress(OSError):
            os.close(fd)
