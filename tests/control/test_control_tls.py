"""The optional TCP listener: TLS only, client certificates required (loopback, port 0)."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from hacore.api import ConfigError
from hacore.config.model import Extensions
from hacore.control.server import ControlServer, TlsListener
from hacore.v1 import hacore_pb2 as pb
from hactl.client import stub
from tests.control.control_certs import Authority, Pair
from tests.control.control_fake import FakeTarget
from tests.control.control_support import run_hactl

pytestmark = pytest.mark.timeout(30)


@dataclass(frozen=True)
class Pki:
    ca: Authority
    server: Pair
    client: Pair
    stranger: Pair  # signed by another CA


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca = Authority(tmp_path, "hacore-ca")
    other = Authority(tmp_path, "other-ca")
    return Pki(
        ca,
        ca.issue("node1", server=True),
        ca.issue("operator", server=False),
        other.issue("stranger", server=False),
    )


@pytest.fixture
async def tls_server(target: FakeTarget, sock_dir: Path, pki: Pki) -> AsyncIterator[ControlServer]:
    ext = Extensions(
        api_listen="127.0.0.1:0",
        api_tls_cert=pki.server.cert,
        api_tls_key=pki.server.key,
        api_tls_ca=pki.ca.pair.cert,
    )
    listener = TlsListener.from_extensions(ext)
    server = ControlServer(target, sock_dir / "api.sock", tls=listener)
    await server.start()
    yield server
    await server.stop(grace=0.2)


def _credentials(pki: Pki, client: Pair | None) -> grpc.ChannelCredentials:
    ca = pki.ca.pair.cert.read_bytes()
    if client is None:
        return grpc.ssl_channel_credentials(root_certificates=ca)
    return grpc.ssl_channel_credentials(ca, client.key.read_bytes(), client.cert.read_bytes())


async def test_client_certificate_from_our_ca_is_served(
    tls_server: ControlServer, pki: Pki
) -> None:
    address = f"localhost:{tls_server.tls_port}"
    async with grpc.aio.secure_channel(address, _credentials(pki, pki.client)) as channel:
        status = await stub(channel).GetStatus(pb.GetStatusRequest(), timeout=5)
    assert status.local_node == "node1"


@pytest.mark.parametrize("who", ["no certificate", "stranger"])
async def test_other_clients_fail_the_handshake(
    tls_server: ControlServer, pki: Pki, who: str
) -> None:
    client = None if who == "no certificate" else pki.stranger
    address = f"localhost:{tls_server.tls_port}"
    async with grpc.aio.secure_channel(address, _credentials(pki, client)) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub(channel).GetStatus(pb.GetStatusRequest(), timeout=5)
    assert error.value.code() is grpc.StatusCode.UNAVAILABLE


async def test_plain_tcp_is_not_served(tls_server: ControlServer) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{tls_server.tls_port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub(channel).GetStatus(pb.GetStatusRequest(), timeout=5)
    assert error.value.code() is grpc.StatusCode.UNAVAILABLE


async def test_hactl_over_tls(tls_server: ControlServer, pki: Pki) -> None:
    result = await run_hactl(
        None,
        "--address",
        f"localhost:{tls_server.tls_port}",
        "--cert",
        str(pki.client.cert),
        "--key",
        str(pki.client.key),
        "--cacert",
        str(pki.ca.pair.cert),
        "status",
        "--json",
    )
    assert result.rc == 0, result.err
    assert json.loads(result.out)["node"] == "node1"


def test_api_listen_requires_every_tls_file(pki: Pki) -> None:
    with pytest.raises(ConfigError, match=re.escape("api_listen 127.0.0.1:9 needs api_tls_ca")):
        TlsListener.from_extensions(
            Extensions(
                api_listen="127.0.0.1:9", api_tls_cert=pki.server.cert, api_tls_key=pki.server.key
            )
        )
    with pytest.raises(ConfigError, match="expected ADDR:PORT"):
        TlsListener.from_extensions(
            Extensions(
                api_listen="localhost",
                api_tls_cert=pki.server.cert,
                api_tls_key=pki.server.key,
                api_tls_ca=pki.ca.pair.cert,
            )
        )
    assert TlsListener.from_extensions(Extensions()) is None


async def test_unreadable_tls_file_is_a_config_error(
    target: FakeTarget, sock_dir: Path, pki: Pki, tmp_path: Path
) -> None:
    listener = TlsListener(
        "127.0.0.1:0", pki.server.cert, tmp_path / "missing.key", pki.ca.pair.cert
    )
    server = ControlServer(target, sock_dir / "api.sock", tls=listener)
    with pytest.raises(ConfigError, match="cannot read TLS file for api_listen"):
        await server.start()
    assert list(sock_dir.iterdir()) == []


async def test_api_listen_on_a_busy_port_is_a_config_error(
    target: FakeTarget, sock_dir: Path, pki: Pki
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        listener = TlsListener(
            f"127.0.0.1:{port}", pki.server.cert, pki.server.key, pki.ca.pair.cert
        )
        server = ControlServer(target, sock_dir / "api.sock", tls=listener)
        with pytest.raises(
            ConfigError, match=re.escape(f"api_listen 127.0.0.1:{port}: cannot listen")
        ):
            await server.start()
    assert list(sock_dir.iterdir()) == []


async def test_for_daemon_uses_run_dir_api_socket_and_ha_cf_listener(
    target: FakeTarget, sock_dir: Path, pki: Pki
) -> None:
    default = ControlServer.for_daemon(target, Extensions(), sock_dir)
    assert default.socket_path == sock_dir / "api.sock"
    ext = Extensions(
        api_socket=sock_dir / "other.sock",
        api_listen="127.0.0.1:0",
        api_tls_cert=pki.server.cert,
        api_tls_key=pki.server.key,
        api_tls_ca=pki.ca.pair.cert,
    )
    server = ControlServer.for_daemon(target, ext, sock_dir)
    await server.start()
    try:
        assert server.socket_path == sock_dir / "other.sock" and server.socket_path.exists()
        assert server.tls_port
    finally:
        await server.stop(grace=0)
