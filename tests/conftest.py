"""Shared fixtures. Namespace tests never skip silently in CI: with
HACORE_REQUIRE_NETNS=1 a missing capability is a failure.

Whole-cluster tests use ``lab_factory`` / ``cluster``::

    @pytest.mark.netns
    def test_node1_dies_node2_serves(cluster):
        cluster.wait_serving("node1", timeout=10)
        cluster.kill("node1")
        cluster.wait_serving("node2", timeout=2)

``lab_factory(**Lab kwargs)`` builds labs (nodes, daemon, config, timing, medium...) that
are always torn down after the test; ``cluster`` is two hacore nodes on the seed config at
the demo's timings, already started.
"""

from __future__ import annotations

import grp
import logging
import os
import secrets
import shutil
from collections.abc import Generator, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import structlog

from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory
from halab.netns import NetnsSet, netns_problem


@cache
def _netns_problem() -> str | None:
    return netns_problem()


def require_netns() -> None:
    """Skip (or, in CI, fail) a test that needs root and network namespaces."""
    if problem := _netns_problem():
        if os.environ.get("HACORE_REQUIRE_NETNS") == "1":
            pytest.fail(f"network namespaces required (HACORE_REQUIRE_NETNS=1) but {problem}")
        pytest.skip(f"network namespaces unavailable: {problem}")


def require(what: str) -> None:
    """Skip (or, in CI, fail) a test whose outside part is missing. ``what`` is a program
    on PATH (``socat``), an absolute path (``/etc/init.d/apache2``) or ``group:NAME``."""
    if _available(what):
        return
    if os.environ.get("HACORE_REQUIRE_NETNS") == "1":
        pytest.fail(f"{what} is required (HACORE_REQUIRE_NETNS=1) but not installed")
    pytest.skip(f"{what} is not installed")


def _available(what: str) -> bool:
    if what.startswith("group:"):
        try:
            grp.getgrnam(what.removeprefix("group:"))
        except KeyError:
            return False
        return True
    if what.startswith("/"):
        return Path(what).exists()
    return shutil.which(what) is not None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@pytest.mark.requires("socat", "/usr/sbin/apache2")``: see :func:`require`."""
    for mark in item.iter_markers("requires"):
        for what in mark.args:
            require(what)


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
        if isinstance(item, pytest.Function) and item.get_closest_marker("netns"):
            item.fixturenames.insert(0, "_netns_required")


@pytest.fixture
def _netns_required() -> None:
    require_netns()


FAILED_LAB_LOG_LINES = 80


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so a fixture's teardown knows the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def lab_factory(request: pytest.FixtureRequest) -> Iterator[LabFactory]:
    """Build a lab: ``lab_factory(daemon="heartbeat", timing=FAST_TIMING, nodes=3)``.

    When the test fails, the end of every node's log is printed at teardown, which pytest
    shows with the failure: the lab and its files are gone by then, and a CI failure that
    happens one run in ten cannot be asked again."""
    require_netns()
    labs: list[Lab] = []

    def make(**kwargs: Any) -> Lab:
        lab = Lab(**kwargs)
        labs.append(lab)
        return lab.build()

    try:
        yield make
    finally:
        report = getattr(request.node, "report_call", None)
        for lab in labs:
            if report is not None and report.failed:
                _print_log_tails(lab)
            lab.close()


def _print_log_tails(lab: Lab) -> None:
    for name in lab.nodes:
        lines = lab.log(name).splitlines()[-FAILED_LAB_LOG_LINES:]
        print(f"----- {name}: the last {len(lines)} lines of its ha-log -----")
        print("\n".join(lines))


@pytest.fixture
def cluster(lab_factory: LabFactory) -> Lab:
    """Two hacore nodes, seed config, demo timings (100ms/500ms/300ms/2), started."""
    lab = lab_factory(daemon="hacore", timing=FAST_TIMING)
    lab.start()
    return lab


@pytest.fixture(autouse=True)
def _logging_as_found() -> Iterator[None]:
    """A test that configures hacore's logging (files, JSON, syslog) must not change what
    the next test's log capture sees: structlog and the ``hacore`` logger are put back."""
    yield
    structlog.reset_defaults()
    logger = logging.getLogger("hacore")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
