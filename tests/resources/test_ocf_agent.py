"""OCF agents from Debian's resource-agents, run for real (Dummy keeps a state file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hacore_plugins.resources._ocf import OcfAgent, parse_ocf_request

from hacore.api import ConfigError, ResourceError, ResourceRequest
from hacore.plugins import load_plugins
from tests.resources.conftest import write_script

DUMMY = Path("/usr/lib/ocf/resource.d/heartbeat/Dummy")
needs_dummy = pytest.mark.requires(str(DUMMY))


def _request(config_dir: Path, spec: str, **env: str) -> ResourceRequest:
    name, *args = spec.split("::")
    return ResourceRequest(spec, name, tuple(args), config_dir, environment=env, timeout=20)


@needs_dummy
async def test_dummy_with_inline_parameters_start_monitor_stop(tmp_path: Path) -> None:
    state = tmp_path / "dummy.state"
    agent = OcfAgent(_request(tmp_path, f"OCF::Dummy::state={state}"))
    assert agent.target.path == DUMMY
    assert await agent.status() is False
    await agent.start()
    assert state.exists()
    assert await agent.status() is True
    await agent.stop()
    assert not state.exists()
    assert await agent.status() is False
    await agent.stop()  # stop when stopped succeeds


@needs_dummy
async def test_heartbeat_instance_file_form(tmp_path: Path) -> None:
    state = tmp_path / "web1.state"
    conf = tmp_path / "conf/OCF/Dummy"
    conf.mkdir(parents=True)
    (conf / "web1").write_text(f"# Dummy instance\nOCF_RESKEY_state='{state}'  # here\n")
    agent = OcfAgent(_request(tmp_path, "OCF::heartbeat:Dummy::web1"))
    assert agent.target.instance == "web1"
    await agent.start()
    assert state.exists()
    await agent.stop()
    assert not state.exists()


async def test_agent_environment_and_exit_codes(tmp_path: Path) -> None:
    root = tmp_path / "ocf"
    dump = tmp_path / "env"
    write_script(
        root / "resource.d/acme/Probe",
        f'env > {dump}; case $1 in monitor) exit "${{OCF_RESKEY_rc:-7}}";; start) exit 6;; esac\n',
    )
    request = _request(tmp_path, "OCF::Probe::rc=0::color=blue", OCF_ROOT=str(root))
    agent = OcfAgent(request)
    assert agent.target.provider == "acme"  # heartbeat has no Probe: the next provider
    assert await agent.status() is True
    env = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert env["OCF_ROOT"] == str(root)
    assert env["OCF_RESKEY_color"] == "blue"
    assert env["OCF_RESOURCE_TYPE"] == "Probe"
    assert env["OCF_RESOURCE_PROVIDER"] == "acme"
    assert env["OCF_RESOURCE_INSTANCE"].startswith("Probe_")
    assert env["OCF_RESKEY_CRM_meta_timeout"] == "20000"
    with pytest.raises(ResourceError, match=r"rc=6 \(not configured\)"):
        await agent.start()
    failing = OcfAgent(_request(tmp_path, "OCF::acme:Probe::rc=1", OCF_ROOT=str(root)))
    with pytest.raises(ResourceError, match=r"rc=1 \(generic error\)"):
        await failing.status()


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("OCF", "no agent named"),
        ("OCF::../../bin/sh", "is not an OCF agent name"),
        ("OCF::NoSuchAgentHere", "OCF agent NoSuchAgentHere not found"),
        ("OCF::Dummy::web9", "instance file"),
        ("OCF::Dummy::state=/x::bad name=1", "is not name=value"),
    ],
)
def test_bad_specs_are_config_errors(tmp_path: Path, spec: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why):
        parse_ocf_request(_request(tmp_path, spec))


def test_ocf_is_a_registered_type_with_config_time_validation(tmp_path: Path) -> None:
    rtype = load_plugins().resource_types["OCF"]
    assert rtype.validate is not None
    with pytest.raises(ConfigError, match="not found"):
        rtype.validate(_request(tmp_path, "OCF::NoSuchAgentHere"))
