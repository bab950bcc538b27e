"""Benchmarks 1-4: cold start, crash failover, graceful handover, auto_failback, standby.

One repetition is the anchors' story on a fresh two-node lab, with the client probing
the VIP every 10 ms throughout:

    cold start (both nodes at once)      -> first answer, then node1 answers
    node1 crashes (links down, kill -9)  -> node2 answers
    node1 reboots and starts              -> node1 answers again (auto_failback), gap
    node1 stops gracefully                -> node2 answers, gap, stop command duration
    node1 starts again                    -> node1 answers again (auto_failback), gap
    standby on node1 (hactl / hb_standby) -> node2 answers, gap
    takeover on node1 (hactl / hb_takeover) -> node1 answers, gap

It runs for two cases: the seed's group (the VIP and the web server, started and
stopped with it) and an address-only group (haresources holds only the IPaddr; the web
server runs on both nodes all the time, as it does for keepalived). For hacore, each
hand-over's breakdown (bench.handover) is read from the nodes' logs and printed.

The seed-timings variant (failover_slow) stops after the crash: its dead time is 30 s.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    COLD_START_TIMEOUT_S,
    Trial,
    client_timeline,
    now,
    settle,
    wait_probe,
)
from bench.handover import breakdown, describe, read_events
from bench.plan import Profile
from halab.configs import seed_template
from halab.lab import Lab
from halab.labnode import NodeProcess
from halab.topology import VIP
from halab.watcher import Prober, longest_gap

AFTER_HIT_S = 0.5  # how long the client keeps watching after the expected answer
RETURN_POLL_S = 0.01  # how often a command's return is looked for
QUIET_WINDOW_S = 0.55  # as long as a quick hand-over's gap window (answer + AFTER_HIT_S)
BETWEEN_STEPS_S = 1.0
HANDOVER_LOG_WAIT_S = 5.0  # the taking node's last start may end after the first answer
HB_TOOLS = "/usr/share/heartbeat"
HTTPD_EVERYWHERE = {"HTTPD_BIND": "0.0.0.0"}


@dataclass(frozen=True)
class Case:
    """What one lifecycle case runs: the seed's group, or the VIP alone."""

    name: str
    address_only: bool

    def label(self, profile: Profile) -> str:
        return f"address only, {profile.label}" if self.address_only else profile.label

    def config(self, trial: Trial) -> Path | None:
        """The template directory (None: the lab's seed template)."""
        if not self.address_only:
            return None
        files = seed_template(["node1", "node2"])
        files["haresources"] = f"node1 IPaddr::{VIP}/24/eth0\n"
        target = trial.run.out / "configs" / self.name
        target.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (target / name).write_text(text)
        return target


SEED_GROUP = Case("seed", address_only=False)
ADDRESS_ONLY = Case("address-only", address_only=True)
CASES = (SEED_GROUP, ADDRESS_ONLY)


def _crash_timeout(profile: Profile) -> float:
    return 3 * profile.deadtime_s + 15


def _power_on(lab: Lab, case: Case, *names: str) -> None:
    """Boot the nodes; in the address-only case also start the web server, as a node's
    own init would (keepalived's lab daemon does the same)."""
    for name in names or tuple(lab.names):
        lab.boot(name)
        if case.address_only:
            lab.node(name).exec("/etc/init.d/httpd", "start", check=True, env=HTTPD_EVERYWHERE)


def _handover(
    trial: Trial, lab: Lab, step: str, since_wall: float, releasing: str, taking: str
) -> None:
    """hacore: the hand-over's breakdown from both logs, kept and printed."""
    if trial.daemon != "hacore":
        return
    deadline = now() + HANDOVER_LOG_WAIT_S
    while True:
        parts = breakdown(
            read_events(lab.log(releasing), since_wall), read_events(lab.log(taking), since_wall)
        )
        if parts is not None or now() > deadline:
            break
        settle(0.1)
    if parts is None:
        trial.run.say(f"    {step}: no breakdown (a hand-over line is missing from the logs)")
        return
    trial.detail.setdefault("handovers", {})[step] = parts
    trial.run.say(f"    {describe(step, releasing, taking, parts)}")


def _note_quiet(trial: Trial, prober: Prober, event: float) -> None:
    """The longest gap the client saw in the quiet moment before a hand-over: the lab's
    own noise floor (the prober's 10 ms period and the machine's scheduling)."""
    gap = longest_gap(prober.probes(), event - QUIET_WINDOW_S, event)
    quiet = trial.detail.setdefault("quiet_gaps_s", [])
    quiet.append(round(gap, 4))
    trial.metrics["quiet_gap_s"] = statistics.median(quiet)


def cold_start(trial: Trial, lab: Lab, prober: Prober, case: Case) -> None:
    _power_on(lab, case)
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


def _node1_returns(trial: Trial, lab: Lab, prober: Prober, case: Case, key: str) -> None:
    _power_on(lab, case, "node1")
    wall, event = time.time(), now()
    lab.start("node1")
    hit = wait_probe(lab, prober, "node1", event, COLD_START_TIMEOUT_S)
    settle(AFTER_HIT_S)
    step = key.removesuffix("_s")
    trial.metrics[key] = hit.end - event
    trial.metrics[f"{step}_gap_s"] = longest_gap(prober.probes(), event, hit.end + AFTER_HIT_S)
    trial.detail.setdefault("timelines", {})[step] = client_timeline(prober, event, now())
    _handover(trial, lab, step, wall, "node2", "node1")


