"""The report's PNG plots, drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from bench.metrics import BENCH_TITLES, metric
from bench.tables import DISPLAY, Results

COLORS = {"hacore": "#1f77b4", "heartbeat": "#d62728", "keepalived": "#7f7f7f"}
DPI = 110


def _bars(ax: Axes, results: Results, bench: str, case: str | None, key: str, title: str) -> None:
    m = metric(bench, key)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel(m.unit)
    if case is None:
        return
    highest = 0.0
    for i, daemon in enumerate(results.daemons):
        s = results.summary(bench, case, key, daemon)
        if s is None:
            status = results.cell_status(bench, case, daemon)
            label = "n/a" if status == "-" else status  # measured, but not for this daemon
            ax.text(i, 0, label, ha="center", va="bottom", fontsize=7)
            continue
        err = [[s.median - s.low], [s.high - s.median]]
        ax.bar(i, s.median, color=COLORS[daemon], yerr=err, capsize=3)
        ax.text(i, s.median, f"{s.median:.3g}", ha="center", va="bottom", fontsize=7)
        highest = max(highest, s.high)
    ax.set_ylim(0, highest * 1.15 if highest > 0 else 1)
    ax.set_xticks(range(len(results.daemons)), [DISPLAY[d] for d in results.daemons], fontsize=7)


def _first(results: Results, bench: str) -> str | None:
    cases = results.cases(bench)
    return cases[0] if cases else None


def _lifecycle(results: Results, path: Path) -> bool:
    fast = _first(results, "lifecycle")
    slow = _first(results, "failover_slow")
    if fast is None and slow is None:
        return False
    panels = [
        ("lifecycle", fast, "cold_start_s", "cold start -> VIP answers"),
        ("lifecycle", fast, "crash_failover_s", "crash failover (100 ms / 500 ms)"),
        ("failover_slow", slow, "crash_failover_s", "crash failover (2 s / 30 s)"),
        ("lifecycle", fast, "graceful_gap_s", "graceful stop: longest gap"),
        ("lifecycle", fast, "failback_gap_s", "auto_failback: longest gap"),
        ("lifecycle", fast, "failback_after_crash_gap_s", "reboot after crash: longest gap"),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(11, 6))
    for ax, (bench, case, key, title) in zip(axes.flat, panels, strict=True):
        _bars(ax, results, bench, case, key, title)
    fig.suptitle("Median (bars) and min-max (whiskers), seconds", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return True


def _idle(results: Results, path: Path) -> bool:
    cases = results.cases("idle")
    if not cases:
        return False
    fig, axes = plt.subplots(1, len(cases) + 1, figsize=(4 * (len(cases) + 1), 3.8))
    for ax, case in zip(axes, cases, strict=False):
        _bars(ax, results, "idle", case, "cpu_active_pct", f"CPU, active node [{case}]")
    _bars(axes[-1], results, "idle", cases[0], "pss_active_mib", "PSS, active node")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return True


def _scaling(results: Results, path: Path) -> bool:
    cases = results.cases("scaling")
    if not cases:
        return False
    sizes = [int(c.split()[0]) for c in cases]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, key, title in (
        (axes[0], "detect_all_s", "kill one node -> every survivor noticed (s)"),
        (axes[1], "cpu_node_median_pct", "idle CPU per node, median (%)"),
    ):
        for daemon in results.daemons:
            points = [
                (n, s.median)
                for n, c in zip(sizes, cases, strict=True)
                if (s := results.summary("scaling", c, key, daemon)) is not None
            ]
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, marker="o", color=COLORS[daemon], label=DISPLAY[daemon])
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.set_xlabel("nodes")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return True


def _partition(results: Results, path: Path) -> bool:
    case = _first(results, "partition")
    if case is None:
        return False
    fig, ax = plt.subplots(figsize=(10, 3.5))
    drawn = False
    for offset, daemon in enumerate(results.daemons):
        details = results.details("partition", case, daemon)
        if not details:
            continue
        steps = details[0].get("holders_after_cut", [])
        xs = [t for t, _ in steps]
        ys = [len(h) + 0.04 * offset for _, h in steps]
        if xs:
            end = xs[-1] + 5
            ax.step(
                [*xs, end], [*ys, ys[-1]], where="post", color=COLORS[daemon], label=DISPLAY[daemon]
            )
            heal = details[0].get("heal_at_s")
            if heal is not None:
                ax.axvline(heal, color=COLORS[daemon], linestyle=":", linewidth=1)
            drawn = True
    if not drawn:
        plt.close(fig)
        return False
    ax.set_yticks([0, 1, 2])
    ax.set_ylabel("nodes holding the VIP")
    ax.set_xlabel("seconds after the link was cut (dotted: link restored)")
    ax.set_title(BENCH_TITLES["partition"], fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return True


def _false_failovers(results: Results, path: Path) -> bool:
    case = _first(results, "false_failovers")
    if case is None:
        return False
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.5))
    for ax, key in zip(axes, ("vip_changes", "dead_events", "late_warnings"), strict=True):
        _bars(ax, results, "false_failovers", case, key, metric("false_failovers", key).label)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return True


PLOTS = {
    "lifecycle": _lifecycle,
    "partition": _partition,
    "idle": _idle,
    "scaling": _scaling,
    "false_failovers": _false_failovers,
}


def make_plots(data: dict[str, Any], img_dir: Path) -> dict[str, str]:
    """Draw every plot the results allow; returns bench -> path relative to docs/."""
    results = Results.from_json(data)
    img_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for bench, draw in PLOTS.items():
        name = f"bench-{bench.replace('_', '-')}.png"
        if draw(results, img_dir / name):
            written[bench] = f"{img_dir.name}/{name}"
    if "lifecycle" in written:
        written["failover_slow"] = written["lifecycle"]
    return written
