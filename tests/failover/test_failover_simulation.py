"""Two engines wired back to back: every scenario, invariant checked every 10 ms."""

from __future__ import annotations

import pytest

from tests.failover.failover_scenarios import SCENARIOS


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario(name: str) -> None:
    SCENARIOS[name]([])
