"""Bounds on what the configuration files may hold: file size, binary content, line
length, names, Heartbeat's table sizes; and how many problems one report prints."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hacore.api import ConfigError, SourceLocation
from hacore.config.authkeys import parse_authkeys
from hacore.config.files import MAX_FILE_BYTES, MAX_LINE_CHARS
from hacore.config.hacf import parse_hacf
from hacore.config.haresources import parse_haresources
from hacore.config.loader import load_config
from hacore.config.model import (
    MAX_PROBLEMS_SHOWN,
    MAX_WARNINGS_SHOWN,
    ConfigErrors,
    HaCf,
)
from hacore.config.nodename import local_node_name
from hacore.plugins import PluginRegistry

BASE = "node node1 node2\nucast eth1 10.0.0.2\nauto_failback on\n"
TOO_LARGE = f"file too large (more than {MAX_FILE_BYTES} bytes, limit {MAX_FILE_BYTES})"


def hacf_errors(path: Path, registry: PluginRegistry) -> ConfigErrors:
    with pytest.raises(ConfigErrors) as caught:
        parse_hacf(path, registry, shown_as="/etc/ha.d//ha.cf")
    return caught.value


def parse(tmp_path: Path, registry: PluginRegistry, text: str) -> HaCf:
    path = tmp_path / "ha.cf"
    path.write_text(text)
    return parse_hacf(path, registry)


def problems(tmp_path: Path, registry: PluginRegistry, text: str) -> list[ConfigError]:
    path = tmp_path / "ha.cf"
    path.write_text(text)
    return list(hacf_errors(path, registry).problems)


# ---- files: size, devices, binary content, line length -------------------------------


@pytest.mark.timeout(20)
def test_hacf_symlinked_to_dev_zero_is_one_line(tmp_path: Path, registry: PluginRegistry) -> None:
    path = tmp_path / "ha.cf"
    path.symlink_to("/dev/zero")
    report = hacf_errors(path, registry)
    assert [p.message for p in report.problems] == [f"/etc/ha.d//ha.cf: {TOO_LARGE}"]
    assert len(report.lines()) == 3  # the problem, Heartbeat's two closing lines


@pytest.mark.timeout(20)
def test_haresources_and_authkeys_on_dev_zero(tmp_path: Path, registry: PluginRegistry) -> None:
    haresources = tmp_path / "haresources"
    haresources.symlink_to("/dev/zero")
    with pytest.raises(ConfigErrors) as caught:
        parse_haresources(haresources, ["node1"], registry, shown_as="/etc/ha.d//haresources")
    assert [p.message for p in caught.value.problems] == [f"/etc/ha.d//haresources: {TOO_LARGE}"]
    authkeys = tmp_path / "authkeys"
    authkeys.symlink_to("/dev/zero")
    with pytest.raises(ConfigErrors) as caught:
        parse_authkeys(authkeys, registry, shown_as="/etc/ha.d//authkeys")
    assert [p.message for p in caught.value.problems] == [f"/etc/ha.d//authkeys: {TOO_LARGE}"]


def test_a_large_regular_file_is_refused_by_its_size(
    tmp_path: Path, registry: PluginRegistry
) -> None:
    path = tmp_path / "haresources"
    with path.open("wb") as sparse:
        sparse.truncate(10 * 1024 * 1024)  # 10 MB without writing 10 MB
    with pytest.raises(ConfigErrors) as caught:
        parse_haresources(path, ["node1"], registry)
    (problem,) = caught.value.problems
    assert problem.message == (
        f"{path}: file too large ({10 * 1024 * 1024} bytes, limit {MAX_FILE_BYTES})"
    )


def test_a_binary_hacf_is_one_error(tmp_path: Path, registry: PluginRegistry) -> None:
    path = tmp_path / "ha.cf"
    garbage = bytes(range(256)) * 200  # 51 KB, NUL on the first line, 200 newlines
    path.write_bytes(b"node node1\n" + garbage)
    report = hacf_errors(path, registry)
    (problem,) = report.problems
    assert problem.message == "not a text file (a NUL byte on this line)"
    assert problem.location == SourceLocation(path, 2)
    assert sum(len(line) for line in report.lines()) < 300


def test_binary_authkeys_and_haresources(tmp_path: Path, registry: PluginRegistry) -> None:
    authkeys = tmp_path / "authkeys"
    authkeys.write_bytes(b"auth 1\n1 sha1 se\0cret\n")
    authkeys.chmod(0o600)
    with pytest.raises(ConfigErrors, match=r":2: not a text file \(a NUL byte on this line\)"):
        parse_authkeys(authkeys, registry)
    haresources = tmp_path / "haresources"
    haresources.write_bytes(b"\0node1 httpd\n")
    with pytest.raises(ConfigErrors, match=r":1: not a text file \(a NUL byte on this line\)"):
        parse_haresources(haresources, ["node1"], registry)


@pytest.mark.timeout(20)
def test_a_fifo_does_not_hang_the_check(tmp_path: Path, registry: PluginRegistry) -> None:
    path = tmp_path / "ha.cf"
    os.mkfifo(path)
    report = hacf_errors(path, registry)  # no writer: read as an empty file
    assert "No heartbeat media defined in /etc/ha.d//ha.cf" in [p.message for p in report.problems]


def test_overlong_lines_are_refused_one_by_one(tmp_path: Path, registry: PluginRegistry) -> None:
    long_line = "node " + "a" * MAX_LINE_CHARS
    found = problems(tmp_path, registry, BASE + long_line + "\nkeepalive banana\n")
    assert [(p.message, p.location and p.location.line) for p in found] == [
        (f"line too long ({len(long_line)} characters, limit {MAX_LINE_CHARS})", 4),
        ("keepalive [banana] is not a time: it must start with a number", 5),
    ]
    haresources = tmp_path / "haresources"
    haresources.write_text("node1 " + "x" * MAX_LINE_CHARS + "\nnode1 httpd\n")
    with pytest.raises(ConfigErrors) as caught:
        parse_haresources(haresources, ["node1"], registry)
    (problem,) = caught.value.problems
    assert problem.location == SourceLocation(haresources, 1)
    assert problem.message.startswith("line too long (")


def test_nodeinfo_on_dev_zero_and_with_a_bad_name(tmp_path: Path) -> None:
    nodeinfo = tmp_path / "nodeinfo"
    nodeinfo.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="file too large"):
        local_node_name(tmp_path)
    nodeinfo.unlink()
    nodeinfo.write_text("node\\1\n")
    with pytest.raises(ConfigError) as caught:
        local_node_name(tmp_path)
    assert caught.value.location == SourceLocation(nodeinfo, 1)
    assert caught.value.message.startswith("The node name [node\\\\1] is not a host name")


# ---- how much one report prints ------------------------------------------------------


def test_many_errors_print_a_count_after_the_first_ones(
    tmp_path: Path, registry: PluginRegistry
) -> None:
    path = tmp_path / "ha.cf"
    path.write_text(BASE + "".join(f"bogus{n} x\n" for n in range(500)))
    report = hacf_errors(path, registry)
    assert len(report.problems) == 500
    lines = report.lines()
    errors = [line for line in lines if "Illegal directive" in line]
    assert len(errors) == MAX_PROBLEMS_SHOWN
    assert f"ERROR: … and {500 - MAX_PROBLEMS_SHOWN} more" in lines


def test_a_long_problem_is_cut(tmp_path: Path, registry: PluginRegistry) -> None:
    report = hacf_errors_text(tmp_path, registry, BASE + "x" * 4000 + "\n")
    (line,) = [line for line in report.lines() if "Illegal directive" in line]
    assert len(line) < 700 and line.endswith("more characters)")


def hacf_errors_text(tmp_path: Path, registry: PluginRegistry, text: str) -> ConfigErrors:
    path = tmp_path / "ha.cf"
    path.write_text(text)
    return hacf_errors(path, registry)


def test_repeated_warnings_are_counted(tmp_path: Path, registry: PluginRegistry) -> None:
    cf = parse(tmp_path, registry, BASE + "node node1\n" * 300)
    assert len(cf.warnings) == MAX_WARNINGS_SHOWN + 1
    assert cf.warnings[-1].message == f"… and {300 - MAX_WARNINGS_SHOWN} more warnings"


def test_loader_caps_haresources_warnings(seed_dir: Path, registry: PluginRegistry) -> None:
    haresources = seed_dir / "haresources"
    haresources.write_text(haresources.read_text() + "node2\n" * 200)
    config = load_config(seed_dir, registry, node_name="node1")
    assert config.warnings[-1].message.endswith("more warnings")
    assert len(config.warnings) == MAX_WARNINGS_SHOWN + 1


# ---- names and Heartbeat's table sizes ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a\\b", "Node name [a\\\\b] is not a host name"),
        ("-node", "Node name [-node] is not a host name"),
        ("nödé", "Node name [n\\xf6d\\xe9] is not a host name"),
        ("n" * 150, f"Node name [{'n' * 40}…] is too long (150 characters, limit 99)"),
    ],
)
def test_bad_node_names(tmp_path: Path, registry: PluginRegistry, name: str, message: str) -> None:
    (problem,) = problems(tmp_path, registry, BASE + f"node {name}\n")
    assert problem.message.startswith(message)
    assert problem.location is not None and problem.location.line == 4


def test_names_heartbeat_accepts(tmp_path: Path, registry: PluginRegistry) -> None:
    longest = "n" * 99
    cf = parse(tmp_path, registry, BASE + f"node {longest} db_01.example.com 10.1.2.3\n")
    assert cf.nodes[2:] == [longest, "db_01.example.com", "10.1.2.3"]


def test_at_most_100_nodes_ping_nodes_included(tmp_path: Path, registry: PluginRegistry) -> None:
    nodes = " ".join(f"n{i}" for i in range(3, 100))  # 97 + node1, node2 = 99
    cf = parse(tmp_path, registry, BASE + f"node {nodes}\nping 10.0.0.9\n")
    assert len(cf.nodes) + len(cf.ping_nodes) == 100
    found = problems(tmp_path, registry, BASE + f"node {nodes}\nping 10.0.0.9 10.0.0.10\n")
    assert [(p.message, p.location and p.location.line) for p in found] == [
        ("Too many nodes specified (> 100)", 5)
    ]


def test_300_nodes_are_one_error(tmp_path: Path, registry: PluginRegistry) -> None:
    lines = "".join(f"node n{i}\n" for i in range(300))
    found = problems(tmp_path, registry, BASE + lines)
    assert [(p.message, p.location and p.location.line) for p in found] == [
        ("Too many nodes specified (> 100)", 4 + 98)
    ]


def test_at_most_64_media(tmp_path: Path, registry: PluginRegistry) -> None:
    # ucast (1 link) + 63 bcast interfaces = 64: accepted
    cf = parse(tmp_path, registry, BASE + "bcast " + " ".join(f"e{i}" for i in range(63)) + "\n")
    assert len(cf.media) == 2
    found = problems(tmp_path, registry, BASE + "".join(f"bcast eth{i}\n" for i in range(70)))
    assert [(p.message, p.location and p.location.line) for p in found] == [
        ("Too many media specified (> 64)", 4 + 63)
    ]
    # ping nodes are media too
    pings = "".join(f"ping 10.9.0.{i}\n" for i in range(1, 65))
    found = problems(tmp_path, registry, BASE + pings)
    assert [p.message for p in found] == ["Too many media specified (> 64)"]


def test_ping_group_name_is_a_node_name(tmp_path: Path, registry: PluginRegistry) -> None:
    (problem,) = problems(tmp_path, registry, BASE + "ping_group g=1 10.0.0.9\n")
    assert problem.message.startswith("Ping group name [g=1] is not a host name")


# ---- logging directives, warnings that point at the deciding line --------------------


def test_logfacility_mark_is_refused(tmp_path: Path, registry: PluginRegistry) -> None:
    (problem,) = problems(tmp_path, registry, BASE + "logfacility mark\n")
    assert problem.message.startswith("Log facility(mark) not valid: ")
    assert problem.location is not None and problem.location.line == 4
    assert parse(tmp_path, registry, BASE + "logfacility security\n").logfacility == "security"


def test_legacy_warnings_point_at_the_nice_failback_line(
    tmp_path: Path, registry: PluginRegistry
) -> None:
    cf = parse(tmp_path, registry, BASE + "keepalive 1\nnice_failback off\n")
    legacy = [w for w in cf.warnings if w.message.startswith("Deprecated 'legacy'")]
    assert [w.location and w.location.line for w in legacy] == [5]
