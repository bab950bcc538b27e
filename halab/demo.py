"""``halab demo``: the seed tutorial's story, measured from the client.

Two nodes on the seed topology, web server on the VIP 10.0.0.60, timings keepalive 100ms /
deadtime 500ms / warntime 300ms / initdead 2.  Steps: cold start -> "This is node1";
node1 crashes (kill -9, links down) -> node2; node1 returns -> auto_failback -> node1;
node1 stops gracefully -> node2.  Each step reports time-to-serve and the longest gap as
the open-loop prober saw them, then the client's timeline around it.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from halab.configs import FAST_TIMING
from halab.lab import Lab
from halab.watcher import Prober, first_answer, format_timeline, longest_gap, timeline

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
# Heartbeat needs ~11 s to acquire resources and serves with a longer dead time for 5 s.
COLD_START_TIMEOUT = {"hacore": 15.0, "heartbeat": 40.0, "keepalived": 10.0}
SETTLE_S = {"hacore": 1.0, "heartbeat": 6.0, "keepalived": 1.0}
STEP_TIMEOUT_S = 20.0
GRACEFUL = {
    "hacore": "SIGTERM",
    "heartbeat": "/etc/init.d/heartbeat stop",
    "keepalived": "SIGTERM",
}


class Progress:
    """One line per step; on a terminal it carries a spinner and the elapsed time."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.out = out
        self.total = total
        self.tty = out.isatty()
        self.number = 0
        self.title = ""
        self.started = 0.0
        self._spin = itertools.cycle(SPINNER)

    def begin(self, title: str) -> None:
        self.number += 1
        self.title = title
        self.started = time.monotonic()
        self.out.write(self._head() if self.tty else f"{self._head()} ... ")
        self.out.flush()

    def tick(self) -> None:
        if self.tty:
            elapsed = time.monotonic() - self.started
            self.out.write(f"\r{self._head()}  {next(self._spin)} {elapsed:5.1f}s\033[K")
            self.out.flush()

    def done(self, ok: bool, summary: str) -> None:
        mark = "ok  " if ok else "FAIL"
        prefix = f"\r{self._head()}\033[K  " if self.tty else ""
        self.out.write(f"{prefix}{mark} {summary}\n")
        self.out.flush()

    def _head(self) -> str:
        return f"[{self.number}/{self.total}] {self.title:<52}"


@dataclass
class StepResult:
    title: str
    expected: str
    ok: bool
    time_to_serve: float | None
    gap: float | None
    event: float
    until: float


def _wait(
    lab: Lab, prober: Prober, answer: str, after: float, timeout: float, progress: Progress
) -> None:
    deadline = after + timeout
    while time.monotonic() < deadline and first_answer(prober.probes(), answer, after) is None:
        lab.check_daemons()
        progress.tick()
        time.sleep(0.05)


def _settle(seconds: float, progress: Progress) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        progress.tick()
        time.sleep(0.05)


@dataclass
class Step:
    title: str
    expected: str  # the node the client must then get an answer from
    action: Callable[[], object]
    timeout: float
    settle_first: float = 0.0  # let the cluster settle before the event
    measure_gap: bool = True


