"""docs/benchmarks.md, generated from one run's results.json (never edited by hand)."""

from __future__ import annotations

from pathlib import Path
from statistics import median
from typing import Any

from bench.handover import PHASES, SHOWN
from bench.metrics import BENCH_TITLES, METRICS, Metric, metric
from bench.stats import format_ratio, format_summary, format_value, ratio
from bench.tables import DISPLAY, OTHERS, Behind, Results, behind, is_skip

# (benchmark, metric, case) for the headline table; "first" = the benchmark's first case.
HEADLINES: list[tuple[str, str, str]] = [
    ("lifecycle", "cold_start_s", "first"),
    ("lifecycle", "crash_failover_s", "first"),
    ("failover_slow", "crash_failover_s", "first"),
    ("lifecycle", "graceful_gap_s", "first"),
    ("lifecycle", "failback_gap_s", "first"),
    ("partition", "outage_after_heal_s", "first"),
    ("idle", "cpu_active_pct", "first"),
    ("idle", "cpu_standby_pct", "first"),
    ("idle", "cpu_active_pct", "keepalive 2 s / deadtime 30 s"),
    ("idle", "pss_active_mib", "first"),
    ("scaling", "detect_all_s", "16 nodes"),
    ("scaling", "cpu_node_median_pct", "16 nodes"),
    ("scaling", "cpu_node_median_pct", "32 nodes"),
    ("scaling", "false_deaths", "32 nodes"),
    ("false_failovers", "vip_changes", "first"),
    ("false_failovers", "dead_events", "first"),
    ("packet_path", "path_us", "first"),
]

