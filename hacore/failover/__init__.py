"""haresources failover: Heartbeat v1 resource-group ownership as a pure state machine.

The daemon feeds it membership events, cluster messages and resource results; it
answers with :mod:`~hacore.failover.actions`. ``docs/failover.md`` is rendered from
:mod:`hacore.failover.table` by ``python -m hacore.failover.doc``.
"""

from hacore.failover.actions import (
    Acquire,
    Action,
    Announce,
    GroupChanged,
    Operation,
    OperationDone,
    Release,
    SendMessage,
    ShutdownReady,
)
from hacore.failover.machine import Failover
from hacore.failover.model import FailoverConfig, Transition

__all__ = [
    "Acquire",
    "Action",
    "Announce",
    "Failover",
    "FailoverConfig",
    "GroupChanged",
    "Operation",
    "OperationDone",
    "Release",
    "SendMessage",
    "ShutdownReady",
    "Transition",
]
