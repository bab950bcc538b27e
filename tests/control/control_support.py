"""Helpers for the control-plane tests: run hactl (optionally as another user)."""

from __future__ import annotations

import asyncio
import grp
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

RUN_AS = Path(__file__).parent / "control_run_as.py"
NOBODY = 65534
NOGROUP = 65534


def group_id(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


HACLIENT = group_id("haclient")  # created by Debian's heartbeat package


@dataclass(frozen=True)
class Result:
    rc: int
    out: str
    err: str


@dataclass(frozen=True)
class Identity:
    """Credentials for a hactl run: uid, primary gid, supplementary groups."""

    uid: int
    gid: int
    groups: tuple[int, ...] = ()


Hactl = Callable[..., Awaitable[Result]]


async def run_hactl(
    socket: Path | None,
    *args: str,
    identity: Identity | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 20.0,
) -> Result:
    command = [sys.executable]
    if identity is None:
        command += ["-m", "hactl.cli"]
    else:
        groups = ",".join(str(g) for g in identity.groups)
        command += [str(RUN_AS), str(identity.uid), str(identity.gid), groups]
    if socket is not None:
        command += ["--socket", str(socket)]
    process = await asyncio.create_subprocess_exec(
        *command,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)
