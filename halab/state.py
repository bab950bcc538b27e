"""What a lab run created, on disk, so that a crashed run can be cleaned up later.

One JSON file per run in /run/hacore-lab/<prefix>.json (tmpfs: a reboot forgets it, as
it forgets the namespaces).  Cleanup removes only what a file names: its namespaces
(killing, by pid, the processes inside them), its recorded pids if they are still the
same processes (pid + start time), and its work dir - never anything found by pattern.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from halab.labnode import process_start_time

STATE_DIR = Path("/run/hacore-lab")
WORKDIR_PARENT = Path("/tmp")
WORKDIR_PREFIX = "hacore-lab-"


@dataclass
class RunState:
    prefix: str
    kind: str  # "up", "demo", "test", "bench"...
    owner_pid: int
    owner_start: int | None
    workdir: str
    namespaces: list[str] = field(default_factory=list)
    pids: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # role -> pid, start
    nodes: dict[str, int] = field(default_factory=dict)  # node -> init pid, for `halab exec`
    daemon: str = ""

    @property
    def path(self) -> Path:
        return STATE_DIR / f"{self.prefix}.json"

    def save(self) -> None:
        STATE_DIR.mkdir(mode=0o700, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.replace(self.path)

    def record_pid(self, role: str, pid: int) -> None:
        self.pids[role] = (pid, process_start_time(pid))

    def owner_alive(self) -> bool:
        if self.owner_start is None:
            return False
        return process_start_time(self.owner_pid) == self.owner_start


def load_all() -> list[RunState]:
    states = []
    for path in sorted(STATE_DIR.glob("*.json")):
        with contextlib.suppress(OSError, ValueError, TypeError):
            data = json.loads(path.read_text())
            data["pids"] = {k: tuple(v) for k, v in data.get("pids", {}).items()}
            states.append(RunState(**data))
    return states


def _same_process(pid: int, start: int | None) -> bool:
    return start is not None and process_start_time(pid) == start


def clean(state: RunState) -> list[str]:
    """Remove everything ``state`` recorded; returns the namespaces that were deleted."""
    for pid, start in state.pids.values():
        if _same_process(pid, start):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    deleted = []
    for ns in reversed(state.namespaces):
        if not (Path("/run/netns") / ns).exists():
            continue
        listing = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
        for pid_text in listing.stdout.split():
            if int(pid_text) != os.getpid():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid_text), signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        deleted.append(ns)
    workdir = Path(state.workdir)
    if workdir.parent == WORKDIR_PARENT and workdir.name.startswith(WORKDIR_PREFIX):
        shutil.rmtree(workdir, ignore_errors=True)
    state.path.unlink(missing_ok=True)
    return deleted


def clean_stale() -> list[RunState]:
    """Clean every recorded run whose owner process is gone (crashed, killed -9)."""
    stale = [s for s in load_all() if not s.owner_alive()]
    for state in stale:
        clean(state)
    return stale


def stop_run(state: RunState, timeout: float = 15.0) -> None:
    """Ask a live run's owner to clean up (SIGTERM), then clean whatever is left."""
    if state.owner_alive():
        with contextlib.suppress(ProcessLookupError):
            os.kill(state.owner_pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while state.owner_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
    clean(state)
