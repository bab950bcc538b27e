"""Nothing outlives a lab: not on close, not when its owner is killed -9."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from halab.lab import Lab, LabFactory
from halab.labnode import process_start_time
from halab.state import STATE_DIR

pytestmark = pytest.mark.netns

# Builds a lab, starts a long-running process in node1, reports, then dies by SIGKILL
# without any chance to clean up.
CRASHING_OWNER = """
import json, os, signal
from halab.lab import Lab
lab = Lab(daemon="heartbeat").build()
node = lab.node("node1")
node.exec("sh", "-c", "setsid sleep 120 >/dev/null 2>&1 &", check=True)
pids = [p for n in lab.nodes.values() for p in n.pids()]
print(json.dumps({"namespaces": lab.topology.namespaces(), "workdir": str(lab.workdir),
                  "prefix": lab.net.prefix, "pids": pids}), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def existing(namespaces: list[str]) -> list[str]:
    return [ns for ns in namespaces if (Path("/run/netns") / ns).exists()]


def wait_dead(pids: list[int], timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (alive := [p for p in pids if process_start_time(p) is not None]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    return alive


def test_close_leaves_nothing_behind(lab_factory: LabFactory) -> None:
    lab: Lab = lab_factory(daemon="heartbeat")
    lab.watch()
    namespaces = lab.topology.namespaces()
    pids = [p for node in lab.nodes.values() for p in node.pids()]
    assert existing(namespaces) == namespaces and pids
    lab.close()
    assert existing(namespaces) == []
    assert wait_dead(pids, timeout=0.5) == []
    assert not lab.workdir.exists()
    assert not (STATE_DIR / f"{lab.net.prefix}.json").exists()


def test_a_second_run_cleans_up_after_a_crashed_one(lab_factory: LabFactory) -> None:
    owner = subprocess.run(
        [sys.executable, "-c", CRASHING_OWNER], capture_output=True, text=True, timeout=30
    )
    assert owner.returncode == -signal.SIGKILL, owner.stderr
    crashed = json.loads(owner.stdout)
    # The kernel takes the nodes down with their owner (PR_SET_PDEATHSIG)...
    assert wait_dead(crashed["pids"]) == []
    # ...but namespaces and files stay until the next run cleans them from the state file.
    lab_factory(daemon="heartbeat")
    assert existing(crashed["namespaces"]) == []
    assert not Path(crashed["workdir"]).exists()
    assert not (STATE_DIR / f"{crashed['prefix']}.json").exists()
