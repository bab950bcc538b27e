"""haresources: one resource group per line, read as Heartbeat's ResourceManager reads it.

``node1 IPaddr::10.0.0.60 httpd``: the first word is the preferred node, the rest are
resources started left to right. ResourceManager strips ``#`` comments, joins lines
ending in ``\\`` (no space is inserted), collapses blanks and lowercases the node. A
token shaped like an IPv4 address is short for ``IPaddr::<token>``; ``Name::a::b`` is
the script ``Name`` with arguments ``a`` and ``b``. The group key (first resource as
written) travels on the wire, so it is kept exactly as written.

One deliberate difference: comments are stripped on every physical line. ResourceManager
strips them only on the first line of a continued line, turning a trailing ``# note`` on a
continuation line into resources named ``#`` and ``note``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from hacore.api import ConfigError, ResourceRequest, SourceLocation
from hacore.config.files import binary_problem, long_line_problem, read_bounded
from hacore.config.model import ConfigErrors, ConfigWarning, ResourceGroup, ResourceSpec
from hacore.plugins import PluginRegistry

# ResourceManager's isip(): case $1 in [0-9]*.[0-9]*.[0-9]*.[0-9]*) (a shell glob).
_IP_SHORTHAND = re.compile(r"[0-9].*\.[0-9].*\.[0-9].*\.[0-9].*", re.DOTALL)


def split_resource(token: str) -> ResourceSpec:
    """Split one haresources token the way ResourceManager does; ``ValueError`` if nameless."""
    spec = f"IPaddr::{token}" if _IP_SHORTHAND.fullmatch(token) else token
    name, *rest = spec.split("::")
    if not name:
        raise ValueError(f"Resource [{token}] has no script name before '::'")
    # The shell word-splits the arguments, so empty ones ("a::::b") vanish.
    return ResourceSpec(spec=spec, name=name, args=tuple(a for a in rest if a), written=token)


def parse_haresources(
    path: Path,
    nodes: Sequence[str],
    registry: PluginRegistry | None = None,
    *,
    shown_as: str | None = None,
    warnings: list[ConfigWarning] | None = None,
) -> list[ResourceGroup]:
    """Read haresources; every group's node must be one of ``nodes`` (normal nodes).

    With a ``registry``, resources whose type has a ``validate`` are checked now, so
    ``hacored --check`` catches a bad address before a failover does. Raises
    :class:`ConfigErrors` listing every problem; harmless oddities go to ``warnings``.
    """
    shown = shown_as or str(path)
    try:
        data, _ = read_bounded(path, shown)
    except ConfigError as exc:
        raise ConfigErrors([exc]) from None
    except OSError:
        raise ConfigErrors(
            [ConfigError(f"Cannot open resources file [{shown}]")],
            info=[
                f"An annotated sample {shown} file is provided in the documentation.",
                f"Please copy it to {shown}, read it, customize it, and try again.",
            ],
        ) from None
    binary = binary_problem(data, path)
    if binary is not None:
        raise ConfigErrors([binary])
    text = data.decode("utf-8", errors="replace")
    known = {node.lower() for node in nodes}
    problems: list[ConfigError] = []
    groups: list[ResourceGroup] = []
    first_seen: dict[str, SourceLocation] = {}
    for where, words in _logical_lines(text, path):
        if isinstance(words, ConfigError):
            problems.append(words)
            continue
        node, tokens = words[0], words[1:]
        if node.lower() not in known:
            problems.append(ConfigError(f"Bad nodename in {shown} [{node}]", where))
            continue
        if not tokens:
            if warnings is not None:
                warnings.append(ConfigWarning(f"Node [{node}] has no resources listed", where))
            continue
        try:
            resources = tuple(split_resource(token) for token in tokens)
        except ValueError as exc:
            problems.append(ConfigError(str(exc), where))
            continue
        group = ResourceGroup(node=node.lower(), resources=resources, location=where)
        if group.key in first_seen:
            problems.append(
                ConfigError(
                    f"Duplicate resource group key [{group.key}] in {shown} "
                    f"(first used at line {first_seen[group.key].line})",
                    where,
                )
            )
            continue
        first_seen[group.key] = where
        if registry is not None:
            problems.extend(_validate(group, registry, path.parent))
        groups.append(group)
    if problems:
        raise ConfigErrors(problems)
    return groups


def _logical_lines(
    text: str, path: Path
) -> Iterator[tuple[SourceLocation, list[str] | ConfigError]]:
    """Yield (location of the first physical line, words) per non-empty logical line,
    or the problem of an over-long physical line (which is skipped)."""
    pending: str | None = None  # text of a logical line continued with "\\"
    start = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        too_long = long_line_problem(line, SourceLocation(path, lineno))
        if too_long is not None:
            yield too_long.location or SourceLocation(path, lineno), too_long
            continue
        body = line.split("#", 1)[0].rstrip("\r")
        if pending is None:
            start, pending = lineno, ""
        if body.endswith("\\"):
            pending += body[:-1]
            continue
        words = (pending + body).split()
        pending = None
        if words:
            yield SourceLocation(path, start), words
    if pending and pending.split():
        yield SourceLocation(path, start), pending.split()


def _validate(
    group: ResourceGroup, registry: PluginRegistry, config_dir: Path
) -> list[ConfigError]:
    problems: list[ConfigError] = []
    for resource in group.resources:
        rtype = registry.resource_types.get(resource.name)
        if rtype is None or rtype.validate is None:
            continue
        request = ResourceRequest(
            spec=resource.spec, name=resource.name, args=resource.args, config_dir=config_dir
        )
        try:
            rtype.validate(request)
        except ConfigError as exc:
            problems.append(ConfigError(exc.message, exc.location or group.location))
        except Exception as exc:
            owner = registry.owner_of(rtype)
            problems.append(
                ConfigError(
                    f"Resource [{resource.token}]: {owner} failed to validate it: "
                    f"{type(exc).__name__}: {exc}",
                    group.location,
                )
            )
    return problems
