"""``hacored -s``, ``-k`` and ``-r``: Heartbeat's ``heartbeat -s/-k/-r`` for hacored.

``-s`` prints exactly what ``heartbeat -s`` prints, so init scripts, monitoring checks
and people reading it keep working (docs/protocol.md §12): running → ``heartbeat OK
[pid N et al] is running on HOST [NODE]...`` and 0; stopped → ``heartbeat is stopped.
No process`` and 3 without a pid file, 1 with a stale one. ``-k`` sends SIGTERM and
returns once the daemon has handed its groups over and exited. ``-r`` validates the
configuration first (a bad file is reported and nothing is signalled), then sends
SIGHUP.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import TextIO

from hacore.api import HacoreError
from hacore.config.nodename import local_node_name
from hacore.instance import find_running

EXIT_RUNNING = 0
EXIT_DEAD_PID_FILE = 1
EXIT_NOT_RUNNING = 3
EXIT_NOT_RUNNING_ACTION = 7  # LSB: "program is not running" (for actions other than status)
STOP_POLL_S = 0.05


def _node_name(config_dir: Path, override: str | None) -> str:
    try:
        return local_node_name(config_dir, override)
    except HacoreError:
        return os.uname().nodename.lower()


def status(
    run_dir: Path, config_dir: Path, node_name: str | None = None, out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    running = find_running(run_dir)
    if running.pid is None:
        out.write("heartbeat is stopped. No process\n")
        return EXIT_DEAD_PID_FILE if running.pid_file_exists else EXIT_NOT_RUNNING
    host = os.uname().nodename.lower()
    node = _node_name(config_dir, node_name)
    out.write(f"heartbeat OK [pid {running.pid} et al] is running on {host} [{node}]...\n")
    return EXIT_RUNNING


def stop(run_dir: Path, err: TextIO | None = None) -> int:
    """SIGTERM, then wait until the process is gone: the hand-over is over. It waits as
    long as the daemon needs, as ``heartbeat -k`` does (a daemon whose group failed to
    stop stays up on purpose, and ``-k`` returns once the operator has fixed that)."""
    err = err or sys.stderr
    running = find_running(run_dir)
    if running.pid is None:
        err.write("INFO: hacored already stopped.\n")
        return 0
    started = _start_time(running.pid)
    try:
        os.kill(running.pid, signal.SIGTERM)
    except ProcessLookupError:
        return 0
    except PermissionError:
        err.write(f"ERROR: not allowed to stop hacored [pid {running.pid}] (run as root)\n")
        return 4  # LSB: user had insufficient privilege
    while started is not None and _start_time(running.pid) == started:
        time.sleep(STOP_POLL_S)
    return 0


def _start_time(pid: int) -> int | None:
    """When ``pid`` started (with the pid, it names one process for good); None once it
    has exited, zombies included: a zombie holds nothing any more."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if stat[0] in ("Z", "X") else int(stat[19])


def reload(run_dir: Path, err: TextIO | None = None) -> int:
    """SIGHUP the running daemon (the caller has validated the configuration)."""
    err = err or sys.stderr
    running = find_running(run_dir)
    if running.pid is None:
        err.write("ERROR: hacored is not running: nothing to reload.\n")
        return EXIT_NOT_RUNNING_ACTION
    try:
        os.kill(running.pid, signal.SIGHUP)
    except ProcessLookupError:
        err.write("ERROR: hacored is not running: nothing to reload.\n")
        return EXIT_NOT_RUNNING_ACTION
    except PermissionError:
        err.write(f"ERROR: not allowed to signal hacored [pid {running.pid}] (run as root)\n")
        return 4
    err.write(f"info: Signalling hacored pid {running.pid} to reread config files\n")
    return 0
