"""Benchmark 7: 2..32 nodes on one mcast heartbeat network.

Membership only: the seed's ha.cf with an empty haresources, because haresources
failover is a two-node scheme (hacore refuses more nodes; Heartbeat accepts them and
then runs resource scripts on every node at every membership change).  After a cold
start, the time until every node sees every other (from the nodes' own log lines);
then a soak: CPU per node, and peers declared dead although every node was up, over the
plan's soak window at the largest size (5 minutes in full mode); then the victim is
crashed and each survivor's log is followed for its "node X: is dead" line, against the
promise "deadtime + one keepalive".  keepalived has no membership: only the next VRRP backup
notices that the master is gone, so for it the victim is node1 (the master) and the
figure is the time until node2 logs "Entering MASTER STATE".

A guard process (guard.py) powers the lab off if its processes multiply or memory runs
low; a daemon that needed that is not tried at larger sizes.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import (
    COLD_START_TIMEOUT_S,
    LabStopped,
    Skipped,
    StepTimeout,
    Trial,
    now,
    settle,
)
from bench.guard import Guard
from bench.idle import measure_usage
from bench.logwatch import ANY_DEAD, LATE, LOG_FILE, PING_DEAD, FirstMatch, count, dead_pattern
from bench.plan import FAST, Plan, seconds
from halab.configs import seed_template
from halab.lab import Lab
from halab.membership import LogCursor, MembershipView

HEARD_TIMEOUT_S = 60.0
# hacore's and Heartbeat's promise: a death is seen within deadtime + one keepalive.
DETECTION_BOUND_S = FAST.deadtime_s + seconds(FAST.timing.keepalive or "1")
# A settled node has about 10 processes (daemon, holder, init, nsenter, web server); a
# cold start adds init and resource scripts for a moment.
PROCS_PER_NODE_LIMIT = 12
PROCS_BASE_LIMIT = 60
# Sizes the bench refuses to run: Heartbeat 3.0.6 with 32 nodes at keepalive 100 ms on a
# 2-core machine declared its peers dead within seconds, "returned after partition" and
# restarted resource scripts in a loop - thousands of SCHED_RR processes, a kernel that
# stopped scheduling even a real-time watchdog for tens of seconds, then the OOM killer
# (twice, while this benchmark was written).  Nothing that shares the machine survives it.
TOO_LARGE = {"heartbeat": 32}
TOO_LARGE_REASON = (
    "not started: at 32 nodes x keepalive 100 ms Heartbeat 3.0.6 falls into a false-death / "
    "re-exec loop whose SCHED_RR process storm froze this 2-core host and ended in the OOM "
    "killer (seen twice while the benchmark was developed)"
)


def max_procs(nodes: int) -> int:
    return PROCS_BASE_LIMIT + PROCS_PER_NODE_LIMIT * nodes


class Collapses:
    """Per daemon, the smallest size at which the guard had to stop the lab."""

    def __init__(self) -> None:
        self.at: dict[str, int] = {}

    def check(self, daemon: str, nodes: int) -> None:
        if nodes >= TOO_LARGE.get(daemon, nodes + 1):
            raise Skipped(TOO_LARGE_REASON)
        if daemon in self.at and nodes > self.at[daemon]:
            raise Skipped(f"not tried: the lab had to be stopped at {self.at[daemon]} nodes")


def membership_config(target: Path, nodes: int) -> Path:
    """The seed's /etc/ha.d for node1..nodeN, without resources."""
    files = seed_template([f"node{i}" for i in range(1, nodes + 1)], resources=False)
    for name, text in files.items():
        (target / name).write_text(text)
    (target / "authkeys").chmod(0o600)
    return target


def _serving(lab: Lab, name: str, timeout: float, check: Callable[[], None]) -> None:
    deadline = now() + timeout
    while lab.client.serving_node() != name:
        check()
        lab.check_daemons()
        if now() > deadline:
            raise StepTimeout(f"{name} did not serve the VIP within {timeout:g} s")
        time.sleep(0.1)


