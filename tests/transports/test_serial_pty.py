"""The serial transport on a real tty pair made by socat (no hardware, no namespace)."""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import time
import tty
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hacore_plugins.transports.serial import SerialTransport, build

from hacore.api import HacoreError, MediumConfig

VECTOR = (
    Path(__file__).resolve().parents[1] / "data/vectors/hb_md5_classic_emulated_accepted.bin"
).read_bytes()
FRAME = VECTOR.removesuffix(b"\0")
OTHER = b">>>\nt=status\nst=up\nsrc=node2\n<<<\n"

pytestmark = pytest.mark.requires("socat")


class PtyPair:
    """Two ttys wired back to back by ``socat -d -d pty,raw,echo=0 pty,raw,echo=0``,
    optionally reachable through symlinks (which socat removes when it exits)."""

    def __init__(self, links: tuple[Path, Path] | None = None) -> None:
        ends = (
            [f"pty,raw,echo=0,link={link}" for link in links] if links else ["pty,raw,echo=0"] * 2
        )
        self.process = subprocess.Popen(["socat", "-d", "-d", *ends], stderr=subprocess.PIPE)
        try:
            ptys = self._wait_until_relaying()
        except BaseException:
            self.stop()
            raise
        self.paths = (str(links[0]), str(links[1])) if links else ptys

    def _wait_until_relaying(self) -> tuple[str, str]:
        assert self.process.stderr is not None
        fd, log, deadline = self.process.stderr.fileno(), b"", time.monotonic() + 10
        while b"starting data transfer loop" not in log:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise AssertionError(f"socat did not start: {log.decode(errors='replace')}")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError(f"socat exited: {log.decode(errors='replace')}")
            log += chunk
        first, second = re.findall(rb"PTY is (\S+)", log)
        return first.decode(), second.decode()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture
def socat() -> Iterator[Callable[..., PtyPair]]:
    """``socat(links=None)`` starts a pty pair; every pair is stopped after the test."""
    started: list[PtyPair] = []

    def start(links: tuple[Path, Path] | None = None) -> PtyPair:
        started.append(PtyPair(links))
        return started[-1]

    try:
        yield start
    finally:
        for pair in started:
            pair.stop()


@pytest.fixture
def ptys(socat: Callable[..., PtyPair]) -> PtyPair:
    return socat()


@dataclass
class Inbox:
    """A sink that remembers what arrived and lets a test wait for it."""

    items: list[tuple[bytes, str]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, payload: bytes, link: str) -> None:
        self.items.append((payload, link))
        self.arrived.set()

    async def wait(self, count: int, timeout: float = 3.0) -> list[tuple[bytes, str]]:
        async with asyncio.timeout(timeout):
            while len(self.items) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return list(self.items)


def transport(path: str) -> SerialTransport:
    (t,) = build(MediumConfig("serial", (path,), 694, 19200))
    assert isinstance(t, SerialTransport)
    return t


def raw_tty(path: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)
    return fd


async def read_for(fd: int, seconds: float) -> bytes:
    data, deadline = b"", time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data += os.read(fd, 4096)
        except BlockingIOError:
            await asyncio.sleep(0.02)
    return data


async def test_frames_cross_both_ways_named_after_the_tty(ptys: PtyPair) -> None:
    a, b = transport(ptys.paths[0]), transport(ptys.paths[1])
    inbox_a, inbox_b = Inbox(), Inbox()
    await a.start(inbox_a)
    await b.start(inbox_b)
    try:
        a.send(VECTOR)
        assert await inbox_b.wait(1) == [(FRAME, os.path.basename(ptys.paths[1]))]
        b.send(OTHER)
        b.send(VECTOR)
        assert [payload for payload, _ in await inbox_a.wait(2)] == [OTHER, FRAME]
    finally:
        await a.stop()
        await b.stop()


