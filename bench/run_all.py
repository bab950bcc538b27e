"""``python -m bench.run_all``: every benchmark, for hacore, Heartbeat and keepalived.

    python -m bench.run_all                  # full mode, about 80 minutes
    python -m bench.run_all --quick          # about a quarter of an hour
    python -m bench.run_all --only partition,idle --daemons hacore,heartbeat
    python -m bench.run_all --report-only bench/results/20261124T184500Z
    python -m bench.run_all --only idle,scaling --keep-from bench/results/20261124T184500Z

Repetitions are interleaved across daemons (rep 1 of each, then rep 2 ...), so a slow
phase of the machine does not fall on one daemon only.  Raw results go to
``bench/results/<UTC timestamp>/``; docs/benchmarks.md and docs/img/bench-*.png are
regenerated from them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from bench import machine
from bench.common import Run, Trial
from bench.false_failovers import false_failovers, realtime_case
from bench.idle import idle
from bench.lifecycle import CASES as LIFECYCLE_CASES
from bench.lifecycle import failover_slow, lifecycle
from bench.merge import merged
from bench.metrics import DAEMONS
from bench.packet_path import packet_path
from bench.partition import partition
from bench.plan import FAST, IDLE_1S, SEED, Plan, make_plan, resolve_only
from bench.scaling import Collapses, scaling
from halab.netns import netns_problem

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DOCS = REPO / "docs"

Body = Callable[[Trial], None]


def _interleaved(run: Run, bench: str, case: str, reps: int, body: Body) -> None:
    for rep in range(1, reps + 1):
        for daemon in run.daemons:
            run.attempt(bench, case, daemon, rep, body)


def run_bench(run: Run, bench: str) -> None:
    plan = run.plan
    if bench == "lifecycle":
        for case in LIFECYCLE_CASES:
            body = partial(lifecycle, profile=FAST, settle_s=plan.settle_s, case=case)
            _interleaved(run, bench, case.label(FAST), plan.reps, body)
    elif bench == "failover_slow":
        _interleaved(
            run, bench, SEED.label, plan.slow_reps, lambda t: failover_slow(t, SEED, plan.settle_s)
        )
    elif bench == "partition":
        _interleaved(run, bench, FAST.label, plan.partition_reps, lambda t: partition(t, plan))
    elif bench == "idle":
        for profile in (FAST, IDLE_1S, SEED):
            _interleaved(
                run, bench, profile.label, plan.idle_reps, partial(idle, profile=profile, plan=plan)
            )
    elif bench == "scaling":
        collapses = Collapses()
        for nodes in plan.scaling_sizes:
            _interleaved(
                run,
                bench,
                f"{nodes} nodes",
                plan.reps_for_size(nodes),
                partial(scaling, nodes=nodes, plan=plan, collapses=collapses),
            )
    elif bench == "false_failovers":
        for realtime in (True, False):  # off: hacore only (the others are n/a)
            body = partial(false_failovers, plan=plan, realtime=realtime)
            _interleaved(run, bench, realtime_case(realtime), 1, body)
    elif bench == "packet_path":
        _interleaved(run, bench, FAST.label, 1, lambda t: packet_path(t, plan.quick))
    else:
        raise ValueError(f"unknown benchmark {bench!r}")


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `with Lab`: nothing is left behind


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run_all", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer reps, shorter windows (~15 min)"
    )
    parser.add_argument(
        "--reps", type=int, help="repetitions of the start/failover story (caps the others)"
    )
    parser.add_argument(
        "--only",
        help="comma-separated benchmarks: lifecycle, failover_slow, "
        "partition, idle, scaling, false_failovers, packet_path",
    )
    parser.add_argument("--daemons", default=",".join(DAEMONS), help="default: all three")
    parser.add_argument("--out", type=Path, help="results directory (default bench/results/<UTC>)")
    parser.add_argument("--no-docs", action="store_true", help="do not regenerate docs/")
    parser.add_argument(
        "--keep-from",
        type=Path,
        metavar="RESULTS_DIR",
        help="take the benchmarks this run does not measure from an earlier run",
    )
    parser.add_argument(
        "--report-only",
        type=Path,
        metavar="RESULTS_DIR",
        help="regenerate docs from an earlier run, measure nothing",
    )
    args = parser.parse_args(argv)
    if args.keep_from is not None and not (args.keep_from / "results.json").is_file():
        parser.error(f"--keep-from: no results.json in {args.keep_from}")
    if args.reps is not None and args.reps < 1:
        parser.error("--reps must be at least 1")
    daemons = [d.strip() for d in args.daemons.split(",") if d.strip()]
    if unknown := [d for d in daemons if d not in DAEMONS]:
        parser.error(f"--daemons: unknown {', '.join(unknown)} (known: {', '.join(DAEMONS)})")
    args.daemon_list = daemons
    try:
        args.benches = resolve_only(args.only)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def write_docs(results_dir: Path) -> Path:
    """docs/benchmarks.md and docs/img/bench-*.png from ``results_dir``/results.json;
    the blocks bench.fuzz and bench.flood wrote are kept.

    matplotlib is imported here: a --no-docs run does not need it.
    """
    from bench.docsection import kept_blocks
    from bench.plots import make_plots
    from bench.report import render

    data = _read_results(results_dir)
    images = make_plots(data, DOCS / "img")
    target = DOCS / "benchmarks.md"
    kept = kept_blocks(target.read_text()) if target.exists() else ""
    target.write_text(render(data, images, _shown(results_dir)) + kept)
    return target


def _read_results(results_dir: Path) -> dict[str, Any]:
    source = results_dir / "results.json"
    try:
        data: dict[str, Any] = json.loads(source.read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"bench: cannot read {source}: {exc}") from None
    return data


def _shown(results_dir: Path) -> Path:
    """``results_dir`` as the docs name it: relative to the repository when inside it."""
    shown = results_dir.resolve()
    return shown.relative_to(REPO) if shown.is_relative_to(REPO) else shown


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.report_only:
        print(f"wrote {write_docs(args.report_only)}")
        return 0
    if problem := netns_problem():
        print(f"bench: network namespaces unavailable: {problem}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _exit_on_signal)
    plan: Plan = make_plan(args.quick, args.reps)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or RESULTS / stamp
    run = Run(plan, args.daemon_list, out)
    run.meta = {
        "started_utc": stamp,
        "command": " ".join(
            ["python -m bench.run_all", *(argv if argv is not None else sys.argv[1:])]
        ),
        "mode": plan.mode,
        "plan": asdict(plan),
        "benches": args.benches,
        "daemons": args.daemon_list,
        "machine": machine.describe(),
        "versions": machine.versions(),
        "profiles": {
            p.name: {"label": p.label, "describe": p.describe()} for p in (FAST, SEED, IDLE_1S)
        },
    }
    started = time.monotonic()
    run.say(
        f"bench: {plan.mode} run of {', '.join(args.benches)} for {', '.join(run.daemons)} -> {out}"
    )
    try:
        for bench in args.benches:
            run.say(f"== {bench}")
            run_bench(run, bench)
    finally:
        run.meta["duration_s"] = round(time.monotonic() - started, 1)
        run.meta["loadavg_end"] = machine.loadavg()
        run.meta["finished_utc"] = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        run.save()
        run.say(f"bench: done in {run.meta['duration_s'] / 60:.1f} min, results in {out}")
        run.close()
    if args.keep_from is not None:
        _keep_from(out, args.keep_from)
    if not args.no_docs:
        print(f"wrote {write_docs(out)}")
    return 0


def _keep_from(out: Path, earlier_dir: Path) -> None:
    """Complete ``out``/results.json with the sections it lacks from ``earlier_dir``'s."""
    earlier = _read_results(earlier_dir)
    target = out / "results.json"
    data = merged(_read_results(out), earlier, str(_shown(earlier_dir)))
    target.write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    sys.exit(main())
