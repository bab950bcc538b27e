"""`make install` / `make uninstall` into a staged root, the systemd unit, the packages.

The staged root (DESTDIR) stands for a Debian machine: the tests put Heartbeat's files
into it when they need "Heartbeat is installed", and never touch the real /etc.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PREFIX = "/opt/hacore"
pytestmark = pytest.mark.slow


def make(target: str, destdir: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    assignments = [f"{k}={v}" for k, v in {"DESTDIR": str(destdir), **variables}.items()]
    return subprocess.run(
        ["make", "-s", "-C", str(REPO), target, *assignments],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One `make install` for the module (it builds a virtual environment: slow)."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    root = tmp_path_factory.mktemp("root")
    (root / "etc/ha.d").mkdir(parents=True)
    (root / "etc/ha.d/ha.cf").write_text("# the operator's, never touched\n")
    result = make("install", root)
    assert result.returncode == 0, result.stderr
    yield root


def test_install_puts_hacore_in_its_own_virtualenv_and_links_the_commands(staged: Path) -> None:
    venv = staged / PREFIX.lstrip("/")
    assert (venv / "pyvenv.cfg").exists()
    assert os.readlink(staged / "usr/sbin/hacored") == f"{PREFIX}/bin/hacored"
    assert os.readlink(staged / "usr/bin/hactl") == f"{PREFIX}/bin/hactl"
    shebang = (venv / "bin/hacored").read_text().splitlines()[0]
    assert shebang == f"#!{PREFIX}/bin/python", "the staged tree runs once unpacked in PREFIX"
    code = "import hacore, hactl, halab, hacore_plugins; print(hacore.__version__)"
    imported = subprocess.run([str(venv / "bin/python"), "-c", code], capture_output=True)
    assert imported.returncode == 0, imported.stderr
    version = subprocess.run(
        [str(venv / "bin/python"), "-m", "hacore.daemon", "--version"],
        capture_output=True,
        text=True,
    )
    assert version.stdout.startswith("hacored ")
    assert (
        (venv / "share/doc/hacore/LICENSE")
        .read_text()
        .startswith("                    GNU GENERAL PUBLIC LICENSE")
    )


def test_install_puts_every_service_file_in_place(staged: Path) -> None:
    for path, mode in (
        ("etc/systemd/system/hacore.service", 0o644),
        ("etc/init.d/hacore", 0o755),
        ("etc/init.d/heartbeat", 0o755),
        ("etc/logrotate.d/hacore", 0o644),
        ("etc/tmpfiles.d/hacore.conf", 0o644),
        ("etc/default/hacore", 0o644),
    ):
        assert (staged / path).stat().st_mode & 0o777 == mode, path
    assert os.readlink(staged / "etc/systemd/system/heartbeat.service") == "hacore.service"
    provides = {
        name: [
            line
            for line in (staged / f"etc/init.d/{name}").read_text().splitlines()
            if line.startswith("# Provides:")
        ]
        for name in ("hacore", "heartbeat")
    }
    assert provides == {
        "hacore": ["# Provides:          hacore"],
        "heartbeat": ["# Provides:          heartbeat"],
    }, "insserv refuses two scripts providing one name"
    assert (staged / "etc/ha.d/ha.cf").read_text() == "# the operator's, never touched\n"
    unit = (staged / "etc/systemd/system/hacore.service").read_text()
    for line in (
        "Type=notify",
        "KillMode=process",
        "SendSIGKILL=no",
        "TimeoutStopSec=30min",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Conflicts=heartbeat.service",
        "RuntimeDirectory=hacore",
        "RuntimeDirectoryPreserve=yes",
        "StateDirectory=hacore",
        "ExecStart=/usr/sbin/hacored -c /etc/ha.d $HACORED_OPTS",
    ):
        assert line in unit.splitlines(), line


def test_systemd_analyze_verify_finds_nothing_to_say(staged: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    unit = (staged / "etc/systemd/system/hacore.service").read_text()
    # verify insists that ExecStart exists here: point it at the staged daemon
    hacored = staged / PREFIX.lstrip("/") / "bin/hacored"
    (tmp_path / "hacore.service").write_text(unit.replace("/usr/sbin/hacored", str(hacored)))
    result = subprocess.run(
        [analyze, "verify", str(tmp_path / "hacore.service")], capture_output=True, text=True
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_where_heartbeat_is_installed_its_files_are_left_alone(staged: Path) -> None:
    own = {
        "etc/init.d/heartbeat": "#!/bin/sh\n# Heartbeat's own init script\n",
        "lib/systemd/system/heartbeat.service": "[Service]\nExecStart=/bin/true\n",
        "etc/logrotate.d/heartbeat": "/var/log/ha-log {\n    missingok\n}\n",
    }
    (staged / "etc/systemd/system/heartbeat.service").unlink()
    (staged / "etc/logrotate.d/hacore").unlink()
    (staged / "etc/default/hacore").write_text('HACORED_OPTS="--node-name node1"\n')
    for path, text in own.items():
        (staged / path).parent.mkdir(parents=True, exist_ok=True)
        (staged / path).write_text(text)
    result = make("install", staged)
    assert result.returncode == 0, result.stderr
    for path, text in own.items():
        assert (staged / path).read_text() == text, path
    assert not (staged / "etc/systemd/system/heartbeat.service").exists()
    assert not (staged / "etc/logrotate.d/hacore").exists(), "logrotate refuses duplicates"
    assert "skipped /etc/init.d/heartbeat: Heartbeat's own init script is installed" in (
        result.stdout
    )
    assert (staged / "etc/default/hacore").read_text() == 'HACORED_OPTS="--node-name node1"\n'
    assert (staged / "etc/init.d/hacore").exists()


def test_uninstall_leaves_the_configuration_state_and_others_files(staged: Path) -> None:
    (staged / "var/lib/hacore").mkdir(parents=True)
    (staged / "var/lib/hacore/hb_uuid").write_bytes(b"0123456789abcdef")
    heartbeats = staged / "lib/systemd/system/heartbeat.service"
    heartbeats.parent.mkdir(parents=True, exist_ok=True)
    heartbeats.write_text("[Service]\nExecStart=/bin/true\n")
    tmpfiles = staged / "etc/tmpfiles.d/hacore.conf"
    tmpfiles.write_text(tmpfiles.read_text() + "d /run/hacore-extra 0755 root root -\n")
    result = make("uninstall", staged)
    assert result.returncode == 0, result.stderr
    assert not (staged / PREFIX.lstrip("/")).exists()
    for gone in ("usr/sbin/hacored", "usr/bin/hactl", "etc/init.d/hacore"):
        assert not (staged / gone).exists() and not (staged / gone).is_symlink(), gone
    assert not (staged / "etc/systemd/system/hacore.service").exists()
    assert (staged / "etc/ha.d/ha.cf").read_text() == "# the operator's, never touched\n"
    assert (staged / "var/lib/hacore/hb_uuid").read_bytes() == b"0123456789abcdef"
    assert heartbeats.exists()
    assert tmpfiles.exists(), "changed by the operator: kept"
    assert "kept /etc/tmpfiles.d/hacore.conf (changed since installed)" in result.stdout


def test_install_refuses_a_prefix_that_is_not_its_virtualenv(tmp_path: Path) -> None:
    (tmp_path / "opt/hacore").mkdir(parents=True)
    (tmp_path / "opt/hacore/precious").write_text("")
    result = make("install", tmp_path)
    assert result.returncode != 0
    assert "/opt/hacore exists and is not a virtual environment" in result.stderr
    assert (tmp_path / "opt/hacore/precious").exists()


def test_build_makes_a_wheel_and_an_sdist_without_warnings(tmp_path: Path) -> None:
    pytest.importorskip("build")
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # setuptools warns that it cannot byte-compile
    env["PIP_CONFIG_FILE"] = os.devnull  # this machine's pip.conf names absent local indexes
    work = tmp_path / "src"
    shutil.copytree(REPO, work, ignore=shutil.ignore_patterns(".venv", "*.egg-info", "build"))
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path / "dist"), str(work)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    warnings = [
        line for line in (result.stdout + result.stderr).splitlines() if "warn" in line.lower()
    ]
    assert warnings == []
    wheel = zipfile.ZipFile(tmp_path / "dist/hacore-0.1.0-py3-none-any.whl")
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert {"hacore", "hactl", "halab", "hacore_plugins"} <= tops
    metadata = wheel.read("hacore-0.1.0.dist-info/METADATA").decode()
    for field in ("License-Expression: GPL-2.0-or-later", "License-File: LICENSE", "Author: "):
        assert field in metadata, field
    assert "Classifier: Topic :: System :: Clustering" in metadata
    with tarfile.open(tmp_path / "dist/hacore-0.1.0.tar.gz") as sdist:
        names = set(sdist.getnames())
    for shipped in (
        "LICENSE",
        "Makefile",
        "scripts/install.sh",
        "scripts/uninstall.sh",
        "contrib/systemd/hacore.service",
        "contrib/init.d/hacore",
        "contrib/logrotate.d/hacore",
        "contrib/tmpfiles.d/hacore.conf",
        "contrib/default/hacore",
    ):
        assert f"hacore-0.1.0/{shipped}" in names, shipped
