"""A watchdog for labs that can take the machine down: it powers the lab off first.

Heartbeat 3.0.6 runs SCHED_RR; with 32 nodes at keepalive 100 ms on two cores its nodes
declare each other dead, "return after partition", restart and run resource scripts over
and over: thousands of real-time processes, then the OOM killer.  Other work on the
machine would starve long before.  The guard runs as its own process at a real-time
priority above Heartbeat's, counts the processes inside the lab's node namespaces and
watches available memory; past a limit it SIGKILLs every process in those namespaces
(by pid) and writes why to its report file.

    python -m bench.guard --netns NS [--netns NS ...] --max-procs N --report FILE
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.procstat import pids_by_netns

GUARD_RT_PRIORITY = 10  # above Heartbeat's SCHED_RR 1
PERIOD_S = 0.25
MIN_AVAILABLE_FRACTION = 0.25
PR_SET_PDEATHSIG = 1


@dataclass
class GuardState:
    tripped: bool = False
    reason: str = ""
    peak_procs: int = 0
    min_available_mib: int = 0
    realtime: bool = False


def trip_reason(
    procs: int, max_procs: int, available_kib: int, total_kib: int, min_fraction: float
) -> str | None:
    """Why the lab must be stopped now, or None."""
    if procs > max_procs:
        return f"{procs} processes in the lab's nodes (limit {max_procs}): a process storm"
    if total_kib and available_kib < min_fraction * total_kib:
        return (
            f"only {available_kib // 1024} MiB of {total_kib // 1024} MiB available "
            f"(limit {min_fraction:.0%})"
        )
    return None


def meminfo_kib(text: str, field: str) -> int:
    for line in text.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise ValueError(f"/proc/meminfo has no {field}")


def _go_realtime() -> bool:
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(GUARD_RT_PRIORITY))
    except OSError:
        return False
    return True


def watch(
    namespaces: list[str],
    max_procs: int,
    report: Path,
    min_fraction: float = MIN_AVAILABLE_FRACTION,
    trace: Path | None = None,
) -> int:
    state = GuardState(realtime=_go_realtime())
    trace_file = trace.open("a", buffering=1) if trace else None
    stop = False

    def on_term(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    spaces = {ns: ns for ns in namespaces}
    print("ready", flush=True)
    state.min_available_mib = 1 << 40
    while not stop:
        meminfo = Path("/proc/meminfo").read_text()
        available = meminfo_kib(meminfo, "MemAvailable")
        pids = [pid for group in pids_by_netns(spaces).values() for pid in group]
        state.peak_procs = max(state.peak_procs, len(pids))
        state.min_available_mib = min(state.min_available_mib, available // 1024)
        if trace_file:
            fields = ("MemAvailable", "AnonPages", "Slab", "SUnreclaim", "Shmem", "Cached")
            values = " ".join(f"{f}={meminfo_kib(meminfo, f) // 1024}" for f in fields)
            trace_file.write(f"{time.monotonic():.3f} procs={len(pids)} {values}\n")
        reason = trip_reason(
            len(pids), max_procs, available, meminfo_kib(meminfo, "MemTotal"), min_fraction
        )
        if reason:
            for _ in range(3):  # processes forked meanwhile are caught by the next pass
                for pid in (p for group in pids_by_netns(spaces).values() for p in group):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.05)
            state.tripped, state.reason = True, reason
            break
        time.sleep(PERIOD_S)
    report.write_text(json.dumps(asdict(state)))
    return 3 if state.tripped else 0


class Guard:
    """The lab side: start the guard for some namespaces, ask whether it tripped."""

    def __init__(
        self,
        namespaces: list[str],
        max_procs: int,
        report: Path,
        min_available: float = MIN_AVAILABLE_FRACTION,
        trace: Path | None = None,
    ) -> None:
        self.report = report
        report.unlink(missing_ok=True)
        options = [f"--max-procs={max_procs}", f"--report={report}"]
        options += [f"--min-available={min_available}", *(f"--netns={ns}" for ns in namespaces)]
        options += [f"--trace={trace}"] if trace else []
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "bench.guard", *options],
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        assert self.popen.stdout is not None
        if self.popen.stdout.readline().strip() != b"ready":
            self.popen.kill()
            self.popen.wait()
            raise RuntimeError("the lab guard did not start")

    def tripped(self) -> str | None:
        if self.popen.poll() is None:
            return None
        return self.state().reason or None

    def state(self) -> GuardState:
        try:
            return GuardState(**json.loads(self.report.read_text()))
        except (OSError, ValueError, TypeError):
            return GuardState()

    def stop(self) -> GuardState:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self.popen.stdout:
            self.popen.stdout.close()
        return self.state()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.guard")
    parser.add_argument("--netns", action="append", required=True)
    parser.add_argument("--max-procs", type=int, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--min-available", type=float, default=MIN_AVAILABLE_FRACTION)
    parser.add_argument("--trace", type=Path, help="append one line of figures per check")
    args = parser.parse_args(argv)
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    return watch(args.netns, args.max_procs, args.report, args.min_available, args.trace)


if __name__ == "__main__":
    sys.exit(main())
