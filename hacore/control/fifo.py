"""Heartbeat's FIFO, ``/var/lib/heartbeat/fifo``: how its shell scripts talk to the daemon.

``ha_clustermsg`` (in /etc/ha.d/shellfuncs) appends ``>>>``, ``name=value`` lines and
``<<<`` to the FIFO; hb_standby and hb_takeover use it (docs/protocol.md §9.5). Heartbeat
sends what arrives to the cluster and acts on it itself. Here the two requests operators
make this way become the API's moves:

* ``t=ask_resources rsc_hold=<set> info=me`` (hb_standby) → standby of that set;
* ``t=hb_takeover rsc_hold=<set>`` (hb_takeover) → takeover of that set.

Messages of hacore's own protocol (resource, starting, ip-request...) are ignored with a
log line: the daemon runs that protocol itself and a script's copy would contradict it.
Any other type is sent to the cluster, as Heartbeat does.

The FIFO is opened read-write and non-blocking: the daemon then always counts as a
writer, so a script closing its end never signals end-of-file and the reader never
spins; the event loop wakes only when bytes arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

from hacore.api import HacoreError, Scope
from hacore.control.model import ClusterView
from hacore.wire.codec import MAXMSG, DecodeError, decode
from hacore.wire.message import Message

log = structlog.get_logger("hacore.control")

FIFO_MODE = 0o600
READ_SIZE = 65536
START, END = b">>>", b"<<<"
# What hb_standby's and hb_takeover's words mean here (docs/protocol.md §9.3).
STANDBY_SCOPES = {"all": Scope.ALL, "local": Scope.LOCAL, "foreign": Scope.FOREIGN}
STANDBY_SCOPES["failback"] = Scope.FOREIGN  # hb_standby maps failback to foreign
TAKEOVER_SCOPES = {**STANDBY_SCOPES, "failback": Scope.ALL}  # the peer's rc.d quirk
# hacore's own protocol: a script must not speak it for the daemon.
RESERVED = frozenset(
    {
        "status",
        "starting",
        "resource",
        "ask_resources",
        "ip-request",
        "ip-request-resp",
        "shutdone",
        "stonith",
        "reqnodes",
        "repnodes",
        "query-cstatus",
        "respond-cstatus",
        "hbapi-clstat",
    }
)

Move = Callable[[Scope], Awaitable[ClusterView]]


class FifoFramer:
    """Splits the FIFO's byte stream into messages, Heartbeat's way: lines outside
    ``>>>``…``<<<`` are not a message; each frame is parsed as a classic message.

    ``feed`` returns, in order, a :class:`Message` per good frame and one error text
    per bad write (a run of stray lines, an unterminated or unparsable frame).
    """

    def __init__(self) -> None:
        self._partial = b""
        self._frame: list[bytes] | None = None  # lines of the frame being read
        self._size = 0
        self._stray = False  # inside a run of lines outside any frame

    def feed(self, data: bytes) -> list[Message | str]:
        out: list[Message | str] = []
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > MAXMSG:
            out.append(f"a line of more than {MAXMSG} bytes")
            self._partial = b""
            self._frame = None
        for line in lines:
            self._line(line.rstrip(b"\r"), out)
        return out

    def _line(self, line: bytes, out: list[Message | str]) -> None:
        if line == START:
            if self._frame is not None:
                out.append(f"'>>>' before the end of the previous message: {self._excerpt()}")
            self._frame, self._size, self._stray = [], 0, False
        elif self._frame is None:
            if line.strip() and not self._stray:
                out.append(f"text outside '>>>' … '<<<': {line[:60]!r}")
                self._stray = True
        elif line == END:
            out.append(self._parse())
            self._frame = None
        else:
            self._frame.append(line)
            self._size += len(line) + 1
            if self._size > MAXMSG:
                out.append(f"a message of more than {MAXMSG} bytes")
                self._frame, self._stray = None, True

    def _parse(self) -> Message | str:
        assert self._frame is not None
        body = b"".join(line + b"\n" for line in self._frame if line)
        try:
            return decode(START + b"\n" + body + END + b"\n")
        except DecodeError as exc:
            return f"{exc.detail} in {self._excerpt()}"

    def _excerpt(self) -> str:
        lines = b" ".join(self._frame or [])
        return repr(lines[:80])


class FifoReader:
    """Reads the FIFO on the event loop and hands every message to ``handle``."""

    def __init__(self, path: Path, handle: Callable[[Message], None]) -> None:
        self.path = path
        self._handle = handle
        self._framer = FifoFramer()
        self._fd: int | None = None

    def start(self) -> bool:
        """Create the FIFO if needed and start reading; False (and one log line) when it
        cannot be used: the daemon runs on without it."""
        try:
            self._prepare()
            fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            log.error("fifo_unusable", msg=f"Cannot use FIFO {self.path}: {exc.strerror}")
            return False
        self._fd = fd
        asyncio.get_running_loop().add_reader(fd, self._readable)
        return True

    def stop(self) -> None:
        if self._fd is not None:
            asyncio.get_running_loop().remove_reader(self._fd)
            os.close(self._fd)
            self._fd = None

    def _prepare(self) -> None:
        """Heartbeat's start-up: make the FIFO unless one is there (a plain file left by
        a script that wrote before any daemon ran is replaced)."""
        try:
            mode = os.lstat(self.path).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISFIFO(mode):
            return
        if mode is not None and stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory")
        log.info("fifo_create", msg=f"Creating FIFO {self.path}.")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if mode is not None:
            self.path.unlink()
        os.mkfifo(self.path, FIFO_MODE)
        os.chmod(self.path, FIFO_MODE)  # whatever the umask

    def _readable(self) -> None:
        assert self._fd is not None
        while True:
            try:
                data = os.read(self._fd, READ_SIZE)
            except BlockingIOError:
                return
            if not data:  # cannot happen while we hold a write end; never spin on it
                return
            for item in self._framer.feed(data):
                if isinstance(item, str):
                    log.warning(
                        "fifo_malformed", msg=f"Malformed write to {self.path} ignored: {item}"
                    )
                else:
                    self._handle(item)


class ScriptRequests:
    """What a FIFO message asks of the daemon (see the module docstring)."""

    def __init__(self, standby: Move, takeover: Move, send: Callable[[Message], None]) -> None:
        self._standby = standby
        self._takeover = takeover
        self._send = send
        self._tasks: set[asyncio.Task[None]] = set()

    def handle(self, msg: Message) -> None:
        msg_type = msg.get("t")
        if msg_type == "ask_resources" and msg.get("info") == "me":
            self._move("standby", self._standby, STANDBY_SCOPES, msg)
        elif msg_type == "hb_takeover":
            self._move("takeover", self._takeover, TAKEOVER_SCOPES, msg)
        elif not msg_type:
            log.warning("fifo_malformed", msg="FIFO message without a type (t=) ignored")
        elif msg_type in RESERVED or msg_type.startswith("NS_"):
            log.warning(
                "fifo_ignored",
                msg=f"FIFO message t={msg_type} ignored: hacore runs that protocol itself",
            )
        else:
            self._send(msg)

    def _move(self, verb: str, move: Move, scopes: dict[str, Scope], msg: Message) -> None:
        word = msg.get("rsc_hold") or "all"
        scope = scopes.get(word)
        if scope is None:
            log.warning(
                "fifo_malformed",
                msg=f"FIFO {verb} request with rsc_hold={word} ignored "
                f"(all, local, foreign or failback)",
            )
            return
        log.info("fifo_request", msg=f"{verb} [{word}] requested through the FIFO")
        task = asyncio.ensure_future(self._run(verb, word, move(scope)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, verb: str, word: str, operation: Awaitable[ClusterView]) -> None:
        try:
            await operation
        except HacoreError as exc:
            log.warning("fifo_request_failed", msg=f"{verb} [{word}] not done: {exc}")
        else:
            log.info("fifo_request_done", msg=f"{verb} [{word}] done")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)
