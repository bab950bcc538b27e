"""The control API server the daemon starts: gRPC on a unix socket, optionally TLS.

Listeners:
* the unix socket (``<run dir>/api.sock`` or ha.cf ``api_socket``), mode 0660, group
  ``haclient`` when that group exists; callers are identified by their kernel
  credentials through :class:`~hacore.control.peercred.PeerCredFront` and checked
  against apiauth;
* only when ha.cf has ``api_listen ADDR:PORT``: TCP with TLS and *required* client
  certificates (``api_tls_cert``, ``api_tls_key``, ``api_tls_ca``). A TCP listener
  without TLS is never offered: the API can move the cluster's services.

Health checking (``grpc.health.v1``) and server reflection are always on, and open
to anyone who can connect: they reveal nothing about the cluster.

gRPC (its library, threads and memory: about a fifth of an idle daemon's) is started
when the first caller connects to the unix socket, or at once with ``api_listen``:
a node nobody queries never pays for it.

Connections are bounded (:mod:`hacore.control.limits`): the front refuses callers past
the limit or when descriptors run short, and gRPC closes connections that have had no
call in progress for ``idle_timeout``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from hacore.api import ConfigError
from hacore.config.model import Extensions
from hacore.control import limits
from hacore.control.addresses import parse_host_port
from hacore.control.model import ControlTarget
from hacore.control.peercred import PeerCredFront

if TYPE_CHECKING:
    import grpc

log = structlog.get_logger("hacore.control")

CLUSTER_SERVICE = "hacore.v1.Cluster"
DEFAULT_SOCKET = Path("/run/hacore/api.sock")


@dataclass(frozen=True)
class TlsListener:
    """``api_listen`` with its certificate, key and the CA that signs client certs."""

    address: str
    cert: Path
    key: Path
    ca: Path

    @classmethod
    def from_extensions(cls, ext: Extensions) -> TlsListener | None:
        if ext.api_listen is None:
            return None
        missing = [
            name
            for name, value in (
                ("api_tls_cert", ext.api_tls_cert),
                ("api_tls_key", ext.api_tls_key),
                ("api_tls_ca", ext.api_tls_ca),
            )
            if value is None
        ]
        if missing:
            raise ConfigError(
                f"api_listen {ext.api_listen} needs {', '.join(missing)}: "
                "the TCP API is served only with TLS and client certificates"
            )
        assert ext.api_tls_cert and ext.api_tls_key and ext.api_tls_ca
        parse_host_port(ext.api_listen, "api_listen")
        return cls(ext.api_listen, ext.api_tls_cert, ext.api_tls_key, ext.api_tls_ca)

    def credentials(self) -> grpc.ServerCredentials:
        import grpc

        try:
            key, cert, ca = (p.read_bytes() for p in (self.key, self.cert, self.ca))
        except OSError as exc:
            raise ConfigError(f"cannot read TLS file for api_listen: {exc}") from exc
        return grpc.ssl_server_credentials(
            [(key, cert)], root_certificates=ca, require_client_auth=True
        )


class ControlServer:
    """Start with :meth:`start`, stop with :meth:`stop`; one per daemon."""

    def __init__(
        self,
        target: ControlTarget,
        socket_path: Path = DEFAULT_SOCKET,
        *,
        tls: TlsListener | None = None,
        socket_group: str | None = "haclient",
        socket_mode: int = 0o660,
        max_connections: int = limits.MAX_API_CONNECTIONS,
        first_bytes_timeout: float = limits.FIRST_BYTES_TIMEOUT_S,
        idle_timeout: float = limits.IDLE_TIMEOUT_S,
        fd_reserve: int = limits.FD_RESERVE,
    ) -> None:
        self._target = target
        self._front = PeerCredFront(
            socket_path,
            mode=socket_mode,
            group=socket_group,
            max_connections=max_connections,
            first_bytes_timeout=first_bytes_timeout,
            fd_reserve=fd_reserve,
            upstream=self._serving,
        )
        self._idle_ms = round(idle_timeout * 1000)
        self._tls = tls
        self._grpc_address = ""
        self._starting: asyncio.Future[None] | None = None
        self._server: grpc.aio.Server | None = None
        self._health: Any = None  # grpc_health's HealthServicer, once serving
        self.tls_port: int | None = None

    @classmethod
    def for_daemon(cls, target: ControlTarget, ext: Extensions, run_dir: Path) -> ControlServer:
        """The server as ha.cf configures it: ``api_socket`` (default
        ``<run_dir>/api.sock``) and, with ``api_listen``, the TLS listener."""
        return cls(
            target, ext.api_socket or run_dir / "api.sock", tls=TlsListener.from_extensions(ext)
        )

    @property
    def socket_path(self) -> Path:
        return self._front.public_path

    @property
    def connections(self) -> int:
        """Callers connected to the unix socket now."""
        return self._front.connections

    async def start(self) -> None:
        """Listen on the unix socket (and, with ``api_listen``, serve TLS at once)."""
        credentials = self._tls.credentials() if self._tls is not None else None
        fd_limit = limits.raise_fd_limit()
        self._grpc_address = self._front.prepare()
        try:
            if credentials is not None:
                await self._serving(credentials)
            await self._front.start()
        except BaseException:
            await self._stop_grpc(None)
            await self._front.stop()
            raise
        log.info(
            "api_listening",
            socket=str(self.socket_path),
            tls=f"{self._tls.address} (port {self.tls_port})" if self._tls else None,
            fd_limit=fd_limit,
        )

    async def _serving(self, credentials: grpc.ServerCredentials | None = None) -> None:
        """gRPC is up (started by the first caller; the others wait for it)."""
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start_grpc(credentials))
        await asyncio.shield(self._starting)

    async def _start_grpc(self, credentials: grpc.ServerCredentials | None) -> None:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc
        from grpc_health.v1.health import SERVICE_NAME as HEALTH_SERVICE
        from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]
        from grpc_reflection.v1alpha import reflection

        from hacore.control.service import ClusterService
        from hacore.v1 import hacore_pb2_grpc as pb_grpc

        # No SO_REUSEPORT (grpc's default): a second daemon must not share api_listen.
        server = grpc.aio.server(
            options=[("grpc.so_reuseport", 0), ("grpc.max_connection_idle_ms", self._idle_ms)]
        )
        pb_grpc.add_ClusterServicer_to_server(  # type: ignore[no-untyped-call]
            ClusterService(self._target, self._front.credentials), server
        )
        health = health_aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health, server)
        reflection.enable_server_reflection(
            (CLUSTER_SERVICE, HEALTH_SERVICE, reflection.SERVICE_NAME), server
        )
        self._server = server
        server.add_insecure_port(self._grpc_address)
        if self._tls is not None and credentials is not None:
            self.tls_port = self._add_tls_port(server, self._tls, credentials)
        await server.start()
        for service in ("", CLUSTER_SERVICE):
            await health.set(service, health_pb2.HealthCheckResponse.SERVING)
        self._health = health
        log.debug("api_grpc_started")

    @staticmethod
    def _add_tls_port(
        server: grpc.aio.Server, tls: TlsListener, credentials: grpc.ServerCredentials
    ) -> int:
        host, port = parse_host_port(tls.address, "api_listen")
        try:
            return int(server.add_secure_port(f"{_bracket(host)}:{port}", credentials))
        except RuntimeError:  # grpc's only word on a failed bind; its log says why
            raise ConfigError(
                f"api_listen {tls.address}: cannot listen there (address in use or not local)"
            ) from None

    async def stop(self, grace: float = 1.0) -> None:
        """Tell health watchers we are going, end open streams, remove the socket."""
        if self._health is not None:
            await self._health.enter_graceful_shutdown()
        self._front.close_listener()
        await self._stop_grpc(grace)
        await self._front.stop()

    async def _stop_grpc(self, grace: float | None) -> None:
        if self._starting is not None:
            await asyncio.gather(self._starting, return_exceptions=True)
        if self._server is not None:
            await self._server.stop(grace)
        self._server = self._health = self._starting = None


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
