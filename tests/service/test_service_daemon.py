"""A real hacored on loopback: sd_notify, -s/-k/-r, the double start, start-up failures."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import time

import pytest

from hacore.config.model import NOT_STARTED
from halab.labnode import process_start_time
from tests.service.service_support import LoopbackNode, NotifySocket


def status_line(pid: int) -> str:
    return f"heartbeat OK [pid {pid} et al] is running on {socket.gethostname().lower()} [n1]...\n"


# ---- systemd's notification socket ------------------------------------------------------


def test_ready_reload_and_stop_are_notified(loop_node: LoopbackNode, notify: NotifySocket) -> None:
    proc = loop_node.spawn(env={"NOTIFY_SOCKET": str(notify.path)})
    ready, before = notify.until("READY=1")
    assert before == [], "nothing is announced before the media are up"
    assert ready[1].startswith("STATUS=Running (generation ") and ready[1].endswith(
        "holding: nothing"
    )
    assert "transport_started" in loop_node.ha_log.read_text(), "READY=1 follows the media"

    proc.send_signal(signal.SIGHUP)
    reloading, _ = notify.until("RELOADING=1")
    assert reloading[1].startswith("MONOTONIC_USEC=")
    assert notify.until("READY=1")[1] == []

    reload = loop_node.hacored("-r")
    assert (reload.returncode, reload.stderr) == (
        0,
        f"info: Signalling hacored pid {proc.pid} to reread config files\n",
    )
    notify.until("RELOADING=1")
    notify.until("READY=1")

    proc.send_signal(signal.SIGTERM)
    stopping, _ = notify.until("STOPPING=1")
    assert stopping[1] == "STATUS=Stopping: handing the resource groups over"
    assert proc.wait(30) == 0
    assert not loop_node.pid_file_exists()


def test_watchdog_pings_come_from_the_main_loop_when_watchdog_usec_is_set(
    loop_node: LoopbackNode, notify: NotifySocket
) -> None:
    loop_node.spawn(env={"NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "2000000"})
    notify.until("READY=1")
    pings = []
    deadline = time.monotonic() + 3.5
    while time.monotonic() < deadline:
        if notify.receive(timeout=2.5) == ["WATCHDOG=1"]:
            pings.append(time.monotonic())
    gaps = [b - a for a, b in itertools.pairwise(pings)]
    assert len(pings) >= 3, pings
    assert max(gaps) < 2.0, f"systemd would have aborted the daemon: gaps {gaps}"


def test_no_watchdog_pings_without_watchdog_usec(
    loop_node: LoopbackNode, notify: NotifySocket
) -> None:
    loop_node.spawn(env={"NOTIFY_SOCKET": str(notify.path)})
    notify.until("READY=1")
    with pytest.raises(TimeoutError):
        while True:
            assert "WATCHDOG=1" not in notify.receive(timeout=1.5)


# ---- hacored -s / -k / -r ------------------------------------------------------------


def test_status_stop_and_reload_answer_as_heartbeat(loop_node: LoopbackNode) -> None:
    never = loop_node.hacored("-s")
    assert (never.returncode, never.stdout) == (3, "heartbeat is stopped. No process\n")
    not_running = loop_node.hacored("-r")
    assert not_running.returncode == 7
    assert not_running.stderr == "ERROR: hacored is not running: nothing to reload.\n"

    started = loop_node.hacored("--daemon")
    assert (started.returncode, started.stdout) == (0, "")
    pid = loop_node.daemon_pid()
    assert pid is not None and pid != os.getpid()
    running = loop_node.hacored("-s")
    assert (running.returncode, running.stdout) == (0, status_line(pid))

    loop_node.write_hacf("bogus_directive 1\n")
    refused = loop_node.hacored("-r")
    assert refused.returncode == 6 and refused.stderr.endswith(f"ERROR: {NOT_STARTED}\n")
    assert "Signalling" not in refused.stderr, "a bad file is never signalled"
    loop_node.write_hacf()
    assert loop_node.hacored("-r").returncode == 0
    loop_node.wait_log("Configuration reloaded")

    stopped = loop_node.hacored("-k")
    assert (stopped.returncode, stopped.stdout, stopped.stderr) == (0, "", "")
    assert "n1 Heartbeat shutdown complete." in loop_node.ha_log.read_text()
    assert process_start_time(pid) is None, "gone (or a zombie awaiting its reaper)"
    after = loop_node.hacored("-s")
    assert (after.returncode, after.stdout) == (3, "heartbeat is stopped. No process\n")
    again = loop_node.hacored("-k")
    assert (again.returncode, again.stderr) == (0, "INFO: hacored already stopped.\n")


def test_a_crashed_daemon_leaves_a_stale_pid_file(loop_node: LoopbackNode) -> None:
    assert loop_node.hacored("--daemon").returncode == 0
    pid = loop_node.daemon_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    while loop_node.hacored("-s").returncode == 0:
        time.sleep(0.05)
    stale = loop_node.hacored("-s")
    assert (stale.returncode, stale.stdout) == (1, "heartbeat is stopped. No process\n")
    assert loop_node.hacored("--daemon").returncode == 0, "a stale pid file is no obstacle"
    assert loop_node.hacored("-s").returncode == 0


# ---- one daemon per node ----------------------------------------------------------------


def test_a_second_daemon_changes_nothing(loop_node: LoopbackNode) -> None:
    assert loop_node.hacored("--daemon").returncode == 0
    pid = loop_node.daemon_pid()
    loop_node.wait_log("api_listening")
    files = [
        loop_node.state / "hb_generation",
        loop_node.state / "hb_uuid",
        loop_node.ha_log,
        loop_node.ha_log.with_name("ha-debug"),
        loop_node.run / "hacored.pid",
    ]
    time.sleep(0.3)  # let the running daemon's start-up lines settle
    before = {path: path.read_bytes() for path in files}
    socket_inode = (loop_node.run / "api.sock").stat().st_ino
    for extra in ((), ("--daemon",)):
        second = loop_node.hacored(*extra)
        assert (second.returncode, second.stdout) == (1, "")
        assert second.stderr == f"ERROR: hacored: already running [pid {pid}].\n"
    changed = [str(path) for path in files if path.read_bytes() != before[path]]
    assert changed in ([], [str(loop_node.ha_log), str(loop_node.ha_log.with_name("ha-debug"))])
    if changed:  # the running daemon may log meanwhile: only it, never the second one
        assert "already running" not in loop_node.ha_log.read_text()
        assert loop_node.ha_log.read_text().count("Starting hacore (generation") == 1
    assert (loop_node.run / "api.sock").stat().st_ino == socket_inode
    assert loop_node.hacored("-s").returncode == 0


# ---- start-up failures ------------------------------------------------------------------


def _no_side_effects(node: LoopbackNode, result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "ERROR: ERROR:" not in result.stderr
    assert result.stderr.count(NOT_STARTED) <= 1
    assert not (node.state / "hb_generation").exists(), "no generation number used up"
    assert not node.ha_log.exists(), "nothing logged"


def test_a_configuration_error_is_reported_once(loop_node: LoopbackNode) -> None:
    loop_node.write_hacf("bogus_directive 1\n")
    result = loop_node.hacored()
    hacf = loop_node.conf / "ha.cf"
    assert result.returncode == 6
    assert result.stderr.splitlines() == [
        f"ERROR: {hacf}:12: Illegal directive [bogus_directive] in {loop_node.conf}//ha.cf",
        "ERROR: Heartbeat not started: configuration error.",
        f"ERROR: {NOT_STARTED}",
    ]
    _no_side_effects(loop_node, result)


def test_what_the_machine_lacks_is_reported_before_anything_starts(
    loop_node: LoopbackNode,
) -> None:
    hacf = (loop_node.conf / "ha.cf").read_text()
    hacf = hacf.replace("ucast lo ", "ucast nosuch0 ").replace(
        f"{loop_node.root}/log/ha-", "/nonexistent/ha-"
    )
    (loop_node.conf / "ha.cf").write_text(hacf)
    (loop_node.conf / "haresources").write_text("n1 NoSuchScript\n")
    result = loop_node.hacored()
    assert result.returncode == 6
    assert result.stderr.splitlines() == [
        f"ERROR: {loop_node.conf}/haresources:1: Cannot locate resource script NoSuchScript "
        f"(resource 'NoSuchScript' of haresources; looked in {loop_node.conf}/resource.d "
        "and /etc/init.d)",
        f"ERROR: {loop_node.conf}/ha.cf:9: ucast nosuch0 127.0.0.1: "
        "interface nosuch0 does not exist",
        "ERROR: ha.cf logfile /nonexistent/ha-log: directory /nonexistent does not exist",
        "ERROR: ha.cf debugfile /nonexistent/ha-debug: directory /nonexistent does not exist",
        f"ERROR: {NOT_STARTED}",
    ]
    _no_side_effects(loop_node, result)
    check = loop_node.hacored("--check")
    assert (check.returncode, check.stderr) == (6, result.stderr), "--check says the same"


def test_an_api_socket_in_a_missing_directory(loop_node: LoopbackNode) -> None:
    loop_node.write_hacf("api_socket /nonexistent/hacore/api.sock\n")
    result = loop_node.hacored()
    assert result.returncode == 6
    assert result.stderr.splitlines() == [
        "ERROR: ha.cf api_socket /nonexistent/hacore/api.sock: "
        "directory /nonexistent/hacore does not exist",
        f"ERROR: {NOT_STARTED}",
    ]
    _no_side_effects(loop_node, result)


def test_an_unusable_run_directory(loop_node: LoopbackNode) -> None:
    loop_node.run.write_text("")
    result = loop_node.hacored()
    assert result.returncode == 1
    assert result.stderr == f"ERROR: run directory {loop_node.run} is not a directory\n"
    _no_side_effects(loop_node, result)


def test_a_read_only_run_directory(loop_node: LoopbackNode) -> None:
    loop_node.run.mkdir()
    result = _in_own_mounts(loop_node, f"mount -t tmpfs -o ro tmpfs {loop_node.run}")
    assert result.returncode == 1
    assert result.stderr == (
        f"ERROR: cannot create the pid file {loop_node.run}/hacored.pid: Read-only file system\n"
    )
    _no_side_effects(loop_node, result)


def _in_own_mounts(node: LoopbackNode, mounts: str, *args: str) -> subprocess.CompletedProcess[str]:
    """hacored in a private mount namespace, after ``mounts`` (shell) ran there."""
    script = f'{mounts} && exec "$@"'
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-ec", script, "sh", *node.args(*args)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_read_only_state_directory(loop_node: LoopbackNode) -> None:
    loop_node.state.mkdir()
    result = _in_own_mounts(loop_node, f"mount -t tmpfs -o ro tmpfs {loop_node.state}")
    assert result.returncode == 1
    assert result.stderr == (
        f"ERROR: state directory {loop_node.state}: cannot write: read-only file system\n"
    )
    _no_side_effects(loop_node, result)


def test_a_read_only_log_directory(loop_node: LoopbackNode) -> None:
    log_dir = loop_node.root / "log"
    result = _in_own_mounts(loop_node, f"mount -t tmpfs -o ro tmpfs {log_dir}")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"ERROR: ha.cf {what} {log_dir}/{name}: cannot create it in {log_dir}: "
        "read-only file system"
        for what, name in (("logfile", "ha-log"), ("debugfile", "ha-debug"))
    ]
    assert not (loop_node.state / "hb_generation").exists()


def test_a_full_state_directory_keeps_the_old_generation(loop_node: LoopbackNode) -> None:
    loop_node.state.mkdir()
    mounts = (
        f"mount -t tmpfs -o size=16k tmpfs {loop_node.state} && "
        f"printf '%15d\\n' 41 > {loop_node.state}/hb_generation && "
        f"(dd if=/dev/zero of={loop_node.state}/fill bs=4k 2>/dev/null || true) && "
        f"cp {loop_node.state}/hb_generation {loop_node.root}/generation-before"
    )
    probe = f"; cat {loop_node.state}/hb_generation > {loop_node.root}/generation-after"
    script = f'{mounts} && rc=0 && {{ "$@" || rc=$?; }} && echo $rc > {loop_node.root}/rc{probe}'
    result = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-ec", script, "sh", *loop_node.args()],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (loop_node.root / "rc").read_text().strip() == "1", result.stderr
    last = result.stderr.splitlines()[-1]
    assert last == (
        f"ERROR: Heartbeat not started: cannot write {loop_node.state}/hb_generation: "
        "No space left on device"
    )
    assert "Traceback" not in result.stderr
    assert (loop_node.root / "generation-after").read_text() == f"{41:15d}\n"
