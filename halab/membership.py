"""Who sees whom in a lab, read from the nodes' own log files.

hacore and Heartbeat 3.0.6 log the same lines when a peer's status changes
(``Status update for node node2: status active``) and when it dies (``node node2: is
dead``), so one reader serves both daemons. A node "sees" a peer from its first status
line until a death line. Ping nodes are not lab nodes and are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

_STATUS = re.compile(r"Status update for node (\S+): status (\S+)")
_DEAD = re.compile(r"node (\S+): is dead")


class LogCursor:
    """Reads what was appended to a file since the cursor was made (or last read)."""

    def __init__(self, path: Path, from_start: bool = False) -> None:
        self.path = path
        self.offset = 0 if from_start else _size(path)
        self._partial = ""

    def read_lines(self) -> list[str]:
        """Complete new lines only; a line still being written waits for the next call."""
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except OSError:
            return []
        self.offset += len(chunk)
        lines = (self._partial + chunk.decode(errors="replace")).split("\n")
        self._partial = lines.pop()
        return lines


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class MembershipView:
    """Per node, the peers it currently sees up; ``poll()`` reads the new log lines."""

    def __init__(self, logs: Mapping[str, Path]) -> None:
        self._cursors = {name: LogCursor(path, from_start=True) for name, path in logs.items()}
        self.sees: dict[str, set[str]] = {name: set() for name in logs}

    def poll(self) -> None:
        for name, cursor in self._cursors.items():
            seen = self.sees[name]
            for line in cursor.read_lines():
                if (up := _STATUS.search(line)) and up[1] in self._cursors and up[1] != name:
                    (seen.discard if up[2] == "dead" else seen.add)(up[1])
                elif (dead := _DEAD.search(line)) and dead[1] in self._cursors:
                    seen.discard(dead[1])

    @property
    def converged(self) -> bool:
        """Every node sees every other."""
        others = len(self.sees) - 1
        return all(len(seen) == others for seen in self.sees.values())

    def summary(self) -> str:
        others = len(self.sees) - 1
        complete = sum(len(seen) == others for seen in self.sees.values())
        if complete == len(self.sees):
            return f"every node sees all {others} others"
        fewest = min(self.sees, key=lambda n: (len(self.sees[n]), n))
        return (
            f"{complete} of {len(self.sees)} nodes see all {others} others "
            f"(fewest: {fewest} sees {len(self.sees[fewest])})"
        )