class _Returned:
    """When a command (a process, None: nothing to wait for) returned, polled."""

    def __init__(self, process: NodeProcess | None) -> None:
        self.process = process
        self.at: float | None = None

    def poll(self) -> None:
        if self.at is None and (self.process is None or not self.process.running()):
            self.at = now()

    def wait(self, timeout: float) -> float | None:
        deadline = now() + timeout
        while self.at is None and now() < deadline:
            self.poll()
            settle(RETURN_POLL_S)
        return self.at

    def watch(self, seconds: float) -> None:
        """Settle for ``seconds`` while still noticing the return: a command that returns
        after the client's answer but before the settle ends was otherwise only seen
        once the settle was over (an address-only graceful stop read 0.53 s, the
        settle's length, for a daemon gone in under 0.1 s)."""
        deadline = now() + seconds
        while (left := deadline - now()) > 0:
            self.poll()
            settle(min(RETURN_POLL_S, left))
        self.poll()


def graceful(trial: Trial, lab: Lab, prober: Prober) -> None:
    """Stop node1's daemon (Heartbeat: its init script; others: SIGTERM)."""
    wall, event = time.time(), now()
    _note_quiet(trial, prober, event)
    stopped = _Returned(lab.stop("node1", wait=False).process)
    hit = wait_probe(lab, prober, "node2", event, COLD_START_TIMEOUT_S, on_tick=stopped.poll)
    stopped.watch(AFTER_HIT_S)
    trial.metrics["graceful_to_node2_s"] = hit.end - event
    trial.metrics["graceful_gap_s"] = longest_gap(prober.probes(), event, hit.end + AFTER_HIT_S)
    trial.detail.setdefault("timelines", {})["graceful"] = client_timeline(prober, event, now())
    if (returned := stopped.wait(60)) is not None:
        trial.metrics["graceful_stop_cmd_s"] = returned - event
    _handover(trial, lab, "graceful", wall, "node1", "node2")


def _operator(trial: Trial, lab: Lab, move: str) -> NodeProcess | None:
    """The operator's standby/takeover of every group on node1 (None: the daemon has no
    such command, as keepalived)."""
    node = lab.node("node1")
    log = node.path(f"/var/log/{move}.out")
    if trial.daemon == "hacore":
        return node.spawn("hactl", move, "all", log=log)
    if trial.daemon == "heartbeat":
        return node.spawn(f"{HB_TOOLS}/hb_{move}", "all", log=log)
    return None


def operator_move(trial: Trial, lab: Lab, prober: Prober, move: str) -> None:
    """``standby`` (node1 gives every group to node2) or ``takeover`` (node1 takes them
    back): time to the new holder's first answer, longest client gap, and when the
    command returned (Heartbeat's tools only write to its FIFO, so theirs at once)."""
    releasing, taking = ("node1", "node2") if move == "standby" else ("node2", "node1")
    wall, event = time.time(), now()
    command = _operator(trial, lab, move)
    if command is None:
        return
    _note_quiet(trial, prober, event)
    returned = _Returned(command)
    hit = wait_probe(lab, prober, taking, event, COLD_START_TIMEOUT_S, on_tick=returned.poll)
    returned.watch(AFTER_HIT_S)
    trial.metrics[f"{move}_to_{taking}_s"] = hit.end - event
    trial.metrics[f"{move}_gap_s"] = longest_gap(prober.probes(), event, hit.end + AFTER_HIT_S)
    trial.detail.setdefault("timelines", {})[move] = client_timeline(prober, event, now())
    if (at := returned.wait(COLD_START_TIMEOUT_S)) is not None:
        trial.detail[f"{move}_cmd_s"] = round(at - event, 3)
    if command.wait(1) != 0 and command.log is not None:
        output = command.log.read_text(errors="replace").strip()
        raise RuntimeError(f"{move} on node1 failed: {output}")
    _handover(trial, lab, move, wall, releasing, taking)


def lifecycle(trial: Trial, profile: Profile, settle_s: float, case: Case = SEED_GROUP) -> None:
    with trial.lab(profile, config=case.config(trial)) as lab:
        prober = lab.watch()
        cold_start(trial, lab, prober, case)
        settle(settle_s)
        crash(trial, lab, prober, profile)
        settle(BETWEEN_STEPS_S)
        _node1_returns(trial, lab, prober, case, "failback_after_crash_s")
        settle(settle_s)
        graceful(trial, lab, prober)
        settle(BETWEEN_STEPS_S)
        _node1_returns(trial, lab, prober, case, "failback_s")
        settle(settle_s)
        operator_move(trial, lab, prober, "standby")
        settle(settle_s)
        operator_move(trial, lab, prober, "takeover")


def failover_slow(trial: Trial, profile: Profile, settle_s: float) -> None:
    with trial.lab(profile) as lab:
        prober = lab.watch()
        cold_start(trial, lab, prober, SEED_GROUP)
        settle(settle_s)
        crash(trial, lab, prober, profile)
