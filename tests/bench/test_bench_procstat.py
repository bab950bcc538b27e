"""/proc parsing and per-daemon CPU/memory accounting (pure parts, plus this process)."""

from __future__ import annotations

import os
import time

import pytest

from bench.procstat import (
    CLK_TCK,
    ProcSample,
    StatFields,
    is_daemon_process,
    parse_kib,
    parse_stat,
    pids_by_netns,
    sample,
    usage,
)


def _stat_line(comm: str, utime: int, stime: int, cutime: int, cstime: int) -> str:
    fields = ["S", *["0"] * 10, str(utime), str(stime), str(cutime), str(cstime)]
    fields += ["20", "0", "1", "0", "12345"]  # priority nice threads itrealvalue starttime
    fields += ["0"] * 17 + ["7", "2"]  # ... rt_priority=7, policy=2 (fields 40, 41)
    fields += ["0"] * 11
    return f"4242 ({comm}) " + " ".join(fields)


def test_parse_stat_sums_own_and_children_cpu_and_survives_odd_names() -> None:
    stat = parse_stat(_stat_line("heart) beat (x", 10, 5, 3, 2))
    assert stat.comm == "heart) beat (x"
    assert stat.cpu_ticks == 20
    assert stat.children_ticks == 5
    assert stat.start_ticks == 12345
    assert (stat.rt_priority, stat.policy) == (7, 2)


def test_parse_stat_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not a /proc/PID/stat"):
        parse_stat("hello")
    with pytest.raises(ValueError, match="too short"):
        parse_stat("1 (x) S 0 0")


def test_parse_stat_of_a_real_process() -> None:
    snap = sample(os.getpid())
    assert snap is not None
    assert snap.rss_kib > 1000
    busy_until = time.process_time() + 0.05
    while time.process_time() < busy_until:
        pass
    later = sample(os.getpid())
    assert later is not None and snap.run_ns is not None and later.run_ns is not None
    assert later.run_ns - snap.run_ns >= 40_000_000  # the 50 ms just spent, to the ns
    assert snap.stat.comm.startswith("python") or snap.stat.comm == "pytest"


def test_parse_kib() -> None:
    status = "Name:\tx\nVmRSS:\t  40280 kB\nVmSwap:\t0 kB\n"
    assert parse_kib(status, "VmRSS") == 40280
    assert parse_kib("Rss: 1 kB\nPss:   56 kB\n", "Pss") == 56
    assert parse_kib(status, "Pss") is None


@pytest.mark.parametrize(
    ("kind", "comm", "argv", "expected"),
    [
        ("heartbeat", "heartbeat", ["heartbeat: master control process"], True),
        ("heartbeat", "heartbeat", ["/bin/sh", "/etc/init.d/heartbeat", "start"], False),
        (
            "heartbeat",
            "ResourceManager",
            ["/bin/sh", "/usr/share/heartbeat/ResourceManager"],
            False,
        ),
        ("keepalived", "keepalived", ["keepalived", "-n"], True),
        (
            "hacore",
            "hacored",
            ["/usr/bin/python3", "/usr/local/bin/hacored", "-c", "/etc/ha.d"],
            True,
        ),
        ("hacore", "python3.11", ["python3.11", "/venv/bin/hacored", "-c", "/etc/ha.d"], True),
        ("hacore", "nsenter", ["nsenter", "-t", "1", "--", "hacored"], False),
        ("hacore", "python3", ["python3", "-m", "http.server"], False),
    ],
)
def test_which_processes_belong_to_a_daemon(
    kind: str, comm: str, argv: list[str], expected: bool
) -> None:
    assert is_daemon_process(kind, comm, argv) is expected


def _sample(
    pid: int,
    start: int,
    ticks: int,
    rss: int,
    pss: int | None = 100,
    run_ns: int | None = None,
    children: int = 0,
) -> ProcSample:
    stat = StatFields("heartbeat", "S", ticks, start, 0, 0, children)
    return ProcSample(pid, stat, rss, pss, run_ns)


def test_usage_over_a_window() -> None:
    before = {s.key: s for s in [_sample(1, 10, 100, 0), _sample(2, 10, 50, 0)]}
    after_list = [
        _sample(1, 10, 100 + CLK_TCK, 2048),  # one second of CPU
        _sample(2, 99, 10, 1024),  # pid 2 reused by a new process: counts from zero
    ]
    after = {s.key: s for s in after_list}
    used = usage(before, after, seconds=10.0)
    expected_ticks = CLK_TCK + 10
    assert used.cpu_pct == pytest.approx(100 * expected_ticks / CLK_TCK / 10)
    assert used.rss_mib == pytest.approx(3.0)
    assert used.pss_mib == pytest.approx(200 / 1024)
    assert used.procs == 2
    assert used.policies == ["SCHED_OTHER"]


def test_usage_counts_nanoseconds_and_reaped_children_in_ticks() -> None:
    before = {s.key: s for s in [_sample(1, 10, 100, 0, run_ns=5_000_000_000, children=3)]}
    # 2 ticks of its own (sampled) but 12.5 ms exact, and one tick of a reaped child
    after_list = [_sample(1, 10, 103, 0, run_ns=5_012_500_000, children=4)]
    used = usage(before, {s.key: s for s in after_list}, seconds=1.0)
    assert used.cpu_pct == pytest.approx(100 * (0.0125 + 1 / CLK_TCK))


def test_usage_falls_back_to_ticks_when_a_thread_took_its_time_away() -> None:
    before = {s.key: s for s in [_sample(1, 10, 100, 0, run_ns=9_000_000_000)]}
    after_list = [_sample(1, 10, 100 + CLK_TCK, 0, run_ns=1_000_000_000)]
    used = usage(before, {s.key: s for s in after_list}, seconds=10.0)
    assert used.cpu_pct == pytest.approx(10.0)


def test_usage_without_pss_says_so() -> None:
    after = {s.key: s for s in [_sample(1, 1, 0, 1024, pss=None)]}
    assert usage({}, after, 1.0).pss_mib is None


def test_pids_of_a_missing_namespace() -> None:
    assert pids_by_netns({"gone": "no-such-namespace-for-bench-tests"}) == {"gone": []}
