"""Connecting to hacored and turning every failure into one line and an exit code."""

from __future__ import annotations

import enum
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import grpc

from hacore.v1 import hacore_pb2_grpc as pb_grpc

DEFAULT_SOCKET = Path("/run/hacore/api.sock")


class Exit(enum.IntEnum):
    """hactl's exit codes (documented in docs/api.md)."""

    OK = 0
    FAILED = 1  # the daemon refused or could not complete the operation
    USAGE = 2  # bad command line or argument (also INVALID_ARGUMENT from the daemon)
    NOT_RUNNING = 3  # no daemon at the socket, or it is starting / stopping
    PERMISSION = 4  # socket permissions or apiauth refused us
    TIMEOUT = 5  # no answer within --timeout
    UNHEALTHY = 6  # health / --check: a node, ping node or link is dead, or a group is down


class HactlError(Exception):
    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Endpoint:
    """Where the daemon is: a unix socket, or a TLS address with our certificate."""

    socket: Path = DEFAULT_SOCKET
    address: str | None = None
    cert: Path | None = None
    key: Path | None = None
    cacert: Path | None = None

    def describe(self) -> str:
        return self.address if self.address else str(self.socket)

    def channel(self) -> grpc.aio.Channel:
        if self.address is None:
            self._check_socket()
            return grpc.aio.insecure_channel(f"unix:{self.socket.absolute()}")
        if not (self.cert and self.key and self.cacert):
            raise HactlError(Exit.USAGE, "--address needs --cert, --key and --cacert")
        try:
            creds = grpc.ssl_channel_credentials(
                root_certificates=self.cacert.read_bytes(),
                private_key=self.key.read_bytes(),
                certificate_chain=self.cert.read_bytes(),
            )
        except OSError as exc:
            raise HactlError(Exit.USAGE, f"cannot read TLS file: {exc}") from None
        return grpc.aio.secure_channel(self.address, creds)

    def _check_socket(self) -> None:
        """Tell 'not running' from 'not allowed' before gRPC blurs both into UNAVAILABLE."""
        path = self.socket
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise HactlError(
                Exit.NOT_RUNNING, f"hacored is not running (no API socket at {path})"
            ) from None
        except PermissionError:
            raise HactlError(Exit.PERMISSION, _no_access(path)) from None
        if not stat.S_ISSOCK(mode):
            raise HactlError(Exit.USAGE, f"{path} is not a socket")
        if not os.access(path, os.R_OK | os.W_OK):
            raise HactlError(Exit.PERMISSION, _no_access(path))


def _no_access(path: Path) -> str:
    return f"permission denied: cannot use {path} (run as root or as a member of group haclient)"


def stub(channel: grpc.aio.Channel) -> pb_grpc.ClusterStub:
    return pb_grpc.ClusterStub(channel)  # type: ignore[no-untyped-call]  # generated code


_CODE_EXITS = {
    grpc.StatusCode.INVALID_ARGUMENT: Exit.USAGE,
    grpc.StatusCode.PERMISSION_DENIED: Exit.PERMISSION,
    grpc.StatusCode.UNAUTHENTICATED: Exit.PERMISSION,
    grpc.StatusCode.DEADLINE_EXCEEDED: Exit.TIMEOUT,
    grpc.StatusCode.UNAVAILABLE: Exit.NOT_RUNNING,
    grpc.StatusCode.CANCELLED: Exit.NOT_RUNNING,
}


_SERVER_WORDED = frozenset(
    {
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,  # transport failures were told apart above
    }
)


def rpc_failure(error: grpc.aio.AioRpcError, endpoint: Endpoint, what: str) -> HactlError:
    """One readable line for a failed call, and the matching exit code."""
    code = error.code()
    details = error.details() or code.name.lower()
    exit_code = _CODE_EXITS.get(code, Exit.FAILED)
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return HactlError(exit_code, f"{what}: no answer from hacored within the timeout")
    if code is grpc.StatusCode.UNAVAILABLE and _is_transport_failure(details):
        return HactlError(
            exit_code, f"cannot reach hacored at {endpoint.describe()} (is it running?)"
        )
    if code is grpc.StatusCode.CANCELLED:
        return HactlError(exit_code, f"{what}: hacored closed the connection")
    if code is grpc.StatusCode.PERMISSION_DENIED:
        return HactlError(exit_code, f"permission denied: {details}")
    if code in _SERVER_WORDED:  # hacored's message already names the operation
        return HactlError(exit_code, details)
    return HactlError(exit_code, f"{what}: {details}")


def _is_transport_failure(details: str) -> bool:
    lowered = details.lower()
    return any(
        marker in lowered
        for marker in ("failed to connect", "connection refused", "socket closed", "connect failed")
    )