PROCEDURES = {
    "lifecycle": (
        "One repetition is the anchors' story on a fresh two-node lab while the client probes "
        "`http://10.0.0.60/` every 10 ms (open loop, 100 ms timeout per probe): both nodes "
        "start together (time to the first answer); after a settle, node1 crashes (eth1 and "
        "eth0 down, then SIGKILL of every process in the node) -> time to the first "
        '"This is node2"; node1 reboots and starts -> time to "This is node1" again '
        "(auto_failback) and the longest gap between two answers; after a settle, node1 is "
        "stopped gracefully (Heartbeat: `/etc/init.d/heartbeat stop`, hacore and keepalived: "
        "SIGTERM) -> time to node2, longest gap, and when the stop command returned; node1 "
        "starts again -> time to node1 and longest gap; after a settle, the operator puts node1 "
        "on standby (hacore: `hactl standby all`, Heartbeat: `hb_standby all`) -> time to "
        "node2 and longest gap, then takes the groups back (`hactl takeover all`, "
        "`hb_takeover all`) -> time to node1 and longest gap. keepalived has no resource "
        "scripts: its web server runs on every node all the time, auto_failback is VRRP "
        "preemption, and it has no standby command. The *address only* case runs the same "
        "story with haresources holding only the VIP and the web server running on both "
        "nodes all the time, as keepalived's does. For hacore every hand-over is also broken "
        "down from the two nodes' logs (`bench/handover.py`): the releasing node's stop "
        "scripts and address release, the message to the other node, its address add and "
        "first gratuitous ARP and its start scripts (status checks included); hacore's own "
        "share is the whole minus the scripts and the kernel's netlink and ARP requests. "
        "The client's longest gap in the 0.55 s before a hand-over (nothing moving) is "
        "shown as the lab's noise floor: the prober's 10 ms period and this machine's "
        "scheduling alone make it 10 ms or more."
    ),
    "failover_slow": (
        "Cold start, settle, then the same crash of node1 at the seed tutorial's timings "
        "(keepalive 2 s, deadtime 30 s, warntime 10 s, initdead 120 s; keepalived advert_int 1)."
    ),
    "partition": (
        "After a cold start and a settle the heartbeat link is cut (`ip link set eth1 down` in "
        "node1, the LAN stays up) for a few seconds, long enough for both nodes to declare each "
        "other dead and both to hold the VIP, then restored. A sampler reads every 20 ms which "
        "nodes hold 10.0.0.60; measured: time until both hold it, time from the heal until "
        "exactly one node holds it (and keeps it for 5 s), and the longest client gap after the "
        "heal. keepalived has no heartbeat link (VRRP runs on the LAN), so the test is n/a."
    ),
    "idle": (
        "After a cold start and a settle, with no client traffic, CPU% = the time every thread "
        "of the daemon's processes in a node ran over the window (/proc/PID/task/*/schedstat, "
        "in ns; utime and stime count sampled 10 ms ticks, ±25 % at 0.5 % over 30 s) + cutime "
        "+ cstime of reaped children (a window holds at least 15 keepalives, so 30 s at the "
        "seed's 2 s), "
        "per node; RSS = sum of VmRSS (shared pages counted once per process, which overstates "
        "multi-process daemons), PSS = the same with shared pages split (smaps_rollup). node1 is "
        "the active node."
    ),
    "scaling": (
        "N nodes on one multicast heartbeat network (a bridge), the fast profile, membership "
        "only: the seed's ha.cf with an empty haresources (haresources failover is a two-node "
        "scheme; hacore refuses more nodes, Heartbeat runs resource scripts on every node at "
        "every membership change). After a cold start, the time until every node's log shows "
        "every other node's status (converged); after a settle, idle CPU and RSS per node over "
        "a window (at the largest size the plan's soak: 5 minutes in full mode), and how many "
        "peers were declared dead meanwhile although every node was up (false deaths: the "
        "machine could not keep up; the ping node is not counted); then the victim (the last "
        "node) crashes and each survivor's log is followed every 10 ms for `node X: is dead`, "
        "counting the survivors that noticed later than deadtime + one keepalive (0.6 s, the "
        "promise; the log line and the 10 ms polling are included). keepalived has no "
        "membership: killing a backup goes unnoticed by design, so for keepalived the victim "
        "is the master (node1) "
        "and the figure is the time until node2 logs `Entering MASTER STATE`. A watchdog "
        "process (real-time priority) powers a lab off when its processes multiply or memory "
        "runs low; Heartbeat is not started at 32 nodes at all (see below)."
    ),
    "false_failovers": (
        "After a cold start and a settle at deadtime 500 ms, one busy-loop process per core runs "
        "in the client namespace for the window. Counted: VIP holder changes (sampled every "
        "20 ms), `node X: is dead` lines in all logs (keepalived: `Entering MASTER STATE`), "
        "`Late heartbeat` warnings, and the time two nodes held the VIP. Lines about the ping "
        "node 10.0.0.2 are not counted: Heartbeat pings it once a second whatever the "
        "keepalive, so at deadtime 500 ms it declares it dead now and then (the raw data keeps "
        "them as ping_node_deaths). Two cases: every daemon with `realtime on` in ha.cf "
        "(Heartbeat's default, which hacore follows: SCHED_RR at rtprio 1 and locked memory; "
        "keepalived has no such line and runs as it always does), and hacore alone with "
        "`realtime off` (normal scheduling, as the lab runs it in the other benchmarks), to "
        "show what the real-time priority buys. The scheduling policy each daemon's processes "
        "actually ran with is listed below the table."
    ),
    "packet_path": (
        "`python -m bench.packet_path` in a fresh interpreter: a real hacore node (node2, "
        "transports built but not started) is handed Heartbeat 3.0.6's captured sha1 status "
        "of node1, re-signed for each new seq (re-sealing the captured seq must give the "
        "captured bytes), as a transport hands it each datagram: verify the trailer, decode, "
        "membership, then the effects (metrics; an ack every tenth packet, stamped and "
        "sealed). CPU time of the process per packet, median over repetitions of a batch; "
        "the parts are measured on other packets of the same stream. A microbenchmark of "
        "hacore's own code: Heartbeat and keepalived have no counterpart, so there is no "
        "ratio."
    ),
}

