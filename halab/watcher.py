"""What the client sees: the prober's records, time-to-serve and gaps, VIP holders.

Definitions (as in bench/anchors): "time to X after an event" = completion time of the
first probe answered by X minus the event time; "gap" = longest interval between the
completion times of consecutive successful probes around the event.  All times are
CLOCK_MONOTONIC (``time.monotonic()``), shared by the prober and the lab.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyroute2 import IPRoute

from halab.netns import NetnsSet
from halab.topology import VIP

FAILURES = frozenset({"timeout", "refused", "unreachable", "reset", "error", "other"})


@dataclass(frozen=True)
class Probe:
    start: float
    end: float
    result: str  # node name, or a failure kind

    @property
    def ok(self) -> bool:
        return self.result not in FAILURES and not self.result.startswith("http")


def parse_line(line: str) -> Probe | None:
    parts = line.split()
    if len(parts) != 3:
        return None
    try:
        return Probe(float(parts[0]), float(parts[1]), parts[2])
    except ValueError:
        return None


def first_answer(probes: Iterable[Probe], answer: str, after: float) -> Probe | None:
    """The first probe answered by ``answer`` completing after ``after``."""
    hits = [p for p in probes if p.result == answer and p.end >= after]
    return min(hits, key=lambda p: p.end, default=None)


def time_to(probes: Iterable[Probe], answer: str, after: float) -> float | None:
    hit = first_answer(probes, answer, after)
    return None if hit is None else hit.end - after


def longest_gap(probes: Iterable[Probe], after: float, until: float) -> float:
    """Longest time without a successful answer, from the last one before ``after``."""
    ends = sorted(p.end for p in probes if p.ok and p.end <= until)
    before = [e for e in ends if e <= after]
    points = [before[-1] if before else after] + [e for e in ends if e > after] + [until]
    return max(b - a for a, b in itertools.pairwise(points))


@dataclass(frozen=True)
class Segment:
    """A run of consecutive probes (by start time) with the same result."""

    first_start: float
    last_end: float
    result: str
    count: int


def timeline(probes: Sequence[Probe], since: float, until: float) -> list[Segment]:
    window = sorted((p for p in probes if since <= p.start <= until), key=lambda p: p.start)
    segments: list[Segment] = []
    for probe in window:
        last = segments[-1] if segments else None
        if last and last.result == probe.result:
            end = max(last.last_end, probe.end)
            segments[-1] = Segment(last.first_start, end, last.result, last.count + 1)
        else:
            segments.append(Segment(probe.start, probe.end, probe.result, 1))
    return segments


def format_timeline(segments: Sequence[Segment], origin: float) -> str:
    """One line per segment, times relative to ``origin`` (the event)."""
    lines = []
    for seg in segments:
        span = f"{seg.first_start - origin:+8.3f}s .. {seg.last_end - origin:+8.3f}s"
        what = seg.result if seg.result not in FAILURES else f"({seg.result})"
        lines.append(f"  {span}  {what:<14} {seg.count:5d} probes")
    return "\n".join(lines) or "  (no probes)"


class Prober:
    """The open-loop prober (prober.py) running in the client namespace, read back live."""

    def __init__(self, net: NetnsSet, log: Path, host: str = VIP, interval: float = 0.01) -> None:
        self.net = net
        self.log = log
        self.host = host
        self.interval = interval
        self.popen: subprocess.Popen[bytes] | None = None
        self._probes: list[Probe] = []
        self._offset = 0
        self._partial = ""

    def start(self) -> None:
        self.log.touch()
        args = ["--host", self.host, "--interval", str(self.interval), "--out", str(self.log)]
        self.popen = self.net.popen(
            "client",
            sys.executable,
            *("-m", "halab.prober", *args),
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        assert self.popen.stdout is not None
        if self.popen.stdout.readline().strip() != b"ready":
            raise RuntimeError("the HTTP prober did not start")

    def stop(self) -> None:
        if self.popen is None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(3)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        if self.popen.stdout:
            self.popen.stdout.close()
        self.popen = None

    def probes(self) -> list[Probe]:
        """Every probe finished so far (reads only what was appended since last time)."""
        with self.log.open() as f:
            f.seek(self._offset)
            chunk = f.read()
            self._offset = f.tell()
        lines = (self._partial + chunk).split("\n")
        self._partial = lines.pop()
        self._probes += [p for p in map(parse_line, lines) if p is not None]
        return self._probes

    def wait_answer(self, answer: str, after: float, timeout: float) -> Probe | None:
        """Block until a probe answered by ``answer`` completes after ``after``."""
        deadline = time.monotonic() + timeout
        while True:
            hit = first_answer(self.probes(), answer, after)
            if hit is not None or time.monotonic() > deadline:
                return hit
            time.sleep(0.02)


def vip_holders(net: NetnsSet, nodes: Iterable[str], vip: str = VIP) -> set[str]:
    """Which nodes have ``vip`` on eth0 right now (one ``ip -n`` per node)."""
    holders = set()
    for name in nodes:
        out = net.ip(name, "-o", "-4", "addr", "show", "dev", "eth0", check=False).stdout
        if f" {vip}/" in out:
            holders.add(name)
    return holders


class VipSampler:
    """Samples, every ``period`` seconds, which nodes hold the VIP; keeps only the changes.

    A thread with one netlink socket per node namespace: spawning ``ip`` 50 times a second
    per node would cost more CPU than the daemons under test.
    """

    def __init__(self, net: NetnsSet, nodes: Sequence[str], period: float = 0.02) -> None:
        self.net = net
        self.nodes = list(nodes)
        self.period = period
        self.changes: list[tuple[float, frozenset[str]]] = []
        self._stop = threading.Event()
        self._first_sample = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vip-sampler", daemon=True)

    def start(self) -> None:
        """Returns once the first sample is taken: ``changes[0]`` is the state at start."""
        self._thread.start()
        if not self._first_sample.wait(5.0):
            raise RuntimeError("the VIP sampler did not start")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def holders_at(self, t: float) -> frozenset[str]:
        current: frozenset[str] = frozenset()
        for when, holders in self.changes:
            if when > t:
                break
            current = holders
        return current

    def _run(self) -> None:
        sockets = {name: IPRoute(netns=self.net.name(name)) for name in self.nodes}
        try:
            while not self._stop.is_set():
                holders = frozenset(n for n, ipr in sockets.items() if _has_vip(ipr))
                if not self.changes or self.changes[-1][1] != holders:
                    self.changes.append((time.monotonic(), holders))
                self._first_sample.set()
                self._stop.wait(self.period)
        finally:
            for ipr in sockets.values():
                ipr.close()


def _has_vip(ipr: IPRoute) -> bool:
    for addr in ipr.get_addr(family=2, address=VIP):
        label = addr.get_attr("IFA_LABEL") or ""
        if label.split(":")[0] == "eth0":
            return True
    return False
