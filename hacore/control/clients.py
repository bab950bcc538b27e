"""``cl_status clientstatus`` across the cluster: Heartbeat's query-cstatus exchange.

Heartbeat answers for its own API clients and asks an active peer over the heartbeat
links (docs/protocol.md §4.3, §11.3): ``query-cstatus dest=<node> cn=<client>
from_id=<asker>`` is answered by ``respond-cstatus dest=<asker's node> result=OK
cn=<client> to_id=<asker> cs=online|offline``. hacore's clients are its respawn
helpers and programs, named by their program (``ipfail``). Both directions work with a
real Heartbeat peer as with a hacore one.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Collection

import structlog

from hacore.control.model import NoTimelyResponse
from hacore.wire.message import Message

log = structlog.get_logger("hacore.control")

QUERY = "query-cstatus"
RESPONSE = "respond-cstatus"
MESSAGES = frozenset({QUERY, RESPONSE})


def client_word(online: bool) -> str:
    return "online" if online else "offline"


class ClientQueries:
    """Answers the peer's queries about our clients and asks the peer about its own."""

    def __init__(
        self, send: Callable[[Message], None], local_clients: Callable[[], Collection[str]]
    ) -> None:
        self._send = send
        self._local_clients = local_clients
        self._ids = itertools.count(1)
        self._waiting: dict[tuple[str, str], asyncio.Future[str]] = {}

    def receive(self, msg: Message) -> None:
        """A query-cstatus or respond-cstatus from the cluster (addressed to us)."""
        if msg.get("t") == QUERY:
            self._answer(msg)
            return
        key = (msg.get("to_id") or "", msg.get("cn") or "")
        future = self._waiting.get(key)
        status = msg.get("cs")
        if future is not None and not future.done() and status:
            future.set_result(status)

    def _answer(self, msg: Message) -> None:
        src, client, asker = msg.get("src"), msg.get("cn"), msg.get("from_id")
        if not (src and client and asker):
            log.warning("bad_client_query", msg=f"{QUERY} without src/cn/from_id ignored")
            return
        online = client in self._local_clients()
        self._send(
            Message(
                ("t", RESPONSE),
                ("dest", src),
                ("result", "OK"),
                ("cn", client),
                ("to_id", asker),
                ("cs", client_word(online)),
            )
        )

    async def ask(self, node: str, client: str, timeout_s: float) -> str:
        """Ask ``node``'s daemon whether ``client`` runs there; NoTimelyResponse if it
        does not answer within ``timeout_s`` (cl_status: "No timely response.")."""
        asker = f"hacore-{next(self._ids)}"
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting[(asker, client)] = future
        try:
            self._send(Message(("t", QUERY), ("dest", node), ("cn", client), ("from_id", asker)))
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise NoTimelyResponse(
                f"{node} did not say within {timeout_s * 1000:.0f} ms whether {client} runs"
            ) from None
        finally:
            del self._waiting[(asker, client)]
