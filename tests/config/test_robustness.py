"""Whatever the files contain, the parsers answer with ConfigErrors, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hacore.config.authkeys import parse_authkeys
from hacore.config.directives import OPTIONS, WHOLE_LINE
from hacore.config.hacf import parse_hacf
from hacore.config.haresources import parse_haresources
from hacore.config.model import NOT_STARTED, ConfigErrors
from hacore.plugins import PluginRegistry

_WORDS = [*OPTIONS, *WHOLE_LINE, "ucast", "bcast", "mcast", "serial", "ping", "ping_group"]
_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
_line = st.one_of(_text, st.builds("{} {}".format, st.sampled_from(_WORDS), _text))
_fixtures_are_stateless = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _parses_or_explains(parse: Callable[[], object]) -> None:
    try:
        parse()
    except ConfigErrors as exc:
        assert exc.lines()[-1] == f"ERROR: {NOT_STARTED}"
        assert all(problem.message for problem in exc.problems)


@_fixtures_are_stateless
@given(st.lists(_line, max_size=12))
@example(lines=["baud ²"])  # str.isdigit() is True for superscripts; int() refuses them
@example(lines=["udpport ³"])
def test_hacf(tmp_path: Path, registry: PluginRegistry, lines: list[str]) -> None:
    path = tmp_path / "ha.cf"
    path.write_text("\n".join(lines))
    _parses_or_explains(lambda: parse_hacf(path, registry))


@_fixtures_are_stateless
@given(st.lists(st.one_of(_text, st.builds("{} {} {}".format, _text, _text, _text)), max_size=8))
def test_authkeys(tmp_path: Path, registry: PluginRegistry, lines: list[str]) -> None:
    path = tmp_path / "authkeys"
    path.write_text("\n".join(lines))
    path.chmod(0o600)
    _parses_or_explains(lambda: parse_authkeys(path, registry))


@_fixtures_are_stateless
@given(st.lists(st.one_of(_text, st.builds("node1 {}".format, _text)), max_size=8))
def test_haresources(tmp_path: Path, registry: PluginRegistry, lines: list[str]) -> None:
    path = tmp_path / "haresources"
    path.write_text("\n".join(lines))
    _parses_or_explains(lambda: parse_haresources(path, ["node1"], registry))