async def test_the_wire_carries_the_classic_text_only(ptys: PtyPair) -> None:
    """Heartbeat writes strlen() bytes: no NUL after ``<<<``; a netstring is not sent."""
    a, peer = transport(ptys.paths[0]), raw_tty(ptys.paths[1])
    await a.start(Inbox())
    try:
        a.send(VECTOR)
        a.send(b"###\n11:(0)t=status,%%%\n")
        a.send(OTHER)
        assert await read_for(peer, 0.5) == FRAME + OTHER
        assert a.failures.count == 1
    finally:
        await a.stop()
        os.close(peer)


async def test_noise_is_discarded_and_a_split_frame_is_reassembled(ptys: PtyPair) -> None:
    peer, b = raw_tty(ptys.paths[0]), transport(ptys.paths[1])
    inbox = Inbox()
    await b.start(inbox)
    try:
        os.write(peer, b"line noise\r\n\0\0junk\n" + FRAME + b"\0more junk\n" + OTHER[:13])
        assert await inbox.wait(1) == [(FRAME, b.link_name)]
        await asyncio.sleep(0.3)
        assert len(inbox.items) == 1, "half a frame is not delivered"
        os.write(peer, OTHER[13:] + b"trailing noise")
        assert [payload for payload, _ in await inbox.wait(2)] == [FRAME, OTHER]
    finally:
        await b.stop()
        os.close(peer)


async def test_a_vanished_tty_is_survived_and_stop_is_clean(ptys: PtyPair) -> None:
    a = transport(ptys.paths[0])
    await a.start(Inbox())
    ptys.stop()
    deadline = time.monotonic() + 3
    while a.failures.count == 0 and time.monotonic() < deadline:
        a.send(FRAME)
        await asyncio.sleep(0.05)
    assert a.failures.count >= 1, "the hang-up was noticed"
    a.send(FRAME)  # never raises while the port is gone
    await a.stop()
    await a.stop()


async def test_the_port_is_reopened_when_the_tty_comes_back(
    socat: Callable[..., PtyPair], tmp_path: Path
) -> None:
    links = (tmp_path / "ttyA", tmp_path / "ttyB")
    first = socat(links)
    a, inbox = transport(str(links[0])), Inbox()
    await a.start(inbox)
    try:
        first.stop()
        second = socat(links)
        peer = raw_tty(second.paths[1])
        os.write(peer, FRAME)  # lost until the port is open again, then sent again
        deadline = time.monotonic() + 5
        while not inbox.items and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            os.write(peer, FRAME)
        assert inbox.items[0] == (FRAME, "ttyA")
        a.send(OTHER)
        assert OTHER in await read_for(peer, 0.5)
        os.close(peer)
    finally:
        await a.stop()


async def test_a_failing_sink_does_not_stop_the_link(ptys: PtyPair) -> None:
    a, b = transport(ptys.paths[0]), transport(ptys.paths[1])
    inbox = Inbox()

    def flaky_sink(payload: bytes, link: str) -> None:
        inbox(payload, link)
        if len(inbox.items) == 1:
            raise RuntimeError("bug in the core")

    await a.start(Inbox())
    await b.start(flaky_sink)
    try:
        a.send(FRAME)
        a.send(OTHER)
        assert [payload for payload, _ in await inbox.wait(2)] == [FRAME, OTHER]
    finally:
        await a.stop()
        await b.stop()


async def test_a_tty_is_not_shared(ptys: PtyPair) -> None:
    first, second = transport(ptys.paths[0]), transport(ptys.paths[0])
    await first.start(Inbox())
    try:
        with pytest.raises(HacoreError, match="cannot open"):
            await second.start(Inbox())
    finally:
        await first.stop()


async def test_start_fails_clearly_on_a_char_device_that_is_not_a_tty() -> None:
    with pytest.raises(HacoreError, match=r"serial /dev/null: cannot open"):
        await transport("/dev/null").start(Inbox())
