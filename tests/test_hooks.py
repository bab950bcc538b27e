"""One test per hook, named after it (test_plugins.py checks every hook has one).

Each installs a small plugin through the real kernel (``load_plugins``) and drives the
hook the way the daemon does: registration hooks through config loading and the
supervisor, observer hooks through ``call_observers`` — the function the running node
calls. tests/test_observer_plugin.py follows the observer hooks through real daemons.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from hacore.api import (
    AuthMethod,
    ClusterMessage,
    ConfigError,
    FenceDevice,
    FenceRequest,
    FenceResult,
    GroupChanged,
    GroupState,
    HelperType,
    LinkStatus,
    LinkStatusChanged,
    MediumConfig,
    NodeStatus,
    NodeStatusChanged,
    ResourceAgent,
    ResourceRequest,
    ResourceType,
    Scope,
    Transport,
    TransportType,
)
from hacore.config.authkeys import parse_authkeys
from hacore.config.hacf import parse_hacf
from hacore.config.haresources import parse_haresources
from hacore.config.model import Respawn, StonithLine
from hacore.fencing.devices import resolve_device
from hacore.hookspecs import hookimpl
from hacore.plugins import PluginError, call_observers, load_plugins
from hacore.respawn import Supervisor
from hacore.wire.message import Message
from hacore.wire.signing import PacketSigner


class _NullTransport(Transport):
    def __init__(self, medium: MediumConfig) -> None:
        self.medium = medium
        self.link_name = medium.args[0]

    async def start(self, sink: object) -> None:  # pragma: no cover - never opened here
        raise AssertionError("a config check must not open a transport")

    def send(self, packet: bytes) -> None:  # pragma: no cover
        raise AssertionError("a config check must not send")

    async def stop(self) -> None:  # pragma: no cover
        pass


class _Agent(ResourceAgent):
    running = False

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False

    async def status(self) -> bool:
        return self.running


# ---- registration hooks ----------------------------------------------------------


def test_hook_hacore_transport_types(tmp_path: Path) -> None:
    """A third-party medium becomes an ha.cf keyword; its build sees the settings in force."""
    built: list[MediumConfig] = []

    def build(medium: MediumConfig) -> Sequence[Transport]:
        built.append(medium)
        return [_NullTransport(medium)]

    class Tcp:
        @hookimpl
        def hacore_transport_types(self) -> list[TransportType]:
            return [TransportType("tcpx", build, settings=("udpport",))]

    registry = load_plugins(extra=[Tcp()])
    (tmp_path / "ha.cf").write_text("node a b\nudpport 1234\ntcpx eth9 10.1.1.1\n")
    cf = parse_hacf(tmp_path / "ha.cf", registry)
    assert [(m.keyword, m.args) for m in cf.media] == [("tcpx", ("eth9", "10.1.1.1"))]
    assert built[0].udpport == 1234


def test_hook_hacore_auth_methods(tmp_path: Path) -> None:
    """A third-party method is usable in authkeys and signs what goes on the wire."""

    class Xor:
        @hookimpl
        def hacore_auth_methods(self) -> list[AuthMethod]:
            return [AuthMethod("len", key_required=True, digest=lambda k, d: f"{len(d):x}")]

    registry = load_plugins(extra=[Xor()])
    (tmp_path / "authkeys").write_text("auth 7\n7 len some-key\n")
    (tmp_path / "authkeys").chmod(0o600)
    keys = parse_authkeys(tmp_path / "authkeys", registry)
    sealed = PacketSigner(keys, inner_auth=True).seal(Message(("t", "status"), ("src", "a")))
    assert PacketSigner(keys, inner_auth=True).open(sealed).get("src") == "a"


def test_hook_hacore_resource_types(tmp_path: Path) -> None:
    """A resource type claims its haresources name; its validate runs at config time."""
    seen: list[ResourceRequest] = []

    def validate(request: ResourceRequest) -> None:
        seen.append(request)

    class Dummy:
        @hookimpl
        def hacore_resource_types(self) -> list[ResourceType]:
            return [ResourceType("Dummy", _Agent, validate=validate)]

    registry = load_plugins(extra=[Dummy()])
    (tmp_path / "haresources").write_text("a Dummy::x::y\n")
    (group,) = parse_haresources(tmp_path / "haresources", ["a", "b"], registry)
    assert [r.spec for r in group.resources] == ["Dummy::x::y"]
    assert [(r.name, r.args) for r in seen] == [("Dummy", ("x", "y"))]


def test_hook_hacore_resolve_resource(tmp_path: Path) -> None:
    """The first non-None answer wins, in pluggy's order: a tryfirst plugin is asked first."""
    asked: list[str] = []

    class Declines:
        @hookimpl(tryfirst=True)
        def hacore_resolve_resource(self, request: ResourceRequest) -> ResourceAgent | None:
            asked.append("declines")
            return None

    class Resolves:
        @hookimpl
        def hacore_resolve_resource(self, request: ResourceRequest) -> ResourceAgent | None:
            asked.append("resolves")
            return _Agent(request) if request.name == "magic" else None

    registry = load_plugins(extra=[Resolves(), Declines()], autoload=False)
    request = ResourceRequest("magic::1", "magic", ("1",), tmp_path)
    agent = registry.hook.hacore_resolve_resource(request=request)
    assert isinstance(agent, _Agent) and asked == ["declines", "resolves"]


