"""Benchmarks 1-4: cold start, crash failover, graceful handover, auto_failback.

One repetition is the anchors' story on a fresh two-node lab, with the client probing
the VIP every 10 ms throughout:

    cold start (both nodes at once)      -> first answer, then node1 answers
    node1 crashes (links down, kill -9)  -> node2 answers
    node1 reboots and starts              -> node1 answers again (auto_failback), gap
    node1 stops gracefully                -> node2 answers, gap, stop command duration
    node1 starts again                    -> node1 answers again (auto_failback), gap

The seed-timings variant (failover_slow) stops after the crash: its dead time is 30 s.
"""

from __future__ import annotations

from bench.common import (
    COLD_START_TIMEOUT_S,
    Trial,
    client_timeline,
    now,
    settle,
    wait_probe,
)
from bench.plan import Profile
from halab.lab import Lab
from halab.watcher import Prober, longest_gap

AFTER_HIT_S = 0.5  # how long the client keeps watching after the expected answer
BETWEEN_STEPS_S = 1.0


def _crash_timeout(profile: Profile) -> float:
    return 3 * profile.deadtime_s + 15


def cold_start(trial: Trial, lab: Lab, prober: Prober) -> None:
    event = now()
    lab.start()
    trial.detail["start_command_s"] = round(now() - event, 3)
    first = wait_probe(lab, prober, None, event, COLD_START_TIMEOUT_S)
    trial.metrics["cold_start_s"] = first.end - event
    node1 = wait_probe(lab, prober, "node1", event, COLD_START_TIMEOUT_S)
    trial.detail["cold_start_node1_s"] = round(node1.end - event, 3)
    trial.detail.setdefault("timelines", {})["cold_start"] = client_timeline(
        prober, event, node1.end + AFTER_HIT_S
    )


def crash(trial: Trial, lab: Lab, prober: Prober, profile: Profile) -> None:
    event = now()
    lab.kill("node1")
    hit = wait_probe(lab, prober, "node2", event, _crash_timeout(profile))
    trial.metrics["crash_failover_s"] = hit.end - event
    settle(AFTER_HIT_S)
    trial.detail.setdefault("timelines", {})["crash"] = client_timeline(prober, event, now())


def _node1_returns(trial: Trial, lab: Lab, prober: Prober, key: str) -> None:
    event = now()
    lab.start("node1")
    hit = wait_probe(lab, prober, "node1", event, COLD_START_TIMEOUT_S)
    settle(AFTER_HIT_S)
    trial.metrics[key] = hit.end - event
    trial.metrics[f"{key.removesuffix('_s')}_gap_s"] = longest_gap(
        prober.probes(), event, hit.end + AFTER_HIT_S
    )
    trial.detail.setdefault("timelines", {})[key.removesuffix("_s")] = client_timeline(
        prober, event, now()
    )


def graceful(trial: Trial, lab: Lab, prober: Prober) -> None:
    """Stop node1's daemon (Heartbeat: its init script; others: SIGTERM)."""
    event = now()
    stopping = lab.stop("node1", wait=False)
    stopped_at: list[float] = []

    def note_stop() -> None:
        if not stopped_at and (stopping.process is None or not stopping.process.running()):
            stopped_at.append(now())

    hit = wait_probe(lab, prober, "node2", event, COLD_START_TIMEOUT_S, on_tick=note_stop)
    settle(AFTER_HIT_S)
    trial.metrics["graceful_to_node2_s"] = hit.end - event
    trial.metrics["graceful_gap_s"] = longest_gap(prober.probes(), event, hit.end + AFTER_HIT_S)
    trial.detail.setdefault("timelines", {})["graceful"] = client_timeline(prober, event, now())
    deadline = now() + 60
    while not stopped_at and now() < deadline:
        note_stop()
        settle(0.02)
    if stopped_at:
        trial.metrics["graceful_stop_cmd_s"] = stopped_at[0] - event


def lifecycle(trial: Trial, profile: Profile, settle_s: float) -> None:
    with trial.lab(profile) as lab:
        prober = lab.watch()
        cold_start(trial, lab, prober)
        settle(settle_s)
        crash(trial, lab, prober, profile)
        settle(BETWEEN_STEPS_S)
        _node1_returns(trial, lab, prober, "failback_after_crash_s")
        settle(settle_s)
        graceful(trial, lab, prober)
        settle(BETWEEN_STEPS_S)
        _node1_returns(trial, lab, prober, "failback_s")


def failover_slow(trial: Trial, profile: Profile, settle_s: float) -> None:
    with trial.lab(profile) as lab:
        prober = lab.watch()
        cold_start(trial, lab, prober)
        settle(settle_s)
        crash(trial, lab, prober, profile)
