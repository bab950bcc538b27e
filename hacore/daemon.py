"""``hacored``: the daemon's command line.

Mirrors what a Heartbeat operator knows: it reads ``/etc/ha.d`` by default, exits 6
(LSB "not configured") on a configuration error with Heartbeat's closing line, and runs
in the foreground (systemd or the lab supervise it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from hacore import __version__
from hacore.api import HacoreError
from hacore.plugins import PluginError, PluginRegistry, load_plugins

EXIT_CONFIG = 6
NOT_STARTED = "Configuration error, heartbeat not started."


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hacored", description="hacore high-availability daemon (Heartbeat-compatible)"
    )
    p.add_argument(
        "-c",
        "--config-dir",
        type=Path,
        default=Path("/etc/ha.d"),
        help="directory holding ha.cf, haresources and authkeys (default /etc/ha.d)",
    )
    p.add_argument("--node-name", help="this node's name (default: nodeinfo file, else uname -n)")
    p.add_argument(
        "--state-dir",
        type=Path,
        default=Path("/var/lib/hacore"),
        help="generation and uuid files (default /var/lib/hacore)",
    )
    p.add_argument(
        "--run-dir",
        type=Path,
        default=Path("/run/hacore"),
        help="API socket and pid file (default /run/hacore)",
    )
    p.add_argument(
        "--check", action="store_true", help="validate the configuration, print a summary and exit"
    )
    p.add_argument(
        "--list-plugins",
        action="store_true",
        help="list the plugins found and what each provides, then exit",
    )
    p.add_argument("-V", "--version", action="version", version=f"hacored {__version__}")
    return p


def describe_plugins(registry: PluginRegistry) -> str:
    """What ``--list-plugins`` prints: each plugin, its distribution, and what it provides."""
    provided: dict[str, list[str]] = {}
    for kind, items in (
        ("transport", registry.transports),
        ("auth", registry.auth_methods),
        ("resource", registry.resource_types),
        ("helper", registry.helper_types),
    ):
        for name, item in items.items():
            provided.setdefault(registry.owner_of(item), []).append(f"{kind} {name}")
    lines = []
    for info in registry.plugins:
        owner = registry.describe(registry.manager.get_plugin(info.name))
        what = ", ".join(provided.get(owner, [])) or "hooks only"
        lines.append(
            f"{info.name:<12} {info.module:<40} {info.distribution} {info.version}: {what}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        registry = load_plugins()
    except PluginError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    if args.list_plugins:
        print(describe_plugins(registry))
        return 0
    from hacore.check import run_check

    if args.check:
        return run_check(args.config_dir, args.node_name, registry=registry)
    from hacore.config.loader import load_config

    try:
        config = load_config(args.config_dir, registry, node_name=args.node_name)
    except HacoreError as exc:
        for line in str(exc).splitlines():
            print(f"ERROR: {line}", file=sys.stderr)
        print(f"ERROR: {NOT_STARTED}", file=sys.stderr)
        return EXIT_CONFIG
    from hacore import logsetup
    from hacore.node import Node

    logsetup.configure_from(config)
    for warning in config.warnings:
        logsetup.log_config_warning(str(warning))
    node = Node(config, registry, state_dir=args.state_dir, run_dir=args.run_dir)
    try:
        return asyncio.run(node.run())
    except KeyboardInterrupt:
        return 0
    except HacoreError as exc:  # e.g. a medium that cannot be opened on this machine
        print(f"ERROR: {exc}", file=sys.stderr)
        print("ERROR: Heartbeat not started.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
