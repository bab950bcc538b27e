"""The membership limit: 64 and 128 nodes in one process, on the real engines.

    python -m bench.simscale                   # 64 and 128 nodes, 5 minutes each; docs updated
    python -m bench.simscale --quick           # 30 s each
    python -m bench.simscale --nodes 8,16 --seconds 60 --no-docs

Each size is a :class:`bench.simcluster.SimCluster` at the fast timings (keepalive 100 ms,
deadtime 500 ms): every node starts within one keepalive; the run goes on until every node
sees every other (converged), settles, then soaks for the given simulated time counting
peers declared dead although all were up; CPU per node is taken over the soak. Then the
last node is killed and each survivor's detection delay is compared with deadtime + one
keepalive. The section in docs/benchmarks.md is this command's own block; run_all keeps it.

The simulation costs real CPU: every packet is verified and decoded by every other node,
so a simulated second of N nodes costs about N x 10 x (N-1) packet receptions. The wall
time is printed per size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.simcluster import FAST, SimCluster, Timing

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SIZES = (64, 128)
SOAK_S = 300.0
QUICK_SOAK_S = 30.0
SETTLE_S = 6.0  # as run_all's settle: Heartbeat's start-up deadtime bump lasts 5 s
CONVERGE_TIMEOUT_S = 30.0
DETECT_WAIT_S = 3.0
MAX_NODES = 100  # ha.cf's limit (Heartbeat's MAXNODE, which hacore keeps)


@dataclass
class SizeResult:
    nodes: int
    soak_s: float
    converged_s: float | None
    false_deaths: int
    stalls: int
    cpu_median_pct: float
    cpu_max_pct: float
    heartbeat_late_max_ms: float  # the latest any heartbeat left after it was due
    received_per_node_s: float  # packets each node verified and decoded per second
    detect_max_s: float | None
    detect_median_s: float | None
    noticed: int
    survivors: int
    detect_late: int  # survivors that noticed after deadtime + keepalive, or never
    log_events: dict[str, int]
    wall_s: float

    @property
    def holds(self) -> bool:
        """The guarantee: converged, no false death, every death seen within the bound."""
        return (
            self.converged_s is not None
            and self.false_deaths == 0
            and self.noticed == self.survivors
            and self.detect_late == 0
        )


def run_size(nodes: int, soak_s: float, timing: Timing = FAST) -> SizeResult:
    started = time.monotonic()
    sim = SimCluster(nodes, timing)
    converged = sim.run_until_converged(CONVERGE_TIMEOUT_S)
    sim.run_until(sim.now + SETTLE_S)
    sim.start_window()
    deliveries = sim.outcome.deliveries
    soak_start = sim.now
    sim.run_until(soak_start + soak_s)
    cpu = sim.cpu_pct()
    received = (sim.outcome.deliveries - deliveries) / nodes / soak_s
    lag = max(n.status_lag_s for n in sim.nodes.values())
    false_deaths = len(sim.outcome.false_deaths)
    victim = f"node{nodes}"
    sim.kill(victim)
    sim.run_until(sim.now + DETECT_WAIT_S)
    delays = sorted(sim.outcome.detections.values())
    survivors = nodes - 1
    late = sum(d > timing.detection_bound_s for d in delays) + survivors - len(delays)
    return SizeResult(
        nodes=nodes,
        soak_s=soak_s,
        converged_s=converged,
        false_deaths=false_deaths,
        stalls=sim.outcome.stalls,
        cpu_median_pct=statistics.median(cpu.values()),
        cpu_max_pct=max(cpu.values()),
        heartbeat_late_max_ms=lag * 1000,
        received_per_node_s=received,
        detect_max_s=delays[-1] if delays else None,
        detect_median_s=statistics.median(delays) if delays else None,
        noticed=len(delays),
        survivors=survivors,
        detect_late=late,
        log_events=dict(sim.outcome.log_events),
        wall_s=time.monotonic() - started,
    )


def _s(value: float | None, unit: str = " s", digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def section(results: list[SizeResult], load_before: str, load_after: str) -> list[str]:
    bound = FAST.detection_bound_s
    lines = [
        "## Membership limit: 64 and 128 nodes on the engines",
        "",
        f"> Written by `python -m bench.simscale` ({time.strftime('%Y-%m-%d', time.gmtime())}). "
        "One process runs every node's real membership engine and packet signer (sha1); a "
        "simulated multicast link carries the encoded packets. Each node has a CPU of its own "
        "and each event costs it the CPU time the real code took (thread CPU clock), so "
        "overload shows as in a cluster: packets queue, heartbeats leave late "
        "(`bench/simcluster.py` says why neither the wall clock nor free work would be "
        "honest). Not counted: syscalls, the event loop, metrics and log I/O, so CPU is a "
        "lower bound for a daemon (`scaling` above measures real daemons up to 32 nodes). "
        f"Timings: keepalive 100 ms, deadtime 500 ms; the promise is a death seen within "
        f"deadtime + one keepalive ({bound:g} s). Load average (1/5/15 min) before: "
        f"{load_before}; after: {load_after} on {os.cpu_count()} cores shared with other work.",
        "",
        "| nodes | converged | soak | false deaths | local stalls | CPU per node (median / max) "
        "| heartbeats late by at most | packets received per node | kill one node -> every "
        "survivor noticed (median) | noticed after the bound | guarantee |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.nodes} | {_s(r.converged_s)} | {r.soak_s:g} s | {r.false_deaths} | "
            f"{r.stalls} | {r.cpu_median_pct:.2f} % / {r.cpu_max_pct:.2f} % | "
            f"{r.heartbeat_late_max_ms:.1f} ms | {r.received_per_node_s:,.0f}/s | "
            f"{_s(r.detect_max_s)} ({_s(r.detect_median_s)}) | {r.detect_late} of "
            f"{r.survivors} | {'holds' if r.holds else 'BROKEN'} |"
        )
    lines += [
        "",
        "Heartbeat 3.0.6 and keepalived: not run (they have no engine that runs outside "
        f"their daemon). ha.cf accepts at most {MAX_NODES} nodes, ping nodes included "
        "(Heartbeat's MAXNODE, which hacore keeps): 128 is beyond what can be configured and "
        "shows the margin. CPU per node grows with the number of peers (each sends 10 "
        "heartbeats a second, and every node verifies and decodes every one); the limit is "
        "where a node's share of one core, plus the daemon's own overhead, no longer leaves "
        "it idle most of the time.",
        "",
    ]
    return lines


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", default=",".join(map(str, SIZES)), help="sizes, e.g. 64,128")
    parser.add_argument("--seconds", type=float, help=f"soak per size (default {SOAK_S:g})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SOAK_S:g} s soaks")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    try:
        sizes = [int(n) for n in args.nodes.split(",") if n.strip()]
    except ValueError:
        parser.error(f"--nodes: comma-separated numbers, not {args.nodes!r}")
    if not sizes or min(sizes) < 2:
        parser.error("--nodes: every size must be at least 2")
    soak = args.seconds or (QUICK_SOAK_S if args.quick else SOAK_S)
    load_before = _loadavg()
    results = []
    for nodes in sizes:
        result = run_size(nodes, soak)
        print(json.dumps(asdict(result)), flush=True)
        results.append(result)
    lines = section(results, load_before, _loadavg())
    print("\n".join(lines))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = args.out / f"simscale-{stamp}.json"
    target.write_text(json.dumps([asdict(r) for r in results], indent=1))
    print(f"wrote {target}")
    if not args.no_docs:
        from bench.docsection import update

        print(f"wrote {update('bench.simscale', lines)}")
    return 0 if all(r.holds for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
