"""The one rules object whose methods the failover tables name.

Each topic is a mixin (one file each); :class:`Rules` combines them, and a table row
can name only a method of this class marked :func:`~hacore.failover.base.guard` or
:func:`~hacore.failover.base.action` (checked when :mod:`hacore.failover.table` loads).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import cast

from hacore.failover.base import RuleKind, rule_kind
from hacore.failover.facts import Facts
from hacore.failover.group_rules import GroupRules
from hacore.failover.isolation_rules import IsolationRules
from hacore.failover.model import Ctx
from hacore.failover.monitor_rules import MonitorRules
from hacore.failover.node_rules import NodeRules
from hacore.failover.recovery_rules import RecoveryRules
from hacore.failover.standby_rules import StandbyRules


class Rules(
    NodeRules, StandbyRules, RecoveryRules, MonitorRules, IsolationRules, GroupRules, Facts
):
    """Every guard and action of the tables, and the knowledge they share."""


Guard = Callable[[Rules, Ctx], bool]
Action = Callable[[Rules, Ctx, str], None]


def find_rule(kind: RuleKind, name: str) -> Callable[..., object] | None:
    """The method of :class:`Rules` a table names, if it is marked as a ``kind``."""
    member = getattr(Rules, name, None)
    return member if callable(member) and rule_kind(member) == kind else None


def guard_named(name: str) -> Guard:
    return cast(Guard, _require("guard", name))


def action_named(name: str) -> Action:
    return cast(Action, _require("action", name))


def _require(kind: RuleKind, name: str) -> Callable[..., object]:
    found = find_rule(kind, name)
    if found is None:
        raise LookupError(f"Rules has no {kind} {name!r}")
    return found


def described(kind: RuleKind) -> dict[str, str]:
    """Every ``kind`` of :class:`Rules` by name, with its docstring on one line (the
    lines joined; spacing inside a line, such as Heartbeat's double spaces, is kept)."""
    out: dict[str, str] = {}
    for name, member in inspect.getmembers(Rules, callable):
        if rule_kind(member) == kind:
            lines = (inspect.getdoc(member) or "").splitlines()
            out[name] = " ".join(line.strip() for line in lines if line.strip())
    return out
