"""Shared fixtures. Namespace tests never skip silently in CI: with
HACORE_REQUIRE_NETNS=1 a missing capability is a failure."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from hacore.lab.netns import NetnsSet, netns_problem

pytest_plugins = ["hacore.lab.fixtures"]

_PROBLEM: str | bool | None = False  # False = not probed yet


def require_netns() -> None:
    """Skip (or, in CI, fail) a test that needs root and network namespaces."""
    global _PROBLEM
    if _PROBLEM is False:
        _PROBLEM = netns_problem()
    if _PROBLEM:
        if os.environ.get("HACORE_REQUIRE_NETNS") == "1":
            pytest.fail(f"network namespaces required (HACORE_REQUIRE_NETNS=1) but {_PROBLEM}")
        pytest.skip(f"network namespaces unavailable: {_PROBLEM}")


@pytest.fixture
def netns() -> Iterator[NetnsSet]:
    """A fresh, uniquely prefixed set of namespaces, deleted after the test whatever happens."""
    require_netns()
    nsset = NetnsSet(prefix=f"hc{secrets.token_hex(3)}-")
    try:
        yield nsset
    finally:
        nsset.cleanup()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("netns"):
            item.fixturenames.insert(0, "_netns_required")


@pytest.fixture
def _netns_required() -> None:
    require_netns()
