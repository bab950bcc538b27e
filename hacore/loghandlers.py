"""Log destinations that a server's trouble cannot turn against the cluster.

* Files follow logrotate: before each line the file is checked by path, and a file that
  was renamed or removed is reopened (``WatchedFileHandler``), so no ``postrotate`` is
  needed (a SIGHUP reopens them too).
* Nothing a peer sends can break a line: text that cannot be encoded is written with
  backslash escapes, and control characters are escaped so a name with a newline cannot
  forge a log line (issue: non-UTF-8 node names).
* A destination that fails (full disk, a directory that became read-only, syslog gone)
  costs one line on stderr, not a traceback per record; lines are dropped until it works
  again, and the first line that gets through is preceded by a count of those lost. The
  daemon itself never sees the failure.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
import time
from pathlib import Path
from typing import Any

_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F) if c != 0x09}


def safe_text(text: str) -> str:
    """``text`` as one line of valid UTF-8, whatever bytes a peer put in it."""
    return text.translate(_ESCAPES).encode("utf-8", "backslashreplace").decode("utf-8")


class SafeFormatter(logging.Formatter):
    """Wraps the real formatter and makes its output :func:`safe_text`.

    Every handler shares this formatter, and a line goes to two or three of them (the
    log file, stderr, the debug file): it is rendered once, for the first.
    """

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self.inner = inner
        self._last: tuple[logging.LogRecord, str] | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._last is not None and self._last[0] is record:
            return self._last[1]
        text = safe_text(self.inner.format(record))
        self._last = (record, text)
        return text


def _complain(text: str) -> None:
    try:
        sys.stderr.write(f"hacored: {text}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr is gone too: there is nobody left to tell


def _reason(exc: BaseException | None) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return repr(exc)


class Degrading(logging.Handler):
    """A handler whose failures are counted and reported once per outage."""

    what = "log"
    lost = 0
    failing = False

    def handleError(self, record: logging.LogRecord) -> None:
        self.lost += 1
        if not self.failing:
            self.failing = True
            _complain(
                f"cannot write to {self.what}: {_reason(sys.exc_info()[1])}; "
                "its lines are dropped until it works again"
            )

    def _recovered(self) -> int:
        """Called after a successful write; returns how many lines were lost before it."""
        lost, self.lost = self.lost, 0
        if self.failing:
            self.failing = False
            _complain(f"writing to {self.what} again ({lost} lines lost)")
        return lost


class LogFile(Degrading, logging.handlers.WatchedFileHandler):
    """ha.cf ``logfile``/``debugfile``: follows rotation, never raises, degrades."""

    def __init__(self, path: Path, node: str) -> None:
        super().__init__(path, encoding="utf-8", errors="backslashreplace", delay=True)
        self.what = str(path)
        self.node = node

    def emit(self, record: logging.LogRecord) -> None:
        lost = self.lost
        try:
            self.reopenIfNeeded()
            if self.stream is None:
                self.stream = self._open()
                self._statstream()
            if lost and self.failing:
                self.stream.write(self._lost_line(lost) + self.terminator)
            self.stream.write(self.format(record) + self.terminator)
            self.stream.flush()
        except RecursionError:
            raise
        except Exception:
            self._drop_stream()
            self.handleError(record)
        else:
            self._recovered()

    def _lost_line(self, lost: int) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        return (
            f"{stamp} {self.node} hacored[{os.getpid()}]: WARN: {lost} log lines lost: "
            f"{self.what} could not be written [log_lines_lost count={lost}]"
        )

    def _drop_stream(self) -> None:
        """Forget a stream that failed: its buffered lines are lost, the next line reopens."""
        stream, self.stream = self.stream, None
        if stream is not None:
            # Closing flushes, which fails the same way; the descriptor is closed anyway.
            with contextlib.suppress(Exception):
                stream.close()
        self.dev, self.ino = -1, -1


class Syslog(Degrading, logging.handlers.SysLogHandler):
    def __init__(self, address: Any, facility: int) -> None:
        super().__init__(address=address, facility=facility)
        self.what = "syslog"

    def emit(self, record: logging.LogRecord) -> None:
        lost = self.lost
        super().emit(record)  # catches its own errors and calls handleError
        if self.lost == lost:
            self._recovered()


class Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """stderr (the journal under systemd); if it fails there is nowhere to say so."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def handleError(self, record: logging.LogRecord) -> None:
        pass
