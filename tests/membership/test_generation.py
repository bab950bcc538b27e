"""hb_generation / hb_uuid in the state directory (docs/protocol.md §5.2, §7.3), on real files."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from hacore.api import HacoreError
from hacore.generation import load_or_create_uuid, next_generation


def test_generation_increments_and_is_stored_in_heartbeats_format(tmp_path: Path) -> None:
    (tmp_path / "hb_generation").write_bytes(b"     1795533672\n")
    assert next_generation(tmp_path) == 1795533673
    assert (tmp_path / "hb_generation").read_bytes() == b"     1795533673\n"
    assert next_generation(tmp_path) == 1795533674
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_generation_starts_from_the_clock(tmp_path: Path) -> None:
    state = tmp_path / "state"  # created on demand
    with capture_logs() as logs:
        assert next_generation(state, clock=lambda: 1700000000.9) == 1700000001
    assert logs == [
        {
            "event": "generation_missing",
            "msg": "No Previous generation - starting at 1700000001",
            "path": str(state / "hb_generation"),
            "log_level": "warning",
        }
    ]
    assert (state / "hb_generation").read_bytes() == b"     1700000001\n"


def test_garbage_generation_starts_from_the_clock(tmp_path: Path) -> None:
    (tmp_path / "hb_generation").write_bytes(b"not a number\n")
    with capture_logs() as logs:
        assert next_generation(tmp_path, clock=lambda: 50.0) == 51
    assert logs[0]["msg"] == "BROKEN previous generation - starting at 51"


def test_time_method_uses_no_file(tmp_path: Path) -> None:
    assert next_generation(tmp_path, "time", clock=lambda: 1234.5) == 1234
    assert not (tmp_path / "hb_generation").exists()


def test_generation_path_that_is_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "hb_generation").mkdir()
    with pytest.raises(HacoreError, match=r"cannot write .*hb_generation"):
        next_generation(tmp_path, clock=lambda: 7.0)


def test_uuid_created_once_then_reused(tmp_path: Path) -> None:
    with capture_logs() as logs:
        first = load_or_create_uuid(tmp_path, "file", "node1")
    assert logs[0]["msg"] == "No uuid found for current node - generating a new uuid."
    assert len(first) == 16 and (tmp_path / "hb_uuid").read_bytes() == first
    assert load_or_create_uuid(tmp_path, "file", "node1") == first


def test_truncated_uuid_file_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "hb_uuid").write_bytes(b"short")
    new = load_or_create_uuid(tmp_path, "file", "node1")
    assert len(new) == 16 and (tmp_path / "hb_uuid").read_bytes() == new


def test_uuid_from_nodename_is_stable_and_distinct(tmp_path: Path) -> None:
    a = load_or_create_uuid(tmp_path, "nodename", "node1")
    assert a == load_or_create_uuid(tmp_path / "elsewhere", "nodename", "NODE1")
    assert a != load_or_create_uuid(tmp_path, "nodename", "node2")
    assert not (tmp_path / "hb_uuid").exists()
