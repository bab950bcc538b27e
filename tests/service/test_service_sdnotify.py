"""The sd_notify client on its own: datagrams on a real AF_UNIX socket the test owns."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from hacore.sdnotify import Notifier


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    try:
        yield path, sock
    finally:
        sock.close()


def fields(sock: socket.socket) -> list[str]:
    return sock.recv(4096).decode().split("\n")


def test_ready_reloading_stopping_status_arrive_as_key_value_lines(
    listener: tuple[str, socket.socket],
) -> None:
    path, sock = listener
    notifier = Notifier(path)
    notifier.ready("Running; holding: web")
    assert fields(sock) == ["READY=1", "STATUS=Running; holding: web"]
    notifier.reloading()
    reloading = fields(sock)
    assert reloading[0] == "RELOADING=1"
    assert reloading[1].startswith("MONOTONIC_USEC=") and reloading[1][15:].isdigit()
    notifier.stopping("Stopping: handing over")
    assert fields(sock) == ["STOPPING=1", "STATUS=Stopping: handing over"]
    notifier.status("two\nlines")
    assert fields(sock) == ["STATUS=two lines"], "a newline would start a new assignment"


def test_abstract_socket_names_start_with_at() -> None:
    name = f"hacore-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        Notifier("@" + name).status("abstract")
        assert sock.recv(100) == b"STATUS=abstract"


def test_watchdog_pings_at_half_the_period_of_watchdog_usec(
    listener: tuple[str, socket.socket],
) -> None:
    path, sock = listener
    now = [100.0]
    notifier = Notifier(path, watchdog_usec=2_000_000, clock=lambda: now[0])
    sent = []
    for step in range(41):  # 4 s of 100 ms ticks
        now[0] = 100.0 + step * 0.1
        notifier.watchdog()
    sock.settimeout(0.2)
    while True:
        try:
            sent.append(sock.recv(100))
        except TimeoutError:
            break
    assert sent == [b"WATCHDOG=1"] * 5  # at 0, 1, 2, 3 and 4 s


def test_environment_is_read_once_and_removed_for_children() -> None:
    env = {"NOTIFY_SOCKET": "/run/x.sock", "WATCHDOG_USEC": "3000000", "PATH": "/bin"}
    notifier = Notifier.from_environment(env)
    assert notifier.address == "/run/x.sock" and notifier.watchdog_interval == 1.5
    assert env == {"PATH": "/bin"}


def test_a_watchdog_meant_for_another_process_is_ignored() -> None:
    env = {"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "1"}
    assert Notifier.from_environment(env).watchdog_interval is None


def test_outside_systemd_nothing_is_sent_and_ready_hooks_still_run() -> None:
    notifier = Notifier.from_environment({})
    called = []
    notifier.on_ready(lambda: called.append(1))
    notifier.ready("up")
    notifier.ready("up again")
    notifier.watchdog()
    assert notifier.address is None and called == [1] and notifier.is_ready


def test_an_unreachable_socket_is_logged_once_and_never_raises(tmp_path: Path) -> None:
    notifier = Notifier(str(tmp_path / "nobody-listens.sock"))
    notifier.ready("up")
    notifier.status("still fine")
    assert notifier.is_ready
