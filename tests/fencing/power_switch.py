"""A power switch on a Unix socket for the fencing unit tests (the powersocket protocol)."""

from __future__ import annotations

import asyncio
from pathlib import Path


class Switch:
    """A power switch on a Unix socket, answering each request with ``answer`` once
    ``go`` is set (it is, unless a test clears it to hold a reset in flight)."""

    def __init__(self, path: Path, answer: str) -> None:
        self.path = path
        self.answer = answer
        self.requests: list[str] = []
        self.go = asyncio.Event()
        self.go.set()

    async def __aenter__(self) -> Switch:
        self.server = await asyncio.start_unix_server(self._serve, str(self.path))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.requests.append((await reader.readline()).decode().strip())
        await self.go.wait()
        writer.write(f"{self.answer}\n".encode())
        await writer.drain()
        writer.close()