# Anchor figures (bench/anchors/RESULTS.md, re-measured with an orphan-reaping harness):
# how far this machine/lab is from the reference measurements of the real daemons.
ANCHORS: list[tuple[str, str, str, str, float]] = [
    ("lifecycle", "cold_start_s", "heartbeat", "keepalive 100 ms / deadtime 500 ms", 10.7),
    ("lifecycle", "crash_failover_s", "heartbeat", "keepalive 100 ms / deadtime 500 ms", 0.80),
    ("lifecycle", "graceful_gap_s", "heartbeat", "keepalive 100 ms / deadtime 500 ms", 0.37),
    ("lifecycle", "failback_gap_s", "heartbeat", "keepalive 100 ms / deadtime 500 ms", 0.31),
    ("failover_slow", "crash_failover_s", "heartbeat", "keepalive 2 s / deadtime 30 s", 29.909),
    (
        "partition",
        "one_holder_after_heal_s",
        "heartbeat",
        "keepalive 100 ms / deadtime 500 ms",
        17.9,
    ),
    ("partition", "outage_after_heal_s", "heartbeat", "keepalive 100 ms / deadtime 500 ms", 15.6),
    ("lifecycle", "cold_start_s", "keepalived", "keepalive 100 ms / deadtime 500 ms", 0.381),
    ("lifecycle", "crash_failover_s", "keepalived", "keepalive 100 ms / deadtime 500 ms", 0.316),
    ("lifecycle", "graceful_gap_s", "keepalived", "keepalive 100 ms / deadtime 500 ms", 0.073),
    ("failover_slow", "crash_failover_s", "keepalived", "keepalive 2 s / deadtime 30 s", 3.168),
]


def _cell(results: Results, bench: str, case: str, m: Metric, daemon: str) -> str:
    summary = results.summary(bench, case, m.key, daemon)
    if summary is None:
        return results.cell_status(bench, case, daemon)
    return format_summary(summary, m.unit)


def _ratios(results: Results, bench: str, case: str, m: Metric) -> list[str]:
    if not m.compare:
        return ["-" for _ in OTHERS]
    mine = results.summary(bench, case, m.key, "hacore")
    return [
        format_ratio(ratio(results.summary(bench, case, m.key, other), mine)) for other in OTHERS
    ]


def _header(results: Results, first: str) -> list[str]:
    names = [DISPLAY[d] for d in ("hacore", *OTHERS)]
    ratios = [f"{DISPLAY[o]} ÷ hacore" for o in OTHERS]
    cols = [first, *names, *ratios]
    return ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]


def _row(results: Results, bench: str, case: str, m: Metric, label: str) -> str:
    cells = [_cell(results, bench, case, m, d) for d in ("hacore", *OTHERS)]
    return "| " + " | ".join([label, *cells, *_ratios(results, bench, case, m)]) + " |"


def _pick_case(results: Results, bench: str, which: str) -> str | None:
    cases = results.cases(bench)
    if which == "first":
        return cases[0] if cases else None
    return which if which in cases else None


def headline_table(results: Results) -> list[str]:
    lines = _header(results, "measurement (median (min-max, n))")
    for bench, key, which in HEADLINES:
        case = _pick_case(results, bench, which)
        if case is None:
            continue
        m = metric(bench, key)
        lines.append(_row(results, bench, case, m, f"{m.label} [{case}]"))
    return lines


def bench_table(results: Results, bench: str) -> list[str]:
    """One row per (case, metric); the case is named in the row only if there are several."""
    cases = results.cases(bench)
    if len(cases) == 1:
        lines = [f"Timings: {cases[0]}.", "", *_header(results, "measurement")]
        return lines + [_row(results, bench, c, m, m.label) for c, m in results.rows(bench)]
    lines = _header(results, "case: measurement")
    return lines + [_row(results, bench, c, m, f"{c}: {m.label}") for c, m in results.rows(bench)]


def _short(results: Results, bench: str, case: str, key: str, daemon: str) -> str:
    s = results.summary(bench, case, key, daemon)
    if s is None:
        return results.cell_status(bench, case, daemon)
    unit = metric(bench, key).unit
    return format_value(s.median, unit).removesuffix(f" {unit}")


