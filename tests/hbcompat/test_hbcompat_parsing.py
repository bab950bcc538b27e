"""The small C and shell behaviours the Heartbeat tools depend on: glibc getopt (with
argument permutation and its messages), atoi, and ``echo `date`"text"``."""

from __future__ import annotations

import subprocess

import pytest

from hbcompat.getopt import BAD, GetOpt
from hbcompat.queries import _atoi
from hbcompat.standby import _shell_echo


def parse(optstring: str, *args: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    parsed = GetOpt(["listnodes", *args], optstring)
    return list(parsed), parsed.operands


def test_options_are_found_before_and_after_operands() -> None:
    assert parse("m", "node2", "-m") == ([("m", None)], ["node2"])
    assert parse("mv", "-mv", "node1") == ([("m", None), ("v", None)], ["node1"])
    assert parse("mp:", "-pkeepalive") == ([("p", "keepalive")], [])
    assert parse("mp:", "-p", "-m") == ([("p", "-m")], [])  # the next word, whatever it is
    assert parse("m", "--", "-m", "x") == ([], ["-m", "x"])
    assert parse("m", "-", "x") == ([], ["-", "x"])


def test_errors_name_the_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse("mpnv", "-x", "-n") == ([(BAD, None), ("n", None)], [])
    assert parse("mp:", "-p") == ([(BAD, None)], [])
    assert parse("m", "--long") == (
        [(BAD, None), (BAD, None), (BAD, None), (BAD, None), (BAD, None)],
        [],
    )
    assert capsys.readouterr().err.splitlines()[:3] == [
        "listnodes: invalid option -- 'x'",
        "listnodes: option requires an argument -- 'p'",
        "listnodes: invalid option -- '-'",
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [("500", 500), ("  42ms", 42), ("-7", -7), ("+3", 3), ("abc", 0), ("", 0), ("1e3", 1)],
)
def test_atoi(text: str, value: int) -> None:
    assert _atoi(text) == value


@pytest.mark.parametrize("fmt", ["%b %d %T ", "%Y/%m/%d_%T\t", "%H:%M"])
def test_shell_echo_matches_sh(fmt: str) -> None:
    """The same words, spaces and joins as the scripts' `echo `hadate`"text"`."""
    date = subprocess.run(["date", f"+{fmt}"], capture_output=True, text=True, check=True)
    for quoted in ("Going standby [all].", " hb_standby[1]:    text"):
        shell = subprocess.run(
            ["sh", "-c", 'echo `printf %s "$1"`"$2"', "sh", date.stdout.rstrip("\n"), quoted],
            capture_output=True,
            text=True,
            check=True,
        )
        assert _shell_echo(date.stdout.rstrip("\n"), quoted) + "\n" == shell.stdout
