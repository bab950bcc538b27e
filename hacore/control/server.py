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

Connections are bounded (:mod:`hacore.control.limits`): the front refuses callers past
the limit or when descriptors run short, and gRPC closes connections that have had no
call in progress for ``idle_timeout``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import SERVICE_NAME as HEALTH_SERVICE
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]
from grpc_reflection.v1alpha import reflection

from hacore.api import ConfigError
from hacore.config.model import Extensions
from hacore.control import limits
from hacore.control.addresses import parse_host_port
from hacore.control.model import ControlTarget
from hacore.control.peercred import PeerCredFront
from hacore.control.service import ClusterService
from hacore.v1 import hacore_pb2 as pb
from hacore.v1 import hacore_pb2_grpc as pb_grpc

log = structlog.get_logger("hacore.control")

CLUSTER_SERVICE = pb.DESCRIPTOR.services_by_name["Cluster"].full_name
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
        )
        self._idle_ms = round(idle_timeout * 1000)
        self._tls = tls
        self._server: grpc.aio.Server | None = None
        self._health: health_aio.HealthServicer | None = None
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
        tls = (self._tls, self._tls.credentials()) if self._tls is not None else None
        fd_limit = limits.raise_fd_limit()
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
        try:
            server.add_insecure_port(self._front.prepare())
            if tls is not None:
                self.tls_port = self._add_tls_port(server, *tls)
            await server.start()
            await self._front.start()
        except BaseException:
            await server.stop(None)
            await self._front.stop()
            raise
        for service in ("", CLUSTER_SERVICE):
            await health.set(service, health_pb2.HealthCheckResponse.SERVING)
        self._server, self._health = server, health
        log.info(
            "api_listening",
            socket=str(self.socket_path),
            tls=f"{self._tls.address} (port {self.tls_port})" if self._tls else None,
            fd_limit=fd_limit,
        )

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
        if self._server is not None:
            await self._server.stop(grace)
        await self._front.stop()
        self._server = self._health = None


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
