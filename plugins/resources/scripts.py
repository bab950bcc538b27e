"""Resource scripts found the way Heartbeat's ResourceManager finds them, plus OCF agents.

Lookup for a name no resource type claims: ``<config dir>/resource.d/<name>``
(``$HA_RESOURCEDIR``), then ``<init dir>/<name>``; the file must be a regular,
executable file. Either way it is called as ``<path> <args...> start|stop|status``.

Status, as ResourceManager's ``we_own_resource`` judges it, is read from **stdout**:
output matching ``[Nn][Oo][Tt] .*[Rr]unning`` means not running, otherwise
``[Rr]unning`` or ``OK`` means running, anything else not running. For Heartbeat
resource scripts that is the whole rule (their exit codes mean nothing). For LSB init
scripts we keep that rule first, so every script that worked under Heartbeat behaves the
same, and only when stdout says none of those words do we fall back to the LSB exit
code (0 = running): a silent but LSB-correct ``status`` then counts as running instead
of being started twice or, after a failed stop, declared "not LSB-compliant".

OCF agents are the resource type ``OCF`` (see :mod:`._ocf`), claimed by name so that
Debian's broken ``resource.d/OCF`` wrapper is never used in its place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import structlog

from hacore.api import ResourceAgent, ResourceRequest, ResourceType
from hacore.hookspecs import hookimpl

from ._ocf import OcfAgent, parse_ocf_request
from ._process import ScriptResult, run_script, script_environment

log = structlog.get_logger("hacore.resources.script")

_NOT_RUNNING = re.compile(r"[Nn][Oo][Tt] .*[Rr]unning", re.DOTALL)
_RUNNING = re.compile(r"[Rr]unning|OK")


def stdout_verdict(stdout: str) -> bool | None:
    """Heartbeat's reading of a status output: True/False, or None when it says nothing."""
    if _NOT_RUNNING.search(stdout):
        return False
    if _RUNNING.search(stdout):
        return True
    return None


class HeartbeatScriptAgent(ResourceAgent):
    """A script in resource.d: Heartbeat's calling convention, status from stdout only."""

    def __init__(self, request: ResourceRequest, path: Path) -> None:
        super().__init__(request)
        self.path = path

    async def start(self) -> None:
        result = await self._run("start")
        if result.returncode != 0:
            raise result.failure()

    async def stop(self) -> None:
        result = await self._run("stop")
        if result.returncode != 0:
            raise result.failure()

    async def status(self) -> bool:
        return self._judge(await self._run("status"))

    def _judge(self, result: ScriptResult) -> bool:
        return stdout_verdict(result.stdout) is True

    async def _run(self, action: str) -> ScriptResult:
        argv = (str(self.path), *self.request.args, action)
        if action != "status":
            log.info("resource_run", command=" ".join(argv), msg=f"Running {' '.join(argv)}")
        return await run_script(
            argv,
            script_environment(self.request.environment),
            self.request.timeout,
            quiet=action == "status",
        )


class LsbScriptAgent(HeartbeatScriptAgent):
    """An init script: Heartbeat's stdout rule first, the LSB status code when stdout is mute."""

    def _judge(self, result: ScriptResult) -> bool:
        verdict = stdout_verdict(result.stdout)
        return result.returncode == 0 if verdict is None else verdict


def _is_plain_name(name: str) -> bool:
    return bool(name) and "/" not in name and not name.startswith(".")


def find_script(request: ResourceRequest) -> HeartbeatScriptAgent | None:
    if not _is_plain_name(request.name):
        return None
    candidates: tuple[tuple[Path, type[HeartbeatScriptAgent]], ...] = (
        (request.config_dir / "resource.d", HeartbeatScriptAgent),
        (request.init_dir, LsbScriptAgent),
    )
    for directory, agent_class in candidates:
        path = directory / request.name
        if path.is_file() and os.access(path, os.X_OK):
            return agent_class(request, path)
    return None


@hookimpl
def hacore_resolve_resource(request: ResourceRequest) -> ResourceAgent | None:
    return find_script(request)


def _validate_ocf(request: ResourceRequest) -> None:
    parse_ocf_request(request)


@hookimpl
def hacore_resource_types() -> Sequence[ResourceType]:
    return [
        ResourceType(
            name="OCF",
            create=OcfAgent,
            validate=_validate_ocf,
            description="OCF resource agent: OCF::[provider:]agent[::instance][::name=value...]",
        )
    ]
