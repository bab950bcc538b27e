"""Waiting for a lab to reach a state: the one poll loop the lab tests share."""

from __future__ import annotations

import time
from collections.abc import Callable

POLL_S = 0.05


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Return once ``predicate()`` holds; fail the test, naming ``what``, after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(POLL_S)
