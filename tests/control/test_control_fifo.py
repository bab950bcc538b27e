"""Heartbeat's FIFO (docs/protocol.md §9.5): a real named pipe, written the way
ha_clustermsg writes it (``cat >> $HA_FIFO`` from a shell), read on the event loop."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import structlog

from hacore.api import Scope
from hacore.control.fifo import FifoFramer, FifoReader, ScriptRequests
from hacore.control.model import ClusterView, OperationRefused
from hacore.wire.message import Message
from tests.control.control_fake import FakeTarget

pytestmark = pytest.mark.timeout(30)
STANDBY = ">>>\nt=ask_resources\nrsc_hold=all\ninfo=me\n<<<\n"


def messages(items: list[Message | str]) -> list[list[tuple[str, object]]]:
    return [[(f.name, f.value) for f in m] for m in items if isinstance(m, Message)]


def test_framer_reads_ha_clustermsg_frames_split_anywhere() -> None:
    framer = FifoFramer()
    data = (STANDBY + ">>>\nt=hb_takeover\nrsc_hold=local\n<<<\n").encode()
    out: list[Message | str] = []
    for index in range(len(data)):  # one byte at a time
        out += framer.feed(data[index : index + 1])
    assert messages(out) == [
        [("t", "ask_resources"), ("rsc_hold", "all"), ("info", "me")],
        [("t", "hb_takeover"), ("rsc_hold", "local")],
    ]


def test_framer_reports_each_bad_write_once_and_recovers() -> None:
    framer = FifoFramer()
    out = framer.feed(b"garbage\nmore garbage\n\n" + STANDBY.encode())
    assert [type(item) for item in out] == [str, Message]
    assert "text outside" in str(out[0]) and "garbage" in str(out[0])
    unterminated = framer.feed(b">>>\nt=foo\n" + STANDBY.encode())
    assert [type(item) for item in unterminated] == [str, Message]
    assert "before the end of the previous message" in str(unterminated[0])
    bad = framer.feed(b">>>\nno equals sign\n<<<\n>>>\nt=x\nempty=\n<<<\n")
    assert [type(item) for item in bad] == [str, str]
    assert "has no 'name='" in str(bad[0]) and "empty value" in str(bad[1])
    assert messages(framer.feed(STANDBY.encode()))


def test_framer_drops_a_runaway_message() -> None:
    framer = FifoFramer()
    out = framer.feed(b">>>\n" + b"x=" + b"y" * 300_000 + b"\n")
    assert out == ["a message of more than 262144 bytes"]
    assert messages(framer.feed(b"<<<\n" + STANDBY.encode()))  # `<<<` alone is stray


class Counting(FifoReader):
    """Counts wake-ups: a reader that spun on a closed writer would never stop."""

    wakeups = 0

    def _readable(self) -> None:
        self.wakeups += 1
        super()._readable()


def write_like_ha_clustermsg(path: Path, body: str) -> None:
    """ha_clustermsg: (echo ">>>"; cat -; echo "<<<") | cat - >> $HA_FIFO."""
    subprocess.run(
        ["sh", "-c", f'(echo ">>>"; cat -; echo "<<<") | cat - >> {path}'],
        input=body.encode(),
        check=True,
        timeout=5,
    )


async def test_reader_creates_the_fifo_and_survives_writers(tmp_path: Path) -> None:
    path = tmp_path / "heartbeat" / "fifo"
    got: list[Message] = []
    reader = Counting(path, got.append)
    assert reader.start()
    try:
        mode = os.stat(path).st_mode
        assert stat.S_ISFIFO(mode) and stat.S_IMODE(mode) == 0o600
        for n in range(20):  # writers come and go
            await asyncio.to_thread(write_like_ha_clustermsg, path, f"t=custom\nn={n}\n")
        await _until(lambda: len(got) == 20)
        assert [m.get("n") for m in got] == [str(n) for n in range(20)]
        settled = reader.wakeups
        await asyncio.sleep(0.3)  # every writer has closed its end
        assert reader.wakeups == settled
    finally:
        reader.stop()
    assert stat.S_ISFIFO(os.stat(path).st_mode)  # left in place, like Heartbeat


async def test_reader_replaces_a_stale_file_and_refuses_a_directory(tmp_path: Path) -> None:
    stale = tmp_path / "fifo"
    stale.write_text(STANDBY)  # `cat >>` before any daemon made the FIFO
    reader = FifoReader(stale, lambda _m: None)
    assert reader.start()
    reader.stop()
    assert stat.S_ISFIFO(os.stat(stale).st_mode)
    with structlog.testing.capture_logs() as logs:
        assert not FifoReader(tmp_path, lambda _m: None).start()
    assert [entry["event"] for entry in logs] == ["fifo_unusable"]
    assert str(tmp_path) in logs[0]["msg"]


async def test_malformed_writes_get_one_log_line_each(tmp_path: Path) -> None:
    path = tmp_path / "fifo"
    got: list[Message] = []
    reader = FifoReader(path, got.append)
    assert reader.start()
    try:
        with structlog.testing.capture_logs() as logs:
            await asyncio.to_thread(
                subprocess.run, ["sh", "-c", f"printf 'junk\\njunk\\n' >> {path}"], check=True
            )
            await asyncio.to_thread(write_like_ha_clustermsg, path, "no_equals\n")
            await asyncio.to_thread(write_like_ha_clustermsg, path, "t=custom\n")
            await _until(lambda: len(got) == 1)
        assert [entry["event"] for entry in logs] == ["fifo_malformed", "fifo_malformed"]
    finally:
        reader.stop()


class Moves:
    """Records the moves the FIFO asks for; refuses when told to."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Scope]] = []
        self.refuse = False

    def make(self, verb: str) -> Callable[[Scope], Awaitable[ClusterView]]:
        async def move(scope: Scope) -> ClusterView:
            self.calls.append((verb, scope))
            if self.refuse:
                raise OperationRefused("node2 is dead")
            return FakeTarget().snapshot()

        return move


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("t=ask_resources\nrsc_hold=all\ninfo=me", ("standby", Scope.ALL)),
        ("t=ask_resources\nrsc_hold=local\ninfo=me", ("standby", Scope.LOCAL)),
        ("t=ask_resources\nrsc_hold=failback\ninfo=me", ("standby", Scope.FOREIGN)),
        ("t=ask_resources\ninfo=me", ("standby", Scope.ALL)),
        ("t=hb_takeover\nrsc_hold=foreign", ("takeover", Scope.FOREIGN)),
        ("t=hb_takeover\nrsc_hold=failback", ("takeover", Scope.ALL)),
    ],
)
async def test_script_requests_become_moves(body: str, expected: tuple[str, Scope]) -> None:
    moves = Moves()
    sent: list[Message] = []
    requests = ScriptRequests(moves.make("standby"), moves.make("takeover"), sent.append)
    (msg,) = FifoFramer().feed(f">>>\n{body}\n<<<\n".encode())
    assert isinstance(msg, Message)
    requests.handle(msg)
    await asyncio.sleep(0)  # the move runs as a task
    assert moves.calls == [expected] and sent == []


