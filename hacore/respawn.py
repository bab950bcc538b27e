"""``respawn`` / ``failfast`` clients, supervised with Heartbeat's rules (docs/protocol.md §11.1).

A client starts after communication is up, in file order, and is stopped in reverse
order at shutdown. Exit code 100 means "do not restart me"; a client that dies quickly
more than ten times in a row is given up on ("respawning too fast"). A ``failfast``
client that dies abnormally (a signal or a non-zero exit) is not restarted:
``on_failfast`` makes the node fence itself. A command whose
program is a known in-process helper (``ipfail``) runs as a supervised coroutine.

Heartbeat calls ``setenv`` for the ha.cf ``env`` lines and its ``HA_*`` variables in its
own process, so a respawned client inherits them along with the daemon's environment:
the variables resource scripts get are given here on top of the daemon's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import signal
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import structlog

from hacore.api import Cluster, HelperType
from hacore.config.model import Respawn
from hacore.control.limits import restore_child_fd_limit

log = structlog.get_logger("hacore.respawn")

NO_RESTART = 100
QUICK_RUN_S = 30.0
MAX_QUICK_RUNS = 10
RESTART_DELAY_S = 1.0


STOP_GRACE_S = 5.0


class Supervisor:
    """Runs every respawn client of ha.cf and restarts it by Heartbeat's rules."""

    def __init__(
        self,
        clients: list[Respawn],
        helpers: Mapping[str, HelperType],
        cluster: Cluster,
        environment: Mapping[str, str],
        on_failfast: Callable[[str], None] | None = None,
    ) -> None:
        self._clients = clients
        self._helpers = helpers
        self._cluster = cluster
        self._environment = {**os.environ, **environment}
        self._on_failfast = on_failfast
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self._procs: dict[int, asyncio.subprocess.Process] = {}
        self._running: dict[int, str] = {}  # index -> client id, while it runs

    def start(self) -> None:
        for index, client in enumerate(self._clients):
            self._tasks.append(asyncio.ensure_future(self._supervise(index, client)))

    def running(self) -> set[str]:
        """Client ids of the clients running now (``cl_status clientstatus``): the
        program's name, as Heartbeat's clients sign on with theirs (``ipfail``)."""
        return set(self._running.values())

    async def stop(self) -> None:
        self._stopping = True
        for index in sorted(self._procs, reverse=True):
            proc = self._procs[index]
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for task in reversed(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Reap what we signalled, so no child outlives the daemon unwaited; one that
        # ignores SIGTERM for STOP_GRACE_S is killed.
        for proc in self._procs.values():
            try:
                await asyncio.wait_for(proc.wait(), STOP_GRACE_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()

    async def _supervise(self, index: int, client: Respawn) -> None:
        program = Path(client.command.split()[0]).name
        helper = self._helpers.get(program)
        quick_runs = 0
        while True:
            started = time.monotonic()
            self._running[index] = program
            try:
                code = await (
                    self._run_helper(helper) if helper else self._run_process(index, client)
                )
            finally:
                del self._running[index]
            log.warning(
                "client_exited",
                msg=f"Managed {client.command} process exited with return code {code}.",
                code=code,
            )
            if self._stopping:
                return
            if client.failfast and code != 0 and self._on_failfast is not None:
                # Heartbeat's cl_reboot: an abnormal death of a failfast client fences
                # this node (docs/protocol.md §11.1).
                self._on_failfast(client.command)
                return
            if code == NO_RESTART:
                return
            quick = time.monotonic() - started < QUICK_RUN_S
            quick_runs = quick_runs + 1 if quick else 0
            if quick_runs > MAX_QUICK_RUNS:
                log.error(
                    "respawning_too_fast", msg=f'Client {client.command} "respawning too fast"'
                )
                return
            log.info("respawning", msg=f'Respawning client "{client.command}":')
            if quick:
                await asyncio.sleep(RESTART_DELAY_S)

    async def _run_helper(self, helper: HelperType) -> int:
        try:
            await helper.run(self._cluster)
        except SystemExit as stop:
            return stop.code if isinstance(stop.code, int) else 1
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("helper_failed", helper=helper.name, error=repr(exc))
            return 1
        return 0

    async def _run_process(self, index: int, client: Respawn) -> int:
        user = pwd.getpwnam(client.user)

        def become_user() -> None:
            restore_child_fd_limit()
            os.setsid()
            os.initgroups(user.pw_name, user.pw_gid)
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

        proc = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            f"exec {client.command}",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env=self._environment,
            preexec_fn=become_user,
        )
        self._procs[index] = proc
        return await proc.wait()
