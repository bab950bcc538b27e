"""What a benchmark run produces: records of measured values, and what each value means.

Every repetition of every benchmark for one daemon becomes one :class:`Record`; a run
that could not measure becomes an :class:`Failure`.  The report and the plots only read
these (as JSON), so a results directory can be re-rendered without re-measuring.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DAEMONS = ("hacore", "heartbeat", "keepalived")
Value = float | None


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # "s", "%", "MiB", "count", "µs"
    higher_is_better: bool = False
    compare: bool = True  # False: context only, no ratio and no "behind"


@dataclass
class Record:
    bench: str
    case: str
    daemon: str
    rep: int
    metrics: dict[str, Value]
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Failure:
    """A repetition that produced no figures: an error, or a benchmark that does not apply."""

    bench: str
    case: str
    daemon: str
    rep: int
    reason: str
    not_applicable: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def record_from_json(data: dict[str, Any]) -> Record:
    return Record(
        bench=str(data["bench"]),
        case=str(data["case"]),
        daemon=str(data["daemon"]),
        rep=int(data["rep"]),
        metrics={str(k): (None if v is None else float(v)) for k, v in data["metrics"].items()},
        detail=dict(data.get("detail", {})),
    )


def failure_from_json(data: dict[str, Any]) -> Failure:
    return Failure(
        bench=str(data["bench"]),
        case=str(data["case"]),
        daemon=str(data["daemon"]),
        rep=int(data["rep"]),
        reason=str(data["reason"]),
        not_applicable=bool(data.get("not_applicable", False)),
    )


def _m(key: str, label: str, unit: str, compare: bool = True) -> Metric:
    return Metric(key, label, unit, compare=compare)


# Per benchmark, in report order: the metrics its records carry.
METRICS: dict[str, list[Metric]] = {
    "lifecycle": [
        _m("cold_start_s", "cold start -> VIP answers", "s"),
        _m("crash_failover_s", "crash (kill -9 + links down) -> node2 answers", "s"),
        _m("graceful_to_node2_s", "graceful stop -> node2 answers", "s"),
        _m("graceful_gap_s", "graceful stop: longest client gap", "s"),
        _m("graceful_stop_cmd_s", "graceful stop command returns", "s"),
        _m("failback_s", "node1 restarts -> node1 answers (auto_failback)", "s"),
        _m("failback_gap_s", "auto_failback: longest client gap", "s"),
        _m("failback_after_crash_s", "node1 reboots after crash -> node1 answers", "s"),
        _m("failback_after_crash_gap_s", "reboot after crash: longest client gap", "s"),
        _m("standby_to_node2_s", "standby on node1 -> node2 answers", "s"),
        _m("standby_gap_s", "standby: longest client gap", "s"),
        _m("takeover_to_node1_s", "takeover on node1 -> node1 answers", "s"),
        _m("takeover_gap_s", "takeover: longest client gap", "s"),
        _m("quiet_gap_s", "no hand-over: longest client gap in 0.55 s (lab noise)", "s", False),
    ],
    "failover_slow": [
        _m("cold_start_s", "cold start -> VIP answers", "s"),
        _m("crash_failover_s", "crash (kill -9 + links down) -> node2 answers", "s"),
    ],
    "partition": [
        _m("split_after_cut_s", "link cut -> both nodes hold the VIP", "s", compare=False),
        _m("one_holder_after_heal_s", "link restored -> exactly one VIP holder (stable)", "s"),
        _m("outage_after_heal_s", "client outage after the link returns", "s"),
    ],
    "idle": [
        _m("cpu_active_pct", "CPU, active node", "%"),
        _m("cpu_standby_pct", "CPU, standby node", "%"),
        _m("rss_active_mib", "RSS (sum over processes), active node", "MiB"),
        _m("pss_active_mib", "PSS (shared pages split), active node", "MiB"),
        _m("procs_active", "daemon processes per node", "count", compare=False),
    ],
    "scaling": [
        _m("converge_s", "cold start -> every node sees every other", "s"),
        _m("detect_all_s", "kill one node -> every survivor has noticed", "s"),
        _m("detect_median_s", "kill one node -> median survivor noticed", "s", compare=False),
        _m("detect_late", "survivors that noticed after deadtime + keepalive", "count"),
        _m("cpu_node_median_pct", "idle CPU per node (median)", "%"),
        _m("cpu_node_max_pct", "idle CPU per node (max)", "%", compare=False),
        _m("rss_node_median_mib", "RSS per node (median)", "MiB"),
        _m("false_deaths", "false 'is dead' / takeovers while all were up", "count"),
    ],
    "false_failovers": [
        _m("vip_changes", "VIP holder changes", "count"),
        _m("dead_events", "peer declared dead / VRRP takeovers", "count"),
        _m("late_warnings", "late heartbeat warnings", "count"),
        _m("split_brain_s", "time with two VIP holders", "s"),
    ],
    "packet_path": [
        _m("path_us", "one status packet: verify, decode, membership, effects", "µs", False),
        _m("open_us", "general path (a changed status): verify + decode", "µs", False),
        _m("membership_us", "general path: membership", "µs", False),
        _m("effects_us", "general path: effects (metrics, an ack every tenth)", "µs", False),
        _m("send_us", "for comparison: one status sent (stamp + seal)", "µs", False),
    ],
}

BENCH_TITLES = {
    "lifecycle": "Start, crash failover, graceful handover, auto_failback, standby",
    "failover_slow": "Crash failover at the seed's timings",
    "partition": "Partition of the heartbeat link, then heal",
    "idle": "Idle overhead",
    "scaling": "Scaling with the number of nodes (mcast)",
    "false_failovers": "False failovers with both cores saturated",
    "packet_path": "Receive path of one status packet (microbenchmark)",
}


def metric(bench: str, key: str) -> Metric:
    for candidate in METRICS[bench]:
        if candidate.key == key:
            return candidate
    raise KeyError(f"benchmark {bench!r} has no metric {key!r}")
