"""``hacored --check -c DIR``: validate a configuration directory and say what it means.

Errors go to stderr as Heartbeat logs them (``ERROR: ...`` lines ending with
``ERROR: Configuration error, heartbeat not started.``) and the exit code is Heartbeat's
6 (LSB "not configured"). A valid configuration prints a summary an operator can check
against intent: nodes, media and their links, timings, failback, auth method (never the
key), resource groups and every warning. Given the state and run directories (as
``hacored --check`` gives them), it also runs the start-up checks of
:mod:`hacore.preflight` for this machine and says what it could not check.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from hacore.api import ConfigError
from hacore.config.loader import load_config
from hacore.config.model import NOT_STARTED, ClusterConfig, ConfigErrors, Respawn
from hacore.config.monitor import monitor_summary
from hacore.plugins import PluginError, PluginRegistry, load_plugins
from hacore.preflight import Finding, Machine, report_problems, start_checks

EXIT_OK = 0
EXIT_NOT_CONFIGURED = 6


def run_check(
    directory: Path | str,
    node_name: str | None = None,
    *,
    registry: PluginRegistry | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    state_dir: Path | None = None,
    run_dir: Path | None = None,
) -> int:
    """Load plugins (unless ``registry`` is given) and the configuration; 0, or 6 for a
    configuration error (also one that this machine cannot run), 1 for a machine
    problem (a directory that cannot be written)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        registry = registry or load_plugins()
        config = load_config(directory, registry, node_name)
    except ConfigErrors as exc:
        err.write("".join(f"{line}\n" for line in exc.lines()))
        return EXIT_NOT_CONFIGURED
    except (ConfigError, PluginError) as exc:
        err.write(f"ERROR: {exc}\nERROR: {NOT_STARTED}\n")
        return EXIT_NOT_CONFIGURED
    out.write(format_summary(config, registry))
    if state_dir is None or run_dir is None:
        return EXIT_OK
    findings = start_checks(
        config,
        registry,
        state_dir=state_dir,
        run_dir=run_dir,
        machine=Machine.for_check(config),
    )
    out.write(format_findings(findings))
    return report_problems(findings, err)


def format_findings(findings: list[Finding]) -> str:
    """The start-up checks that passed or could not run (problems go to stderr)."""
    words = {"ok": "ok", "unchecked": "not checked"}
    lines = [f"  {words[f.kind]}: {f.text}" for f in findings if not f.problem]
    problems = sum(f.problem for f in findings)
    if problems:
        lines.append(f"  ERROR: {problems} problem(s), listed on stderr")
    return "Start-up checks on this machine:\n" + "".join(f"{line}\n" for line in lines)


def format_summary(config: ClusterConfig, registry: PluginRegistry | None = None) -> str:
    """A readable account of ``config``; with ``registry``, media show their link names."""
    cf = config.hacf
    nodes = ", ".join(f"{n} (local)" if n == config.local_node else n for n in cf.nodes)
    lines = [
        f"Configuration in {config.directory} is valid.",
        f"Nodes: {nodes}",
        f"Ping nodes: {_ping_nodes(config) or 'none'}",
        "Media:",
        *(f"  {line}" for line in _media(config, registry)),
        f"Timings: keepalive {cf.keepalive_ms} ms, warntime {cf.warntime_ms} ms, "
        f"deadtime {cf.deadtime_ms} ms, initdead {cf.initdead_ms} ms, "
        f"deadping {cf.deadping_ms} ms",
        f"auto_failback: {cf.auto_failback}",
        f"Authentication: {_auth(config)}",
        "Resource groups:" if config.groups else "Resource groups: none",
        *(
            f"  {group.key}  (preferred node {group.node}): "
            + " ".join(r.token for r in group.resources)
            for group in config.groups
        ),
    ]
    lines += monitor_summary(config.monitors)
    lines += [_respawn(r, registry) for r in cf.respawn]
    lines.append("Warnings:" if config.warnings else "Warnings: none")
    lines += [f"  WARN: {warning}" for warning in config.warnings]
    return "\n".join(lines) + "\n"


def _respawn(respawn: Respawn, registry: PluginRegistry | None) -> str:
    kind = "failfast" if respawn.failfast else "respawn"
    text = f"Respawn: {kind} {respawn.user} {respawn.command}"
    program = Path(respawn.command.split()[0]).name
    if registry is not None and program in registry.helper_types:
        text += f"  (runs the built-in {program} helper)"
    return text


def _ping_nodes(config: ClusterConfig) -> str:
    return ", ".join(
        f"{p.name} (group: {' '.join(p.addresses)})" if p.group else p.name
        for p in config.hacf.ping_nodes
    )


def _media(config: ClusterConfig, registry: PluginRegistry | None) -> list[str]:
    lines = []
    for medium in config.hacf.media:
        text = f"{medium.keyword} {' '.join(medium.args)}"
        transport = registry.transports.get(medium.keyword) if registry else None
        if transport is not None:
            try:
                links = [t.link_name for t in transport.build(medium)]
            except Exception as exc:
                links = [f"<cannot build: {exc}>"]
            text += f"  (links: {', '.join(links)})"
        for setting in transport.settings if transport is not None else ():
            text += f"  [{setting} {getattr(medium, setting)}]"
        lines.append(text)
    return lines or ["none"]


def _auth(config: ClusterConfig) -> str:
    keys = config.authkeys
    signer = keys.signer
    others = [
        f"{k.index} {k.method.name}" for i, k in sorted(keys.keys.items()) if i != keys.active
    ]
    text = f"auth {keys.active} ({signer.method.name})"
    return text + (f"; also accepted: {', '.join(others)}" if others else "")
