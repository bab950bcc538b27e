"""scripts/install-deps.sh forbids daemon starts only while it installs, and only when
no policy-rc.d was there: a server's own policy is left alone, ours never stays behind.

apt-get, dpkg-query and pip are replaced by small recording scripts on PATH (the test
must not install anything); the script under test and bash are the real ones, and the
policy file is a private path (``POLICY_RC_D``), never /usr/sbin/policy-rc.d.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts/install-deps.sh"

# apt-get records, for each call, whether the policy existed and what it said.
APT_GET = """#!/bin/sh
{ echo "apt-get $*"; if [ -e "$POLICY_RC_D" ]; then cat "$POLICY_RC_D"; else echo absent; fi; } \
  >> "$RECORD"
exit "${APT_EXIT:-0}"
"""
DPKG_QUERY = """#!/bin/sh
[ "$INSTALLED" = all ] && printf 'install ok installed'
exit 0
"""
PYTHON3 = """#!/bin/sh
echo "python3 $*" >> "$RECORD"
"""


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("apt-get", APT_GET), ("dpkg-query", DPKG_QUERY), ("python3", PYTHON3)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    for tool in ("grep", "chmod", "rm", "cat"):  # PATH is this directory only
        (bin_dir / tool).symlink_to(shutil.which(tool) or f"/bin/{tool}")
    return tmp_path


def run(sandbox: Path, *, promtool: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    if promtool:
        (sandbox / "bin/promtool").write_text("#!/bin/sh\n")
        (sandbox / "bin/promtool").chmod(0o755)
    return subprocess.run(
        ["/bin/bash", str(SCRIPT)],
        cwd=sandbox,
        env={
            "PATH": str(sandbox / "bin"),
            "POLICY_RC_D": str(sandbox / "policy-rc.d"),
            "RECORD": str(sandbox / "record"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def record(sandbox: Path) -> str:
    return (sandbox / "record").read_text()


def test_policy_exists_during_installs_and_is_removed(sandbox: Path) -> None:
    result = run(sandbox)
    assert result.returncode == 0, result.stderr
    calls = record(sandbox)
    assert calls.count("exit 101") == 3  # update, install, install prometheus
    assert "absent" not in calls
    assert not (sandbox / "policy-rc.d").exists()
    assert "python3 -m pip install" in calls


def test_removed_when_an_install_fails(sandbox: Path) -> None:
    result = run(sandbox, APT_EXIT="100")
    assert result.returncode == 100
    assert "exit 101" in record(sandbox)
    assert not (sandbox / "policy-rc.d").exists()


def test_an_existing_policy_is_used_and_left_alone(sandbox: Path) -> None:
    policy = sandbox / "policy-rc.d"
    policy.write_text("#!/bin/sh\n# the site's own policy\nexit 0\n")
    policy.chmod(0o700)
    result = run(sandbox, APT_EXIT="100")
    assert result.returncode == 100
    assert "the site's own policy" in record(sandbox)
    assert policy.read_text() == "#!/bin/sh\n# the site's own policy\nexit 0\n"
    assert policy.stat().st_mode & 0o777 == 0o700


def test_a_dangling_symlink_is_not_written_through(sandbox: Path) -> None:
    policy = sandbox / "policy-rc.d"
    policy.symlink_to(sandbox / "elsewhere")
    assert run(sandbox).returncode == 0
    assert policy.is_symlink() and not (sandbox / "elsewhere").exists()


def test_nothing_to_install_creates_nothing(sandbox: Path) -> None:
    result = run(sandbox, promtool=True, INSTALLED="all")
    assert result.returncode == 0, result.stderr
    assert "apt-get" not in record(sandbox)
    assert not os.path.lexists(sandbox / "policy-rc.d")
