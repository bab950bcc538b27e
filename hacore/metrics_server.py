"""The HTTP(S) endpoint behind ``metrics_listen``: prometheus-client's WSGI app on its
threading WSGI server.

This is the one place where hacore runs threads: prometheus-client's server serves each
connection in a thread of its own, and using the library's server (instead of a
hand-written HTTP parser on the daemon's loop) is the point. The threads only render the
registry, whose metrics are thread-safe; the heartbeat ages, which belong to the loop,
are fetched through the loop (see :mod:`hacore.metrics`). A thread blocked on a slow or
idle client holds no lock and not the GIL, so heartbeats are not delayed by it.

Compared with ``prometheus_client.start_http_server`` three things are added, because
the endpoint must not be a way to exhaust the daemon: a connection that does not send
its request (or finish its TLS handshake) within :data:`CLIENT_TIMEOUT_S` is closed; at
most :data:`MAX_CONNECTIONS` are served at once (more are closed at once, with one
rate-limited log line); and the TLS handshake runs in the connection's thread, under
that timeout, rather than in the accept loop where one silent client would block every
scrape.
"""

from __future__ import annotations

import asyncio
import socket
import socketserver
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler

import structlog
from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from hacore.api import ConfigError
from hacore.config.model import Extensions
from hacore.control.addresses import parse_host_port
from hacore.metrics import Metrics

log = structlog.get_logger("hacore.metrics")

CLIENT_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 256
REFUSAL_LOG_INTERVAL_S = 60.0


@dataclass(frozen=True)
class MetricsTls:
    """``metrics_tls_cert``/``metrics_tls_key``; with ``metrics_tls_ca`` every client
    must present a certificate signed by that CA."""

    cert: Path
    key: Path
    ca: Path | None = None

    @classmethod
    def from_extensions(cls, ext: Extensions) -> MetricsTls | None:
        if ext.metrics_tls_cert is None or ext.metrics_tls_key is None:
            return None
        return cls(ext.metrics_tls_cert, ext.metrics_tls_key, ext.metrics_tls_ca)

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            context.load_cert_chain(self.cert, self.key)
            if self.ca is not None:
                context.load_verify_locations(cafile=self.ca)
                context.verify_mode = ssl.CERT_REQUIRED
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"metrics_tls: cannot use {self.cert}/{self.key}: {exc}") from None
        return context


class _Handler(WSGIRequestHandler):
    timeout = CLIENT_TIMEOUT_S  # StreamRequestHandler sets it on the socket

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()  # here, under the timeout, not in accept()

    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged (prometheus-client's own handler is silent too)."""


class _Server(ThreadingWSGIServer):
    """prometheus-client's thread-per-connection WSGI server with a connection cap."""

    # socketserver listens with a backlog of 5: a burst of connections then overflows
    # the kernel's queue and each dropped SYN costs its client a 1 s retransmission.
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        family: socket.AddressFamily,
        client_timeout: float,
        max_connections: int,
    ) -> None:
        self.address_family = family
        handler = type("Handler", (_Handler,), {"timeout": client_timeout})
        super().__init__(address, handler)
        self.max_connections = max_connections
        self._lock = threading.Lock()
        self._active = 0
        self._refused = 0
        self._refusal_logged = 0.0

    def server_bind(self) -> None:
        """HTTPServer's own server_bind resolves the bound address with getfqdn (a DNS
        query that can hang the daemon's start); the name is only used for WSGI's
        SERVER_NAME, so the address itself serves."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            full = self._active >= self.max_connections
            if not full:
                self._active += 1
        if full:
            self._refuse()
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._active -= 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that timed out, failed its handshake or hung up: nothing to report."""

    def _refuse(self) -> None:
        self._refused += 1
        now = time.monotonic()
        if now - self._refusal_logged >= REFUSAL_LOG_INTERVAL_S:
            self._refusal_logged = now
            log.warning(
                "metrics_connections_refused",
                msg=f"metrics endpoint: {self.max_connections} connections open, "
                f"{self._refused} refused since the last report",
            )
            self._refused = 0


class MetricsServer:
    """``GET /metrics`` over HTTP, or HTTPS with ``tls``; start/stop on the daemon's loop."""

    def __init__(
        self,
        metrics: Metrics,
        listen: str,
        tls: MetricsTls | None = None,
        *,
        client_timeout: float = CLIENT_TIMEOUT_S,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self._metrics = metrics
        self._client_timeout = client_timeout
        self._max_connections = max_connections
        self._listen = listen
        self._host, self._port = parse_host_port(listen, "metrics_listen")
        self._tls = tls
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with ``metrics_listen 127.0.0.1:0``)."""
        if self._server is None:
            return self._port
        return int(self._server.server_address[1])

    async def start(self) -> None:
        context = self._tls.context() if self._tls is not None else None
        try:
            family, _, _, _, address = socket.getaddrinfo(
                self._host, self._port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )[0]
            server = _Server(
                (str(address[0]), self._port),
                family,
                self._client_timeout,
                self._max_connections,
            )
        except OSError as exc:
            raise ConfigError(
                f"metrics_listen {self._listen}: cannot listen there ({exc.strerror or exc})"
            ) from None
        server.set_app(make_wsgi_app(self._metrics.registry))
        if context is not None:
            server.socket = context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="hacore-metrics", daemon=True
        )
        self._thread.start()
        log.info(
            "metrics_listening",
            address=self._host,
            port=self.port,
            tls=context is not None,
            client_certificates=bool(self._tls and self._tls.ca),
        )

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        await asyncio.to_thread(server.shutdown)  # waits for serve_forever's next poll
        server.server_close()
