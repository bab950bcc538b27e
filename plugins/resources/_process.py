"""Running one resource script action: asyncio subprocess, timeout, captured output.

Output goes to unlinked temporary files, not pipes: a script that starts a daemon
(``/etc/init.d/apache2 start``) often leaves the daemon holding the script's stdout,
so waiting for end-of-file on a pipe would wait for the daemon to exit, and closing
our end would kill it with SIGPIPE on its next write. Heartbeat avoids the same trap by
sending start/stop output to its debug log file. We wait for the script's exit only.

Each script runs in its own session, so a timeout kills the whole process group
(the script and whatever it started without detaching), never anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO

import structlog

from hacore.api import ResourceError

log = structlog.get_logger("hacore.resources.script")

CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
TAIL_LINES = 3


@dataclass(frozen=True)
class ScriptResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def command(self) -> str:
        return " ".join(self.argv)

    def tail(self) -> str:
        """The last lines of each stream: enough to see why, short enough for one log line."""
        parts = [
            f"{name}: "
            + " | ".join(line.strip() for line in text.strip().splitlines()[-TAIL_LINES:])
            for name, text in (("stdout", self.stdout), ("stderr", self.stderr))
            if text.strip()
        ]
        return "; ".join(parts) or "no output"

    def failure(self) -> ResourceError:
        return ResourceError(f"{self.command} failed with rc={self.returncode}: {self.tail()}")


def script_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """A clean environment: a fixed PATH and C locale, then the HA_* variables given.

    Nothing leaks from the daemon's own environment (Heartbeat likewise unsets LC_ALL
    and LANGUAGE "to make ifconfig work in France").
    """
    return {"PATH": CLEAN_PATH, "LANG": "C", **extra}


async def run_script(
    argv: Sequence[str],
    env: Mapping[str, str],
    timeout: float,
    *,
    quiet: bool = False,
) -> ScriptResult:
    """Run ``argv`` to completion; a non-zero exit is a result, not an error.

    Raises ResourceError when the script cannot be started or outlives ``timeout``.
    ``quiet`` logs the output at debug level (status probes run often).
    """
    argv = tuple(str(arg) for arg in argv)
    command = " ".join(argv)
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        spawning = asyncio.ensure_future(
            asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=dict(env),
                start_new_session=True,
            )
        )
        try:
            proc = await asyncio.shield(spawning)
        except OSError as exc:
            raise ResourceError(f"{command}: cannot run: {exc.strerror or exc}") from exc
        except asyncio.CancelledError:
            # Cancelled while asyncio finished spawning: the script already runs and may
            # have started children. asyncio would kill the script alone; its whole
            # process group goes, as for any cancelled script.
            with contextlib.suppress(OSError):
                proc = await spawning
                _kill_group(proc.pid)
                await proc.wait()
            raise
        try:
            async with asyncio.timeout(timeout):
                returncode = await proc.wait()
        except TimeoutError:
            _kill_group(proc.pid)
            await proc.wait()
            log.error("resource_timeout", command=command, timeout_s=timeout)
            raise ResourceError(f"{command} timed out after {timeout:g}s (killed)") from None
        except asyncio.CancelledError:
            # Reap the killed script before giving up: an unwaited child outlives its
            # transport (a zombie, and a "subprocess still running" warning at exit).
            _kill_group(proc.pid)
            await asyncio.shield(proc.wait())
            raise
        result = ScriptResult(argv, returncode, _read(out), _read(err), time.monotonic() - started)
    _log_output(result, quiet)
    return result


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _read(stream: IO[bytes]) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace")


def _log_output(result: ScriptResult, quiet: bool) -> None:
    emit = log.debug if quiet or not (result.stdout or result.stderr) else log.info
    emit(
        "resource_output",
        command=result.command,
        rc=result.returncode,
        seconds=round(result.seconds, 4),
        stdout=result.stdout.rstrip(),
        stderr=result.stderr.rstrip(),
    )
