"""Fixtures for the wire tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wire.wire_vectors import SINGLE_VECTORS


@pytest.fixture(params=SINGLE_VECTORS, ids=lambda p: p.stem)
def vector(request: pytest.FixtureRequest) -> Path:
    """Each single-packet vector file (``*.bin``)."""
    path: Path = request.param
    return path
