"""The API socket's limits, against a real server on a private socket: a connection cap,
silent and idle callers disconnected, descriptors kept in reserve, accept errors as one
throttled line; the server serves again once the pressure is gone."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest

from hacore.control import limits
from hacore.control.server import ControlServer
from hacore.v1 import hacore_pb2 as pb
from hactl.client import Exit, stub
from tests.control.control_fake import FakeTarget
from tests.control.control_support import run_hactl, wait_until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def small(target: FakeTarget, sock_dir: Path) -> AsyncIterator[ControlServer]:
    server = ControlServer(
        target,
        sock_dir / "api.sock",
        max_connections=3,
        first_bytes_timeout=30.0,
        idle_timeout=0.5,
    )
    await server.start()
    yield server
    await server.stop(grace=0.2)


def raw(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(path))
    return sock


async def closed_by_server(sock: socket.socket) -> bool:
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    return await asyncio.wait_for(loop.sock_recv(sock, 1), 10) == b""


def log_lines(capsys: pytest.CaptureFixture[str], event: str) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if event in line]


@pytest.fixture
def fd_limit() -> Iterator[None]:
    """Tests below lower this process's soft descriptor limit; it is always restored."""
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, before)


def fds_in_use() -> int:
    return len(os.listdir("/proc/self/fd")) - 1


async def test_connections_past_the_limit_are_closed_then_served_again(
    small: ControlServer, capsys: pytest.CaptureFixture[str]
) -> None:
    held = [raw(small.socket_path) for _ in range(3)]
    await wait_until(lambda: small.connections == 3)
    extra = [raw(small.socket_path) for _ in range(5)]
    for sock in extra:
        assert await closed_by_server(sock)
        sock.close()
    refused = await run_hactl(small.socket_path, "status")
    assert refused.rc == Exit.NOT_RUNNING, refused
    assert len(refused.err.splitlines()) == 1
    (line,) = log_lines(capsys, "api_connection_refused")
    assert "3 connections open (the limit)" in line
    for sock in held:
        sock.close()
    await wait_until(lambda: small.connections == 0)
    served = await run_hactl(small.socket_path, "status")
    assert served.rc == 0, served.err


async def test_a_silent_caller_is_disconnected(target: FakeTarget, sock_dir: Path) -> None:
    server = ControlServer(target, sock_dir / "api.sock", first_bytes_timeout=0.3)
    await server.start()
    try:
        silent = raw(server.socket_path)
        assert await closed_by_server(silent)
        silent.close()
        await wait_until(lambda: server.connections == 0)
    finally:
        await server.stop(grace=0.2)


async def test_a_connection_without_calls_is_closed(small: ControlServer) -> None:
    async with grpc.aio.insecure_channel(f"unix:{small.socket_path}") as channel:
        await stub(channel).GetStatus(pb.GetStatusRequest(), timeout=5)
        assert small.connections == 1
        await wait_until(lambda: small.connections == 0, timeout=10)  # idle_timeout 0.5 s


async def test_a_long_call_is_not_idle(small: ControlServer, target: FakeTarget) -> None:
    target.move_delay = 2.0  # four idle timeouts
    async with grpc.aio.insecure_channel(f"unix:{small.socket_path}") as channel:
        reply = await stub(channel).Standby(pb.StandbyRequest(scope=pb.SCOPE_ALL), timeout=10)
    assert reply.elapsed_seconds >= 2.0


async def test_descriptors_are_kept_in_reserve(
    small: ControlServer, fd_limit: None, capsys: pytest.CaptureFixture[str]
) -> None:
    waiting = [raw(small.socket_path) for _ in range(3)]  # queued: the loop has not run
    # room to accept, but inside the reserve (a quarter of the limit: 4 of at least 16,
    # however few descriptors the process holds; gRPC itself is not started yet)
    soft = fds_in_use() + 4
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (soft, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    )
    assert limits.descriptors_left() <= 0
    for sock in waiting:
        assert await closed_by_server(sock)
        sock.close()
    (line,) = log_lines(capsys, "api_connection_refused")
    assert "file descriptors are running out" in line
    read_end, write_end = os.pipe()  # what a resource action needs is still there
    os.close(read_end)
    os.close(write_end)


async def test_accept_errors_are_one_throttled_line(
    small: ControlServer, fd_limit: None, capsys: pytest.CaptureFixture[str]
) -> None:
    waiting = [raw(small.socket_path) for _ in range(3)]  # queued: the loop has not run
    try:
        before = resource.getrlimit(resource.RLIMIT_NOFILE)
        lowest_free = os.dup(0)  # the number the next descriptor would get
        os.close(lowest_free)
        resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, before[1]))  # accept: EMFILE
        await asyncio.sleep(1.6)  # about four attempts
        resource.setrlimit(resource.RLIMIT_NOFILE, before)
        out = capsys.readouterr().out
        failures = [line for line in out.splitlines() if "api_accept_failed" in line]
        assert len(failures) == 1 and "Too many open files" in failures[0]
        assert "Traceback" not in out
        await wait_until(lambda: small.connections == 3)  # accepted once descriptors are back
    finally:
        for sock in waiting:
            sock.close()
    served = await run_hactl(small.socket_path, "status")
    assert served.rc == 0, served.err


async def test_the_last_descriptor_accepted_is_refused_and_the_api_lives_on(
    small: ControlServer, fd_limit: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The accept takes the last descriptor the limit allows, so counting what is left
    (a listing of /proc/self/fd) fails too: that caller is refused, and the next one,
    once descriptors are back, is served (it was the accept loop's death, and so the
    API's, for as long as the daemon ran)."""
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    waiting = raw(small.socket_path)  # queued: the loop has not run
    lowest_free = os.dup(0)
    os.close(lowest_free)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free + 1, before[1]))  # room for one
    try:
        assert await closed_by_server(waiting)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, before)
        waiting.close()
    (line,) = log_lines(capsys, "api_connection_refused")
    assert "file descriptors are running out" in line
    served = await run_hactl(small.socket_path, "status")
    assert served.rc == 0, served.err


CHILD_LIMIT = """
import os, resource
from hacore.control import limits
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard // 2), hard))
started = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
raised = limits.raise_fd_limit()
pid = os.fork()
if pid == 0:  # as a respawn client's preexec_fn does
    limits.restore_child_fd_limit()
    os._exit(0 if resource.getrlimit(resource.RLIMIT_NOFILE)[0] == started else 1)
_, status = os.waitpid(pid, 0)
print(started, raised, hard, resource.getrlimit(resource.RLIMIT_NOFILE)[0],
      os.waitstatus_to_exitcode(status))
"""


def test_fd_limit_is_raised_and_children_get_the_original() -> None:
    """In a fresh interpreter: the daemon's first raise is what children go back to."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD_LIMIT], capture_output=True, text=True, timeout=30, check=True
    )
    started, raised, hard, now, child = map(int, result.stdout.split())
    assert started < hard and raised == hard == now and child == 0
