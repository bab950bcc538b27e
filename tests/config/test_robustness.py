"""Fuzzing the three parsers: whatever a file holds (text or raw bytes), the answer is a
parsed configuration or a ConfigErrors whose every problem says where (file:line, or
the file by name) — never another exception, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hacore.config.authkeys import parse_authkeys
from hacore.config.directives import OPTIONS, WHOLE_LINE
from hacore.config.hacf import EXTENSION_DIRECTIVES, parse_hacf
from hacore.config.haresources import parse_haresources
from hacore.config.model import NOT_STARTED, ConfigErrors
from hacore.plugins import PluginRegistry

_WORDS = [
    *OPTIONS,
    *WHOLE_LINE,
    *EXTENSION_DIRECTIVES,
    *("ucast", "bcast", "mcast", "serial", "ping", "ping_group", "udp"),
]
_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
_line = st.one_of(_text, st.builds("{} {}".format, st.sampled_from(_WORDS), _text))
_raw_lines = st.lists(st.binary(max_size=40), max_size=12).map(b"\n".join)
_fixtures_are_stateless = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SHOWN = {"ha.cf": "/etc/ha.d//ha.cf", "authkeys": "/etc/ha.d//authkeys"}
SHOWN["haresources"] = "/etc/ha.d//haresources"


def _parses_or_explains(path: Path, parse: Callable[[], object]) -> None:
    try:
        parse()
    except ConfigErrors as exc:
        assert exc.lines()[-1] == f"ERROR: {NOT_STARTED}"
        for problem in exc.problems:
            assert problem.message and "\n" not in problem.message
            if problem.location is not None:
                assert problem.location.path == path and problem.location.line >= 1
            else:
                assert SHOWN[path.name] in problem.message, problem.message


def _hacf(tmp_path: Path, registry: PluginRegistry, data: bytes) -> None:
    path = tmp_path / "ha.cf"
    path.write_bytes(data)
    _parses_or_explains(path, lambda: parse_hacf(path, registry, shown_as=SHOWN["ha.cf"]))


def _authkeys(tmp_path: Path, registry: PluginRegistry, data: bytes) -> None:
    path = tmp_path / "authkeys"
    path.write_bytes(data)
    path.chmod(0o600)
    _parses_or_explains(path, lambda: parse_authkeys(path, registry, shown_as=SHOWN["authkeys"]))


def _haresources(tmp_path: Path, registry: PluginRegistry, data: bytes) -> None:
    path = tmp_path / "haresources"
    path.write_bytes(data)
    _parses_or_explains(
        path,
        lambda: parse_haresources(
            path, ["node1", "node2"], registry, shown_as=SHOWN["haresources"]
        ),
    )


@_fixtures_are_stateless
@given(st.lists(_line, max_size=12))
@example(lines=["baud ²"])  # str.isdigit() is True for superscripts; int() refuses them
@example(lines=["udpport ³"])
def test_hacf_text(tmp_path: Path, registry: PluginRegistry, lines: list[str]) -> None:
    _hacf(tmp_path, registry, "\n".join(lines).encode())


@_fixtures_are_stateless
@given(_raw_lines)
def test_hacf_bytes(tmp_path: Path, registry: PluginRegistry, data: bytes) -> None:
    _hacf(tmp_path, registry, data)


@_fixtures_are_stateless
@given(st.lists(st.one_of(_text, st.builds("{} {} {}".format, _text, _text, _text)), max_size=8))
def test_authkeys_text(tmp_path: Path, registry: PluginRegistry, lines: list[str]) -> None:
    _authkeys(tmp_path, registry, "\n".join(lines).encode())


@_fixtures_are_stateless
@given(_raw_lines)
def test_authkeys_bytes(tmp_path: Path, registry: PluginRegistry, data: bytes) -> None:
    _authkeys(tmp_path, registry, data)


@_fixtures_are_stateless
@given(st.lists(st.one_of(_text, st.builds("node1 {}".format, _text)), max_size=8))
def test_haresources_text(tmp_path: Path, registry: PluginRegistry, lines: list[str]) -> None:
    _haresources(tmp_path, registry, "\n".join(lines).encode())


@_fixtures_are_stateless
@given(_raw_lines)
def test_haresources_bytes(tmp_path: Path, registry: PluginRegistry, data: bytes) -> None:
    _haresources(tmp_path, registry, data)
