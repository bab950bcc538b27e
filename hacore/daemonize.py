"""``hacored --daemon``: what ``heartbeat`` without ``-f`` does, for LSB init scripts.

The command returns only when the answer is known: exit 0 once the daemon is up (its
media open, the same moment it tells systemd ``READY=1``), or the daemon's own exit code
and error text when its start failed. Until then the daemon's stderr is the caller's, so
``ERROR=$(hacored --daemon 2>&1)`` in an init script captures the reason; once up, the
daemon detaches from the terminal and the caller's pipes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


def daemonize() -> Callable[[], None]:
    """Fork. The parent never returns: it exits with the child's verdict. The child gets
    a function to call once it is up."""
    read_end, write_end = os.pipe()  # not inherited by anything the daemon runs
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid > 0:
        os.close(write_end)
        with os.fdopen(read_end, "rb") as verdict:
            up = verdict.read(1) == b"R"
        if up:
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        os._exit(code if code > 0 else 1)
    os.close(read_end)
    os.setsid()
    _redirect(0, os.O_RDONLY)

    def detach() -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        _redirect(1, os.O_WRONLY)
        _redirect(2, os.O_WRONLY)
        os.write(write_end, b"R")
        os.close(write_end)

    return detach


def _redirect(fd: int, mode: int) -> None:
    null = os.open(os.devnull, mode)
    os.dup2(null, fd)
    os.close(null)
