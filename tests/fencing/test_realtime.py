"""realtime/rtprio in a throwaway process: SCHED_RR at rtprio and locked in memory,
while a child it starts (as a resource script would be) runs at normal priority, and
threads started afterwards (gRPC's) do not lock their whole stacks in memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
import json, os, subprocess, threading
from hacore.fencing.realtime import make_realtime, policy_of

def status_kb(field):
    return int([l for l in open("/proc/self/status") if l.startswith(field)][0].split()[1])

ok = make_realtime(4)
rss_before = status_kb("VmRSS:")
gate = threading.Event()
threads = [threading.Thread(target=gate.wait) for _ in range(8)]
for thread in threads:
    thread.start()
rss_threads = status_kb("VmRSS:") - rss_before
gate.set()
for thread in threads:
    thread.join()
heap = bytearray(4 << 20)  # touched after the lock: locked as it is faulted in
child = subprocess.run(
    ["python3", "-c", "import os; print(os.sched_getscheduler(0))"],
    capture_output=True, text=True, check=True,
)
locked = status_kb("VmLck:")
print(json.dumps({
    "ok": ok,
    "policy": policy_of(0),
    "prio": os.sched_getparam(0).sched_priority,
    "child": int(child.stdout),
    "locked_kb": locked,
    "rss_kb": status_kb("VmRSS:"),
    "rss_threads_kb": rss_threads,
}))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="realtime scheduling needs root")
def test_daemon_realtime_children_normal() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])  # the log line comes first
    assert result["ok"] is True
    assert (result["policy"], result["prio"]) == (os.SCHED_RR, 4)
    assert result["child"] == os.SCHED_OTHER
    assert result["locked_kb"] > 0
    # the pages touched after the lock are locked too (the 4 MiB buffer among them)
    assert result["locked_kb"] >= result["rss_kb"] - 1024
    # eight threads: their 8 MiB stacks would add 64 MiB if locked whole
    assert result["rss_threads_kb"] < 8 * 1024, result