SCALING_COLUMNS = [
    ("converge_s", "converged (s)"),
    ("detect_all_s", "noticed (s)"),
    ("cpu_node_median_pct", "CPU/node (%)"),
    ("false_deaths", "false deaths"),
]


def scaling_table(results: Results) -> list[str]:
    """Nodes down, (measurement x daemon) across, medians only."""
    daemons = results.daemons
    head = ["nodes"] + [f"{title} {DISPLAY[d]}" for _, title in SCALING_COLUMNS for d in daemons]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case in results.cases("scaling"):
        cells = [
            _short(results, "scaling", case, key, d) for key, _ in SCALING_COLUMNS for d in daemons
        ]
        lines.append("| " + " | ".join([case.split()[0], *cells]) + " |")
    return lines


# Known structural reasons for a difference, as footnotes of the "behind" table.
LEGEND = {
    "a": (
        "VRRP gives up on a master after 3 x advert_int + skew: 0.36 s at advert_int 0.1, "
        "3.6 s at 1, shorter than the deadtime the others were given (0.5 s, 30 s)"
    ),
    "b": (
        "keepalived's web server runs on every node all the time: only the VIP moves, no "
        "resource is stopped or started"
    ),
    "c": "hacore is one Python process (interpreter and libraries); the others are C",
}
NOTES: dict[tuple[str, str], str] = {
    ("crash_failover_s", "keepalived"): "a",
    ("detect_all_s", "keepalived"): "a",
    **{
        (key, "keepalived"): "b"
        for key in (
            "cold_start_s",
            "graceful_to_node2_s",
            "graceful_gap_s",
            "failback_s",
            "failback_gap_s",
            "failback_after_crash_s",
            "failback_after_crash_gap_s",
        )
    },
}
UNIT_NOTES = {"%": "c", "MiB": "c"}


def note_for(item: Behind) -> str:
    """The footnote with a known, structural reason for a difference ("" if none)."""
    note = NOTES.get((item.metric.key, item.other)) or UNIT_NOTES.get(item.metric.unit, "")
    if note == "b" and item.case.startswith("address only"):
        return ""  # there, every daemon moves only the VIP
    return note


def _behind_rows(items: list[Behind]) -> list[str]:
    """One row per measurement; each other daemon that does better, with the factor."""
    lines = [
        "| benchmark [case] | measurement | hacore | better: "
        + ", ".join(DISPLAY[o] for o in OTHERS)
        + " | see |",
        "|---|---|---|---|---|",
    ]
    grouped: dict[tuple[str, str, str], list[Behind]] = {}
    for item in items:
        grouped.setdefault((item.bench, item.case, item.metric.key), []).append(item)
    for (bench, case, _), group in grouped.items():
        m = group[0].metric
        better = []
        for item in group:
            factor = item.factor
            times = f", hacore {factor:.1f}x" if factor is not None and factor < 1000 else ""
            better.append(
                f"{DISPLAY[item.other]} {format_value(item.theirs.median, m.unit)}{times}"
            )
        mine = format_value(group[0].hacore.median, m.unit)
        footnotes = dict.fromkeys(note_for(item) for item in group)
        notes = ", ".join(f"({n})" for n in footnotes if n)
        lines.append(f"| {bench} [{case}] | {m.label} | {mine} | {'; '.join(better)} | {notes} |")
    return lines


