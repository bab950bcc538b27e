"""Following log files: only new lines, whole lines, and when a pattern first appeared."""

from __future__ import annotations

import time
from pathlib import Path

from bench.logwatch import (
    ANY_DEAD,
    LATE,
    PING_DEAD,
    FirstMatch,
    count,
    dead_pattern,
    up_pattern,
    wait_all_match,
)
from halab.membership import LogCursor


def test_cursor_reads_only_new_complete_lines(tmp_path: Path) -> None:
    log = tmp_path / "ha-log"
    log.write_text("old line\n")
    cursor = LogCursor(log)
    assert cursor.read_lines() == []
    with log.open("a") as f:
        f.write("first\nsecond half")
    assert cursor.read_lines() == ["first"]
    with log.open("a") as f:
        f.write(" done\n")
    assert cursor.read_lines() == ["second half done"]
    assert LogCursor(log, from_start=True).read_lines()[0] == "old line"


def test_cursor_on_a_missing_file(tmp_path: Path) -> None:
    cursor = LogCursor(tmp_path / "absent")
    assert cursor.read_lines() == []
    (tmp_path / "absent").write_text("now here\n")
    assert cursor.read_lines() == ["now here"]


def test_patterns_match_what_the_daemons_log() -> None:
    heartbeat = "heartbeat[1234]: 2026/11/24_15:20:01 WARN: node node12: is dead"
    hacore = (
        "2026-11-24T15:20:01 node2 hacored[77]: WARN: node node12: is dead [node_dead peer=node12]"
    )
    assert dead_pattern("heartbeat", "node12").search(heartbeat)
    assert dead_pattern("hacore", "node12").search(hacore)
    assert not dead_pattern("heartbeat", "node1").search(heartbeat)  # node1 != node12
    assert dead_pattern("keepalived", "node1").search("(VI_1) Entering MASTER STATE")
    assert up_pattern("heartbeat", "node3").search("info: Link node3:eth1 up.")
    assert up_pattern("hacore", "node3").search("Status update for node node3: status active")
    assert not up_pattern("hacore", "node3").search("info: Link node33:eth1 up.")
    lines = [
        heartbeat,
        "CRIT: Late heartbeat: Node node2: interval 1010 ms (> deadtime)",
        "CRIT: Late heartbeat: Node 10.0.0.2: interval 1010 ms (> deadtime)",
        "x",
    ]
    assert count(lines, ANY_DEAD["heartbeat"]) == 1
    assert count(lines, LATE) == 1


def test_first_match_times_each_file(tmp_path: Path) -> None:
    logs = {name: tmp_path / name for name in ("node1", "node2")}
    for path in logs.values():
        path.write_text("WARN: node node3: is dead (an earlier run)\n")
    watch = FirstMatch(logs, dead_pattern("heartbeat", "node3")).start()
    try:
        before = time.monotonic()
        with logs["node1"].open("a") as f:
            f.write("WARN: node node3: is dead\n")
        assert not watch.wait_all(0.3)  # node2 has not logged it (again)
        assert "node2" not in watch.found
        assert before <= watch.found["node1"] <= time.monotonic()
        with logs["node2"].open("a") as f:
            f.write("WARN: node node3: is dead\n")
        assert watch.wait_all(2.0)
    finally:
        watch.stop()


def test_wait_all_match_reports_the_silent_ones(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("info: Link node9:eth1 up.\n")
    (tmp_path / "b").write_text("nothing\n")
    files = {"a": tmp_path / "a", "b": tmp_path / "b"}
    patterns = {k: up_pattern("heartbeat", "node9") for k in files}
    assert wait_all_match(files, patterns, timeout=0.2) == ["b"]


def test_ping_node_deaths_are_not_peer_deaths() -> None:
    ping = "heartbeat[105]: WARN: node 10.0.0.2: is dead"
    peer = "heartbeat[105]: WARN: node node1: is dead"
    assert not ANY_DEAD["heartbeat"].search(ping)
    assert ANY_DEAD["hacore"].search(peer)
    assert PING_DEAD.search(ping)
    assert not PING_DEAD.search(peer)
