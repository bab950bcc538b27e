"""`hacored --check`: the summary, the error report, exit codes; Heartbeat's own files."""

from __future__ import annotations

import gzip
import io
import subprocess
from pathlib import Path

import pytest

from hacore.check import EXIT_NOT_CONFIGURED, format_summary, run_check
from hacore.config.authkeys import parse_authkeys
from hacore.config.hacf import parse_hacf
from hacore.config.haresources import parse_haresources
from hacore.config.loader import load_config
from hacore.config.model import NOT_STARTED, ConfigErrors
from hacore.config.validate import HEARTBEAT_DEFAULTS
from hacore.plugins import PluginRegistry

DOC = Path("/usr/share/doc/heartbeat")
HEARTBEAT = Path("/usr/libexec/heartbeat/heartbeat")


def check(directory: Path, registry: PluginRegistry, node: str = "node1") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_check(directory, node, registry=registry, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_seed_summary(seed_dir: Path, registry: PluginRegistry) -> None:
    code, out, err = check(seed_dir, registry)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"Configuration in {seed_dir} is valid.",
        "Nodes: node1 (local), node2",
        "Ping nodes: 10.0.0.2",
        "Media:",
        "  ucast eth1 172.16.0.51  (links: eth1)  [udpport 694]",
        "Timings: keepalive 2000 ms, warntime 4000 ms, deadtime 60000 ms, "
        "initdead 120000 ms, deadping 60000 ms",
        "auto_failback: on",
        "Authentication: auth 1 (crc)",
        "Resource groups:",
        "  IPaddr::10.0.0.60  (preferred node node1): IPaddr::10.0.0.60 httpd",
        "Respawn: respawn hacluster /usr/lib/heartbeat/ipfail  (runs the built-in ipfail helper)",
        "Warnings: none",
    ]


def test_summary_lists_warnings_and_never_keys(seed_dir: Path, registry: PluginRegistry) -> None:
    (seed_dir / "authkeys").write_text("auth 2\n1 crc\n2 sha1 TopSecretKey\n")
    with (seed_dir / "ha.cf").open("a") as hacf:
        hacf.write("coredumps on\nping_group uplinks 10.0.0.1 10.0.0.254\n")
    config = load_config(seed_dir, registry, "node2")
    summary = format_summary(config, registry)
    assert "TopSecretKey" not in summary
    assert "Authentication: auth 2 (sha1); also accepted: 1 crc" in summary
    assert "Nodes: node1, node2 (local)" in summary
    assert "Ping nodes: 10.0.0.2, uplinks (group: 10.0.0.1 10.0.0.254)" in summary
    assert f"  WARN: {seed_dir / 'ha.cf'}:18: Directive [coredumps] has no effect" in summary
    assert "  ucast eth1 172.16.0.51  (links: eth1)  [udpport 694]" in summary


def test_errors_go_to_stderr_with_exit_6(seed_dir: Path, registry: PluginRegistry) -> None:
    (seed_dir / "authkeys").chmod(0o640)
    code, out, err = check(seed_dir, registry)
    assert (code, out) == (EXIT_NOT_CONFIGURED, "")
    assert err.splitlines() == [
        f"ERROR: Bad permissions on keyfile [{seed_dir}//authkeys], 600 recommended.",
        "ERROR: Authentication configuration error.",
        f"ERROR: {NOT_STARTED}",
    ]
    assert EXIT_NOT_CONFIGURED == 6


def test_bad_node_name_override(seed_dir: Path, registry: PluginRegistry) -> None:
    code, _, err = check(seed_dir, registry, node=" ")
    assert code == 6
    assert err.splitlines() == ["ERROR: --node-name must not be empty", f"ERROR: {NOT_STARTED}"]


def test_run_check_loads_the_installed_plugins(seed_dir: Path) -> None:
    """Without a registry it uses the entry points; whatever they provide, no traceback."""
    out, err = io.StringIO(), io.StringIO()
    code = run_check(seed_dir, "node1", out=out, err=err)
    assert code in (0, 6)
    assert (out.getvalue() if code == 0 else err.getvalue()).strip()
    assert "Traceback" not in err.getvalue()


# ---- the example files shipped in Debian's heartbeat package --------------------------


def _doc_file(name: str, target: Path) -> Path:
    for candidate in (DOC / name, DOC / f"{name}.gz"):
        if candidate.exists():
            data = candidate.read_bytes()
            target.write_bytes(gzip.decompress(data) if candidate.suffix == ".gz" else data)
            return target
    pytest.fail(f"{DOC}/{name} is missing although the heartbeat package is installed")


@pytest.mark.requires(str(DOC))
def test_debian_example_ha_cf(tmp_path: Path, registry: PluginRegistry) -> None:
    """Only `logfacility local0` and `auto_failback on` are active in it."""
    path = _doc_file("ha.cf", tmp_path / "ha.cf")
    with pytest.raises(ConfigErrors) as caught:
        parse_hacf(path, registry)
    assert [p.message for p in caught.value.problems] == [
        f"No heartbeat media defined in {path}",
        f"no nodes defined in {path}",
    ]
    # With the two required lines added, the documented file is valid as it is.
    with path.open("a") as hacf:
        hacf.write("node node1\nbcast eth0\n")
    cf = parse_hacf(path, registry)
    assert (cf.logfacility, cf.auto_failback) == ("local0", "on")


@pytest.mark.requires(str(DOC))
def test_debian_example_haresources(tmp_path: Path) -> None:
    path = _doc_file("haresources", tmp_path / "haresources")
    assert parse_haresources(path, ["node1"]) == []


@pytest.mark.requires(str(DOC))
def test_debian_example_authkeys(tmp_path: Path, registry: PluginRegistry) -> None:
    path = _doc_file("authkeys", tmp_path / "authkeys")
    path.chmod(0o600)
    with pytest.raises(ConfigErrors) as caught:
        parse_authkeys(path, registry)
    assert [p.message for p in caught.value.problems] == [
        f"Missing auth directive in keyfile [{path}]"
    ]
    text = path.read_text().replace("#auth 1", "auth 1").replace("#1 crc", "1 crc")
    path.write_text(text)
    assert parse_authkeys(path, registry).signer.method.name == "crc"


@pytest.mark.requires(str(HEARTBEAT))
def test_parameter_defaults_match_heartbeat_d(tmp_path: Path, registry: PluginRegistry) -> None:
    """`heartbeat -D` only prints its defaults table; it never starts the daemon."""
    table = subprocess.run(
        [str(HEARTBEAT), "-D"], capture_output=True, text=True, timeout=10, check=True
    ).stdout
    real = dict(line.split()[:2] for line in table.splitlines()[2:] if line.strip())
    assert real == HEARTBEAT_DEFAULTS
    path = tmp_path / "ha.cf"
    path.write_text("node a\nbcast eth0\n")
    parameters = parse_hacf(path, registry).parameters
    assert {name: parameters[name] for name in real} == real
