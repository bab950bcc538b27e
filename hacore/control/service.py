"""The ``hacore.v1.Cluster`` service: authorisation, then one call on the target.

Every method first decides who the caller is (see :mod:`hacore.control.apiauth` for
the unix socket; a verified client certificate on the TLS listener) and maps the
target's exceptions onto gRPC status codes, so a client always gets a status it can
act on and a message an operator can read — never a bare INTERNAL with a traceback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import grpc
import structlog

from hacore.api import ConfigError, HacoreError, Scope
from hacore.config.model import ConfigErrors
from hacore.control import convert
from hacore.control.apiauth import PeerCredentials, authorize
from hacore.control.model import (
    ClusterView,
    ControlTarget,
    InvalidRequest,
    NoTimelyResponse,
    OperationFailed,
    OperationRefused,
    TargetUnavailable,
    UnknownNode,
)
from hacore.v1 import hacore_pb2 as pb
from hacore.v1 import hacore_pb2_grpc as pb_grpc

log = structlog.get_logger("hacore.control")

Context = grpc.aio.ServicerContext[Any, Any]
CredentialLookup = Callable[[str], PeerCredentials | None]
_T = TypeVar("_T")
DEFAULT_CLIENT_TIMEOUT_MS = 500  # cl_status clientstatus's default
# Read-only calls are what monitoring polls every few seconds: at info level they would
# bury the log's real events. They stay traceable at debug level (ha.cf debugfile).
_READ_ONLY = frozenset({"GetStatus", "GetClientStatus", "Watch"})

_ERROR_CODES: tuple[tuple[type[Exception], grpc.StatusCode, str], ...] = (
    (OperationRefused, grpc.StatusCode.FAILED_PRECONDITION, "refused"),
    (InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT, "refused"),
    (
        ConfigError,
        grpc.StatusCode.FAILED_PRECONDITION,
        "configuration rejected, the running configuration is unchanged",
    ),
    (OperationFailed, grpc.StatusCode.ABORTED, "failed"),
    (TargetUnavailable, grpc.StatusCode.UNAVAILABLE, "unavailable"),
    (UnknownNode, grpc.StatusCode.INVALID_ARGUMENT, "refused"),
    (NoTimelyResponse, grpc.StatusCode.DEADLINE_EXCEEDED, "failed"),
    (HacoreError, grpc.StatusCode.ABORTED, "failed"),
)


class ClusterService(pb_grpc.ClusterServicer):
    def __init__(self, target: ControlTarget, credentials: CredentialLookup) -> None:
        self._target = target
        self._credentials = credentials

    async def GetStatus(self, request: pb.GetStatusRequest, context: Context) -> pb.ClusterStatus:
        await self._authorize(context, "GetStatus")
        try:
            view = self._target.snapshot()
        except Exception as exc:
            await _fail(context, "status", exc)
        return convert.cluster_to_pb(view, time.time())

    async def Standby(self, request: pb.StandbyRequest, context: Context) -> pb.MoveResponse:
        scope = await self._scope(request.scope, context)
        await self._authorize(context, "Standby", scope=scope.value)
        return await self._move(context, "standby", self._target.standby(scope))

    async def Takeover(self, request: pb.TakeoverRequest, context: Context) -> pb.MoveResponse:
        scope = await self._scope(request.scope, context)
        await self._authorize(context, "Takeover", scope=scope.value)
        return await self._move(context, "takeover", self._target.takeover(scope))

    async def Cleanup(self, request: pb.CleanupRequest, context: Context) -> pb.CleanupResponse:
        await self._authorize(context, "Cleanup", resource=request.resource or "(all)")
        cleaned, view = await self._call(context, "cleanup", self._target.cleanup(request.resource))
        return pb.CleanupResponse(
            cleaned=[convert.cleaned_to_pb(item) for item in cleaned],
            status=convert.cluster_to_pb(view, time.time()),
        )

    async def Reload(self, request: pb.ReloadRequest, context: Context) -> pb.ReloadResponse:
        await self._authorize(context, "Reload")
        warnings = await self._call(context, "reload", self._target.reload())
        return pb.ReloadResponse(warnings=warnings)

    async def GetClientStatus(
        self, request: pb.ClientStatusRequest, context: Context
    ) -> pb.ClientStatusResponse:
        await self._authorize(context, "GetClientStatus")
        timeout_s = (request.timeout_ms or DEFAULT_CLIENT_TIMEOUT_MS) / 1000
        status = await self._call(
            context,
            "clientstatus",
            self._target.client_status(request.node, request.client, timeout_s),
        )
        return pb.ClientStatusResponse(status=status)

    async def Watch(self, request: pb.WatchRequest, context: Context) -> AsyncIterator[pb.Event]:
        await self._authorize(context, "Watch")
        try:
            subscription = self._target.subscribe()
        except Exception as exc:
            await _fail(context, "watch", exc)
        try:
            # Headers now tell the client that it is subscribed: events published
            # after it has seen them are guaranteed to reach it.
            await context.send_initial_metadata(())
            async for timed in subscription:
                yield convert.event_to_pb(timed)
        finally:
            await subscription.aclose()

    async def _move(
        self, context: Context, verb: str, operation: Awaitable[ClusterView]
    ) -> pb.MoveResponse:
        started = time.monotonic()
        view = await self._call(context, verb, operation)
        return pb.MoveResponse(
            status=convert.cluster_to_pb(view, time.time()),
            elapsed_seconds=time.monotonic() - started,
        )

    async def _call(self, context: Context, verb: str, operation: Awaitable[_T]) -> _T:
        """Run ``operation`` to its end even if the client goes away: a failover cut
        short by a client's deadline or Ctrl-C would leave resources half moved."""
        task = asyncio.ensure_future(operation)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            log.info("api_client_left", operation=verb, msg="the operation goes on")
            task.add_done_callback(lambda done: _log_orphan(verb, done))
            raise
        except Exception as exc:
            await _fail(context, verb, exc)

    async def _scope(self, value: int, context: Context) -> Scope:
        scope = convert.SCOPE_FROM_PB.get(value)
        if scope is None:
            name = pb.Scope.Name(value) if value in pb.Scope.values() else str(value)
            await _abort(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                f"scope must be all, local or foreign (got {name})",
            )
        return scope

    async def _authorize(self, context: Context, method: str, **details: str) -> None:
        peer = context.peer()
        if peer.startswith("unix:"):
            creds = self._credentials(peer)
            if creds is None:
                await _abort(
                    context, grpc.StatusCode.PERMISSION_DENIED, "caller credentials unknown"
                )
            decision = authorize(creds, self._target.apiauth())
            if not decision.allowed:
                log.warning(
                    "api_denied",
                    method=method,
                    pid=creds.pid,
                    uid=creds.uid,
                    gid=creds.gid,
                    reason=decision.reason,
                )
                await _abort(context, grpc.StatusCode.PERMISSION_DENIED, decision.reason)
            _log_call(method, pid=creds.pid, uid=creds.uid, **details)
            return
        auth = context.auth_context()
        if auth.get("transport_security_type") == [b"ssl"]:
            # The TLS listener requires a client certificate signed by api_tls_ca:
            # the handshake already was the authorisation.
            subject = b",".join(auth.get("x509_subject", [b"?"])).decode(errors="replace")
            _log_call(method, peer=peer, certificate=subject, **details)
            return
        await _abort(context, grpc.StatusCode.PERMISSION_DENIED, "a client certificate is required")


