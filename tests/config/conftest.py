"""An in-process plugin registry for the config tests.

The real transports and auth methods are written by other people at the same time; these
tests register small plugins of their own through the ordinary plugin kernel, so they
exercise the same path (hooks, indexing) without depending on that work.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import shutil
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from hacore.api import (
    AuthMethod,
    Cluster,
    ConfigError,
    HelperType,
    MediumConfig,
    PacketSink,
    ResourceAgent,
    ResourceRequest,
    ResourceType,
    Transport,
    TransportType,
)
from hacore.hookspecs import hookimpl
from hacore.plugins import PluginRegistry, load_plugins

DATA = Path(__file__).parent / "data"


class LinkOnly(Transport):
    """A transport that only has a name: config checking never opens anything."""

    def __init__(self, link_name: str) -> None:
        self.link_name = link_name

    async def start(self, sink: PacketSink) -> None:
        raise AssertionError("config parsing must not start transports")

    def send(self, payload: bytes) -> None:
        raise AssertionError("config parsing must not send")

    async def stop(self) -> None:
        return None


def _ucast(medium: MediumConfig) -> Sequence[Transport]:
    if len(medium.args) != 2:
        raise ConfigError("ucast needs: ucast <interface> <peer-address>", medium.location)
    try:
        ipaddress.IPv4Address(medium.args[1])
    except ValueError:
        raise ConfigError(f"ucast: [{medium.args[1]}] is not an IPv4 address") from None
    return [LinkOnly(medium.args[0])]


def _per_arg(medium: MediumConfig) -> Sequence[Transport]:
    return [LinkOnly(arg) for arg in medium.args]


def _mcast(medium: MediumConfig) -> Sequence[Transport]:
    if len(medium.args) != 5:
        raise ConfigError("mcast needs: mcast <dev> <group> <port> <ttl> <loop>")
    return [LinkOnly(medium.args[0])]


def _crc(key: bytes | None, data: bytes) -> str:
    return f"{zlib.crc32(data):x}"


def _hmac(digest: Callable[..., object]) -> Callable[[bytes | None, bytes], str]:
    def sign(key: bytes | None, data: bytes) -> str:
        assert key is not None
        return hmac.new(key, data, digest).hexdigest()  # type: ignore[arg-type]

    return sign


class _Agent(ResourceAgent):
    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def status(self) -> bool:
        return False


def _validate_ipaddr(request: ResourceRequest) -> None:
    address = request.args[0].split("/")[0] if request.args else ""
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise ConfigError(f"IPaddr: [{address}] is not an IPv4 address") from None


async def _ipfail(cluster: Cluster) -> None:
    return None


class ConfigTestPlugin:
    """Provides ucast/bcast/mcast/serial, crc/md5/sha1, IPaddr and the ipfail helper."""

    @hookimpl
    def hacore_transport_types(self) -> Sequence[TransportType]:
        return [
            TransportType("ucast", _ucast, settings=("udpport",)),
            TransportType("bcast", _per_arg, settings=("udpport",)),
            TransportType("mcast", _mcast),
            TransportType("serial", _per_arg, settings=("baud",)),
        ]

    @hookimpl
    def hacore_auth_methods(self) -> Sequence[AuthMethod]:
        return [
            AuthMethod("crc", key_required=False, digest=_crc),
            AuthMethod("md5", key_required=True, digest=_hmac(hashlib.md5)),
            AuthMethod("sha1", key_required=True, digest=_hmac(hashlib.sha1)),
        ]

    @hookimpl
    def hacore_resource_types(self) -> Sequence[ResourceType]:
        return [ResourceType("IPaddr", _Agent, validate=_validate_ipaddr)]

    @hookimpl
    def hacore_helper_types(self) -> Sequence[HelperType]:
        return [HelperType("ipfail", _ipfail)]


@pytest.fixture
def registry() -> PluginRegistry:
    return load_plugins(extra=[ConfigTestPlugin()], autoload=False)


@pytest.fixture
def registry_with() -> Callable[..., PluginRegistry]:
    """Build a registry with the test plugin plus the given in-process plugins."""

    def make(*plugins: object) -> PluginRegistry:
        return load_plugins(extra=[ConfigTestPlugin(), *plugins], autoload=False)

    return make


@pytest.fixture
def seed_dir(tmp_path: Path) -> Path:
    """A copy of the tutorial's node1 configuration (authkeys mode 600, as it must be)."""
    target = tmp_path / "ha.d"
    shutil.copytree(DATA / "seed", target)
    (target / "authkeys").chmod(0o600)
    return target
