"""realtime/rtprio in a throwaway process: SCHED_RR at rtprio and locked in memory,
while a child it starts (as a resource script would be) runs at normal priority."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = """
import json, os, subprocess
from hacore.fencing.realtime import make_realtime, policy_of
ok = make_realtime(4)
child = subprocess.run(
    ["python3", "-c", "import os; print(os.sched_getscheduler(0))"],
    capture_output=True, text=True, check=True,
)
locked = [l for l in open("/proc/self/status") if l.startswith("VmLck:")][0].split()[1]
print(json.dumps({
    "ok": ok,
    "policy": policy_of(0),
    "prio": os.sched_getparam(0).sched_priority,
    "child": int(child.stdout),
    "locked_kb": int(locked),
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