def _log_call(method: str, **details: object) -> None:
    emit = log.debug if method in _READ_ONLY else log.info
    emit("api_call", method=method, **details)


async def _fail(context: Context, verb: str, exc: Exception) -> NoReturn:
    """End the call with the status code that matches ``exc`` (see the proto file)."""
    for kind, code, what in _ERROR_CODES:
        if isinstance(exc, kind):
            text = _one_line(exc)
            log.warning("api_operation_error", operation=verb, code=code.name, error=text)
            await _abort(context, code, f"{verb} {what}: {text}")
    log.error("api_internal_error", operation=verb, exc_info=exc)
    await _abort(context, grpc.StatusCode.INTERNAL, f"{verb}: internal error in hacored: {exc!r}")


def _one_line(exc: Exception) -> str:
    """The error as one sentence for a status message (hactl prints it as one line).

    A ConfigErrors' str() is Heartbeat's start-up report: one line per problem, then
    "Heartbeat not started" lines that are false for a rejected reload. Only the
    problems are kept.
    """
    if isinstance(exc, ConfigErrors):
        return "; ".join(exc.shown_problems())
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def _log_orphan(verb: str, task: asyncio.Future[Any]) -> None:
    """Report how an operation ended whose client had gone (and consume its error)."""
    if task.cancelled():
        log.warning("api_operation_cancelled", operation=verb)
    elif task.exception() is not None:
        log.warning("api_operation_error", operation=verb, error=str(task.exception()))
    else:
        log.info("api_operation_done", operation=verb)


async def _abort(context: Context, code: grpc.StatusCode, message: str) -> NoReturn:
    await context.abort(code, message)
    raise AssertionError("context.abort returned")  # grpc raises; keeps mypy honest
