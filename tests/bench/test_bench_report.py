"""docs/benchmarks.md and its plots, rendered from a synthetic results.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.false_failovers import realtime_case, realtime_config
from bench.metrics import Failure, Record
from bench.plots import make_plots
from bench.report import render
from bench.tables import Results, behind

FAST = "keepalive 100 ms / deadtime 500 ms"


def _results() -> dict[str, Any]:
    records = []
    for rep, (hacore, heartbeat, keepalived) in enumerate([(0.6, 0.9, 0.3), (0.7, 0.8, 0.35)], 1):
        for daemon, crash in (
            ("hacore", hacore),
            ("heartbeat", heartbeat),
            ("keepalived", keepalived),
        ):
            records.append(
                Record(
                    "lifecycle",
                    FAST,
                    daemon,
                    rep,
                    {
                        "cold_start_s": 2.0 if daemon == "hacore" else 11.0,
                        "crash_failover_s": crash,
                    },
                )
            )
    records.append(
        Record(
            "partition",
            FAST,
            "heartbeat",
            1,
            {
                "split_after_cut_s": 0.8,
                "one_holder_after_heal_s": 16.9,
                "outage_after_heal_s": 14.8,
            },
            {
                "holders_after_cut": [
                    (0.0, ["node1"]),
                    (0.8, ["node1", "node2"]),
                    (21.9, ["node1"]),
                ],
                "heal_at_s": 5.0,
                "final_holder": "node1",
            },
        )
    )
    for n, detect in ((2, 0.5), (4, 0.6)):
        records.append(
            Record(
                "scaling",
                f"{n} nodes",
                "hacore",
                1,
                {"detect_all_s": detect, "cpu_node_median_pct": 2.0},
            )
        )
        records.append(
            Record(
                "scaling",
                f"{n} nodes",
                "heartbeat",
                1,
                {"detect_all_s": 0.7, "cpu_node_median_pct": 0.4},
            )
        )
    failures = [
        Failure(
            "partition",
            FAST,
            "keepalived",
            1,
            "keepalived has no heartbeat link",
            not_applicable=True,
        ),
        Failure(
            "partition", FAST, "hacore", 1, "StepTimeout: no single stable VIP holder\nholders: ..."
        ),
    ]
    return {
        "meta": {
            "mode": "quick",
            "command": "python -m bench.run_all --quick",
            "daemons": ["hacore", "heartbeat", "keepalived"],
            "plan": {"reps": 2, "idle_window_s": 10.0, "false_failover_s": 60.0},
            "machine": {"nproc": 2, "cpu_model": "Test CPU", "mem_total_gib": 24.0},
            "versions": {"hacore": "0.1.0", "heartbeat": "1:3.0.6-13+b2"},
            "duration_s": 840,
        },
        "records": [r.to_json() for r in records],
        "failures": [f.to_json() for f in failures],
        "disabled": {},
    }


def test_behind_lists_only_where_hacore_is_measurably_worse() -> None:
    found = behind(Results.from_json(_results()))
    described = {(b.bench, b.case, b.metric.key, b.other) for b in found}
    assert ("lifecycle", FAST, "crash_failover_s", "keepalived") in described
    assert ("lifecycle", FAST, "crash_failover_s", "heartbeat") not in described  # hacore ahead
    assert ("scaling", "2 nodes", "cpu_node_median_pct", "heartbeat") in described
    assert ("lifecycle", FAST, "cold_start_s", "heartbeat") not in described


def test_report_says_where_hacore_is_behind_and_what_was_not_measured(tmp_path: Path) -> None:
    data = _results()
    images = make_plots(data, tmp_path / "img")
    text = render(data, images, "bench/results/x")
    assert "`--quick` run" in text
    assert "## Where hacore is behind" in text
    assert (
        f"| lifecycle [{FAST}] | crash (kill -9 + links down) -> node2 answers | 0.650 s | "
        "keepalived 0.325 s, hacore 2.0x |"
    ) in text
    assert "| 0.650 s (0.600-0.700, n=2) |" in text
    assert "1.31x" in text  # Heartbeat 0.85 / hacore 0.65
    assert "n/a" in text and "failed" in text
    assert "StepTimeout: no single stable VIP holder" in text
    assert "holders: ..." not in text  # only the first line of a reason
    assert "Test CPU" in text
    assert "![" in text


def test_plots_are_real_pngs(tmp_path: Path) -> None:
    images = make_plots(_results(), tmp_path / "img")
    assert {"lifecycle", "partition", "scaling"} <= set(images)
    for relative in images.values():
        png = tmp_path / relative
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 5000


def test_report_without_hacore_figures_says_so() -> None:
    data = _results()
    data["records"] = [r for r in data["records"] if r["daemon"] != "hacore"]
    text = render(data, {}, "bench/results/x")
    assert "hacore was not measured in this run" in text


def test_false_failovers_show_realtime_on_and_hacore_with_it_off(tmp_path: Path) -> None:
    on, off = realtime_case(True), realtime_case(False)
    data = _results()
    for daemon, dead, policy in (("hacore", 0.0, "SCHED_RR"), ("heartbeat", 0.0, "SCHED_RR")):
        record = Record(
            "false_failovers",
            on,
            daemon,
            1,
            {"vip_changes": 0.0, "dead_events": dead, "late_warnings": 0.0, "split_brain_s": 0.0},
            {"scheduling": [policy], "burners": 2, "window_s": 60.0, "final_holders": ["node1"]},
        )
        data["records"].append(record.to_json())
    data["records"].append(
        Record(
            "false_failovers",
            off,
            "hacore",
            1,
            {"vip_changes": 2.0, "dead_events": 3.0, "late_warnings": 9.0, "split_brain_s": 0.4},
            {"scheduling": ["SCHED_OTHER"], "burners": 2, "window_s": 60.0, "final_holders": []},
        ).to_json()
    )
    why = "only hacore is also measured with realtime off"
    for daemon in ("heartbeat", "keepalived"):
        data["failures"].append(
            Failure("false_failovers", off, daemon, 1, why, not_applicable=True).to_json()
        )
    text = render(data, make_plots(data, tmp_path / "img"), "bench/results/x")
    assert f"| {on}: peer declared dead / VRRP takeovers | 0 (n=1) | 0 (n=1) | - |" in text
    assert f"| {off}: peer declared dead / VRRP takeovers | 3 (n=1) | n/a | n/a |" in text
    assert f"- [{on}] hacore (SCHED_RR): 2 burners for 60.0 s" in text
    assert f"- [{off}] hacore (SCHED_OTHER): 2 burners for 60.0 s" in text
    assert "peer declared dead / VRRP takeovers [deadtime 500 ms, realtime on]" in text


def test_the_realtime_cases_name_realtime_in_ha_cf(tmp_path: Path) -> None:
    """The lab writes `realtime off` into hacore's ha.cf unless the configuration names
    realtime itself: each case must say it explicitly."""
    for realtime, word in ((True, "on"), (False, "off")):
        hacf = (realtime_config(tmp_path, realtime) / "ha.cf").read_text().splitlines()
        assert [line for line in hacf if line.startswith("realtime")] == [f"realtime {word}"]
        assert "ping 10.0.0.2" in hacf
