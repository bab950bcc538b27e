"""ha-log on a real server: logrotate, odd bytes from peers, full and failing destinations."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from hacore import logsetup
from hacore.loghandlers import Syslog

REPO = Path(__file__).resolve().parents[2]
LOGROTATE = shutil.which("logrotate") or "/usr/sbin/logrotate"


@pytest.fixture(autouse=True)
def _clear_context() -> Iterator[None]:
    """tests/conftest.py puts the loggers back; the bound context is cleared here."""
    yield
    structlog.contextvars.clear_contextvars()


def say(text: str) -> None:
    structlog.get_logger("hacore.test").info("said", msg=text)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_a_renamed_log_is_followed_by_a_new_file(tmp_path: Path) -> None:
    log = tmp_path / "ha-log"
    logsetup.configure("node1", logfile=log, stderr=False)
    say("before rotation")
    log.rename(tmp_path / "ha-log.1")  # what logrotate does without copytruncate
    say("after rotation")
    assert [line.split(": ", 2)[2] for line in lines(log)] == ["after rotation [said]"]
    assert "before rotation" in (tmp_path / "ha-log.1").read_text()
    assert "after rotation" not in (tmp_path / "ha-log.1").read_text()


def test_the_shipped_logrotate_snippet_with_the_real_logrotate(tmp_path: Path) -> None:
    if not Path(LOGROTATE).exists():
        pytest.skip("logrotate is not installed")
    snippet = (REPO / "contrib/logrotate.d/hacore").read_text()
    conf = tmp_path / "hacore.logrotate"
    conf.write_text(snippet.replace("/var/log/", f"{tmp_path}/"))
    log, debug = tmp_path / "ha-log", tmp_path / "ha-debug"
    logsetup.configure("node1", logfile=log, debugfile=debug, stderr=False)
    say("first week")
    state = tmp_path / "logrotate.state"
    rotated = subprocess.run(
        [LOGROTATE, "-f", "-s", str(state), str(conf)], capture_output=True, text=True
    )
    assert rotated.returncode == 0, rotated.stderr
    assert oct(log.stat().st_mode & 0o777) == "0o640", "logrotate created the new file"
    say("second week")
    for current, old in ((log, tmp_path / "ha-log.1"), (debug, tmp_path / "ha-debug.1")):
        assert "second week" in current.read_text() and "first week" not in current.read_text()
        assert "first week" in old.read_text() and "second week" not in old.read_text()


def test_bytes_a_peer_chose_cannot_break_or_forge_a_line(tmp_path: Path) -> None:
    log = tmp_path / "ha-log"
    logsetup.configure("node1", logfile=log, stderr=False)
    hostile = b"node\xff\n2026-01-01 node1 hacored[1]: CRIT: forged".decode(
        "utf-8", "surrogateescape"
    )
    structlog.get_logger("hacore.test").warning("late", msg=f"Late heartbeat: {hostile}")
    (line,) = lines(log)
    assert "node\\udcff\\x0a2026-01-01 node1 hacored[1]: CRIT: forged" in line


def test_json_lines_stay_valid_with_the_same_bytes(tmp_path: Path) -> None:
    log = tmp_path / "ha-log"
    logsetup.configure("node1", logfile=log, log_format="json", stderr=False)
    hostile = b"n\xfe\x00".decode("utf-8", "surrogateescape")
    structlog.get_logger("hacore.test").warning("late", src=hostile)
    (line,) = lines(log)
    assert json.loads(line)["src"] == "n\udcfe\x00"


def test_a_full_disk_costs_one_stderr_line_not_a_traceback_per_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logsetup.configure("node1", logfile=Path("/dev/full"), stderr=False)
    for n in range(50):
        say(f"line {n}")
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "hacored: cannot write to /dev/full: No space left on device; "
        "its lines are dropped until it works again"
    ]


def test_a_log_that_works_again_says_how_many_lines_were_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "ha-log"
    log.symlink_to("/dev/full")
    logsetup.configure("node1", logfile=log, stderr=False)
    for n in range(3):
        say(f"lost {n}")
    log.unlink()  # the disk has room again (a new file: the handler reopens it)
    say("back")
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"hacored: writing to {log} again (3 lines lost)"
    )
    first, second = lines(log)
    assert first.endswith(
        f"WARN: 3 log lines lost: {log} could not be written [log_lines_lost count=3]"
    )
    assert second.endswith("info: back [said]")


def test_syslog_that_goes_away_and_comes_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = str(tmp_path / "devlog")
    handler = Syslog(address, logging.handlers.SysLogHandler.LOG_LOCAL0)
    record = logging.LogRecord("hacore", logging.INFO, __file__, 1, "to syslog", None, None)
    handler.emit(record)
    handler.emit(record)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as syslogd:
        syslogd.bind(address)
        syslogd.settimeout(2)
        handler.emit(record)
        assert syslogd.recv(1000).endswith(b"to syslog\x00")
    handler.close()
    assert capsys.readouterr().err.splitlines() == [
        f"hacored: cannot write to syslog: {os.strerror(2)}; its lines are dropped until it "
        "works again",
        "hacored: writing to syslog again (2 lines lost)",
    ]