async def test_other_messages() -> None:
    moves = Moves()
    sent: list[Message] = []
    requests = ScriptRequests(moves.make("standby"), moves.make("takeover"), sent.append)
    with structlog.testing.capture_logs() as logs:
        for body in (
            "t=ask_resources\nrsc_hold=bogus\ninfo=me",  # refused word
            "t=ask_resources\nrsc_hold=all\ninfo=done",  # the protocol's, not a request
            "t=resource\nrsc_hold=foreign\ninfo=mach_down",
            "t=NS_ackmsg\nackseq=1",
            "info=me",
            "t=custom\nfoo=bar",  # anything else goes to the cluster
        ):
            (msg,) = FifoFramer().feed(f">>>\n{body}\n<<<\n".encode())
            assert isinstance(msg, Message)
            requests.handle(msg)
    assert moves.calls == []
    assert [m.get("t") for m in sent] == ["custom"]
    assert [e["event"] for e in logs] == [
        "fifo_malformed",
        "fifo_ignored",
        "fifo_ignored",
        "fifo_ignored",
        "fifo_malformed",
    ]


async def test_a_refused_move_is_logged() -> None:
    moves = Moves()
    sent: list[Message] = []
    moves.refuse = True
    requests = ScriptRequests(moves.make("standby"), moves.make("takeover"), sent.append)
    (msg,) = FifoFramer().feed(STANDBY.encode())
    assert isinstance(msg, Message)
    with structlog.testing.capture_logs() as logs:
        requests.handle(msg)
        await _until(lambda: len(logs) == 2)
    assert [e["event"] for e in logs] == ["fifo_request", "fifo_request_failed"]
    assert "node2 is dead" in logs[-1]["msg"]


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not reached in time"
        await asyncio.sleep(0.01)
