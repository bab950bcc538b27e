"""Logging as ha.cf configures it: files, levels, Heartbeat's wording, JSON, syslog."""

from __future__ import annotations

import json
import logging
import logging.handlers
import subprocess
import sys
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
import structlog

from hacore import logsetup


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    for handler in list(logging.getLogger("hacore").handlers):
        logging.getLogger("hacore").removeHandler(handler)
        handler.close()
    structlog.contextvars.clear_contextvars()


def _emit() -> None:
    log = structlog.get_logger("hacore.test")
    log.warning("late_heartbeat", msg="Late heartbeat: Node node2: interval 450 ms", peer="node2")
    log.debug("tick_detail", n=1)


def test_text_lines_put_heartbeat_words_first_then_event_and_node(tmp_path: Path) -> None:
    logfile, debugfile = tmp_path / "ha-log", tmp_path / "ha-debug"
    logsetup.configure("node1", logfile=logfile, debugfile=debugfile, stderr=False)
    _emit()
    line = logfile.read_text().strip()
    assert " node1 hacored[" in line
    assert "WARN: Late heartbeat: Node node2: interval 450 ms [late_heartbeat peer=node2]" in line
    assert "tick_detail" not in logfile.read_text(), "debug lines belong to debugfile only"
    assert "tick_detail" in debugfile.read_text()


def test_debug_level_sends_debug_lines_to_the_logfile_too(tmp_path: Path) -> None:
    logsetup.configure("node1", logfile=tmp_path / "ha-log", debug=1, stderr=False)
    _emit()
    assert "debug: [tick_detail n=1]" in (tmp_path / "ha-log").read_text()


def test_debug_lines_nobody_writes_are_not_even_time_stamped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamped: list[str] = []

    class CountingStamper(structlog.processors.TimeStamper):
        def __call__(
            self, logger: Any, name: str, event: MutableMapping[str, Any]
        ) -> MutableMapping[str, Any]:
            stamped.append(str(event["event"]))
            return super().__call__(logger, name, event)

    monkeypatch.setattr(structlog.processors, "TimeStamper", CountingStamper)
    logsetup.configure("node1", logfile=tmp_path / "ha-log", stderr=False)
    _emit()
    assert stamped == ["late_heartbeat"]  # the debug line stopped at the level check
    logsetup.configure("node1", logfile=tmp_path / "ha-log", debugfile=tmp_path / "d", stderr=False)
    _emit()
    assert stamped == ["late_heartbeat", "late_heartbeat", "tick_detail"]


def test_a_line_is_rendered_once_whatever_the_number_of_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    render = logsetup._render_text

    def counting(logger: object, name: str, event: MutableMapping[str, object]) -> str:
        rendered.append(str(event["event"]))
        return render(logger, name, event)

    monkeypatch.setattr(logsetup, "_render_text", counting)
    logfile, debugfile = tmp_path / "ha-log", tmp_path / "ha-debug"
    logsetup.configure("node1", logfile=logfile, debugfile=debugfile, debug=1, stderr=False)
    _emit()
    assert rendered == ["late_heartbeat", "tick_detail"]
    assert logfile.read_text() == debugfile.read_text()  # both got both lines, alike
    assert len(logfile.read_text().splitlines()) == 2


def test_json_lines_carry_node_event_and_level(tmp_path: Path) -> None:
    logsetup.configure("node1", logfile=tmp_path / "ha-log", log_format="json", stderr=False)
    _emit()
    record = json.loads((tmp_path / "ha-log").read_text().splitlines()[0])
    assert record["local_node"] == "node1"
    assert record["event"] == "late_heartbeat"
    assert record["level"] == "warning"
    assert record["peer"] == "node2"


def test_logfacility_attaches_a_syslog_handler_and_none_does_not() -> None:
    logsetup.configure("node1", logfacility="local0", stderr=False)
    handlers = logging.getLogger("hacore").handlers
    assert len(handlers) == 1 and isinstance(handlers[0], logging.handlers.SysLogHandler)
    logsetup.configure("node1", logfacility="none", stderr=False)
    assert logging.getLogger("hacore").handlers == []


def test_plugin_trace_switch_prints_every_hook_call() -> None:
    code = "from hacore.plugins import load_plugins; load_plugins()"
    env = {"HACORE_TRACE_PLUGINS": "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "[plugin-trace]" in result.stderr and "hacore_transport_types" in result.stderr
