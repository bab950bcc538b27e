"""Who sees whom, read from log lines as hacore and Heartbeat 3.0.6 write them."""

from __future__ import annotations

from pathlib import Path

from halab.membership import MembershipView


def _view(tmp_path: Path, names: list[str]) -> tuple[MembershipView, dict[str, Path]]:
    logs = {n: tmp_path / f"{n}.log" for n in names}
    return MembershipView(logs), logs


def _append(path: Path, *lines: str) -> None:
    with path.open("a") as f:
        f.write("".join(f"2026-12-06T08:03:51.5 x hacored[2]: INFO: {line}\n" for line in lines))


def test_a_node_sees_peers_from_their_status_until_their_death(tmp_path: Path) -> None:
    view, logs = _view(tmp_path, ["node1", "node2", "node3"])
    _append(logs["node1"], "Status update for node node2: status up")
    _append(logs["node1"], "Status update for node node3: status active")
    _append(logs["node1"], "Status update for node 10.0.0.2: status ping")  # not a lab node
    view.poll()
    assert view.sees["node1"] == {"node2", "node3"} and not view.converged
    assert view.summary() == "1 of 3 nodes see all 2 others (fewest: node2 sees 0)"
    _append(logs["node1"], "WARN: node node3: is dead")
    view.poll()
    assert view.sees["node1"] == {"node2"}


def test_converged_when_every_node_sees_every_other(tmp_path: Path) -> None:
    names = ["node1", "node2", "node3"]
    view, logs = _view(tmp_path, names)
    for me in names:
        _append(logs[me], *(f"Status update for node {n}: status active" for n in names if n != me))
    view.poll()
    assert view.converged and view.summary() == "every node sees all 2 others"


def test_a_line_still_being_written_waits(tmp_path: Path) -> None:
    view, logs = _view(tmp_path, ["node1", "node2"])
    logs["node1"].write_text("Status update for node node2: sta")
    view.poll()
    assert view.sees["node1"] == set()
    with logs["node1"].open("a") as f:
        f.write("tus active\n")
    view.poll()
    assert view.sees["node1"] == {"node2"}
