"""ha.cf's ``monitor`` line (hacore extension): recurring health checks of one resource.

    monitor RESOURCE [interval=T] [timeout=T] [restarts=N] [window=T]

Heartbeat v1 never looks at a resource once it is started; Pacemaker's monitor
operations and keepalived's track_script do. Without a ``monitor`` line nothing changes.
RESOURCE is named as in haresources: the token as written (``10.0.0.60``), the expanded
spec (``IPaddr::10.0.0.60/24/eth0``), or a prefix of it that ends at ``::`` or ``/``
(``IPaddr::10.0.0.60``, ``httpd``, ``OCF::Dummy``); it must name exactly one resource.
Times use Heartbeat's syntax (``10`` is ten seconds, ``500ms``).

The line is read with ha.cf (:func:`read_monitor_line`), and resolved against the groups
once haresources is read (:func:`resolve_monitors`); both report file:line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from hacore.api import ConfigError, SourceLocation
from hacore.config import values
from hacore.config.model import ConfigErrors, ResourceGroup

DEFAULT_INTERVAL_MS = 10_000
DEFAULT_TIMEOUT_MS = 20_000
DEFAULT_RESTARTS = 3
DEFAULT_WINDOW_MS = 3_600_000
MIN_TIME_MS = 100
MAX_RESTARTS = 1000
USAGE = "monitor RESOURCE [interval=T] [timeout=T] [restarts=N] [window=T]"
_OPTIONS = ("interval", "timeout", "restarts", "window")
_WORDS = re.compile(r"[, \t\n\r\f]+")


@dataclass(frozen=True)
class MonitorSettings:
    """How often to check, how long a check may take, and how many restarts (within
    ``window_ms``) come before the group is moved to the peer."""

    interval_ms: int = DEFAULT_INTERVAL_MS
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    restarts: int = DEFAULT_RESTARTS
    window_ms: int = DEFAULT_WINDOW_MS

    def describe(self) -> str:
        return (
            f"every {_seconds(self.interval_ms)}, timeout {_seconds(self.timeout_ms)}, "
            f"{self.restarts} restart{'s' if self.restarts != 1 else ''} within "
            f"{_seconds(self.window_ms)}, then fail over"
        )


@dataclass(frozen=True)
class MonitorLine:
    """One ``monitor`` line as written: the resource is not resolved yet."""

    resource: str
    settings: MonitorSettings
    location: SourceLocation | None = None


@dataclass(frozen=True)
class Monitor:
    """A ``monitor`` line resolved to one resource of one haresources group."""

    group: str  # the group's key
    index: int  # the resource's position in the group (start order)
    resource: str  # the resource's spec, as the agents and metrics name it
    settings: MonitorSettings
    location: SourceLocation | None = None


def read_monitor_line(rest: str, where: SourceLocation | None = None) -> MonitorLine:
    """Parse what follows ``monitor``; ConfigError says what is wrong (the reader adds
    the line)."""
    words = [word for word in _WORDS.split(rest) if word]
    if not words or words[0].partition("=")[0] in _OPTIONS:
        raise ConfigError(f"monitor needs a resource as named in haresources (usage: {USAGE})")
    resource, options = words[0], words[1:]
    seen: dict[str, str] = {}
    for option in options:
        name, sep, value = option.partition("=")
        if not sep or name not in _OPTIONS:
            raise ConfigError(
                f"monitor {resource}: unknown option [{option}]: expected "
                + ", ".join(f"{o}=..." for o in _OPTIONS)
            )
        if name in seen:
            raise ConfigError(f"monitor {resource}: {name} is given twice")
        seen[name] = value
    settings = _settings(resource, seen)
    return MonitorLine(resource, settings, where)


def _settings(resource: str, given: dict[str, str]) -> MonitorSettings:
    what = f"monitor {resource}:"
    defaults = MonitorSettings()

    def time_ms(name: str, default: int) -> int:
        if name not in given:
            return default
        return values.msec(given[name], f"{what} {name}", minimum=MIN_TIME_MS)

    interval = time_ms("interval", defaults.interval_ms)
    timeout = time_ms("timeout", defaults.timeout_ms)
    window = time_ms("window", defaults.window_ms)
    restarts = defaults.restarts
    if "restarts" in given:
        restarts = values.integer(given["restarts"], f"{what} restarts", 0, MAX_RESTARTS)
    if window < interval:
        raise ConfigError(
            f"{what} window [{_seconds(window)}] is shorter than the interval "
            f"[{_seconds(interval)}]: no two failures could ever count together"
        )
    return MonitorSettings(interval, timeout, restarts, window)


def matching_resources(name: str, groups: Sequence[ResourceGroup]) -> list[tuple[int, int]]:
    """(group position, resource position) of every resource ``name`` designates: those
    written exactly so if there are any, else those whose spec it begins."""
    exact, prefix = [], []
    for g, group in enumerate(groups):
        for r, resource in enumerate(group.resources):
            spec = resource.spec
            if name in (resource.token, spec):
                exact.append((g, r))
            elif spec.startswith((f"{name}::", f"{name}/")):
                prefix.append((g, r))
    return exact or prefix


def resolve_monitors(
    lines: Sequence[MonitorLine], groups: Sequence[ResourceGroup]
) -> list[Monitor]:
    """Each line's resource in haresources; ConfigErrors lists every line that names
    none, several, or one already monitored."""
    problems: list[ConfigError] = []
    monitors: list[Monitor] = []
    first: dict[tuple[int, int], MonitorLine] = {}
    for line in lines:
        found = matching_resources(line.resource, groups)
        if len(found) != 1:
            problems.append(ConfigError(_not_one(line.resource, groups, found), line.location))
            continue
        g, r = found[0]
        if (g, r) in first:
            earlier = first[(g, r)].location
            at = f" (already at line {earlier.line})" if earlier else ""
            problems.append(
                ConfigError(
                    f"monitor {line.resource}: {groups[g].resources[r].spec} is monitored "
                    f"twice{at}",
                    line.location,
                )
            )
            continue
        first[(g, r)] = line
        group = groups[g]
        spec = group.resources[r].spec
        monitors.append(Monitor(group.key, r, spec, line.settings, line.location))
    if problems:
        raise ConfigErrors(problems)
    return monitors


def monitor_summary(monitors: Sequence[Monitor]) -> list[str]:
    """``hacored --check``'s account of the monitors (nothing when there are none: the
    summary of a plain Heartbeat configuration stays as it was)."""
    if not monitors:
        return []
    return ["Monitoring:"] + [
        f"  {m.resource}  (group {m.group}): {m.settings.describe()}" for m in monitors
    ]


def _not_one(name: str, groups: Sequence[ResourceGroup], found: list[tuple[int, int]]) -> str:
    if not found:
        known = " ".join(r.token for g in groups for r in g.resources) or "(none)"
        return f"monitor {name}: no such resource in haresources (resources: {known})"
    specs = ", ".join(groups[g].resources[r].spec for g, r in found)
    return f"monitor {name}: names several resources ({specs}): write it as in haresources"


def _seconds(ms: int) -> str:
    return f"{ms / 1000:g} s"
