"""The built-in STONITH devices behind ``hacore_fence_device``, run for real: cluster-glue's
``stonith`` command (its ``null`` device), the ``fence_dummy`` agent, and a power switch
on a Unix socket served by the test."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from hacore.api import FenceRequest, FenceResult
from hacore.config.model import StonithLine
from hacore.fencing import resolve_device
from hacore.plugins import load_plugins
from tests.fencing.power_switch import Switch


def _device(line: StonithLine):  # type: ignore[no-untyped-def]
    return resolve_device(load_plugins(), line)


needs_glue = pytest.mark.skipif(shutil.which("stonith") is None, reason="cluster-glue missing")
needs_agents = pytest.mark.skipif(
    not Path("/usr/sbin/fence_dummy").exists(), reason="fence-agents missing"
)


@needs_glue
def test_hacore_fence_device_glue_runs_the_stonith_command() -> None:
    device = _device(StonithLine("null", params="node2"))
    assert device.argv("node2") == ["stonith", "-t", "null", "-p", "node2", "-T", "reset", "node2"]
    assert asyncio.run(device.reset("node2")) == FenceResult.OK


@needs_glue
def test_hacore_fence_device_glue_with_a_config_file(tmp_path: Path) -> None:
    (tmp_path / "null.cfg").write_text("node2\n")
    device = _device(StonithLine("null", file=tmp_path / "null.cfg"))
    assert "-F" in device.argv("node2")
    assert asyncio.run(device.reset("node2")) == FenceResult.OK


@needs_glue
def test_hacore_fence_device_glue_failure_is_bad_with_the_reason() -> None:
    device = _device(StonithLine("null", params=""))  # no host list: the device refuses
    result = asyncio.run(device.reset("node2"))
    assert result == FenceResult.BAD
    assert "stonith -t null" in device.last_error and "rc=" in device.last_error


@needs_agents
def test_hacore_fence_device_fence_agent_stdin_protocol(tmp_path: Path) -> None:
    status = tmp_path / "dummy.status"
    device = _device(
        StonithLine("fence_dummy", params=f"type=file status_file={status} host_map=node2:vm2")
    )
    stdin = device.stdin("node2")
    assert stdin.splitlines()[-2:] == ["action=reboot", "plug=vm2"]
    assert "host_map" not in stdin
    assert asyncio.run(device.reset("node2")) == FenceResult.OK
    assert status.exists()


@needs_agents
def test_hacore_fence_device_fence_agent_failure() -> None:
    device = _device(StonithLine("fence_dummy", params="type=fail power_timeout=1"))
    assert asyncio.run(device.reset("node2")) == FenceResult.BAD
    assert "fence_dummy rc=1" in device.last_error


@pytest.mark.parametrize(
    ("answer", "result"),
    [("OK", FenceResult.OK), ("FAIL dead", FenceResult.BAD), ("BADHOST no", FenceResult.BADHOST)],
)
def test_hacore_fence_device_power_socket(tmp_path: Path, answer: str, result: FenceResult) -> None:
    sock = tmp_path / "power.sock"
    device = _device(StonithLine("powersocket", params=str(sock)))

    async def scenario() -> tuple[FenceResult, list[str]]:
        async with Switch(sock, answer) as switch:
            return await device.reset("node2"), switch.requests

    got, requests = asyncio.run(scenario())
    assert (got, requests) == (result, ["reset node2"])
    assert device.device_id() == f"powersocket {sock}"


def test_hacore_fence_device_power_socket_unreachable(tmp_path: Path) -> None:
    device = _device(StonithLine("powersocket", params=str(tmp_path / "none.sock")))
    assert asyncio.run(device.reset("node2")) == FenceResult.BAD
    assert "No such file" in device.last_error


def test_hacore_fence_device_unknown_type_is_claimed_by_nobody() -> None:
    registry = load_plugins()
    assert registry.hook.hacore_fence_device(request=FenceRequest("nosuchdevice")) is None
