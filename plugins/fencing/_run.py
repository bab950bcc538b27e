"""Run one fencing command: own session (a hung device is killed with all it started),
clean environment, optional stdin, output kept for the error line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass

CLEAN_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
TAIL_CHARS = 300


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str

    def why(self) -> str:
        text = " | ".join(
            line.strip() for line in (self.stderr or self.stdout).strip().splitlines()
        )
        return f"rc={self.returncode}: {text[-TAIL_CHARS:] or 'no output'}"


async def run_command(argv: Sequence[str], stdin: str | None = None) -> CommandResult:
    """Run to completion; cancellation (the core's timeout) kills the process group."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=CLEAN_ENV,
        start_new_session=True,
    )
    try:
        out, err = await proc.communicate(stdin.encode() if stdin is not None else None)
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        raise
    assert proc.returncode is not None
    return CommandResult(
        proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")
    )