def scaling(trial: Trial, nodes: int, plan: Plan, collapses: Collapses) -> None:
    kind = trial.daemon
    collapses.check(kind, nodes)
    with (
        tempfile.TemporaryDirectory(prefix="bench-config-") as config,
        trial.lab(
            FAST,
            nodes=nodes,
            medium="mcast",
            keep_logs=False,
            config=membership_config(Path(config), nodes),
        ) as lab,
    ):
        guard = Guard(
            [lab.node(n).ns for n in lab.names],
            max_procs(nodes),
            lab.workdir / "guard.json",
        )

        def check() -> None:
            if reason := guard.tripped():
                collapses.at[kind] = min(nodes, collapses.at.get(kind, nodes))
                raise LabStopped(f"guard stopped the lab: {reason}")

        try:
            _measure(trial, lab, nodes, plan, check)
        except Exception:
            check()  # a failure caused by the guard's kill is reported as such
            raise
        finally:
            state = guard.stop()
            trial.detail.update(peak_procs=state.peak_procs, guard_realtime=state.realtime)


def _measure(trial: Trial, lab: Lab, nodes: int, plan: Plan, check: Callable[[], None]) -> None:
    kind = trial.daemon
    names = lab.names
    victim = "node1" if kind == "keepalived" else names[-1]
    survivors = [n for n in names if n != victim]
    logs = {n: lab.node(n).path(f"/var/log/{LOG_FILE[kind]}") for n in names}
    start = now()
    lab.start()
    if kind == "keepalived":
        _serving(lab, "node1", COLD_START_TIMEOUT_S + nodes, check)
    else:
        trial.metrics["converge_s"] = _converge(MembershipView(logs), check) - start
    trial.detail["ready_after_start_s"] = round(now() - start, 3)
    cursors = [LogCursor(path) for path in logs.values()]
    settle(plan.settle_s)
    check()
    window = plan.scaling_soak_s if nodes >= max(plan.scaling_sizes) else plan.scaling_cpu_window_s
    trial.detail["window_s"] = window
    used = measure_usage(lab, names, window)
    check()
    cpus = [u.cpu_pct for u in used.values()]
    window_lines = [line for c in cursors for line in c.read_lines()]
    false_deaths = count(window_lines, ANY_DEAD[kind])
    trial.detail["ping_node_deaths"] = count(window_lines, PING_DEAD)
    trial.detail["late_heartbeats"] = count(window_lines, LATE)
    trial.metrics.update(
        cpu_node_median_pct=statistics.median(cpus),
        cpu_node_max_pct=max(cpus),
        rss_node_median_mib=statistics.median(u.rss_mib for u in used.values()),
        false_deaths=float(false_deaths),
    )
    watchers = ["node2"] if kind == "keepalived" else survivors
    watch = FirstMatch({n: logs[n] for n in watchers}, dead_pattern(kind, victim)).start()
    event = now()
    try:
        lab.kill(victim)
        all_noticed = watch.wait_all(10 * FAST.deadtime_s + 10, on_poll=check)
    finally:
        watch.stop()
    delays = sorted(t - event for t in watch.found.values())
    trial.detail.update(victim=victim, noticed=len(delays), watchers=len(watchers))
    if delays:
        trial.metrics["detect_median_s"] = statistics.median(delays)
    if kind != "keepalived":  # VRRP makes no such promise (the report's note a)
        trial.metrics["detect_late"] = float(sum(d > DETECTION_BOUND_S for d in delays))
        trial.detail["detect_bound_s"] = DETECTION_BOUND_S
    if not all_noticed:
        missing = sorted(set(watchers) - set(watch.found))
        raise StepTimeout(f"{len(missing)} survivors never logged {victim} dead: {missing[:5]}")
    trial.metrics["detect_all_s"] = delays[-1]
    trial.detail["detect_first_s"] = round(delays[0], 3)


def _converge(view: MembershipView, check: Callable[[], None]) -> float:
    """When every node saw every other up (monotonic), reading the logs every 50 ms."""
    deadline = now() + HEARD_TIMEOUT_S
    while True:
        view.poll()
        if view.converged:
            return now()
        check()
        if now() > deadline:
            raise StepTimeout(f"no convergence within {HEARD_TIMEOUT_S:g} s: {view.summary()}")
        time.sleep(0.05)
