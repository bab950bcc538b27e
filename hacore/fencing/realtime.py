"""ha.cf ``realtime`` / ``rtprio``: soft realtime for the daemon, as Heartbeat's
``cl_make_realtime`` does it (SCHED_RR at rtprio, default the lowest realtime priority,
and every page locked in memory so heartbeats are never late for a page fault).

Children must not inherit it: a resource script or a respawned client at realtime
priority could starve the machine. The policy is set with SCHED_RESET_ON_FORK, so the
kernel gives every child SCHED_OTHER whatever creates it (the core, a resource plugin,
a helper), and memory locks are never inherited by a child. The daemon itself never
busy-loops: every coroutine sleeps between ticks.

Memory: what is mapped at start is locked and faulted in at once; later mappings are
locked as their pages are first touched (MCL_ONFAULT). A plain MCL_FUTURE would fault in
the whole 8 MiB stack of every thread started later (gRPC starts several with the first
API call): about 80 MiB resident for stack pages no thread ever uses.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import resource

import structlog

log = structlog.get_logger("hacore.realtime")

MCL_CURRENT = 1
MCL_FUTURE = 2
MCL_ONFAULT = 4  # Linux 4.4


def make_realtime(rtprio: int | None) -> bool:
    """Switch this process to SCHED_RR and lock it in memory; False if refused."""
    policy = os.SCHED_RR
    low, high = os.sched_get_priority_min(policy), os.sched_get_priority_max(policy)
    priority = min(max(rtprio if rtprio is not None and rtprio > 0 else low, low), high)
    try:
        os.sched_setscheduler(0, policy | os.SCHED_RESET_ON_FORK, os.sched_param(priority))
    except OSError as exc:
        log.error("realtime_refused", error=exc.strerror, msg="Unable to set scheduler parameters.")
        return False
    with contextlib.suppress(OSError, ValueError):  # not root: lock what the limit allows
        unlimited = (resource.RLIM_INFINITY, resource.RLIM_INFINITY)
        resource.setrlimit(resource.RLIMIT_MEMLOCK, unlimited)
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.mlockall(MCL_CURRENT) != 0 or (
        libc.mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0
        and libc.mlockall(MCL_CURRENT | MCL_FUTURE) != 0  # a kernel without MCL_ONFAULT
    ):
        err = ctypes.get_errno()
        log.error(
            "mlock_failed",
            error=os.strerror(err),
            msg=f"Unable to lock pid {os.getpid()} in memory",
        )
    log.info("realtime", msg=f"Realtime scheduling: SCHED_RR priority {priority}", rtprio=priority)
    return True


def policy_of(pid: int) -> int:
    """A process's scheduling policy without the reset-on-fork flag."""
    return os.sched_getscheduler(pid) & ~os.SCHED_RESET_ON_FORK
