"""Benchmark 6: CPU and memory of an idle two-node cluster, per node.

After a cold start and settling, with no client traffic, the daemon's processes in each
node are sampled at the start and end of the window (see procstat.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from bench.common import COLD_START_TIMEOUT_S, Trial, settle
from bench.plan import Plan, Profile, seconds
from bench.procstat import ProcSample, Usage, daemon_samples, pids_by_netns, usage
from halab.lab import Lab

MIN_HEARTBEATS = 15


def measure_usage(lab: Lab, names: Sequence[str], window_s: float) -> dict[str, Usage]:
    """Each node's usage over its own sampling interval (about ``window_s``): sampling 32
    nodes takes a while, and dividing by the nominal window would overstate CPU."""
    kind = lab.daemon.kind
    spaces = {n: lab.node(n).ns for n in names}
    before = _snapshot(kind, spaces)
    settle(window_s)
    after = _snapshot(kind, spaces)
    return {n: usage(before[n][1], after[n][1], after[n][0] - before[n][0]) for n in names}


def _snapshot(
    kind: str, spaces: dict[str, str]
) -> dict[str, tuple[float, dict[tuple[int, int], ProcSample]]]:
    pids = pids_by_netns(spaces)
    return {n: (time.monotonic(), daemon_samples(kind, pids[n])) for n in spaces}


def window_for(profile: Profile, plan: Plan) -> float:
    """The plan's window, stretched to hold MIN_HEARTBEATS keepalives: at the seed's 2 s a
    10 s window holds five heartbeats, and one 100 Hz clock tick is 0.1 %, twice the
    figure to measure."""
    return max(plan.idle_window_s, MIN_HEARTBEATS * seconds(profile.timing.keepalive or "1"))


def idle(trial: Trial, profile: Profile, plan: Plan) -> None:
    window_s = window_for(profile, plan)
    with trial.lab(profile) as lab:
        lab.start()
        lab.wait_serving("node1", COLD_START_TIMEOUT_S)
        settle(plan.settle_s)
        holders = sorted(lab.vip_holders())
        used = measure_usage(lab, ["node1", "node2"], window_s)
        active, standby = used["node1"], used["node2"]
        trial.metrics.update(
            cpu_active_pct=active.cpu_pct,
            cpu_standby_pct=standby.cpu_pct,
            rss_active_mib=active.rss_mib,
            pss_active_mib=active.pss_mib,
            procs_active=float(active.procs),
        )
        trial.detail.update(
            window_s=window_s,
            vip_holders=holders,
            rss_standby_mib=round(standby.rss_mib, 2),
            pss_standby_mib=None if standby.pss_mib is None else round(standby.pss_mib, 2),
            procs_standby=standby.procs,
            scheduling=active.policies,
        )
