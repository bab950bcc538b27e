"""A raw gRPC client that the tests run inside a node or the client namespace.

    cluster_control_probe.py UID GID GROUPS COMMAND ARGS...

Every module is loaded first, then the process drops to UID/GID/GROUPS (unless 0), so
the daemon sees those kernel credentials. Each command prints one JSON object per
answer on stdout: the tests assert on what a real client got from a real daemon.

Commands (TARGET is a gRPC target, e.g. ``unix:/run/hacore/api.sock``):
  health TARGET              Health/Check of "" and hacore.v1.Cluster
  health-watch TARGET        Health/Watch of "": one line per status until the stream ends
  reflection TARGET          list services; methods of hacore.v1.Cluster from its descriptor
  bad-scope TARGET           Standby with SCOPE_UNSPECIFIED
  tls ADDRESS CA [CERT KEY]  GetStatus over TLS, with or without a client certificate
  standby-flood TARGET N S   N concurrent Standby(all) calls, each with an S-second
                             deadline: one line with the count per status code and
                             the distinct error messages
  hog PATH N                 hold N connections to the unix socket PATH that send the
                             HTTP/2 preface and then nothing, opening a new one
                             whenever the daemon closes one; prints
                             {"holding": N} once, then runs until killed
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import grpc
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from hacore.v1 import hacore_pb2 as pb
from hactl.client import stub

CLUSTER = "hacore.v1.Cluster"
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
TIMEOUT = 5.0


def emit(data: dict[str, Any]) -> None:
    print(json.dumps(data), flush=True)


def failure(error: grpc.aio.AioRpcError) -> dict[str, Any]:
    return {"code": error.code().name, "details": error.details()}


async def health(target: str) -> None:
    async with grpc.aio.insecure_channel(target) as channel:
        checker = health_pb2_grpc.HealthStub(channel)
        answers = {}
        for service in ("", CLUSTER):
            reply = await checker.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT
            )
            answers[service] = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    emit(answers)


async def health_watch(target: str) -> None:
    async with grpc.aio.insecure_channel(target) as channel:
        call = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        try:
            async for reply in call:
                emit({"status": health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)})
        except grpc.aio.AioRpcError as exc:
            emit(failure(exc))
    emit({"end": True})


async def reflection(target: str) -> None:
    async with grpc.aio.insecure_channel(target) as channel:
        reflector = reflection_pb2_grpc.ServerReflectionStub(channel)
        requests = [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(file_containing_symbol=CLUSTER),
        ]
        replies = [reply async for reply in reflector.ServerReflectionInfo(iter(requests))]
    services = sorted(s.name for s in replies[0].list_services_response.service)
    methods = []
    for blob in replies[1].file_descriptor_response.file_descriptor_proto:
        proto = descriptor_pb2.FileDescriptorProto.FromString(blob)
        for service in proto.service:
            if f"{proto.package}.{service.name}" == CLUSTER:
                methods = [method.name for method in service.method]
    emit({"services": services, "methods": methods})


async def bad_scope(target: str) -> None:
    async with grpc.aio.insecure_channel(target) as channel:
        try:
            await stub(channel).Standby(
                pb.StandbyRequest(scope=pb.SCOPE_UNSPECIFIED), timeout=TIMEOUT
            )
        except grpc.aio.AioRpcError as exc:
            emit(failure(exc))
            return
    emit({"code": "OK"})


async def tls(address: str, ca: str, cert: str | None = None, key: str | None = None) -> None:
    def read(path: str | None) -> bytes | None:
        return open(path, "rb").read() if path else None

    credentials = grpc.ssl_channel_credentials(read(ca), read(key), read(cert))
    async with grpc.aio.secure_channel(address, credentials) as channel:
        try:
            status = await stub(channel).GetStatus(pb.GetStatusRequest(), timeout=TIMEOUT)
        except grpc.aio.AioRpcError as exc:
            emit(failure(exc))
            return
    emit({"code": "OK", "node": status.local_node})


async def standby_flood(target: str, count: str, deadline: str) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with grpc.aio.insecure_channel(target) as channel:
        cluster = stub(channel)

        async def one() -> tuple[str, str]:
            request = pb.StandbyRequest(scope=pb.SCOPE_ALL)
            try:
                await cluster.Standby(request, timeout=float(deadline))
            except grpc.aio.AioRpcError as exc:
                return exc.code().name, exc.details() or ""
            return "OK", ""

        answers = await asyncio.gather(*(one() for _ in range(int(count))))
    codes = [code for code, _ in answers]
    emit(
        {code: codes.count(code) for code in set(codes)}
        | {"seconds": loop.time() - started, "details": sorted({d for _, d in answers if d})}
    )


async def hog(path: str, count: str) -> None:
    """Keep the daemon's API socket full of silent callers (our own descriptor limit is
    raised so that only the daemon's matters)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    first = asyncio.Event()
    opened = 0

    async def caller() -> None:
        nonlocal opened
        while True:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(path), 2)
            except (OSError, TimeoutError):
                await asyncio.sleep(1)
                continue
            writer.write(HTTP2_PREFACE)  # so the daemon relays it to its gRPC server
            opened += 1
            if opened >= int(count):
                first.set()
            with contextlib.suppress(OSError):
                await reader.read()  # until the daemon closes it
            writer.close()
            await asyncio.sleep(1)

    tasks = [asyncio.create_task(caller()) for _ in range(int(count))]
    await first.wait()
    emit({"holding": int(count)})
    await asyncio.gather(*tasks)


COMMANDS: dict[str, Callable[..., Coroutine[Any, Any, None]]] = {
    "health": health,
    "health-watch": health_watch,
    "reflection": reflection,
    "bad-scope": bad_scope,
    "tls": tls,
    "standby-flood": standby_flood,
    "hog": hog,
}


def main() -> None:
    uid, gid, groups, command, *args = sys.argv[1:]
    if int(uid) != 0:
        os.setgroups([int(g) for g in groups.split(",") if g])
        os.setgid(int(gid))
        os.setuid(int(uid))
    asyncio.run(COMMANDS[command](*args))


if __name__ == "__main__":
    main()
