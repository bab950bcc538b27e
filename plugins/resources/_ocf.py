"""OCF resource agents (Debian's resource-agents) as haresources resources.

Heartbeat's only haresources syntax for OCF is ``OCF::<agent>::<instance>`` through its
``resource.d/OCF`` wrapper, which sources ``<ha.d>/conf/OCF/<agent>/<instance>`` (shell
``NAME=value`` lines) and runs the agent. On Debian that wrapper cannot work: it looks
for agents one directory too deep (``$OCF_AGENTS/*/<agent>``, with ``OCF_AGENTS`` already
``.../resource.d/heartbeat/``) and maps ``status`` to the agent's ``status`` action,
which agents such as ``Dummy`` do not implement. hacore runs the agent itself with the
same syntax and the same instance files, and adds (hacore extension) inline parameters::

    OCF::Dummy::state=/run/dummy.state                  -> OCF_RESKEY_state=...
    OCF::pacemaker:Stateful::web1::name=value           -> provider, instance, parameter

The provider defaults to ``heartbeat`` (then any other provider that has the agent, in
name order, as the wrapper's ``ls | head -1`` would). ``status`` runs ``monitor``:
0 (or 8, running as master) = running, 7 = not running, anything else is an error.
Without an instance name the instance is ``<agent>_<8 hex digits of the spec>``, stable
across restarts and nodes.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from hacore.api import ConfigError, ResourceAgent, ResourceError, ResourceRequest

from ._process import ScriptResult, run_script, script_environment

DEFAULT_OCF_ROOT = "/usr/lib/ocf"
DEFAULT_PROVIDER = "heartbeat"
FORMS = "OCF::[provider:]agent[::instance][::name=value...]"
OCF_SUCCESS = 0
OCF_NOT_RUNNING = 7
OCF_RUNNING_MASTER = 8
OCF_CODES = {
    0: "success",
    1: "generic error",
    2: "invalid argument",
    3: "unimplemented",
    4: "insufficient privilege",
    5: "not installed",
    6: "not configured",
    7: "not running",
    8: "running as master",
    9: "failed as master",
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_AGENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")


@dataclass(frozen=True)
class OcfTarget:
    """The agent to run and the environment that configures it."""

    path: Path
    provider: str
    agent: str
    instance: str
    variables: dict[str, str]


def parse_ocf_request(request: ResourceRequest) -> OcfTarget:
    """Find the agent and collect its parameters; ConfigError names what is wrong."""

    def bad(why: str) -> ConfigError:
        return ConfigError(f"{request.spec}: {why} (expected {FORMS})")

    if not request.args:
        raise bad("no agent named")
    provider, _, agent = request.args[0].rpartition(":")
    if not _AGENT.fullmatch(agent) or (provider and not _AGENT.fullmatch(provider)):
        raise bad(f"{request.args[0]!r} is not an OCF agent name")
    rest = list(request.args[1:])
    variables: dict[str, str] = {}
    instance = None
    if rest and "=" not in rest[0]:
        instance = rest.pop(0)
        if not _AGENT.fullmatch(instance):
            raise bad(f"{instance!r} is not an instance name")
        variables.update(_instance_file(request, agent, instance, inline=bool(rest)))
    for arg in rest:
        name, sep, value = arg.partition("=")
        if not sep or not _NAME.fullmatch(name):
            raise bad(f"{arg!r} is not name=value")
        variables[f"OCF_RESKEY_{name}"] = value
    ocf_root = Path(request.environment.get("OCF_ROOT", DEFAULT_OCF_ROOT))
    path, provider = _find_agent(ocf_root, provider, agent)
    if instance is None:
        instance = f"{agent}_{hashlib.sha1(request.spec.encode()).hexdigest()[:8]}"
    return OcfTarget(path, provider, agent, instance, variables)


def _instance_file(
    request: ResourceRequest, agent: str, instance: str, inline: bool
) -> dict[str, str]:
    """Heartbeat's ``conf/OCF/<agent>/<instance>``: ``NAME=value`` shell lines, exported."""
    path = request.config_dir / "conf" / "OCF" / agent / instance
    if not path.is_file():
        if inline:
            return {}
        raise ConfigError(f"{request.spec}: instance file {path} does not exist")
    variables: dict[str, str] = {}
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            raise ConfigError(f"{path}:{number}: {exc}") from None
        if words[:1] == ["export"]:
            words = words[1:]
        for word in words:
            name, sep, value = word.partition("=")
            if not sep or not _NAME.fullmatch(name):
                raise ConfigError(f"{path}:{number}: expected NAME=value, got {word!r}")
            variables[name] = value
    return variables


def _find_agent(root: Path, provider: str, agent: str) -> tuple[Path, str]:
    base = root / "resource.d"
    if provider:
        providers = [provider]
    else:
        others = sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
        providers = [DEFAULT_PROVIDER, *(p for p in others if p != DEFAULT_PROVIDER)]
    for candidate in providers:
        path = base / candidate / agent
        if path.is_file() and os.access(path, os.X_OK):
            return path, candidate
    where = base / provider if provider else base
    raise ConfigError(f"OCF agent {agent} not found (no executable {where}/.../{agent})")


class OcfAgent(ResourceAgent):
    def __init__(self, request: ResourceRequest) -> None:
        super().__init__(request)
        self.target = parse_ocf_request(request)

    async def start(self) -> None:
        result = await self._run("start")
        if result.returncode != OCF_SUCCESS:
            raise self._failure(result)

    async def stop(self) -> None:
        result = await self._run("stop")
        if result.returncode != OCF_SUCCESS:
            raise self._failure(result)

    async def status(self) -> bool:
        result = await self._run("monitor")
        if result.returncode in (OCF_SUCCESS, OCF_RUNNING_MASTER):
            return True
        if result.returncode == OCF_NOT_RUNNING:
            return False
        raise self._failure(result)

    def _failure(self, result: ScriptResult) -> ResourceError:
        meaning = OCF_CODES.get(result.returncode, "unknown")
        return ResourceError(
            f"{self.request.spec}: {result.command} failed with rc={result.returncode}"
            f" ({meaning}): {result.tail()}"
        )

    async def _run(self, action: str) -> ScriptResult:
        target = self.target
        env = script_environment(self.request.environment)
        env.setdefault("OCF_ROOT", DEFAULT_OCF_ROOT)
        env.update(
            OCF_RA_VERSION_MAJOR="1",
            OCF_RA_VERSION_MINOR="0",
            OCF_RESOURCE_INSTANCE=target.instance,
            OCF_RESOURCE_TYPE=target.agent,
            OCF_RESOURCE_PROVIDER=target.provider,
            OCF_RESKEY_CRM_meta_timeout=str(int(self.request.timeout * 1000)),
            **target.variables,
        )
        return await run_script(
            (str(target.path), action), env, self.request.timeout, quiet=action == "monitor"
        )
