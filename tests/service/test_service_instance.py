"""The instance lock and pid file, held by real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hacore.api import HacoreError
from hacore.instance import AlreadyRunning, InstanceLock, find_running, pid_file

HOLDER = """
import sys, time
from pathlib import Path
from hacore.instance import InstanceLock
InstanceLock(Path(sys.argv[1])).acquire()
print("locked", flush=True)
time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock in tmp_path/run (killed at the end)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "run")], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def test_nothing_running_and_no_pid_file(tmp_path: Path) -> None:
    running = find_running(tmp_path)
    assert running.pid is None and not running.pid_file_exists


def test_a_second_instance_is_refused_with_the_holders_pid(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    run = tmp_path / "run"
    assert find_running(run).pid == holder.pid
    with pytest.raises(AlreadyRunning) as refused:
        InstanceLock(run).acquire()
    assert str(refused.value) == f"hacored: already running [pid {holder.pid}]."
    assert pid_file(run).read_text() == f"{holder.pid}\n", "the pid file is left as it was"


def test_a_killed_holder_leaves_a_stale_pid_file_that_the_next_start_takes_over(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    run = tmp_path / "run"
    holder.kill()
    holder.wait()
    running = find_running(run)
    assert running.pid is None and running.pid_file_exists
    lock = InstanceLock(run)
    lock.acquire()
    assert pid_file(run).read_text() == f"{os.getpid()}\n"
    lock.release()
    assert not pid_file(run).exists(), "a clean exit removes the pid file"


def test_querying_never_takes_the_lock(tmp_path: Path) -> None:
    lock = InstanceLock(tmp_path)
    lock.acquire()
    try:
        code = "import sys; from pathlib import Path; from hacore.instance import find_running;"
        code += "print(find_running(Path(sys.argv[1])).pid)"
        out = subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True
        )
        assert out.stdout.strip() == str(os.getpid())
        assert find_running(tmp_path).pid is None, "our own lock does not conflict with us"
    finally:
        lock.release()


def test_an_unusable_run_directory_is_one_clear_error(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    with pytest.raises(HacoreError, match=r"^run directory .*/file is not a directory$"):
        InstanceLock(not_a_dir).acquire()
