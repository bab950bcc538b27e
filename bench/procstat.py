"""CPU time and memory of a daemon's processes, from /proc/PID/stat, status, smaps_rollup.

CPU = the time every thread of the process ran (schedstat, in nanoseconds) + cutime +
cstime: a daemon that forks helpers (Heartbeat's ResourceManager, resource scripts) pays
for them too, once they are reaped.  utime and stime count whole clock ticks (10 ms),
sampled: an idle daemon at 0.5 % runs for about 15 ticks in a 30 s window, so a figure
from them is ±25 %; schedstat is exact.  Samples are keyed by (pid, start time), so a pid
reused during the window is not mistaken for the same process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
POLICIES = {0: "SCHED_OTHER", 1: "SCHED_FIFO", 2: "SCHED_RR", 3: "SCHED_BATCH", 5: "SCHED_IDLE"}
# What each daemon's processes are called (comm); hacored is a Python script.
DAEMON_COMMS = {"hacore": "hacored", "heartbeat": "heartbeat", "keepalived": "keepalived"}


@dataclass(frozen=True)
class StatFields:
    comm: str
    state: str
    cpu_ticks: int  # utime + stime + cutime + cstime
    start_ticks: int
    policy: int
    rt_priority: int
    children_ticks: int = 0  # cutime + cstime: reaped children


@dataclass(frozen=True)
class ProcSample:
    pid: int
    stat: StatFields
    rss_kib: int
    pss_kib: int | None
    run_ns: int | None = None  # every live thread's time on a CPU (schedstat), cutime/cstime apart

    @property
    def key(self) -> tuple[int, int]:
        return (self.pid, self.stat.start_ticks)


def parse_stat(text: str) -> StatFields:
    """One /proc/PID/stat line (the command name may contain spaces and parentheses)."""
    head, _, rest = text.rpartition(")")
    if not _:
        raise ValueError(f"not a /proc/PID/stat line: {text[:60]!r}")
    comm = head.split("(", 1)[1] if "(" in head else head
    fields = rest.split()
    if len(fields) < 39:
        raise ValueError(f"/proc/PID/stat line too short ({len(fields)} fields after comm)")
    # fields[i] is stat field i + 3 (1-based, proc(5)): 14 utime .. 17 cstime, 22 starttime
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    children = int(fields[13]) + int(fields[14])
    return StatFields(
        comm, fields[0], ticks, int(fields[19]), int(fields[38]), int(fields[37]), children
    )


def run_ns(pid: int) -> int | None:
    """Nanoseconds every live thread of ``pid`` has run (None if unreadable)."""
    total = 0
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            with open(f"{task.path}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total


def parse_kib(text: str, field: str) -> int | None:
    """``VmRSS:    1234 kB`` (status) or ``Pss:  56 kB`` (smaps_rollup) -> KiB."""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == field:
            return int(value.split()[0])
    return None


def is_daemon_process(kind: str, comm: str, argv: list[str]) -> bool:
    """Whether a process belongs to the daemon ``kind`` (its init scripts do not)."""
    wanted = DAEMON_COMMS[kind]
    if argv and Path(argv[0]).name in ("sh", "bash", "dash"):
        return False  # /etc/init.d/heartbeat also has comm "heartbeat"
    if comm == wanted:
        return True
    return comm.startswith("python") and len(argv) > 1 and Path(argv[1]).name == wanted


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def sample(pid: int) -> ProcSample | None:
    """The process' counters now; None if it is gone (or a zombie)."""
    stat_text = _read(f"/proc/{pid}/stat")
    status = _read(f"/proc/{pid}/status")
    if stat_text is None or status is None:
        return None
    stat = parse_stat(stat_text)
    if stat.state in ("Z", "X"):
        return None
    rollup = _read(f"/proc/{pid}/smaps_rollup")
    pss = parse_kib(rollup, "Pss") if rollup else None
    return ProcSample(pid, stat, parse_kib(status, "VmRSS") or 0, pss, run_ns(pid))


def netns_inode(name: str) -> int | None:
    """The inode identifying the named network namespace (/run/netns/<name>)."""
    try:
        return os.stat(f"/run/netns/{name}").st_ino
    except OSError:
        return None


def pids_by_netns(namespaces: Mapping[str, str]) -> dict[str, list[int]]:
    """key -> pids of the processes in that key's namespace, from one pass over /proc."""
    wanted = {ino: key for key, ns in namespaces.items() if (ino := netns_inode(ns)) is not None}
    found: dict[str, list[int]] = {key: [] for key in namespaces}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                key = wanted.get(os.stat(f"/proc/{entry.name}/ns/net").st_ino)
            except OSError:
                continue
            if key is not None:
                found[key].append(int(entry.name))
    return found


def argv_of(pid: int) -> list[str]:
    raw = _read(f"/proc/{pid}/cmdline")
    return [part for part in (raw or "").split("\0") if part]


def daemon_samples(kind: str, pids: Iterable[int]) -> dict[tuple[int, int], ProcSample]:
    """Samples of the daemon's processes among ``pids`` (every process of one node)."""
    out = {}
    for pid in pids:
        snap = sample(pid)
        if snap is not None and is_daemon_process(kind, snap.stat.comm, argv_of(pid)):
            out[snap.key] = snap
    return out


@dataclass(frozen=True)
class Usage:
    cpu_pct: float
    rss_mib: float
    pss_mib: float | None
    procs: int
    policies: list[str]


def usage(
    before: Mapping[tuple[int, int], ProcSample],
    after: Mapping[tuple[int, int], ProcSample],
    seconds: float,
) -> Usage:
    """CPU % of one core over the window, and memory at its end.

    A process that started during the window counts from zero; one that ended is lost
    (its parent's cutime catches it if the parent reaped it).
    """
    used_s = sum(cpu_seconds(before.get(k), s) for k, s in after.items())
    pss = [s.pss_kib for s in after.values()]
    return Usage(
        cpu_pct=100.0 * used_s / seconds if seconds > 0 else 0.0,
        rss_mib=sum(s.rss_kib for s in after.values()) / 1024,
        pss_mib=None if not pss or None in pss else sum(p or 0 for p in pss) / 1024,
        procs=len(after),
        policies=sorted({POLICIES.get(s.stat.policy, str(s.stat.policy)) for s in after.values()}),
    )


def cpu_seconds(before: ProcSample | None, after: ProcSample) -> float:
    """CPU one process used between two samples (from zero if it started in between):
    schedstat for its threads, ticks for its reaped children; ticks alone when schedstat
    is missing or went back (a thread that exited took its time with it)."""
    first = before.stat if before is not None else None
    ticks = after.stat.cpu_ticks - (first.cpu_ticks if first is not None else 0)
    start_ns = before.run_ns if before is not None else 0
    if after.run_ns is None or start_ns is None or after.run_ns < start_ns:
        return ticks / CLK_TCK
    children = after.stat.children_ticks - (first.children_ticks if first is not None else 0)
    return (after.run_ns - start_ns) / 1e9 + children / CLK_TCK
