"""haresources failover: Heartbeat v1 resource-group ownership as a pure state machine.

The daemon feeds it membership events, cluster messages (those of
``FAILOVER_MESSAGE_TYPES``) and resource results; it answers with
:mod:`~hacore.failover.actions`. ``docs/failover.md`` is rendered from
:mod:`hacore.failover.table` and the docstrings of :class:`hacore.failover.rules.Rules`
by ``python -m hacore.failover.doc``.
"""

from hacore.failover.actions import (
    Acquire,
    Action,
    Announce,
    GroupChanged,
    Operation,
    OperationDone,
    Recover,
    Release,
    SendMessage,
    ShutdownReady,
)
from hacore.failover.machine import Failover
from hacore.failover.messages import FAILOVER_MESSAGE_TYPES
from hacore.failover.model import FailoverConfig
from hacore.failover.table import Transition

__all__ = [
    "FAILOVER_MESSAGE_TYPES",
    "Acquire",
    "Action",
    "Announce",
    "Failover",
    "FailoverConfig",
    "GroupChanged",
    "Operation",
    "OperationDone",
    "Recover",
    "Release",
    "SendMessage",
    "ShutdownReady",
    "Transition",
]