def behind_section(results: Results) -> list[str]:
    lines = ["## Where hacore is behind", ""]
    if "hacore" not in results.daemons or not any(r.daemon == "hacore" for r in results.records):
        return [*lines, "hacore was not measured in this run, so this cannot be said.", ""]
    items = behind(results)
    lines.append(
        "Every cell where hacore's median is worse than another daemon's by more than 10 % "
        "and more than the measurement's resolution (20 ms, 0.1 % CPU, 1 MiB, one event):"
    )
    lines.append("")
    if not items:
        return [*lines, "- nowhere, in this run.", ""]
    for other in OTHERS:
        labels = sorted({i.metric.label for i in items if i.other == other})
        if labels:
            lines.append(
                f"- behind {DISPLAY[other]} in {len(labels)} kinds of measurement: "
                + "; ".join(labels)
                + "."
            )
    lines += ["", *_behind_rows(items), ""]
    used = sorted({n for item in items if (n := note_for(item))})
    lines += [f"- ({n}) {LEGEND[n]}." for n in used]
    return [*lines, ""]


def unmeasured_section(results: Results) -> list[str]:
    lines = ["## What could not be measured", ""]
    seen: set[tuple[str, str, str, str]] = set()
    for f in results.failures:
        reason = f.reason.splitlines()[0]
        key = (f.bench, f.case, f.daemon, reason)
        if key in seen:
            continue
        seen.add(key)
        kind = "n/a" if f.not_applicable else "not run" if is_skip(reason) else "failed"
        shown = reason.split(": ", 1)[1] if is_skip(reason) and ": " in reason else reason
        reps = sum(
            1
            for g in results.failures
            if (g.bench, g.case, g.daemon, g.reason.splitlines()[0]) == key
        )
        times = f" ({reps} reps)" if reps > 1 else ""
        lines.append(
            f"- {BENCH_TITLES[f.bench]} [{f.case}], {DISPLAY[f.daemon]}: {kind}{times}: {shown}"
        )
    for daemon, why in results.disabled.items():
        lines.append(f"- {DISPLAY[daemon]} was not tried after that: {why}")
    if len(lines) == 2:
        lines.append("- everything planned was measured.")
    return [*lines, ""]


def machine_section(meta: dict[str, Any]) -> list[str]:
    m = meta.get("machine", {})
    v = meta.get("versions", {})
    load = f"{m.get('loadavg_start')} at start, {meta.get('loadavg_end')} at end"
    rows = [
        ("CPU", f"{m.get('nproc')} x {m.get('cpu_model')}"),
        ("memory", f"{m.get('mem_total_gib')} GiB"),
        ("kernel", f"{m.get('kernel')} ({m.get('arch')})"),
        ("OS", str(m.get("os"))),
        ("load average (1/5/15 min)", load),
        ("hacore", f"{v.get('hacore')} (commit {v.get('hacore_commit')})"),
        ("Heartbeat", f"{v.get('heartbeat')} (Debian package)"),
        ("keepalived", f"{v.get('keepalived')} (Debian package; {v.get('keepalived_banner')})"),
        ("Python", str(v.get("python"))),
    ]
    return ["| | |", "|---|---|", *(f"| {k} | {val} |" for k, val in rows), ""]


def _extra_idle(results: Results) -> list[str]:
    lines = [
        "| case | daemon | processes per node | scheduling | standby RSS | standby PSS |",
        "|---|---|---|---|---|---|",
    ]
    for case in results.cases("idle"):
        for daemon in results.daemons:
            for detail in results.details("idle", case, daemon)[:1]:
                lines.append(
                    f"| {case} | {DISPLAY[daemon]} | {detail.get('procs_standby')} | "
                    f"{', '.join(detail.get('scheduling', []))} | "
                    f"{detail.get('rss_standby_mib')} MiB | {detail.get('pss_standby_mib')} MiB |"
                )
    return [*lines, ""] if len(lines) > 2 else []


def _extra_partition(results: Results) -> list[str]:
    lines = []
    for case in results.cases("partition"):
        for daemon in results.daemons:
            for i, detail in enumerate(results.details("partition", case, daemon), start=1):
                steps = " -> ".join(
                    f"{'+'.join(h) or 'none'} ({t:+.1f} s)"
                    for t, h in detail.get("holders_after_cut", [])
                )
                lines.append(
                    f"- {DISPLAY[daemon]} rep {i}: VIP holders from the cut (heal at "
                    f"{detail.get('heal_at_s')} s): {steps}; "
                    f"final holder {detail.get('final_holder')}."
                )
    return [*lines, ""] if lines else []


