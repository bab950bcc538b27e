"""Fence agents (``fence_ipmilan``, ``fence_virsh``...), through their stdin protocol.

``stonith_host * fence_ipmilan ip=10.0.0.2 username=admin password=secret lanplus=1``
runs ``/usr/sbin/fence_ipmilan`` with ``key=value`` lines on stdin: the line's
parameters, then ``action=reboot`` and ``plug=NODE`` (the node to fence; ``host_map=
node1:vm1,node2:vm2`` maps node names to plugs first, as Pacemaker's pcmk_host_map).
``stonith fence_X FILE`` reads the parameters from FILE, one ``key=value`` a line.
Exit code 0 means the node was rebooted.
"""

from __future__ import annotations

import os
from pathlib import Path

from hacore.api import ConfigError, FenceDevice, FenceRequest, FenceResult
from hacore.hookspecs import hookimpl

from ._run import run_command

AGENT_DIRS = (Path("/usr/sbin"), Path("/sbin"), Path("/usr/local/sbin"))
HACORE_KEYS = frozenset({"host_map"})


def agent_path(name: str) -> Path | None:
    for directory in AGENT_DIRS:
        path = directory / name
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


def parse_params(request: FenceRequest) -> dict[str, str]:
    """``key=value`` words of the line (or lines of the file); anything else is an error."""
    if request.file is not None:
        try:
            text = request.file.read_text()
        except OSError as exc:
            message = f"Invalid Stonith config file [{request.file}]: {exc.strerror}"
            raise ConfigError(message, request.location) from None
        words = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    else:
        words = request.params.split()
    params: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not key or not sep:
            raise ConfigError(
                f"Invalid Stonith configuration parameter [{word}]: {request.type} takes "
                "key=value parameters",
                request.location,
            )
        params[key] = value
    return params


def parse_host_map(text: str, request: FenceRequest) -> dict[str, str]:
    mapping = {}
    for item in text.replace(";", ",").split(","):
        node, sep, plug = item.partition(":")
        if not sep or not node or not plug:
            raise ConfigError(f"host_map [{text}]: expected node:plug,...", request.location)
        mapping[node.lower()] = plug
    return mapping


class AgentDevice(FenceDevice):
    def __init__(self, request: FenceRequest, path: Path) -> None:
        super().__init__(request)
        self.path = path
        params = parse_params(request)
        self.host_map = (
            parse_host_map(params.get("host_map", ""), request) if "host_map" in params else {}
        )
        self.params = {k: v for k, v in params.items() if k not in HACORE_KEYS}

    def stdin(self, node: str) -> str:
        lines = {**self.params, "action": "reboot", "plug": self.host_map.get(node, node)}
        return "".join(f"{key}={value}\n" for key, value in lines.items())

    async def reset(self, node: str) -> FenceResult:
        try:
            result = await run_command([str(self.path)], stdin=self.stdin(node))
        except OSError as exc:
            self.last_error = f"{self.path}: cannot run: {exc.strerror or exc}"
            return FenceResult.BAD
        if result.returncode == 0:
            return FenceResult.OK
        self.last_error = f"{self.path.name} {result.why()}"
        return FenceResult.BAD


@hookimpl
def hacore_fence_device(request: FenceRequest) -> FenceDevice | None:
    if not request.type.startswith("fence_") or "/" in request.type:
        return None
    path = agent_path(request.type)
    if path is None:
        raise ConfigError(
            f"Invalid Stonith type [{request.type}]: no such fence agent", request.location
        )
    return AgentDevice(request, path)
