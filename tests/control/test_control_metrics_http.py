"""The metrics endpoint: prometheus-client's WSGI app on its threading server, over
HTTP and HTTPS (optionally with client certificates), with an idle timeout and a
connection cap; scraped over real loopback sockets."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hacore.api import ConfigError
from hacore.config.model import Extensions
from hacore.metrics import Metrics
from hacore.metrics_server import MetricsServer, MetricsTls
from tests.control.control_certs import Authority, Pair
from tests.control.test_control_metrics import populated, promtool

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def endpoint() -> AsyncIterator[MetricsServer]:
    server = MetricsServer(populated(), "127.0.0.1:0")
    await server.start()
    yield server
    await server.stop()


async def http(
    port: int, request: bytes, context: ssl.SSLContext | None = None
) -> tuple[str, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost" if context else None
    )
    writer.write(request)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return lines[0], headers, body


async def no_answer(port: int, request: bytes, context: ssl.SSLContext | None) -> bool:
    """The server ended the connection without an HTTP response (TLS refused it)."""
    try:
        status, _, _ = await http(port, request, context)
    except (ssl.SSLError, ConnectionError):
        return True
    return not status.startswith("HTTP")


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    return await asyncio.wait_for(reader.read(), 10) == b""


async def test_scrape_passes_promtool(endpoint: MetricsServer) -> None:
    tool = promtool()
    status, headers, body = await http(endpoint.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status.endswith(" 200 OK")
    assert headers["Content-Type"].startswith("text/plain; version=")
    assert int(headers["Content-Length"]) == len(body)
    assert b"hacore_heartbeats_received_total" in body
    check = subprocess.run(
        [tool, "check", "metrics"], input=body, capture_output=True, timeout=20, check=False
    )
    assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
    assert check.stdout.decode().strip() == "" and check.stderr.decode().strip() == ""


async def test_openmetrics_negotiation_and_bad_requests(endpoint: MetricsServer) -> None:
    _, headers, body = await http(
        endpoint.port,
        b"GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text; version=1.0.0\r\n\r\n",
    )
    assert headers["Content-Type"].startswith("application/openmetrics-text")
    assert body.rstrip().endswith(b"# EOF")
    status, _, _ = await http(endpoint.port, b"POST /metrics HTTP/1.1\r\n\r\n")
    assert status.endswith("405 Method Not Allowed")
    status, _, _ = await http(endpoint.port, b"garbage\r\n\r\n")
    assert " 400 " in status


async def test_heartbeat_ages_are_computed_on_the_loop() -> None:
    """The HTTP thread renders; the ages come from the loop's clock (asyncio's
    get_running_loop() fails anywhere else), so the daemon's tables are read there."""
    metrics = Metrics("node1")
    daemon_loop = asyncio.get_running_loop()

    def ages() -> dict[str, float | None]:
        assert asyncio.get_running_loop() is daemon_loop  # raises in any other thread
        return {"node2": 1.5, "node3": None}

    metrics.set_last_heard_source(ages)
    server = MetricsServer(metrics, "127.0.0.1:0")
    await server.start()
    try:
        _, _, body = await http(server.port, b"GET /metrics HTTP/1.0\r\n\r\n")
    finally:
        await server.stop()
    assert b'hacore_node_last_heartbeat_age_seconds{node="node2"} 1.5\n' in body
    assert b'node="node3"' not in body


async def test_idle_and_stalled_clients(endpoint: MetricsServer) -> None:
    _, idle = await asyncio.open_connection("127.0.0.1", endpoint.port)  # sends nothing
    status, _, _ = await http(endpoint.port, b"GET /metrics HTTP/1.1\r\n\r\n")
    assert status.endswith(" 200 OK")
    idle.close()


async def test_an_idle_connection_is_closed_after_the_timeout() -> None:
    server = MetricsServer(populated(), "127.0.0.1:0", client_timeout=0.3)
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /metr")  # and never the rest
        assert await closed_by_server(reader)
        writer.close()
    finally:
        await server.stop()