async def test_hook_hacore_helper_types() -> None:
    """A respawn line naming a helper runs it in-process with the cluster handle."""
    ran: list[str] = []

    async def run(cluster: object) -> None:
        ran.append(getattr(cluster, "local_node", "?"))
        raise SystemExit(100)  # Heartbeat's "do not restart me"

    class Helper:
        @hookimpl
        def hacore_helper_types(self) -> list[HelperType]:
            return [HelperType("myhelper", run)]

    registry = load_plugins(extra=[Helper()], autoload=False)

    class Handle:
        local_node = "a"

    supervisor = Supervisor(
        [Respawn("hacluster", "/usr/lib/heartbeat/myhelper -v")],
        registry.helper_types,
        Handle(),  # type: ignore[arg-type]
        {},
    )
    supervisor.start()
    for _ in range(100):
        if ran:
            break
        await asyncio.sleep(0.01)
    await supervisor.stop()
    assert ran == ["a"]


# ---- observer hooks --------------------------------------------------------------


def _recorders(hook: str, argument: str, log: list[str]) -> list[object]:
    """Three plugins implementing ``hook``: one tryfirst, one trylast, one that fails."""

    def impl(tag: str, *, tryfirst: bool = False, trylast: bool = False) -> object:
        def observe(value: object) -> None:
            log.append(f"{tag}:{value!s}")
            if tag == "fails":
                raise RuntimeError("observer bug")

        # pluggy passes arguments by the implementation's parameter names.
        namespace: dict[str, object] = {"observe": observe}
        exec(f"def {hook}(self, {argument}): observe({argument})", namespace)
        function = namespace[hook]
        assert callable(function)
        return type(tag, (), {hook: hookimpl(tryfirst=tryfirst, trylast=trylast)(function)})()

    return [impl("last", trylast=True), impl("fails"), impl("first", tryfirst=True)]


def _observe(hook: str, argument: str, value: object) -> list[str]:
    log: list[str] = []
    registry = load_plugins(extra=_recorders(hook, argument, log), autoload=False)
    call_observers(registry, hook, **{argument: value})
    return log


class _Handle:
    local_node = "node1"

    def __str__(self) -> str:
        return self.local_node

    def node_status(self, node: str) -> NodeStatus:
        return NodeStatus.ACTIVE

    def nodes(self) -> Sequence[str]:
        return ["node1", "node2"]

    def node_type(self, node: str) -> str:
        return "normal"

    def parameter(self, name: str) -> str | None:
        return None

    def send(self, msg_type: str, fields: Mapping[str, str], dest: str | None = None) -> None:
        pass

    async def standby(self, scope: Scope) -> object:
        return None


def test_hook_hacore_on_start() -> None:
    log = _observe("hacore_on_start", "cluster", _Handle())
    assert log == ["first:node1", "fails:node1", "last:node1"]


def test_hook_hacore_on_stop() -> None:
    log = _observe("hacore_on_stop", "cluster", _Handle())
    assert log == ["first:node1", "fails:node1", "last:node1"]


def test_hook_hacore_on_node_status() -> None:
    event = NodeStatusChanged("node2", NodeStatus.ACTIVE, NodeStatus.DEAD)
    log = _observe("hacore_on_node_status", "event", event)
    assert [line.split(":")[0] for line in log] == ["first", "fails", "last"]
    assert all("dead" in line for line in log)


def test_hook_hacore_on_link_status() -> None:
    event = LinkStatusChanged("node2", "eth1", LinkStatus.UP, LinkStatus.DEAD)
    log = _observe("hacore_on_link_status", "event", event)
    assert [line.split(":")[0] for line in log] == ["first", "fails", "last"]


def test_hook_hacore_on_group_change() -> None:
    event = GroupChanged("node1 IPaddr::10.0.0.60", "node1", GroupState.RUNNING, "takeover")
    log = _observe("hacore_on_group_change", "event", event)
    assert [line.split(":")[0] for line in log] == ["first", "fails", "last"]


def test_hook_hacore_on_message() -> None:
    message = ClusterMessage("hello", "node2", (("t", "hello"), ("src", "node2")))
    log = _observe("hacore_on_message", "message", message)
    assert [line.split(":")[0] for line in log] == ["first", "fails", "last"]


def test_hook_wrappers_are_refused_at_load() -> None:
    class Wrapper:
        @hookimpl(wrapper=True)
        def hacore_on_start(self, cluster: object) -> object:
            return (yield)

    with pytest.raises(PluginError, match="hook wrapper"):
        load_plugins(extra=[Wrapper()], autoload=False)


async def test_hook_hacore_fence_device() -> None:
    """A stonith line's TYPE picks the plugin's device; the first non-None answer wins."""
    reset: list[str] = []

    class Power(FenceDevice):
        async def reset(self, node: str) -> FenceResult:
            reset.append(f"{self.request.params}:{node}")
            return FenceResult.OK

    class Declines:
        @hookimpl(tryfirst=True)
        def hacore_fence_device(self, request: FenceRequest) -> FenceDevice | None:
            return None

    class Provides:
        @hookimpl
        def hacore_fence_device(self, request: FenceRequest) -> FenceDevice | None:
            return Power(request) if request.type == "testpower" else None

    registry = load_plugins(extra=[Provides(), Declines()], autoload=False)
    device = resolve_device(registry, StonithLine("testpower", "socket-1", source="*"))
    assert await device.reset("node2") == FenceResult.OK and reset == ["socket-1:node2"]
    with pytest.raises(ConfigError, match=r"Invalid Stonith type \[nosuch\]"):
        resolve_device(registry, StonithLine("nosuch", "", source="*"))