def _extra_false(results: Results) -> list[str]:
    lines = []
    for case in results.cases("false_failovers"):
        for daemon in results.daemons:
            for detail in results.details("false_failovers", case, daemon):
                policies = ", ".join(detail.get("scheduling", [])) or "unknown"
                lines.append(
                    f"- [{case}] {DISPLAY[daemon]} ({policies}): {detail.get('burners')} "
                    f"burners for {detail.get('window_s')} s; VIP holders at the end: "
                    f"{', '.join(detail.get('final_holders', [])) or 'none'}."
                )
    return [*lines, ""] if lines else []


def _extra_scaling(results: Results) -> list[str]:
    """Where membership was unstable although every node was up: the machine's limit."""
    nproc = results.meta.get("machine", {}).get("nproc") or "?"
    lines = []
    for case in results.cases("scaling"):
        nodes = int(case.split()[0])
        for daemon in results.daemons:
            deaths = results.summary("scaling", case, "false_deaths", daemon)
            cpu = results.summary("scaling", case, "cpu_node_median_pct", daemon)
            if deaths is None or deaths.median == 0:
                continue
            load = f"; the cluster used {cpu.median * nodes:.0f} % of one core" if cpu else ""
            lines.append(
                f"- {DISPLAY[daemon]} at {nodes} nodes: {deaths.median:g} peers declared dead "
                f"during the idle window although every node was up{load} "
                f"(this machine has {nproc} cores)."
            )
    return [*lines, ""] if lines else []


HANDOVER_STEPS = ("failback_after_crash", "graceful", "failback", "standby", "takeover")
HANDOVER_COLUMNS = (*PHASES, "glue", "total", "kernel", "hacore", "negotiation")