class Demo:
    def __init__(self, daemon: str, out: TextIO) -> None:
        self.daemon = daemon
        self.out = out
        self.progress = Progress(out, total=5)
        self.results: list[StepResult] = []
        self.lab: Lab | None = None
        self.prober: Prober | None = None

    def build(self) -> bool:
        self.progress.begin(f"building the lab (2 nodes, {self.daemon})")
        try:
            self.lab = Lab(daemon=self.daemon, timing=FAST_TIMING, kind="demo")
            self.lab.build()
            self.prober = self.lab.watch()
        except Exception as exc:
            self.progress.done(False, f"{type(exc).__name__}: {exc}")
            return False
        self.progress.done(True, f"namespaces {self.lab.net.prefix}*, files in {self.lab.workdir}")
        return True

    def steps(self, lab: Lab) -> list[Step]:
        kind = self.daemon
        return [
            Step(
                "cold start: both nodes start",
                "node1",
                lab.start,
                COLD_START_TIMEOUT[kind],
                measure_gap=False,
            ),
            Step(
                "node1 crashes (kill -9, links down)",
                "node2",
                lambda: lab.kill("node1"),
                10,
                settle_first=SETTLE_S[kind],
            ),
            Step("node1 returns, auto_failback", "node1", lambda: lab.start("node1"), 20),
            Step(
                f"node1 stops gracefully ({GRACEFUL[kind]})",
                "node2",
                lambda: lab.stop("node1", wait=False),
                STEP_TIMEOUT_S,
                settle_first=SETTLE_S[kind],
            ),
        ]

    def step(self, prober: Prober, step: Step) -> bool:
        """Run the step's action and wait until the client gets "This is <expected>"."""
        self.progress.begin(step.title)
        _settle(step.settle_first, self.progress)
        event = time.monotonic()
        try:
            step.action()
            assert self.lab is not None
            _wait(self.lab, prober, step.expected, event, step.timeout, self.progress)
        except Exception as exc:  # a failed step is reported; the demo then cleans up
            self.progress.done(False, f"{type(exc).__name__}: {exc}")
            self.results.append(
                StepResult(step.title, step.expected, False, None, None, event, event)
            )
            return False
        _settle(0.3, self.progress)  # the timeline shows a little of the new steady state
        probes = prober.probes()
        hit = first_answer(probes, step.expected, event)
        to_serve = hit.end - event if hit else None
        gap = longest_gap(probes, event, hit.end) if (hit and step.measure_gap) else None
        until = time.monotonic()
        self.results.append(
            StepResult(step.title, step.expected, hit is not None, to_serve, gap, event, until)
        )
        if hit is None:
            self.progress.done(False, f"{step.expected} did not serve within {step.timeout:g} s")
            return False
        gap_text = f", longest gap {gap:.3f} s" if gap is not None else ""
        self.progress.done(True, f"{step.expected} serves after {hit.end - event:.3f} s{gap_text}")
        return True

    def run(self) -> bool:
        if not self.build():
            return False
        assert self.lab is not None and self.prober is not None
        prober = self.prober
        return all(self.step(prober, step) for step in self.steps(self.lab))

    def report(self) -> None:
        if self.prober is None:
            return
        out = self.out
        out.write("\nWhat the client (10.0.0.100) saw, probing http://10.0.0.60/ every 10 ms:\n")
        for result in self.results:
            out.write(f"\n{result.title} (t=0 at the event):\n")
            segments = timeline(self.prober.probes(), result.event - 0.1, result.until)
            out.write(format_timeline(segments, result.event) + "\n")
        width = max(len(r.title) for r in self.results) if self.results else 4
        out.write(f"\n{'step':<{width}}  {'expect':<7} {'time to serve':>14} {'longest gap':>12}\n")
        for r in self.results:
            serve = f"{r.time_to_serve:.3f} s" if r.ok and r.time_to_serve else "FAILED"
            gap = f"{r.gap:.3f} s" if r.gap is not None else "-"
            out.write(f"{r.title:<{width}}  {r.expected:<7} {serve:>14} {gap:>12}\n")

    def tail_logs(self, lines: int = 12) -> None:
        if self.lab is None:
            return
        for name in self.lab.names:
            for log in ("ha-log", "hacored.out", "keepalived.out"):
                text = self.lab.log(name, log)
                if text:
                    tail = "\n".join(text.splitlines()[-lines:])
                    self.out.write(f"\n--- {name}:/var/log/{log} (last {lines} lines)\n{tail}\n")


def run_demo(daemon: str = "hacore", keep: bool = False, out: TextIO = sys.stdout) -> int:
    """The whole demo; 0 only if every step succeeded."""
    demo = Demo(daemon, out)
    started = time.monotonic()
    ok = False
    try:
        ok = demo.run()
        demo.report()
        if not ok:
            demo.tail_logs()
    finally:
        if demo.lab is not None:
            demo.lab.keep_workdir = keep or not ok
            demo.lab.close()
            if demo.lab.keep_workdir:
                out.write(f"\nLogs kept in {demo.lab.workdir}\n")
    verdict = "every step succeeded" if ok else "FAILED"
    out.write(f"\nDemo {verdict} in {time.monotonic() - started:.1f} s.\n")
    return 0 if ok else 1
