"""The watchdog against a FIFO stand-in (never the machine's /dev/watchdog)."""

from __future__ import annotations

import time
from pathlib import Path

from hacore.fencing.watchdog import Watchdog
from halab.watchdog_standin import WatchdogStandIn


def _wait(predicate: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_open_feed_and_magic_close(tmp_path: Path) -> None:
    standin = WatchdogStandIn(tmp_path / "wd")
    standin.start()
    try:
        watchdog = Watchdog(standin.path, deadtime_ms=30000)
        assert watchdog.timeout_s == 31, "deadtime + 10 ms, rounded up to seconds"
        assert watchdog.open() and watchdog.is_open
        for _ in range(3):
            watchdog.feed()
        watchdog.close(disarm=True)
        _wait(lambda: standin.closed_at is not None)
        assert [byte for _, byte in standin.writes] == [b"\0"] * 4 + [b"V"]
        assert standin.magic_closed and watchdog.feeds == 4
    finally:
        standin.stop()


def test_self_fence_close_leaves_it_armed(tmp_path: Path) -> None:
    standin = WatchdogStandIn(tmp_path / "wd")
    standin.start()
    try:
        watchdog = Watchdog(standin.path, deadtime_ms=500)
        watchdog.open()
        watchdog.close(disarm=False)
        _wait(lambda: standin.closed_at is not None)
        assert not standin.magic_closed
    finally:
        standin.stop()


def test_missing_or_readerless_device_is_logged_not_fatal(tmp_path: Path) -> None:
    assert Watchdog(tmp_path / "none", 500).open() is False
    standin = WatchdogStandIn(tmp_path / "wd")
    standin.start()
    standin.stop()  # the FIFO is gone with its reader
    watchdog = Watchdog(standin.path, 500)
    assert watchdog.open() is False
    watchdog.feed()  # nothing open: a no-op
    assert watchdog.feeds == 0
