"""Fixtures: a real control server on a real unix socket, and hactl as a subprocess."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hacore.control.server import ControlServer
from tests.control.control_fake import FakeTarget
from tests.control.control_support import Hactl, Result, run_hactl


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    """A short, world-traversable directory: other uids must reach the socket, and
    unix socket paths are limited to 107 bytes (pytest's tmp_path is 0700 and long)."""
    path = Path(tempfile.mkdtemp(prefix="hactl-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def target() -> FakeTarget:
    return FakeTarget()


@pytest.fixture
async def control(target: FakeTarget, sock_dir: Path) -> AsyncIterator[ControlServer]:
    server = ControlServer(target, sock_dir / "api.sock")
    await server.start()
    yield server
    await server.stop(grace=0.2)


@pytest.fixture
def hactl(control: ControlServer) -> Hactl:
    """Run hactl against the fixture server: ``await hactl("status", "--json")``."""

    async def run(*args: str, **kwargs: object) -> Result:
        return await run_hactl(control.socket_path, *args, **kwargs)  # type: ignore[arg-type]

    return run
