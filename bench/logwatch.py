"""Following the nodes' log files: when did a line appear, how many lines matched.

Detection times come from the moment a line shows up in the file (polled every 10 ms
from the lab process, on the same CLOCK_MONOTONIC as the fault), not from the log's own
timestamps: Heartbeat's have one-second resolution.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from halab.membership import LogCursor

POLL_S = 0.01

# Per daemon: which log file, and the lines that mean "a peer is up / is dead".
LOG_FILE = {"hacore": "ha-log", "heartbeat": "ha-log", "keepalived": "keepalived.out"}


def dead_pattern(kind: str, victim: str) -> re.Pattern[str]:
    """A survivor noticed ``victim`` is gone (keepalived: a backup took over as master)."""
    if kind == "keepalived":
        return re.compile(r"Entering MASTER STATE")
    return re.compile(rf"node {re.escape(victim)}: is dead")


def up_pattern(kind: str, peer: str) -> re.Pattern[str]:
    """A node has heard ``peer`` (the first heartbeat on a link, or its status)."""
    if kind == "keepalived":
        return re.compile(r"Entering (BACKUP|MASTER) STATE")
    name = re.escape(peer)
    return re.compile(rf"Link {name}:\S+ up|Status update for node {name}: status")


# A cluster peer declared dead.  Ping nodes (IP addresses) are not peers: Heartbeat pings
# them once a second whatever the keepalive, so at deadtime 500 ms it declares the ping
# node dead now and then; those lines are counted apart (PING_DEAD).
_PEER_DEAD = re.compile(r"node (?!\d+\.\d+\.\d+\.\d+:)\S+: is dead")
ANY_DEAD = {
    "hacore": _PEER_DEAD,
    "heartbeat": _PEER_DEAD,
    "keepalived": re.compile(r"Entering MASTER STATE"),
}
PING_DEAD = re.compile(r"node \d+\.\d+\.\d+\.\d+: is dead")
LATE = re.compile(r"Late heartbeat: Node (?!\d+\.\d+\.\d+\.\d+:)")  # peers only


def count(lines: list[str], pattern: re.Pattern[str]) -> int:
    return sum(1 for line in lines if pattern.search(line))


class FirstMatch:
    """A thread noting, per file, the monotonic time its first matching line appeared."""

    def __init__(self, files: Mapping[str, Path], pattern: re.Pattern[str]) -> None:
        self.cursors = {key: LogCursor(path) for key, path in files.items()}
        self.pattern = pattern
        self.found: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-first-match", daemon=True)

    def start(self) -> FirstMatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def wait_all(self, timeout: float, on_poll: Callable[[], None] | None = None) -> bool:
        """Whether every file matched in time; ``on_poll`` may raise to give up early."""
        deadline = time.monotonic() + timeout
        while len(self.found) < len(self.cursors):
            if time.monotonic() > deadline:
                return False
            if on_poll is not None:
                on_poll()
            time.sleep(POLL_S)
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            for key, cursor in self.cursors.items():
                if key in self.found:
                    continue
                lines = cursor.read_lines()
                if any(self.pattern.search(line) for line in lines):
                    self.found[key] = time.monotonic()
            self._stop.wait(POLL_S)


def wait_all_match(
    files: Mapping[str, Path],
    pattern_for: Mapping[str, re.Pattern[str]],
    timeout: float,
    on_poll: Callable[[], None] | None = None,
) -> list[str]:
    """Wait until each file (read from its start) has a line matching its own pattern.

    Returns the keys that never matched (empty: all did).
    """
    cursors = {key: LogCursor(path, from_start=True) for key, path in files.items()}
    pending = set(cursors)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for key in sorted(pending):
            if any(pattern_for[key].search(line) for line in cursors[key].read_lines()):
                pending.discard(key)
        if on_poll is not None:
            on_poll()
        time.sleep(0.05)
    return sorted(pending)
