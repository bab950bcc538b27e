"""The lab's power switch: a STONITH device the nodes reach through a Unix socket.

Every node sees the lab's ``power/`` directory at /var/lib/halab, where the switch
listens on ``power.sock`` (hacore's ``powersocket`` device: ``stonith_host *
powersocket``). A request is one line, ``reset NODE``; a reset powers that lab node off
as a crash does (links down, every process of the node killed, by pid) and answers
``OK``. Nothing outside the lab's own nodes can be reached through it.

Tests make the device fail (``failing = True``: every request answers ``FAIL``) to show
that nobody takes over until a reset succeeds, and read ``resets`` to see who was fenced
when. The switch runs in a thread of the lab process: the lab is synchronous.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

INSIDE_DIR = "/var/lib/halab"
SOCKET_NAME = "power.sock"
POLL_S = 0.2


@dataclass(frozen=True)
class Reset:
    node: str
    at: float  # time.monotonic() when the node was powered off
    ok: bool


class PowerSwitch:
    def __init__(self, directory: Path, power_off: Callable[[str], bool]) -> None:
        """``power_off(node)`` turns a lab node off; False when there is no such node."""
        self.directory = directory
        self.path = directory / SOCKET_NAME
        self._power_off = power_off
        self.failing = False
        self.resets: list[Reset] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(str(self.path))
        self._sock.listen(8)
        self._sock.settimeout(POLL_S)
        self._thread = threading.Thread(target=self._serve, name="halab-power", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._sock is not None:
            self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def fenced(self) -> list[str]:
        """The nodes reset so far, in order."""
        return [r.node for r in self.resets if r.ok]

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    request = conn.makefile("r").readline().split()
                    conn.sendall(self._answer(request).encode())
                except OSError:
                    continue

    def _answer(self, request: list[str]) -> str:
        if len(request) != 2 or request[0] != "reset":
            return "FAIL bad request\n"
        node = request[1]
        if self.failing:
            self.resets.append(Reset(node, time.monotonic(), ok=False))
            return "FAIL power switch unreachable (halab: failing)\n"
        if not self._power_off(node):
            return f"BADHOST no lab node {node}\n"
        self.resets.append(Reset(node, time.monotonic(), ok=True))
        return "OK\n"
