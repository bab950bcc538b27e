"""Benchmark 8: does a saturated machine make the cluster fail over for nothing?

A busy-loop process per core runs in the lab's client namespace (so the lab's cleanup
would also end it) for the whole window, at the fast profile (deadtime 500 ms).  Counted:
VIP holder changes (sampled every 20 ms), "node X: is dead" lines (keepalived:
"Entering MASTER STATE"), late-heartbeat warnings, and time with two VIP holders.

Two cases (issue 13: "zero false deaths with realtime on, and what happens with it
off"): every daemon with ``realtime on`` in ha.cf (Heartbeat's default; the lab would
otherwise write ``realtime off`` for hacore), and hacore alone with ``realtime off``.
The scheduling policy the daemon's processes actually ran with is recorded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from bench.analysis import holder_changes, relative_timeline, time_with_several_holders
from bench.common import COLD_START_TIMEOUT_S, NotApplicable, Trial, now, settle
from bench.logwatch import ANY_DEAD, LATE, LOG_FILE, PING_DEAD, count
from bench.plan import FAST, Plan
from bench.procstat import POLICIES, daemon_samples, pids_by_netns
from halab.configs import seed_template
from halab.lab import Lab
from halab.membership import LogCursor

AFTER_LOAD_S = 2.0
BURN = "while True:\n    pass\n"


def start_burners(lab: Lab, count_: int) -> list[subprocess.Popen[bytes]]:
    return [
        lab.net.popen(
            "client",
            sys.executable,
            "-c",
            BURN,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(count_)
    ]


def stop_burners(burners: list[subprocess.Popen[bytes]]) -> None:
    for burner in burners:
        burner.kill()
    for burner in burners:
        burner.wait()


def realtime_case(realtime: bool) -> str:
    return f"deadtime 500 ms, realtime {'on' if realtime else 'off'}"


def realtime_config(directory: Path, realtime: bool) -> Path:
    """The seed's /etc/ha.d with an explicit ``realtime`` line, written under ``directory``."""
    word = "on" if realtime else "off"
    config = directory / f"ha.d-realtime-{word}"
    config.mkdir(parents=True, exist_ok=True)
    template = seed_template(["node1", "node2"])
    template["ha.cf"] += f"realtime {word}\n"
    for name, text in template.items():
        (config / name).write_text(text)
    (config / "authkeys").chmod(0o600)
    return config


def scheduling(lab: Lab, kind: str) -> list[str]:
    """The scheduling policies of the daemon's processes on node1."""
    pids = pids_by_netns({"node1": lab.node("node1").ns})["node1"]
    samples = daemon_samples(kind, pids).values()
    return sorted({POLICIES.get(s.stat.policy, str(s.stat.policy)) for s in samples})


def false_failovers(trial: Trial, plan: Plan, realtime: bool = True) -> None:
    kind = trial.daemon
    if not realtime and kind != "hacore":
        raise NotApplicable("only hacore is also measured with realtime off")
    config = realtime_config(trial.run.out / "configs", realtime)
    with trial.lab(FAST, config=config) as lab:
        lab.start()
        lab.wait_serving("node1", COLD_START_TIMEOUT_S)
        settle(plan.settle_s)
        cursors = {n: LogCursor(lab.node(n).path(f"/var/log/{LOG_FILE[kind]}")) for n in lab.names}
        sampler = lab.sample_vip(0.02)
        cores = os.cpu_count() or 1
        burners = start_burners(lab, cores)
        start = now()
        try:
            while now() - start < plan.false_failover_s:
                lab.check_daemons()
                time.sleep(0.5)
        finally:
            stop_burners(burners)
        end = now()
        settle(AFTER_LOAD_S)
        sampler.stop()
        lines = [line for cursor in cursors.values() for line in cursor.read_lines()]
        trial.metrics.update(
            vip_changes=float(holder_changes(sampler.changes, start, end + AFTER_LOAD_S)),
            dead_events=float(count(lines, ANY_DEAD[kind])),
            late_warnings=None if kind == "keepalived" else float(count(lines, LATE)),
            split_brain_s=time_with_several_holders(sampler.changes, start, end + AFTER_LOAD_S),
        )
        trial.detail.update(
            realtime=realtime,
            scheduling=scheduling(lab, kind),
            ping_node_deaths=count(lines, PING_DEAD),
            burners=cores,
            window_s=round(end - start, 1),
            holders=relative_timeline(sampler.changes, start)[:100],
            final_holders=sorted(lab.vip_holders()),
        )