async def test_connections_above_the_cap_are_closed_at_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = MetricsServer(populated(), "127.0.0.1:0", max_connections=3)
    await server.start()
    try:
        held = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(3)]
        await asyncio.sleep(0.2)  # let the server's threads take them
        extra = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(5)]
        for reader, writer in extra:
            assert await closed_by_server(reader)
            writer.close()
        for _, writer in held:
            writer.close()
        status = ""
        for _ in range(50):  # the held connections' threads notice the close
            status, _, _ = await http(server.port, b"GET /metrics HTTP/1.0\r\n\r\n")
            if status.endswith(" 200 OK"):
                break
            await asyncio.sleep(0.1)
        assert status.endswith(" 200 OK")
    finally:
        await server.stop()
    refusals = [line for line in capsys.readouterr().out.splitlines() if "refused" in line]
    assert len(refusals) == 1 and "3 connections open" in refusals[0]


def test_bad_listen_address() -> None:
    for bad in ("9100", "localhost", "::1:9100", "1.2.3.4:99999", "[nope]:1"):
        with pytest.raises(ConfigError, match="metrics_listen"):
            MetricsServer(Metrics("n"), bad)
    assert MetricsServer(Metrics("n"), "[::1]:9100").port == 9100


async def test_address_in_use_is_a_config_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = MetricsServer(Metrics("n"), f"127.0.0.1:{port}")
        with pytest.raises(ConfigError, match=rf"metrics_listen 127.0.0.1:{port}: cannot listen"):
            await server.start()


# ---- HTTPS -----------------------------------------------------------------------------


@pytest.fixture
def pki(tmp_path: Path) -> tuple[Authority, Pair, Pair, Pair]:
    ca = Authority(tmp_path, "metrics-ca")
    stranger = Authority(tmp_path, "other-ca").issue("stranger", server=False)
    return ca, ca.issue("node1", server=True), ca.issue("prometheus", server=False), stranger


def client_context(ca: Authority, cert: Pair | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca.pair.cert)
    if cert is not None:
        context.load_cert_chain(cert.cert, cert.key)
    return context


async def test_https_with_client_certificates(pki: tuple[Authority, Pair, Pair, Pair]) -> None:
    ca, server_pair, client, stranger = pki
    ext = Extensions(
        metrics_listen="127.0.0.1:0",
        metrics_tls_cert=server_pair.cert,
        metrics_tls_key=server_pair.key,
        metrics_tls_ca=ca.pair.cert,
    )
    tls = MetricsTls.from_extensions(ext)
    server = MetricsServer(populated(), "127.0.0.1:0", tls, client_timeout=2.0)
    await server.start()
    try:
        # a client that connects and never starts TLS does not hold up the others
        _, silent = await asyncio.open_connection("127.0.0.1", server.port)
        request = b"GET /metrics HTTP/1.0\r\n\r\n"
        status, _, body = await http(server.port, request, client_context(ca, client))
        assert status.endswith(" 200 OK") and b"hacore_info" in body
        for refused in (client_context(ca, None), client_context(ca, stranger), None):
            assert await no_answer(server.port, request, refused)  # None: plain HTTP
        silent.close()
    finally:
        await server.stop()


async def test_https_without_client_certificates(pki: tuple[Authority, Pair, Pair, Pair]) -> None:
    ca, server_pair, _, _ = pki
    server = MetricsServer(
        populated(), "127.0.0.1:0", MetricsTls(server_pair.cert, server_pair.key)
    )
    await server.start()
    try:
        status, _, _ = await http(
            server.port, b"GET /metrics HTTP/1.0\r\n\r\n", client_context(ca, None)
        )
        assert status.endswith(" 200 OK")
    finally:
        await server.stop()


async def test_unusable_tls_files_are_a_config_error(
    pki: tuple[Authority, Pair, Pair, Pair],
) -> None:
    ca, server_pair, client, _ = pki
    mismatched = MetricsTls(server_pair.cert, client.key)
    with pytest.raises(ConfigError, match="metrics_tls: cannot use"):
        await MetricsServer(Metrics("n"), "127.0.0.1:0", mismatched).start()
    assert MetricsTls.from_extensions(Extensions(metrics_tls_cert=ca.pair.cert)) is None
