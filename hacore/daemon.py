"""``hacored``: the daemon's command line.

Mirrors what a Heartbeat operator knows: it reads ``/etc/ha.d`` by default, exits 6
(LSB "not configured") on a configuration error with Heartbeat's closing line, runs in
the foreground (systemd, ``Type=notify``, or the lab supervise it) or, with ``--daemon``,
in the background for an LSB init script, and answers ``-s``/``-k``/``-r`` as
``heartbeat`` does.

Start-up order is what keeps a running node safe from a second start: the files are
read (nothing touched), then the instance lock is taken, then the machine checks run,
and only then are the logs opened, the generation taken and resources touched. Every
failure on the way is a clear line on stderr: exit 6 for configuration, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from hacore import __version__, daemonctl
from hacore.api import HacoreError
from hacore.config.model import NOT_STARTED, ClusterConfig, ConfigErrors
from hacore.instance import InstanceLock
from hacore.plugins import PluginError, PluginRegistry, load_plugins
from hacore.sdnotify import Notifier

EXIT_CONFIG = 6
EXIT_FAILED = 1


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
        "--check",
        action="store_true",
        help="validate the configuration and what a start needs here, print a summary, exit",
    )
    p.add_argument(
        "--daemon",
        action="store_true",
        help="run in the background; return 0 once up, or the start's error and exit code",
    )
    control = p.add_mutually_exclusive_group()
    control.add_argument(
        "-s", "--status", action="store_true", help="is hacored running? (as heartbeat -s)"
    )
    control.add_argument(
        "-k",
        "--kill",
        action="store_true",
        help="stop the running hacored and wait until it has handed over (as heartbeat -k)",
    )
    control.add_argument(
        "-r",
        "--reload",
        action="store_true",
        help="validate the configuration, then have hacored reread it (as heartbeat -r)",
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
    for name in ("config_dir", "state_dir", "run_dir"):  # --daemon changes to /
        setattr(args, name, getattr(args, name).absolute())
    if args.status:
        return daemonctl.status(args.run_dir, args.config_dir, args.node_name)
    if args.kill:
        return daemonctl.stop(args.run_dir)
    try:
        registry = load_plugins()
    except PluginError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if args.list_plugins:
        print(describe_plugins(registry))
        return 0
    if args.check:
        from hacore.check import run_check

        return run_check(
            args.config_dir,
            args.node_name,
            registry=registry,
            state_dir=args.state_dir,
            run_dir=args.run_dir,
        )
    config = _load(args, registry)
    if config is None:
        return EXIT_CONFIG
    if args.reload:
        return daemonctl.reload(args.run_dir)
    return _start(args, config, registry)


def _load(args: argparse.Namespace, registry: PluginRegistry) -> ClusterConfig | None:
    """The configuration, or None once its errors are printed (Heartbeat's report)."""
    from hacore.config.loader import load_config

    try:
        return load_config(args.config_dir, registry, node_name=args.node_name)
    except ConfigErrors as exc:
        lines = exc.lines()
    except HacoreError as exc:
        lines = [f"ERROR: {exc}", f"ERROR: {NOT_STARTED}"]
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    return None


def _start(args: argparse.Namespace, config: ClusterConfig, registry: PluginRegistry) -> int:
    notifier = Notifier.from_environment()
    if args.daemon:
        from hacore.daemonize import daemonize

        notifier.on_ready(daemonize())
        os.chdir("/")
    lock = InstanceLock(args.run_dir)
    try:
        lock.acquire()
    except HacoreError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        return _run(args, config, registry, notifier)
    finally:
        lock.release()


def _run(
    args: argparse.Namespace, config: ClusterConfig, registry: PluginRegistry, notifier: Notifier
) -> int:
    from hacore import logsetup
    from hacore.node import Node
    from hacore.preflight import Machine, report_problems, start_checks

    findings = start_checks(
        config,
        registry,
        state_dir=args.state_dir,
        run_dir=args.run_dir,
        machine=Machine.for_start(),
    )
    code = report_problems(findings, sys.stderr)
    if code:
        return code
    logsetup.configure_from(config)
    for warning in config.warnings:
        logsetup.log_config_warning(str(warning))
    node = Node(config, registry, state_dir=args.state_dir, run_dir=args.run_dir, notifier=notifier)
    try:
        return asyncio.run(node.run())
    except KeyboardInterrupt:
        return 0
    except (HacoreError, OSError) as exc:  # a medium that cannot be opened, a full disk...
        where = "hacored stopped" if notifier.is_ready else "Heartbeat not started"
        print(f"ERROR: {where}: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
