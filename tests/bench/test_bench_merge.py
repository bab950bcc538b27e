"""A partial run completed by an earlier full one (``run_all --keep-from``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import run_all
from bench.merge import merged
from bench.metrics import Failure, Record
from bench.report import render

FAST = "keepalive 100 ms / deadtime 500 ms"
DAEMONS = ("hacore", "heartbeat", "keepalived")


def _run(benches: list[str], started: str, cpu: float) -> dict[str, Any]:
    records = []
    for daemon in DAEMONS:
        if "idle" in benches:
            records.append(Record("idle", FAST, daemon, 1, {"cpu_active_pct": cpu}))
        if "partition" in benches and daemon != "keepalived":
            records.append(Record("partition", FAST, daemon, 1, {"one_holder_after_heal_s": 0.2}))
    failures = []
    if "partition" in benches:
        failures.append(Failure("partition", FAST, "keepalived", 1, "no link", True))
    return {
        "meta": {
            "mode": "full",
            "command": f"python -m bench.run_all --only {','.join(benches)}",
            "started_utc": started,
            "benches": benches,
            "daemons": list(DAEMONS),
            "plan": {"reps": 5},
            "duration_s": 600,
        },
        "records": [r.to_json() for r in records],
        "failures": [f.to_json() for f in failures],
        "disabled": {},
    }


def test_the_sections_not_rerun_come_from_the_earlier_run() -> None:
    earlier = _run(["partition", "idle"], "20261201T000000Z", cpu=0.9)
    fresh = _run(["idle"], "20261206T000000Z", cpu=0.4)
    data = merged(fresh, earlier, "bench/results/20261201T000000Z")
    idle = [r["metrics"]["cpu_active_pct"] for r in data["records"] if r["bench"] == "idle"]
    assert idle == [0.4, 0.4, 0.4]  # the fresh figures only, never both runs'
    assert {r["bench"] for r in data["records"]} == {"idle", "partition"}
    assert [f["bench"] for f in data["failures"]] == ["partition"]
    assert data["meta"]["benches"] == ["idle", "partition"]
    assert data["meta"]["kept_from"]["benches"] == ["partition"]
    assert fresh["meta"].get("kept_from") is None  # the inputs are left alone
    assert len(fresh["records"]) == 3


def test_nothing_is_kept_when_the_fresh_run_measured_everything() -> None:
    earlier = _run(["idle"], "20261201T000000Z", cpu=0.9)
    fresh = _run(["idle"], "20261206T000000Z", cpu=0.4)
    assert merged(fresh, earlier, "x") is fresh


def test_the_report_names_the_run_each_kept_section_comes_from() -> None:
    earlier = _run(["partition", "idle"], "20261201T000000Z", cpu=0.9)
    fresh = _run(["idle"], "20261206T000000Z", cpu=0.4)
    text = render(merged(fresh, earlier, "bench/results/20261201T000000Z"), {}, "out")
    assert "This run measured *Idle overhead*." in text
    assert "`bench/results/20261201T000000Z/`" in text
    assert "started 20261201T000000Z): *Partition of the heartbeat link, then heal*" in text
    assert "earlier run" not in render(fresh, {}, "out")


def test_keep_from_completes_the_results_file(tmp_path: Path) -> None:
    earlier_dir, out = tmp_path / "earlier", tmp_path / "out"
    for directory, data in (
        (earlier_dir, _run(["partition", "idle"], "20261201T000000Z", cpu=0.9)),
        (out, _run(["idle"], "20261206T000000Z", cpu=0.4)),
    ):
        directory.mkdir()
        (directory / "results.json").write_text(json.dumps(data))
    run_all._keep_from(out, earlier_dir)
    data = json.loads((out / "results.json").read_text())
    assert data["meta"]["kept_from"]["results"] == str(earlier_dir.resolve())
    assert {r["bench"] for r in data["records"]} == {"idle", "partition"}


def test_keep_from_without_results_is_refused_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        run_all.main(["--only", "idle", "--keep-from", str(tmp_path)])
    assert f"--keep-from: no results.json in {tmp_path}" in capsys.readouterr().err
