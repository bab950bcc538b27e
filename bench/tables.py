"""Results (as loaded from results.json) grouped for reporting: summaries per cell.

A cell is (benchmark, case, metric, daemon).  Cases keep the order in which the run
measured them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bench.metrics import (
    DAEMONS,
    METRICS,
    Failure,
    Metric,
    Record,
    failure_from_json,
    record_from_json,
)
from bench.stats import Summary, is_behind, ratio, summarize

OTHERS = ("heartbeat", "keepalived")
DISPLAY = {"hacore": "hacore", "heartbeat": "Heartbeat 3.0.6", "keepalived": "keepalived"}


def is_skip(reason: str) -> bool:
    """A repetition the run chose not to attempt (as opposed to one that failed)."""
    return reason.lower().startswith("skipped")


@dataclass
class Results:
    meta: dict[str, Any]
    records: list[Record]
    failures: list[Failure]
    disabled: dict[str, str]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Results:
        return cls(
            meta=dict(data.get("meta", {})),
            records=[record_from_json(r) for r in data.get("records", [])],
            failures=[failure_from_json(f) for f in data.get("failures", [])],
            disabled=dict(data.get("disabled", {})),
        )

    @property
    def daemons(self) -> list[str]:
        ran = self.meta.get("daemons") or DAEMONS
        return [d for d in DAEMONS if d in ran]

    def cases(self, bench: str) -> list[str]:
        seen: list[str] = []
        cases = [r.case for r in self.records if r.bench == bench]
        cases += [f.case for f in self.failures if f.bench == bench]
        for case in cases:
            if case not in seen:
                seen.append(case)
        return seen

    def values(self, bench: str, case: str, key: str, daemon: str) -> list[float | None]:
        return [
            r.metrics.get(key)
            for r in self.records
            if (r.bench, r.case, r.daemon) == (bench, case, daemon)
        ]

    def summary(self, bench: str, case: str, key: str, daemon: str) -> Summary | None:
        return summarize(self.values(bench, case, key, daemon))

    def details(self, bench: str, case: str, daemon: str) -> list[dict[str, Any]]:
        return [
            r.detail for r in self.records if (r.bench, r.case, r.daemon) == (bench, case, daemon)
        ]

    def cell_status(self, bench: str, case: str, daemon: str) -> str:
        """Why a cell is empty: "n/a", "failed", "not run" (or "-": nothing recorded)."""
        if daemon not in self.daemons:
            return "not run"
        mine = [f for f in self.failures if (f.bench, f.case, f.daemon) == (bench, case, daemon)]
        if any(f.not_applicable for f in mine):
            return "n/a"
        if mine and all(is_skip(f.reason) for f in mine):
            return "not run"
        return "failed" if mine else "-"

    def rows(self, bench: str) -> Iterator[tuple[str, Metric]]:
        for case in self.cases(bench):
            for m in METRICS[bench]:
                if any(self.values(bench, case, m.key, d) for d in self.daemons):
                    yield case, m


@dataclass(frozen=True)
class Behind:
    bench: str
    case: str
    metric: Metric
    hacore: Summary
    other: str
    theirs: Summary

    @property
    def factor(self) -> float | None:
        return ratio(self.hacore, self.theirs)


def behind(results: Results) -> list[Behind]:
    """Every cell where hacore's median is measurably worse than another daemon's."""
    found = []
    for bench in METRICS:
        for case, m in results.rows(bench):
            mine = results.summary(bench, case, m.key, "hacore")
            if mine is None:
                continue
            for other in OTHERS:
                theirs = results.summary(bench, case, m.key, other)
                if theirs is not None and is_behind(m, mine, theirs):
                    found.append(Behind(bench, case, m, mine, other, theirs))
    return found
