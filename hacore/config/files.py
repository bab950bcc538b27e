"""Reading a configuration file with bounds, so no file can exhaust memory or the log.

Heartbeat reads its files with ``fgets`` into ``MAXLINE`` (5120 byte) buffers, so a
huge file costs it time, not memory. Reading a whole file into memory at once does not
have that property: ha.cf pointing at /dev/zero would never end and a multi-megabyte
binary file would print one error per garbage line. Here a file is read with a bound
(:data:`MAX_FILE_BYTES`), a NUL byte marks the file as binary (one error, nothing else
from that file), and a line longer than Heartbeat's buffer is one error for that line.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hacore.api import ConfigError, SourceLocation

MAX_FILE_BYTES = 1024 * 1024
"""Largest ha.cf, haresources, authkeys or nodeinfo accepted (1 MiB; real ones are < 10 KiB)."""

MAX_LINE_CHARS = 5118
"""Heartbeat's ``fgets(buf, MAXLINE)`` holds 5118 characters plus the newline and the NUL."""


def read_bounded(path: Path, shown: str) -> tuple[bytes, int]:
    """The file's bytes and permission bits; ``OSError`` if it cannot be read,
    :class:`ConfigError` if it is larger than :data:`MAX_FILE_BYTES`.

    ``O_NONBLOCK`` keeps a FIFO without a writer from hanging the open; a device such
    as /dev/zero is read only up to the bound.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        mode = stat.S_IMODE(info.st_mode)
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_FILE_BYTES:
            raise ConfigError(
                f"{shown}: file too large ({info.st_size} bytes, limit {MAX_FILE_BYTES})"
            )
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(
            f"{shown}: file too large (more than {MAX_FILE_BYTES} bytes, limit {MAX_FILE_BYTES})"
        )
    return data, mode


def binary_problem(data: bytes, path: Path) -> ConfigError | None:
    """A NUL byte: the file is not text (a wrong path, a corrupt copy); say so once."""
    at = data.find(b"\0")
    if at < 0:
        return None
    line = data.count(b"\n", 0, at) + 1
    return ConfigError("not a text file (a NUL byte on this line)", SourceLocation(path, line))


def long_line_problem(line: str, where: SourceLocation) -> ConfigError | None:
    if len(line) <= MAX_LINE_CHARS:
        return None
    return ConfigError(f"line too long ({len(line)} characters, limit {MAX_LINE_CHARS})", where)
