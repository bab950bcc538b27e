"""The long fuzz run of the packet path: atheris (libFuzzer, coverage-guided) over each
target of bench/fuzz_targets.py, seeded from Heartbeat 3.0.6's captured packets.

    python -m bench.fuzz                      # 100,000 inputs per target, docs updated
    python -m bench.fuzz --runs 2000 --no-docs --targets decode,membership

Each target runs in its own process (libFuzzer runs once per process). Reported per
target: inputs run, crashes (any exception or log line the target's contract forbids;
the input is saved under bench/results/fuzz/ and the run goes on), coverage, and the
slowest input: by the CPU time its run took (so a busy machine's preemption does not
count), and the five slowest timed again on the wall clock, best of 5, at the end.
Needs ``pip install -e '.[bench]'`` (atheris).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "bench" / "results" / "fuzz"
DEFAULT_RUNS = 100_000
MAX_LEN = 8192
SLOW_MS = 10.0
KEEP_SLOWEST = 5
REPEATS = 5
STATS_EVERY = 1000
TARGET_NAMES = ("open_raw", "open_signed", "decode", "compressed", "membership")
_DONE = re.compile(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)")


# ---- the child: one target under libFuzzer --------------------------------------------------


def _child(name: str, runs: int, stats_path: Path, crash_dir: Path) -> None:
    import atheris

    with atheris.instrument_imports(include=["hacore", "bench.fuzz_targets"]):
        import structlog

        from bench import fuzz_targets

    events: list[dict[str, Any]] = []

    def collect(_: Any, __: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
        events.append(dict(event))
        raise structlog.DropEvent

    structlog.configure(processors=[collect], cache_logger_on_first_use=False)
    target = {t.name: t for t in fuzz_targets.targets()}[name]
    state: dict[str, Any] = {"inputs": 0, "crashes": 0, "first_crashes": [], "slowest": []}

    def timed(data: bytes, clock: Callable[[], float]) -> tuple[float, BaseException | None]:
        prepared = target.prepare(data)
        events.clear()
        started = clock()
        try:
            target.run(prepared)
            fuzz_targets.check_logs(events)
        except Exception as exc:  # a crash is counted, saved and survived
            return (clock() - started) * 1000, exc
        return (clock() - started) * 1000, None

    def write_stats(final: bool) -> None:
        slowest = sorted(state["slowest"], reverse=True)
        report = {
            "target": name,
            "inputs": state["inputs"],
            "crashes": state["crashes"],
            "first_crashes": state["first_crashes"],
            "slowest_ms": slowest[0][0] if slowest else 0.0,
            "slowest_input": slowest[0][1].hex()[:200] if slowest else "",
            "slowest_len": len(slowest[0][1]) if slowest else 0,
        }
        if final and slowest:
            again = [
                (min(timed(data, time.perf_counter)[0] for _ in range(REPEATS)), data)
                for _, data in slowest
            ]
            worst, data = max(again)
            report.update(remeasured_ms=worst, remeasured_len=len(data))
        stats_path.write_text(json.dumps(report))

    def one_input(data: bytes) -> None:
        elapsed, failure = timed(data, time.thread_time)
        state["inputs"] += 1
        if failure is not None:
            state["crashes"] += 1
            path = crash_dir / f"{name}-{state['crashes']}.bin"
            path.write_bytes(data)
            if len(state["first_crashes"]) < 5:
                state["first_crashes"].append(f"{path.name}: {failure!r}"[:300])
        slowest = state["slowest"]
        if len(slowest) < KEEP_SLOWEST or elapsed > min(slowest)[0]:
            slowest.append((elapsed, data))
            slowest.sort(reverse=True)
            del slowest[KEEP_SLOWEST:]
        if state["inputs"] % STATS_EVERY == 0:
            write_stats(final=state["inputs"] >= runs)

    corpus = Path(tempfile.mkdtemp(prefix=f"hacore-fuzz-{name}-"))
    for i, seed in enumerate(fuzz_targets.seeds()):
        (corpus / f"seed-{i:04d}").write_bytes(seed)
    flags = [f"-runs={runs}", f"-max_len={MAX_LEN}", "-timeout=10", "-rss_limit_mb=2048"]
    atheris.Setup([sys.argv[0], *flags, str(corpus)], one_input)
    atheris.Fuzz()


# ---- the parent: one child per target, then the report ---------------------------------------


def _run_target(name: str, runs: int, out: Path) -> dict[str, Any]:
    stats = out / f"{name}.json"
    log = out / f"{name}.log"
    started = time.monotonic()
    with log.open("w") as stderr:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.fuzz", "--child", name, "--runs", str(runs),
             "--out", str(out)],
            stdout=stderr, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    result: dict[str, Any] = json.loads(stats.read_text()) if stats.exists() else {"target": name}
    result.update(exit_code=proc.returncode, wall_s=round(time.monotonic() - started, 1))
    done = _DONE.findall(log.read_text(errors="replace"))
    if done:
        runs_done, cov, ft, corp = done[-1]
        result.update(libfuzzer_runs=int(runs_done), cov=int(cov), ft=int(ft), corpus=int(corp))
    return result


def worst_cases() -> list[tuple[str, bytes]]:
    """Packets built to cost the most the limits allow, which a fuzzer may never reach."""
    import bz2
    import zlib

    from bench.fuzz_targets import CRC_SIGNER
    from hacore.wire.codec import MAX_EXPANDED, MAX_FIELDS, MAXMSG, encode_netstring
    from hacore.wire.message import Message

    def compressed(payload: bytes, algorithm: str) -> bytes:
        wrapped = Message(("_compressed_payload", payload), ("_compression_algorithm", algorithm))
        return CRC_SIGNER.seal(wrapped)

    tiny = Message(*[("f", "v")] * (MAX_FIELDS - 1))
    not_utf8 = Message(("t", "x"), ("v", (b"\xff" * 250 * 1024).decode("utf-8", "surrogateescape")))
    inner = encode_netstring(Message(("t", "x"), ("blob", "y" * (MAX_EXPANDED - 64))))
    bomb = b"###\n" + b"6:(0)a=b," * 230_000 + b"%%%\n"
    forged = b"###\n" + b"6:(0)a=b," * ((MAXMSG - 40) // 9) + b"%%%\n10:1 deadbeef,"
    return [
        (f"signed, {MAX_FIELDS - 1} tiny fields (netstring)", CRC_SIGNER.seal(tiny)),
        (f"signed, {MAX_FIELDS - 1} tiny fields (classic)", CRC_SIGNER.seal_classic(tiny)),
        (f"forged, {len(forged) // 1024} KiB of tiny fields", forged),
        ("forged classic, 128 Ki empty lines", b">>>\n" + b"\n" * (1 << 17) + b"auth=1 0\n<<<\n"),
        ("forged classic, 64 Ki one-byte lines", b">>>\n" + b"a\n" * (1 << 16) + b"<<<\n"),
        ("signed, one 250 KiB value that is not UTF-8", CRC_SIGNER.seal(not_utf8)),
        ("signed, 64 KiB expanded (zlib)", compressed(zlib.compress(inner), "zlib")),
        ("signed, 64 KiB expanded (bz2)", compressed(bz2.compress(inner, 1), "bz2")),
        ("signed bomb, 2 MB of tiny fields (zlib)", compressed(zlib.compress(bomb), "zlib")),
        ("signed bomb, 2 MB of tiny fields (bz2)", compressed(bz2.compress(bomb, 1), "bz2")),
    ]


def time_worst_cases() -> list[tuple[str, int, float, str]]:
    """(case, packet bytes, best-of-REPEATS ms to open, outcome) for each worst case."""
    from bench.fuzz_targets import CRC_SIGNER
    from hacore.wire.signing import PacketRejected

    rows = []
    for label, packet in worst_cases():
        best = float("inf")
        outcome = "accepted"
        for _ in range(REPEATS):
            started = time.perf_counter()
            try:
                CRC_SIGNER.open(packet)
            except PacketRejected as e:
                outcome = f"rejected: {e.reason}"
            best = min(best, (time.perf_counter() - started) * 1000)
        rows.append((label, len(packet), best, outcome))
    return rows


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def section(
    results: list[dict[str, Any]],
    worst: list[tuple[str, int, float, str]],
    runs: int,
    load_before: str,
    load_after: str,
) -> list[str]:
    lines = [
        "## Packet path fuzzing",
        "",
        f"> Written by `python -m bench.fuzz` ({time.strftime('%Y-%m-%d', time.gmtime())}, "
        f"{runs:,} inputs per target asked). Atheris (libFuzzer, coverage-guided) seeded from "
        "the captured Heartbeat 3.0.6 packets; targets in `bench/fuzz_targets.py`. A crash is "
        "any exception or log line outside the target's contract. *Slowest* is the most CPU "
        "time one input took in the packet path (not the harness: preparing inputs, e.g. "
        "compressing them, is not counted); the five slowest were then re-timed on the wall "
        f"clock, best of {REPEATS}. Load average (1/5/15 min) before: {load_before}; "
        f"after: {load_after} on {os.cpu_count()} cores shared with other work.",
        "",
        "| target | what it feeds | inputs | crashes | coverage (cov / ft) | slowest (CPU) "
        "| slowest, re-timed (wall) |",
        "|---|---|---|---|---|---|---|",
    ]
    what = {
        "open_raw": "bytes as received, through all three authkeys methods",
        "open_signed": "bytes given a valid crc signature, so the parser runs",
        "decode": "the codec alone, compressed fields expanded",
        "compressed": "zlib/bz2 payloads, 1/32 of them bombs past 64 KiB",
        "membership": "decoded packets into one long-lived engine",
    }
    for r in results:
        lines.append(
            f"| {r['target']} | {what.get(r['target'], '')} | {r.get('inputs', 0):,} | "
            f"{r.get('crashes', '?')} | {r.get('cov', '?')} / {r.get('ft', '?')} | "
            f"{r.get('slowest_ms', 0):.2f} ms | {r.get('remeasured_ms', 0):.2f} ms |"
        )
    lines += [
        "",
        "Packets built to cost the most the limits allow (crc, the cheapest to forge), "
        f"opened best of {REPEATS}:",
        "",
        "| packet | bytes | time to open | outcome |",
        "|---|---|---|---|",
    ]
    for label, size, ms, outcome in worst:
        lines.append(f"| {label} | {size:,} | {ms:.2f} ms | {outcome} |")
    lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="inputs per target")
    parser.add_argument("--targets", default=",".join(TARGET_NAMES))
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", choices=TARGET_NAMES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.child:
        _child(args.child, args.runs, args.out / f"{args.child}.json", args.out)
        return 0
    names = [n for n in args.targets.split(",") if n]
    unknown = sorted(set(names) - set(TARGET_NAMES))
    if unknown:
        parser.error(f"unknown targets {unknown}; known: {', '.join(TARGET_NAMES)}")
    load_before = _loadavg()
    results = []
    for name in names:
        result = _run_target(name, args.runs, args.out)
        print(json.dumps(result), flush=True)
        results.append(result)
    worst = time_worst_cases()
    lines = section(results, worst, args.runs, load_before, _loadavg())
    print("\n".join(lines))
    if not args.no_docs:
        from bench.docsection import update

        print(f"wrote {update('bench.fuzz', lines)}")
    bad = [r for r in results if r.get("crashes") != 0 or r.get("inputs", 0) < args.runs]
    slow = [label for label, _, ms, _ in worst if ms > SLOW_MS]
    return 1 if bad or slow else 0


if __name__ == "__main__":
    sys.exit(main())
