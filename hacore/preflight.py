"""What a start needs from this machine, checked before the daemon touches anything.

The configuration files can be valid and still unusable here: a resource script that is
not installed, a heartbeat interface this machine does not have, a log directory that
does not exist, a state or run directory that cannot be written. ``hacored --check``
reports these too (and says what it could not check: machine checks are skipped when
it runs for another node, writability when it is not root), and the daemon runs the
same checks before it takes a generation number, so a configuration that passes
``--check`` on the node never fails at start with a traceback.

Two kinds of problem: ``config`` (something the configuration names does not exist
here: exit 6, LSB "not configured") and ``system`` (it exists but cannot be used:
permissions, a read-only file system: exit 1).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from hacore.api import ConfigError, ResourceRequest
from hacore.config.model import NOT_STARTED, ClusterConfig
from hacore.config.nodename import local_node_name
from hacore.plugins import PluginRegistry
from hacore.resources import resolve_agent

Kind = Literal["ok", "config", "system", "unchecked"]
INIT_DIR = Path("/etc/init.d")
EXIT_OK, EXIT_SYSTEM, EXIT_NOT_CONFIGURED = 0, 1, 6


@dataclass(frozen=True)
class Finding:
    kind: Kind
    text: str

    @property
    def problem(self) -> bool:
        return self.kind in ("config", "system")


@dataclass(frozen=True)
class Machine:
    """Where the checks run: ``here`` is False when checking for another node."""

    here: bool
    root: bool
    why_not_here: str = ""

    @classmethod
    def for_check(cls, config: ClusterConfig) -> Machine:
        try:
            this = local_node_name(config.directory)
        except ConfigError:
            this = os.uname().nodename.lower()
        elsewhere = f"this machine is {this}, not {config.local_node}"
        return cls(this == config.local_node, os.geteuid() == 0, elsewhere)

    @classmethod
    def for_start(cls) -> Machine:
        return cls(True, os.geteuid() == 0)


def start_checks(
    config: ClusterConfig,
    registry: PluginRegistry,
    *,
    state_dir: Path,
    run_dir: Path,
    machine: Machine,
    init_dir: Path = INIT_DIR,
) -> list[Finding]:
    if not machine.here:
        return [
            Finding(
                "unchecked",
                f"resource scripts, media interfaces, log, state and run directories "
                f"({machine.why_not_here})",
            )
        ]
    findings = [*_resources(config, registry, init_dir), *_media(config, registry)]
    if not machine.root:
        findings.append(
            Finding("unchecked", "log, state and run directories are writable (not root)")
        )
        return findings
    hacf = config.hacf
    for what, path in (("logfile", hacf.logfile), ("debugfile", hacf.debugfile)):
        if path is not None:
            findings.append(_log_file(what, path))
    if hacf.extensions.api_socket is not None:
        findings.append(_log_file("api_socket", hacf.extensions.api_socket))
    findings.append(_directory("state directory", state_dir))
    findings.append(_directory("run directory", run_dir))
    return findings


def _resources(
    config: ClusterConfig, registry: PluginRegistry, init_dir: Path
) -> Iterator[Finding]:
    count = 0
    failed = False
    for group in config.groups:
        for spec in group.resources:
            request = ResourceRequest(
                spec=spec.spec,
                name=spec.name,
                args=spec.args,
                config_dir=config.directory,
                init_dir=init_dir,
            )
            try:
                resolve_agent(registry, group, spec, request)
            except ConfigError as exc:
                failed = True
                yield Finding("config", str(exc))
            count += 1
    if count and not failed:
        yield Finding("ok", f"resource scripts: all {count} found")


def _media(config: ClusterConfig, registry: PluginRegistry) -> Iterator[Finding]:
    present: list[str] = []
    for medium in config.hacf.media:
        transport_type = registry.transports.get(medium.keyword)
        if transport_type is None:
            continue  # the configuration loader has already refused the line
        line = " ".join((medium.keyword, *medium.args))
        where = f"{medium.location}: " if medium.location else ""
        try:
            transports = transport_type.build(medium)
        except ConfigError as exc:
            yield Finding("config", str(exc))
            continue
        for transport in transports:
            try:
                missing = transport.preflight()
            except NotImplementedError:
                yield Finding("unchecked", f"medium '{line}' (its plugin has no start-up check)")
                continue
            if missing:
                yield Finding("config", f"{where}{line}: {missing}")
            else:
                present.append(transport.link_name)
    if present:
        yield Finding("ok", f"media: {', '.join(dict.fromkeys(present))} present")


def _why_unwritable(path: Path) -> str:
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError as exc:
        return exc.strerror or str(exc)
    return "permission denied"


def _log_file(what: str, path: Path) -> Finding:
    """A file hacored creates in a directory that must exist (a log, the API socket)."""
    directory = path.parent
    if not directory.is_dir():
        return Finding("config", f"ha.cf {what} {path}: directory {directory} does not exist")
    if path.exists():
        if not os.access(path, os.W_OK):
            return Finding(
                "system", f"ha.cf {what} {path}: cannot write it: {_why_unwritable(directory)}"
            )
    elif not os.access(directory, os.W_OK | os.X_OK):
        return Finding(
            "system",
            f"ha.cf {what} {path}: cannot create it in {directory}: {_why_unwritable(directory)}",
        )
    return Finding("ok", f"{what} {path}: writable")


def _directory(what: str, path: Path) -> Finding:
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return Finding("system", f"{what} {path}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        return Finding("system", f"{what} {path}: cannot write: {_why_unwritable(existing)}")
    return Finding("ok", f"{what} {path}: writable")


def report_problems(findings: list[Finding], err: TextIO) -> int:
    """One ``ERROR:`` line per problem (Heartbeat's closing line after configuration
    problems); the exit code a start would have."""
    problems = [f for f in findings if f.problem]
    for finding in problems:
        err.write(f"ERROR: {finding.text}\n")
    if any(f.kind == "config" for f in problems):
        err.write(f"ERROR: {NOT_STARTED}\n")
        return EXIT_NOT_CONFIGURED
    return EXIT_SYSTEM if problems else EXIT_OK
