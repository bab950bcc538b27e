"""The run: where results go, how one repetition is attempted, labs that leave logs behind.

A repetition that raises becomes a :class:`~bench.metrics.Failure` (with whatever it had
measured kept as a record), never the end of the run; a daemon that fails twice in a
row is not tried again, so a broken daemon costs minutes, not the whole run.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from bench.metrics import Failure, Record, Value
from bench.plan import Plan, Profile
from halab.lab import Lab
from halab.watcher import Probe, Prober, first_answer, format_timeline, timeline

COLD_START_TIMEOUT_S = 60.0
MAX_CONSECUTIVE_FAILURES = 2
POLL_S = 0.02


class NotApplicable(Exception):
    """This benchmark has no meaning for this daemon (recorded as n/a, not as a failure)."""


class StepTimeout(AssertionError):
    """The cluster did not reach the state a step waits for."""


class Skipped(Exception):
    """Not attempted, for a reason found earlier in the run (not the daemon's failure)."""


class LabStopped(Exception):
    """The guard powered the lab off to protect the machine (a limit of the daemon at this
    scale, not a broken daemon: it does not count towards disabling it)."""


def now() -> float:
    return time.monotonic()


def settle(seconds: float) -> None:
    time.sleep(seconds)


class Trial:
    """One repetition of one benchmark for one daemon: what it measured so far."""

    def __init__(self, run: Run, bench: str, case: str, daemon: str, rep: int) -> None:
        self.run = run
        self.bench = bench
        self.case = case
        self.daemon = daemon
        self.rep = rep
        self.metrics: dict[str, Value] = {}
        self.detail: dict[str, Any] = {}

    @property
    def tag(self) -> str:
        case = re.sub(r"[^A-Za-z0-9]+", "-", self.case).strip("-")
        return f"{self.bench}-{case}-{self.daemon}-rep{self.rep}"

    @contextmanager
    def lab(
        self,
        profile: Profile,
        nodes: int = 2,
        medium: str | None = None,
        keep_logs: bool = True,
        config: Path | None = None,
    ) -> Iterator[Lab]:
        """A built lab for this trial; its logs are copied to the results (always, or on
        failure only) before it is torn down."""
        lab = Lab(
            nodes=nodes,
            daemon=self.daemon,
            config=config,
            timing=profile.timing,
            medium=medium,
            advert_int=profile.advert_int,
            kind="bench",
        )
        lab.build()
        ok = False
        try:
            yield lab
            ok = True
        finally:
            try:
                if keep_logs or not ok:
                    self.run.keep_logs(lab, self.tag)
            finally:
                lab.close()
                self.run.check_gone(lab)


class Run:
    """The whole benchmark run: plan, daemons, results directory, progress output."""

    def __init__(self, plan: Plan, daemons: list[str], out: Path, stream: TextIO = sys.stdout):
        self.plan = plan
        self.daemons = daemons
        self.out = out
        self.stream = stream
        self.records: list[Record] = []
        self.failures: list[Failure] = []
        self.disabled: dict[str, str] = {}
        self.leftovers: list[str] = []
        self._consecutive: dict[str, int] = {}
        self.meta: dict[str, Any] = {}
        out.mkdir(parents=True, exist_ok=True)
        self._log = (out / "run.log").open("a", buffering=1)

    def say(self, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self.stream.write(f"{stamp} {text}\n")
        self.stream.flush()
        self._log.write(f"{stamp} {text}\n")

    def close(self) -> None:
        self._log.close()

    def attempt(
        self, bench: str, case: str, daemon: str, rep: int, body: Callable[[Trial], None]
    ) -> Trial | None:
        """Run one repetition; record its figures, or why there are none."""
        if daemon in self.disabled:
            self.failures.append(
                Failure(bench, case, daemon, rep, f"skipped: {self.disabled[daemon]}")
            )
            return None
        trial = Trial(self, bench, case, daemon, rep)
        started = now()
        try:
            body(trial)
        except NotApplicable as exc:
            self.failures.append(Failure(bench, case, daemon, rep, str(exc), not_applicable=True))
            self.say(f"  {bench} [{case}] {daemon}: n/a ({exc})")
            self.save()
            return None
        except (Skipped, LabStopped) as exc:
            reason = f"skipped: {exc}" if isinstance(exc, Skipped) else f"lab stopped: {exc}"
            self.failures.append(Failure(bench, case, daemon, rep, reason))
            if trial.metrics or trial.detail:
                self._record(trial)
            self.say(f"  {bench} [{case}] {daemon} rep {rep}: {reason}")
            self.save()
            return None
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            self.failures.append(Failure(bench, case, daemon, rep, reason))
            if trial.metrics or trial.detail:
                self._record(trial)
            self.say(
                f"  {bench} [{case}] {daemon} rep {rep}: FAILED after "
                f"{now() - started:.1f} s: {reason.splitlines()[0]}"
            )
            self._note_failure(daemon, reason)
            self.save()
            return None
        self._consecutive[daemon] = 0
        self._record(trial)
        shown = ", ".join(f"{k}={v:.3f}" for k, v in trial.metrics.items() if v is not None)
        self.say(f"  {bench} [{case}] {daemon} rep {rep} ({now() - started:.0f} s): {shown}")
        self.save()
        return trial

    def _record(self, trial: Trial) -> None:
        self.records.append(
            Record(trial.bench, trial.case, trial.daemon, trial.rep, trial.metrics, trial.detail)
        )

    def _note_failure(self, daemon: str, reason: str) -> None:
        self._consecutive[daemon] = self._consecutive.get(daemon, 0) + 1
        if self._consecutive[daemon] >= MAX_CONSECUTIVE_FAILURES:
            first_line = reason.splitlines()[0]
            self.disabled[daemon] = (
                f"{daemon} failed {MAX_CONSECUTIVE_FAILURES} times in a row, last: {first_line}"
            )
            self.say(f"  {daemon} disabled for the rest of the run")

    def save(self) -> None:
        """results.json after every repetition: an interrupted run still has its data."""
        data = {
            "meta": self.meta,
            "records": [r.to_json() for r in self.records],
            "failures": [f.to_json() for f in self.failures],
            "disabled": self.disabled,
            "leftover_namespaces": self.leftovers,
        }
        tmp = self.out / "results.json.tmp"
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(self.out / "results.json")

    def check_gone(self, lab: Lab) -> None:
        """Every namespace of a closed lab must be gone; a leftover is reported, not hidden."""
        left = [ns for ns in lab.topology.namespaces() if Path("/run/netns", ns).exists()]
        if left:
            self.leftovers += left
            self.say(f"  WARNING: namespaces left behind by {lab.net.prefix}: {', '.join(left)}")

    def keep_logs(self, lab: Lab, tag: str) -> None:
        """Copy every node's /var/log files and the prober's records into raw/<tag>/."""
        target = self.out / "raw" / tag
        target.mkdir(parents=True, exist_ok=True)
        for name in lab.names:
            logdir = lab.node(name).path("/var/log")
            for path in sorted(logdir.glob("*")) if logdir.is_dir() else []:
                if path.is_file():
                    shutil.copyfile(path, target / f"{name}-{path.name}")
        for path in sorted(lab.workdir.glob("probes-*.txt")):
            shutil.copyfile(path, target / path.name)


def wait_probe(
    lab: Lab,
    prober: Prober,
    answer: str | None,
    after: float,
    timeout: float,
    on_tick: Callable[[], None] | None = None,
) -> Probe:
    """The first probe answered by ``answer`` (None: by anyone) completing after ``after``."""
    deadline = after + timeout
    while True:
        probes = prober.probes()
        if answer is None:
            hit = min((p for p in probes if p.ok and p.end >= after), key=_end, default=None)
        else:
            hit = first_answer(probes, answer, after)
        if hit is not None:
            return hit
        lab.check_daemons()
        if on_tick is not None:
            on_tick()
        if now() > deadline:
            seen = format_timeline(timeline(probes, after - 0.1, now()), after)
            want = answer or "any node"
            raise StepTimeout(f"{want} did not answer within {timeout:g} s; client saw:\n{seen}")
        time.sleep(POLL_S)


def _end(probe: Probe) -> float:
    return probe.end


def client_timeline(prober: Prober, event: float, until: float) -> str:
    return format_timeline(timeline(prober.probes(), event - 0.1, until), event)
