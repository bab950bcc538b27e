"""Load one node's configuration directory: ha.cf, authkeys, haresources, cross-checked.

The order is Heartbeat's: ha.cf (stop on errors), authkeys (stop on errors), the checks
that need both plus the local node name, and haresources last. Each stage reports every
problem it finds (one :class:`ConfigErrors`), so one ``hacored --check`` run shows all
the mistakes of the first broken file. Messages print paths as Heartbeat does,
``/etc/ha.d//ha.cf``, so they match what operators search for.
"""

from __future__ import annotations

from pathlib import Path

from hacore.api import ConfigError
from hacore.config.authkeys import parse_authkeys
from hacore.config.hacf import parse_hacf
from hacore.config.haresources import parse_haresources
from hacore.config.model import (
    AuthKeys,
    ClusterConfig,
    ConfigErrors,
    ConfigWarning,
    HaCf,
    cap_warnings,
)
from hacore.config.monitor import resolve_monitors
from hacore.config.nodename import local_node_name
from hacore.fencing.devices import resolve_device
from hacore.plugins import PluginRegistry

HACF, AUTHKEYS, HARESOURCES = "ha.cf", "authkeys", "haresources"


def shown_path(directory: Path | str, name: str) -> str:
    """A file of the config directory as Heartbeat prints it (``/etc/ha.d//authkeys``)."""
    return f"{str(directory).rstrip('/')}//{name}"


def load_config(
    directory: Path | str, registry: PluginRegistry, node_name: str | None = None
) -> ClusterConfig:
    """Parse and cross-check the three files; raise :class:`ConfigErrors` on any problem.

    ``node_name`` overrides the local node name (else ``nodeinfo``, else ``uname -n``).
    Warnings of every file end up in ``ClusterConfig.warnings``.
    """
    directory = Path(directory)
    local = local_node_name(directory, node_name)
    hacf = parse_hacf(directory / HACF, registry, shown_as=shown_path(directory, HACF))
    authkeys = parse_authkeys(
        directory / AUTHKEYS, registry, shown_as=shown_path(directory, AUTHKEYS)
    )
    _auth_warnings(hacf, authkeys)
    _cross_check(hacf, local)
    groups = parse_haresources(
        directory / HARESOURCES,
        hacf.nodes,
        registry,
        shown_as=shown_path(directory, HARESOURCES),
        warnings=hacf.warnings,
    )
    monitors = resolve_monitors(hacf.monitors, groups)
    cap_warnings(hacf.warnings)
    config = ClusterConfig(
        directory=directory,
        hacf=hacf,
        groups=groups,
        authkeys=authkeys,
        local_node=local,
        monitors=monitors,
    )
    _check_stonith(config, registry)
    return config


def _check_stonith(config: ClusterConfig, registry: PluginRegistry) -> None:
    """Build this node's STONITH device (as Heartbeat's ``stonith_new`` does when it
    reads the line); lines for other nodes are not checked here, as in Heartbeat."""
    line = config.stonith
    if line is None:
        return
    applying = [s for s in config.hacf.stonith if s.applies_to(config.local_node)]
    if len(applying) > 1:
        config.hacf.warnings.append(
            ConfigWarning(
                f"{len(applying)} STONITH lines apply to {config.local_node}: "
                "only the last one is used",
                line.location,
            )
        )
    try:
        resolve_device(registry, line)
    except ConfigError as exc:
        raise ConfigErrors([exc]) from None


def _cross_check(hacf: HaCf, local: str) -> None:
    problems: list[ConfigError] = []
    info: list[str] = []
    if local not in hacf.nodes and hacf.autojoin != "any":
        problems.append(ConfigError(f"Current node [{local}] not in configuration!"))
        info += [
            "By default, cluster nodes are named by `uname -n` and must be declared "
            "with a 'node' directive in the ha.cf file.",
            "See also: http://linux-ha.org/wiki/Ha.cf#node_directive",
        ]
    if hacf.autojoin != "none":
        # hacore always manages resources from haresources (Heartbeat's "R1 style").
        problems.append(ConfigError("R1 style resource management conflicts with  autojoin set"))
        info.append("hacore manages resources from haresources only: set 'autojoin none'")
    if problems:
        raise ConfigErrors(problems, info=info)


def _auth_warnings(hacf: HaCf, authkeys: AuthKeys) -> None:
    for key in authkeys.keys.values():
        method = key.method
        if method.startup_warning:
            hacf.warnings.append(ConfigWarning(method.startup_warning, key.location))
        if not method.heartbeat_compatible and key.index == authkeys.active:
            hacf.warnings.append(
                ConfigWarning(
                    f"Auth method [{method.name}] is not understood by Heartbeat 3.0.6 nodes: "
                    "every node of this cluster must run hacore",
                    key.location,
                )
            )
