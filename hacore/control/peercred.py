"""A unix-socket front that tells the gRPC server who each caller is.

gRPC gives a server no way to learn a unix-socket peer's credentials: grpc-python's
``context.peer()`` is just ``unix:`` and its auth context is empty, and the C core
never calls SO_PEERCRED, not even for "local" credentials (grpc/grpc#15511,
grpc/grpc#28755). grpc-python cannot adopt an accepted fd either.

So the public socket is ours: for every accepted connection we read SO_PEERCRED
(and SO_PEERGROUPS), open a connection to the gRPC server's private socket from a
client socket *bound to a fresh path* in the same private directory, and relay bytes
both ways. gRPC reports that bound path as ``context.peer()``, which we map back to
the credentials. The private directory is mode 0700 and owned by the daemon's user,
so nobody else can reach the gRPC server or forge a peer path.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import grp
import itertools
import os
import shutil
import socket
import stat
import struct
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

from hacore.api import HacoreError
from hacore.control import limits
from hacore.control.apiauth import PeerCredentials

log = structlog.get_logger("hacore.control")

SO_PEERGROUPS = getattr(socket, "SO_PEERGROUPS", 59)  # Linux >= 4.13
_UNIX_PATH_MAX = 107
_RELAY_CHUNK = 64 * 1024
_BACKLOG = 128
_ACCEPT_RETRY_S = 0.5  # the listener stays readable while accept fails: do not spin
_UCRED = struct.Struct("3i")


class SocketInUse(HacoreError):
    """Another process is serving the API socket (a second daemon?)."""


def peer_credentials(sock: socket.socket) -> PeerCredentials:
    pid, uid, gid = _UCRED.unpack(
        sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    )
    return PeerCredentials(pid=pid, uid=uid, gid=gid, groups=_peer_groups(sock))


def _peer_groups(sock: socket.socket) -> tuple[int, ...]:
    size = 4 * 64
    while size <= 4 * 65536:
        try:
            raw = sock.getsockopt(socket.SOL_SOCKET, SO_PEERGROUPS, size)
        except OSError as exc:
            if exc.errno == errno.ERANGE:
                size *= 4
                continue
            return ()  # kernel without SO_PEERGROUPS: primary gid only, as Heartbeat
        return struct.unpack(f"{len(raw) // 4}I", raw)
    return ()


class PeerCredFront:
    """Owns the public socket and the private directory behind it.

    Its accept loop is its own rather than asyncio's server: it can refuse a caller
    before relaying anything (too many connections, descriptors running out; see
    :mod:`hacore.control.limits`), and an accept that fails (``EMFILE``) is a throttled
    warning and a pause, not asyncio's traceback per attempt.
    """

    def __init__(
        self,
        public_path: Path,
        mode: int = 0o660,
        group: str | None = "haclient",
        *,
        max_connections: int = limits.MAX_API_CONNECTIONS,
        first_bytes_timeout: float = limits.FIRST_BYTES_TIMEOUT_S,
        fd_reserve: int = limits.FD_RESERVE,
        upstream: Callable[[], Awaitable[None]] | None = None,
    ):
        """``upstream()``, awaited before each relay, makes sure the gRPC server is up."""
        self.public_path = public_path
        self._upstream = upstream
        self._mode = mode
        self._group = group
        self._max_connections = max_connections
        self._first_bytes_timeout = first_bytes_timeout
        self._fd_reserve = fd_reserve
        self._private_dir: Path | None = None
        self._listener: socket.socket | None = None
        self._acceptor: asyncio.Task[None] | None = None
        self._peers: dict[str, PeerCredentials] = {}
        self._relays: set[asyncio.Task[None]] = set()
        self._unrelayed = 0  # callers accepted whose relay to gRPC is not open yet
        self._counter = itertools.count(1)
        self._refusals = limits.Throttled("api_connection_refused")
        self._accept_errors = limits.Throttled("api_accept_failed")

    @property
    def connections(self) -> int:
        """Callers connected now (each relayed or about to be)."""
        return len(self._relays)

    def prepare(self) -> str:
        """Create the private directory; return the gRPC address to listen on there."""
        parent = self.public_path.parent
        if len(str(parent)) + 40 > _UNIX_PATH_MAX:
            parent = Path(tempfile.gettempdir())
        self._private_dir = Path(tempfile.mkdtemp(prefix=".hacore-api-", dir=parent))
        os.chmod(self._private_dir, 0o700)
        return f"unix:{self._private_dir / 'grpc.sock'}"

    async def start(self) -> None:
        if self._private_dir is None:
            raise RuntimeError("prepare() must be called before start()")
        await self._clear_stale_socket()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.public_path))
            listener.listen(_BACKLOG)
            listener.setblocking(False)
            os.chmod(self.public_path, self._mode)
            gid = self._group_id()
            if gid is not None:
                os.chown(self.public_path, -1, gid)
        except BaseException:
            listener.close()
            raise
        self._listener = listener
        self._acceptor = asyncio.ensure_future(self._accept_loop(listener))

    def close_listener(self) -> None:
        """Accept no new connection; connections already relayed go on."""
        if self._acceptor is not None:
            self._acceptor.cancel()
            self._acceptor = None
        if self._listener is not None:
            self._listener.close()
            with contextlib.suppress(FileNotFoundError):
                self.public_path.unlink()
            self._listener = None

    async def stop(self) -> None:
        self.close_listener()
        for task in list(self._relays):
            task.cancel()
        if self._relays:
            await asyncio.gather(*self._relays, return_exceptions=True)
        if self._private_dir is not None:
            shutil.rmtree(self._private_dir, ignore_errors=True)
            self._private_dir = None

    def credentials(self, grpc_peer: str) -> PeerCredentials | None:
        """The credentials behind ``context.peer()`` of a call that came through us."""
        return self._peers.get(grpc_peer)

    def _group_id(self) -> int | None:
        if self._group is None:
            return None
        try:
            return grp.getgrnam(self._group).gr_gid
        except KeyError:
            return None

    async def _clear_stale_socket(self) -> None:
        path = self.public_path
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(mode):
            raise HacoreError(f"{path} exists and is not a socket; refusing to replace it")
        try:
            _, writer = await asyncio.open_unix_connection(str(path))
        except OSError:
            path.unlink()  # left behind by a daemon that died
            return
        writer.close()
        raise SocketInUse(f"{path} is in use by another process (is hacored already running?)")

    async def _accept_loop(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(listener)
            except OSError as exc:
                self._accept_errors.warn(
                    f"API socket: accept failed: {exc.strerror or exc}; retrying",
                    errno=exc.errno,
                )
                await asyncio.sleep(_ACCEPT_RETRY_S)
                continue
            refusal = self._refusal()
            if refusal is not None:
                conn.close()
                self._refusals.warn(f"API connection refused: {refusal}")
                continue
            self._unrelayed += 1  # now: the next accept may come before this task runs
            task = asyncio.ensure_future(self._accept(conn))
            self._relays.add(task)
            task.add_done_callback(self._relays.discard)

    def _refusal(self) -> str | None:
        if len(self._relays) >= self._max_connections:
            return f"{self._max_connections} connections open (the limit)"
        # This caller and those not relayed yet each need two descriptors more.
        needed = (limits.FDS_PER_CONNECTION - 1) * (self._unrelayed + 1)
        if limits.descriptors_left(self._fd_reserve) < needed:
            return "file descriptors are running out (kept for resource actions)"
        return None

    async def _accept(self, conn: socket.socket) -> None:
        relayed = False

        def on_relay() -> None:
            nonlocal relayed
            relayed = True
            self._unrelayed -= 1

        try:
            reader, writer = await asyncio.open_unix_connection(sock=conn)
        except OSError:
            conn.close()
            self._unrelayed -= 1
            return
        try:
            await self._serve(reader, writer, on_relay)
        except asyncio.CancelledError:
            pass  # stop(): the connection simply ends
        finally:
            if not relayed:
                self._unrelayed -= 1
            writer.close()

    async def _serve(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_relay: Callable[[], None],
    ) -> None:
        assert self._private_dir is not None
        try:
            peer = peer_credentials(writer.get_extra_info("socket"))
        except OSError as exc:
            log.warning("api_peercred_failed", error=str(exc))
            return
        try:
            first = await asyncio.wait_for(reader.read(_RELAY_CHUNK), self._first_bytes_timeout)
        except (TimeoutError, ConnectionError, OSError):
            log.debug("api_silent_caller", pid=peer.pid, uid=peer.uid)
            return
        if not first:
            return
        if self._upstream is not None:
            try:
                await self._upstream()
            except Exception as exc:
                log.error("api_start_failed", msg=f"The API server did not start: {exc!r}")
                return
        bound = self._private_dir / f"p{next(self._counter)}"
        key = f"unix:{bound}"
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._peers[key] = peer
        try:
            upstream.bind(str(bound))
            upstream.setblocking(False)
            await asyncio.get_running_loop().sock_connect(
                upstream, str(self._private_dir / "grpc.sock")
            )
            bound.unlink()  # the kernel keeps the name for the server's peer address
            up_reader, up_writer = await asyncio.open_unix_connection(sock=upstream)
        except OSError as exc:
            upstream.close()
            self._peers.pop(key, None)
            with contextlib.suppress(OSError):
                bound.unlink()
            log.error("api_upstream_failed", error=str(exc))
            return
        on_relay()
        log.debug("api_connection", pid=peer.pid, uid=peer.uid, gid=peer.gid)
        try:
            up_writer.write(first)
            await asyncio.gather(_relay(reader, up_writer), _relay(up_reader, writer))
        finally:
            self._peers.pop(key, None)
            up_writer.close()


async def _relay(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until either side closes; closing the sink ends the opposite relay too."""
    try:
        while chunk := await source.read(_RELAY_CHUNK):
            sink.write(chunk)
            await sink.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        sink.close()
