"""Heartbeat's client "signon", done over hacore's gRPC API.

cl_status signs on to Heartbeat's API socket; here one ``GetStatus`` call takes its
place and answers every later query from the same snapshot. A daemon that does not
answer, or whose communications are not up yet, counts as a refused signon with
Heartbeat's reason: Heartbeat opens its API socket only at comm-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import grpc

from hacore.v1 import hacore_pb2 as pb
from hactl.client import DEFAULT_SOCKET, Endpoint, Exit, HactlError, stub

NO_CONNECTION = "hb_api_signon: Can't initiate connection to heartbeat"


class SignonFailed(Exception):
    """No usable daemon; the text is Heartbeat's reason (``errmsg``). ``refused``: the
    daemon runs but will not serve us (socket permissions or apiauth)."""

    def __init__(self, reason: str, *, refused: bool = False) -> None:
        super().__init__(reason)
        self.refused = refused


class NoTimelyResponse(Exception):
    """A client status query got no answer (cl_status: ``No timely response.``)."""


def endpoint() -> Endpoint:
    """The local daemon's API socket (``$HACTL_SOCKET``, like hactl)."""
    return Endpoint(socket=Path(os.environ.get("HACTL_SOCKET") or DEFAULT_SOCKET))


def status_word(value: int) -> str:
    return pb.NodeStatus.Name(value).removeprefix("NODE_STATUS_").lower()


def link_word(value: int) -> str:
    return pb.LinkStatus.Name(value).removeprefix("LINK_STATUS_").lower()


@dataclass
class Session:
    """A signed-on cl_status: the daemon's state, and the endpoint for further calls."""

    status: pb.ClusterStatus
    where: Endpoint

    def node(self, name: str) -> pb.Node | None:
        """Heartbeat's lookup_node: node names are compared without case."""
        wanted = name.lower()
        return next((n for n in self.status.nodes if n.name == wanted), None)

    def walk(self) -> list[pb.Node]:
        """The nodes as Heartbeat's client library returns them: ha.cf order, reversed."""
        return sorted(self.status.nodes, key=lambda n: n.config_index, reverse=True)

    def links(self, node: pb.Node) -> list[tuple[str, str]]:
        """(link, status) in the client library's order (reversed). A node's own links
        read dead in Heartbeat: it never hears itself on them."""
        return [
            (link.name, "dead" if node.local else link_word(link.status))
            for link in reversed(node.links)
        ]

    def parameter(self, name: str) -> str | None:
        name = "pacemaker" if name == "crm" else name  # Heartbeat's alias
        return self.status.parameters.get(name)

    async def client_status(self, node: str, client: str, timeout_ms: int) -> str:
        request = pb.ClientStatusRequest(node=node, client=client, timeout_ms=max(timeout_ms, 1))
        async with self.where.channel() as channel:
            try:
                reply = await stub(channel).GetClientStatus(request)
            except grpc.aio.AioRpcError as exc:
                if exc.code() in (
                    grpc.StatusCode.DEADLINE_EXCEEDED,
                    grpc.StatusCode.INVALID_ARGUMENT,
                ):
                    raise NoTimelyResponse from None
                raise SignonFailed(NO_CONNECTION) from None
        return str(reply.status)


async def signon(where: Endpoint) -> Session:
    try:
        async with where.channel() as channel:
            status = await stub(channel).GetStatus(pb.GetStatusRequest())
    except HactlError as exc:
        if exc.code is Exit.PERMISSION:
            raise SignonFailed(exc.message, refused=True) from None
        raise SignonFailed(NO_CONNECTION) from None
    except grpc.aio.AioRpcError as exc:
        if exc.code() is grpc.StatusCode.PERMISSION_DENIED:
            raise SignonFailed(f"permission denied: {exc.details()}", refused=True) from None
        raise SignonFailed(NO_CONNECTION) from None
    me = next((n for n in status.nodes if n.local), None)
    if me is None or me.status != pb.NODE_STATUS_ACTIVE:
        raise SignonFailed(NO_CONNECTION)
    return Session(status, where)