def _extra_lifecycle(results: Results) -> list[str]:
    """hacore's hand-overs broken down (bench.handover), medians in ms per case."""
    head = ["case: hand-over", "client gap", *(SHOWN[c] for c in HANDOVER_COLUMNS)]
    lines = [
        "Where hacore's hand-over time goes (medians, ms; see the procedure above):",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for case in results.cases("lifecycle"):
        details = results.details("lifecycle", case, "hacore")
        for step in HANDOVER_STEPS:
            parts = [d["handovers"][step] for d in details if step in d.get("handovers", {})]
            if not parts:
                continue
            gap = results.summary("lifecycle", case, f"{step}_gap_s", "hacore")
            cells = [f"{gap.median * 1000:.0f}" if gap else "-"]
            cells += [f"{median(p[c] for p in parts):.1f}" for c in HANDOVER_COLUMNS]
            lines.append(f"| {case}: {step} (n={len(parts)}) | " + " | ".join(cells) + " |")
    return [*lines, ""] if len(lines) > 4 else []


EXTRAS = {
    "lifecycle": _extra_lifecycle,
    "idle": _extra_idle,
    "partition": _extra_partition,
    "scaling": _extra_scaling,
    "false_failovers": _extra_false,
}


def anchors_section(results: Results) -> list[str]:
    lines = [
        "## Sanity check against the anchors",
        "",
        "The anchors (`bench/anchors/RESULTS.md`, corrected figures) measured the same real "
        "daemons on the same topology with their own harness. If this run's figures for them "
        "are far off, suspect the lab or the machine before the comparison.",
        "",
        "| measurement | daemon | anchors | this run (median) |",
        "|---|---|---|---|",
    ]
    for bench, key, daemon, case, value in ANCHORS:
        m = metric(bench, key)
        summary = results.summary(bench, case, key, daemon)
        ours = format_value(summary.median, m.unit) if summary else "-"
        lines.append(
            f"| {m.label} [{case}] | {DISPLAY[daemon]} | {format_value(value, m.unit)} | {ours} |"
        )
    return [*lines, ""]


def _kept_note(meta: dict[str, Any]) -> list[str]:
    """Which sections an earlier run supplied (``run_all --keep-from``), and which run."""
    kept = meta.get("kept_from")
    if not kept:
        return []

    def titles(benches: list[str]) -> str:
        return "; ".join(f"*{BENCH_TITLES.get(b, b)}*" for b in benches)

    fresh = [b for b in meta["benches"] if b not in kept["benches"]]
    return [
        f"> This run measured {titles(fresh)}. The other sections come from the earlier "
        f"run `{kept['results']}/` (`{kept.get('command')}`, {kept.get('mode')} mode, "
        f"started {kept.get('started_utc')}): {titles(kept['benches'])}.",
        "",
    ]


def render(data: dict[str, Any], images: dict[str, str], results_dir: Path | str) -> str:
    results = Results.from_json(data)
    meta = results.meta
    mode = meta.get("mode", "?")
    minutes = float(meta.get("duration_s", 0)) / 60
    plan = meta.get("plan", {})
    out = [
        "# Benchmarks: hacore, Heartbeat 3.0.6 and keepalived",
        "",
        f"> Generated by `{meta.get('command', 'python -m bench.run_all')}` "
        f"({mode} mode, {minutes:.0f} min, started {meta.get('started_utc')}); raw data in "
        f"`{results_dir}/` (not committed). Do not edit: rerun to regenerate.",
        "",
        *_kept_note(meta),
    ]
    if mode == "quick":
        out += [
            "**These figures come from a `--quick` run**: "
            f"{plan.get('reps')} repetitions of the start/failover story, one of the others, "
            f"{plan.get('idle_window_s'):g} s CPU windows and {plan.get('false_failover_s'):g} s "
            "of saturation instead of 5 minutes. For the full run (about 80 minutes: 5 "
            "repetitions, 30 s windows, 5 minutes of saturation per daemon) use "
            "`make bench` or `python -m bench.run_all`.",
            "",
        ]
    out += [
        "In every section the three daemons ran in the same run, on the same lab "
        "(`halab`: the seed tutorial's topology in network namespaces, VIP 10.0.0.60, web "
        "server on the VIP, client 10.0.0.100 probing it), with the same timings. Lower is "
        "better everywhere. Cells read `median (min-max, n=repetitions)`; ratios are the "
        "other daemon's median divided by hacore's (above 1: hacore is faster or lighter).",
        "",
        "## Machine",
        "",
        *machine_section(meta),
        "## Headline figures",
        "",
        *headline_table(results),
        "",
        *behind_section(results),
        *unmeasured_section(results),
    ]
    for bench in METRICS:
        if not results.cases(bench):
            continue
        out += [f"## {BENCH_TITLES[bench]}", "", PROCEDURES[bench], ""]
        if bench in images:
            out += [f"![{BENCH_TITLES[bench]}]({images[bench]})", ""]
        if bench == "scaling":
            out += [*scaling_table(results), ""]
        out += [*bench_table(results, bench), ""]
        if bench in EXTRAS:
            out += EXTRAS[bench](results)
    out += anchors_section(results)
    out += [
        "## How to run",
        "",
        "    make bench                              # python -m bench.run_all: full, ~80 min",
        "    python -m bench.run_all --quick         # ~15 min",
        "    python -m bench.run_all --only partition,idle --daemons hacore,heartbeat --reps 3",
        "    python -m bench.run_all --report-only bench/results/<stamp>   # re-render only",
        "    python -m bench.run_all --only idle,scaling --keep-from bench/results/<stamp>"
        "   # rerun some, keep the rest",
        "    python -m bench.simscale                # 64/128 nodes on the engines (own section)",
        "",
        "Needs root (network namespaces), the Debian packages heartbeat and keepalived, and "
        "matplotlib. Benchmarks: lifecycle (cold start, crash, graceful, failback, standby), "
        "failover_slow, partition, idle, scaling, false_failovers, packet_path. Every lab "
        "is torn down "
        "after each repetition, also on errors and Ctrl-C.",
        "",
    ]
    return "\n".join(out)
