"""One hacored per node: the pid file, its lock, and finding the running daemon.

The pid file (``<run dir>/hacored.pid``) is also the lock: the daemon holds a POSIX
write lock on it for its whole life, taken before anything touches resources, sockets,
the generation file or the logs, so a second daemon stops at once and changes nothing.
The kernel drops the lock when the process dies however it dies, so the lock, not the
file, says whether the daemon runs; the file keeps the pid for ``hacored -s`` and is
removed at a clean exit. A pid file left by a crash (unlocked) is "stale": Heartbeat's
``-s`` answers 1 for it and 3 when there is no file at all, as LSB asks.

The lock is queried with ``F_GETLK``, which never takes it: ``hacored -s`` running at
the moment a daemon starts cannot make that start fail.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from hacore.api import HacoreError

PID_FILE = "hacored.pid"
# struct flock on Linux: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid
_FLOCK = "hhqqi"


class AlreadyRunning(HacoreError):
    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        where = f" [pid {pid}]" if pid else ""
        super().__init__(f"hacored: already running{where}.")


@dataclass(frozen=True)
class Running:
    """What the pid file says: the daemon's pid when it runs, and whether a file exists."""

    pid: int | None
    pid_file_exists: bool


def pid_file(run_dir: Path) -> Path:
    return run_dir / PID_FILE


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _lock_holder(fd: int) -> int | None:
    """The pid holding a write lock on the file, without taking it; None if unlocked."""
    query = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
    answer = fcntl.fcntl(fd, fcntl.F_GETLK, query)
    l_type, _, _, _, l_pid = struct.unpack(_FLOCK, answer[: struct.calcsize(_FLOCK)])
    if l_type == fcntl.F_UNLCK:
        return None
    return l_pid if l_pid > 0 else 0  # 0: held by a process outside our pid namespace


def find_running(run_dir: Path) -> Running:
    """Whether a daemon holds the lock in ``run_dir``, and its pid."""
    path = pid_file(run_dir)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return Running(None, False)
    except OSError as exc:
        raise HacoreError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        holder = _lock_holder(fd)
    finally:
        os.close(fd)
    if holder is None:
        return Running(None, True)
    return Running(holder or _read_pid(path), True)


class InstanceLock:
    """Held by the running daemon from before its first side effect to its exit."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.path = pid_file(run_dir)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock and write our pid; ``AlreadyRunning`` if another daemon holds it,
        ``HacoreError`` (one line) if the run directory cannot be used."""
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise HacoreError(f"run directory {self.run_dir} is not a directory") from None
        except OSError as exc:
            raise HacoreError(
                f"cannot create the run directory {self.run_dir}: {exc.strerror or exc}"
            ) from exc
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise HacoreError(
                f"cannot create the pid file {self.path}: {exc.strerror or exc}"
            ) from exc
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _lock_holder(fd)
            os.close(fd)
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                raise AlreadyRunning(holder or _read_pid(self.path)) from None
            raise HacoreError(f"cannot lock {self.path}: {exc.strerror or exc}") from exc
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except OSError as exc:
            os.close(fd)
            raise HacoreError(f"cannot write the pid file {self.path}: {exc.strerror}") from exc
        self._fd = fd

    def release(self) -> None:
        """Remove the pid file at a clean exit (a crash leaves it: "stale"). The lock
        itself stays until the process is gone: the kernel drops it then."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
