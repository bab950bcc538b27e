"""The gRPC API through a real grpc.aio client: status codes, Watch, health, reflection."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from hacore.api import GroupChanged, GroupState, HacoreError, Scope
from hacore.control.peercred import SocketInUse
from hacore.control.server import ControlServer
from hacore.v1 import hacore_pb2 as pb
from hactl.client import stub
from tests.control.control_fake import VIP_GROUP, FakeTarget
from tests.control.control_support import HACLIENT, wait_until

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def channel(control: ControlServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"unix:{control.socket_path}") as chan:
        yield chan


async def test_get_status_over_grpc(channel: grpc.aio.Channel) -> None:
    status = await stub(channel).GetStatus(pb.GetStatusRequest(), timeout=5)
    assert status.local_node == "node1"
    assert [n.status for n in status.nodes] == [
        pb.NODE_STATUS_ACTIVE,
        pb.NODE_STATUS_ACTIVE,
        pb.NODE_STATUS_PING,
    ]
    assert [n.local for n in status.nodes] == [True, False, False]
    assert status.nodes[1].links[0].status == pb.LINK_STATUS_UP
    assert not status.nodes[0].HasField("last_heard_ago_seconds")
    assert status.groups[0].state == pb.GROUP_STATE_RUNNING
    assert status.time.seconds > 0


@pytest.mark.parametrize("scope", [pb.SCOPE_UNSPECIFIED, 42])
async def test_bad_scope_is_invalid_argument(channel: grpc.aio.Channel, scope: Any) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub(channel).Standby(pb.StandbyRequest(scope=scope), timeout=5)
    assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert str(error.value.details()).startswith("scope must be all, local or foreign (got ")


async def test_refused_is_failed_precondition(
    channel: grpc.aio.Channel, target: FakeTarget
) -> None:
    target.kill_peer()
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub(channel).Takeover(pb.TakeoverRequest(scope=pb.SCOPE_ALL), timeout=5)
    assert error.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "node2 is dead" in str(error.value.details())


async def test_watch_delivers_membership_link_group_and_failover_events(
    channel: grpc.aio.Channel, target: FakeTarget
) -> None:
    call = stub(channel).Watch(pb.WatchRequest())
    await call.initial_metadata()  # subscribed: nothing published from now on is missed
    await target.standby(Scope.ALL)
    target.kill_peer()
    kinds = []
    async for event in call:
        kinds.append(event.WhichOneof("kind"))
        if event.WhichOneof("kind") == "node_status":
            assert event.node_status.new_status == pb.NODE_STATUS_DEAD
            assert event.node_status.generation == 3
            break
        if event.WhichOneof("kind") == "failover":
            assert event.failover.from_node == "node1" and event.failover.to_node == "node2"
    call.cancel()
    assert kinds == ["group", "group", "failover", "node_status"]
    await wait_until(lambda: target.hub.subscriber_count == 0)


async def test_slow_watcher_gets_events_lost_marker(
    channel: grpc.aio.Channel, target: FakeTarget
) -> None:
    call = stub(channel).Watch(pb.WatchRequest())
    await call.initial_metadata()
    # The server copies events into gRPC's own buffers as fast as it can, so the
    # daemon-side queue (50 here) overflows only if the burst lands in one go.
    for i in range(120):
        target.emit(GroupChanged(VIP_GROUP, "node1", GroupState.RUNNING, f"burst {i}"))
    received: list[pb.Event] = []
    async for event in call:
        received.append(event)
        if event.WhichOneof("kind") == "events_lost" or len(received) >= 121:
            break
    call.cancel()
    lost = [e.events_lost.count for e in received if e.WhichOneof("kind") == "events_lost"]
    assert lost == [70]
    reasons = [e.group.reason for e in received if e.WhichOneof("kind") == "group"]
    assert reasons == [f"burst {i}" for i in range(50)]


async def test_watch_ends_when_server_stops(target: FakeTarget, sock_dir: Path) -> None:
    server = ControlServer(target, sock_dir / "api.sock")
    await server.start()
    async with grpc.aio.insecure_channel(f"unix:{server.socket_path}") as chan:
        call = stub(chan).Watch(pb.WatchRequest())
        await call.initial_metadata()
        await server.stop(grace=0.1)
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await asyncio.wait_for(call.read(), 5)
        assert error.value.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE)
    assert not server.socket_path.exists()
    assert target.hub.subscriber_count == 0


async def test_grpc_starts_with_the_first_caller_and_serves_everyone(
    target: FakeTarget, sock_dir: Path
) -> None:
    server = ControlServer(target, sock_dir / "api.sock")
    await server.start()
    assert server._server is None  # listening on the socket, gRPC not started yet
    address = f"unix:{server.socket_path}"
    async with (
        grpc.aio.insecure_channel(address) as one,
        grpc.aio.insecure_channel(address) as two,
    ):
        first, second = await asyncio.gather(
            stub(one).GetStatus(pb.GetStatusRequest(), timeout=10),
            stub(two).GetStatus(pb.GetStatusRequest(), timeout=10),
        )
    assert first.local_node == second.local_node == "node1"
    assert server._server is not None
    await server.stop(grace=0)
    assert not server.socket_path.exists()


async def test_health_check(channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "hacore.v1.Cluster"):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await health.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=5)
    assert error.value.code() is grpc.StatusCode.NOT_FOUND


async def test_reflection_lists_and_describes_the_service(channel: grpc.aio.Channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="hacore.v1.Cluster"),
    ]
    replies = [reply async for reply in stub.ServerReflectionInfo(iter(requests))]
    names = {s.name for s in replies[0].list_services_response.service}
    assert {"hacore.v1.Cluster", "grpc.health.v1.Health"} <= names
    files = replies[1].file_descriptor_response.file_descriptor_proto
    assert any(b"hacore/v1/hacore.proto" in raw for raw in files)


async def test_socket_mode_group_and_private_directory(control: ControlServer) -> None:
    info = os.stat(control.socket_path)
    assert stat.S_ISSOCK(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o660
    assert info.st_gid == (HACLIENT if HACLIENT is not None else os.getgid())
    private = [p for p in control.socket_path.parent.iterdir() if p.name.startswith(".hacore-api-")]
    assert len(private) == 1
    assert stat.S_IMODE(os.stat(private[0]).st_mode) == 0o700


async def test_stale_socket_replaced_live_one_refused(target: FakeTarget, sock_dir: Path) -> None:
    path = sock_dir / "api.sock"
    first = ControlServer(target, path)
    await first.start()
    second = ControlServer(target, path)
    with pytest.raises(SocketInUse, match="is in use by another process"):
        await second.start()
    async with grpc.aio.insecure_channel(f"unix:{path}") as chan:  # first still serves
        await stub(chan).GetStatus(pb.GetStatusRequest(), timeout=5)
    await first.stop(grace=0)
    # A daemon killed with SIGKILL leaves its socket file behind; the next one takes over.
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(path))
    leftover.close()
    third = ControlServer(target, path)
    await third.start()
    async with grpc.aio.insecure_channel(f"unix:{path}") as chan:
        status = await stub(chan).GetStatus(pb.GetStatusRequest(), timeout=5)
        assert status.local_node == "node1"
    await third.stop(grace=0)
    assert list(sock_dir.iterdir()) == []


async def test_regular_file_at_socket_path_is_not_replaced(
    target: FakeTarget, sock_dir: Path
) -> None:
    path = sock_dir / "api.sock"
    path.write_text("precious")
    server = ControlServer(target, path)
    with pytest.raises(HacoreError, match="exists and is not a socket"):
        await server.start()
    assert path.read_text() == "precious"
