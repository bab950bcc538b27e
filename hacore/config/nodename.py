"""Which node of ha.cf this machine is, decided the way Heartbeat decides it.

Heartbeat names the local node ``uname -n`` unless ``<config dir>/nodeinfo`` exists, in
which case its first line wins (for machines whose hostname differs from the cluster
name). Names are compared lowercased everywhere, so the result is lowercased too.
"""

from __future__ import annotations

import os
from pathlib import Path

from hacore.api import ConfigError, SourceLocation
from hacore.config.files import read_bounded
from hacore.config.values import node_name

NODEINFO = "nodeinfo"


def local_node_name(config_dir: Path | str, override: str | None = None) -> str:
    """``--node-name`` if given, else the first line of ``nodeinfo``, else ``uname -n``."""
    if override is not None:
        name = override.strip()
        if not name:
            raise ConfigError("--node-name must not be empty")
        return node_name(name, "--node-name")
    nodeinfo = Path(config_dir) / NODEINFO
    try:
        data, _ = read_bounded(nodeinfo, str(nodeinfo))
    except FileNotFoundError:
        return os.uname().nodename.lower()
    except OSError as exc:
        raise ConfigError(f"Cannot read {nodeinfo}: {exc.strerror}") from exc
    lines = data.decode("utf-8", errors="replace").splitlines()
    first_line = lines[0].strip() if lines else ""
    if not first_line:
        raise ConfigError(
            "the first line must be this node's name (or remove the file to use uname -n)",
            SourceLocation(nodeinfo, 1),
        )
    try:
        return node_name(first_line, "The node name")
    except ConfigError as exc:
        raise ConfigError(exc.message, SourceLocation(nodeinfo, 1)) from None
