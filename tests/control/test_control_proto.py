"""The committed generated code matches proto/, and the enums pair up with hacore.api."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from hacore.api import GroupState, LinkStatus, NodeStatus, Scope
from hacore.control import convert, protogen
from hacore.v1 import hacore_pb2 as pb

# Lines that only name the generator's version: a newer grpcio-tools must not make
# the committed code "stale" when nothing in the .proto changed.
_VERSION_LINES = re.compile(
    r"^(# Protobuf Python Version: .*|GRPC_GENERATED_VERSION = .*|\s+\d+,\s*$)", re.MULTILINE
)


def _normalized(path: Path) -> str:
    return _VERSION_LINES.sub("<version>", path.read_text())


def test_committed_generated_code_is_fresh(tmp_path: Path) -> None:
    written = protogen.generate(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == list(protogen.GENERATED)
    for name in protogen.GENERATED:
        committed = protogen.REPO_ROOT / name
        assert committed.exists(), f"{name} is missing: run `make proto`"
        assert _normalized(tmp_path / name) == _normalized(committed), (
            f"{name} is stale: run `make proto` and commit the result"
        )


def test_protogen_main_writes_where_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert protogen.main(["--out", str(tmp_path)]) == 0
    assert (tmp_path / "hacore/v1/hacore_pb2_grpc.py").exists()
    assert str(tmp_path / "hacore/v1/hacore_pb2.pyi") in capsys.readouterr().out


@pytest.mark.parametrize(
    ("words", "pairs", "proto_enum"),
    [
        (NodeStatus, convert.NODE_STATUS_TO_PB, pb.NodeStatus),
        (LinkStatus, convert.LINK_STATUS_TO_PB, pb.LinkStatus),
        (GroupState, convert.GROUP_STATE_TO_PB, pb.GroupState),
        (Scope, convert.SCOPE_TO_PB, pb.Scope),
    ],
)
def test_every_word_has_a_proto_value(
    words: type[StrEnum], pairs: dict[StrEnum, int], proto_enum: Any
) -> None:
    assert set(pairs) == set(words)
    numbers = set(pairs.values())
    assert 0 not in numbers  # UNSPECIFIED is never sent for a known word
    assert len(proto_enum.values()) == len(numbers) + 1


@pytest.mark.parametrize("wall", [0.0, 1.5, 1_700_000_000.999_999_9, 1_700_000_000.25])
def test_timestamp_round_trip(wall: float) -> None:
    stamp = convert.timestamp(wall)
    assert 0 <= stamp.nanos <= 999_999_999
    assert abs(convert.wall_of(stamp) - wall) < 1e-6


def test_a_changed_proto_is_detected(tmp_path: Path) -> None:
    """The freshness check above can fail: a one-field change shows in the output."""
    proto = tmp_path / "proto/hacore/v1/hacore.proto"
    proto.parent.mkdir(parents=True)
    source = (protogen.PROTO_ROOT / "hacore/v1/hacore.proto").read_text()
    proto.write_text(
        source.replace("message WatchRequest {}", "message WatchRequest { bool x = 1; }")
    )
    protogen.generate(tmp_path / "out", proto_root=tmp_path / "proto")
    name = "hacore/v1/hacore_pb2.py"
    assert _normalized(tmp_path / "out" / name) != _normalized(protogen.REPO_ROOT / name)
