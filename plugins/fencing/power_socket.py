"""A power switch answering on a Unix socket: ``stonith_host * powersocket [PATH]``.

One request per connection: ``reset NODE\\n``; the answer is one line, ``OK``,
``BADHOST <why>`` or ``FAIL <why>``. The network-namespace lab serves such a switch at
``/var/lib/halab/power.sock`` in every node (its reset powers the node off: every
process killed, links down); anything else can implement the same two lines.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from hacore.api import ConfigError, FenceDevice, FenceRequest, FenceResult
from hacore.hookspecs import hookimpl

TYPE = "powersocket"
DEFAULT_SOCKET = Path("/var/lib/halab/power.sock")


class PowerSocketDevice(FenceDevice):
    def __init__(self, request: FenceRequest) -> None:
        super().__init__(request)
        words = request.params.split()
        if len(words) > 1 or (words and not words[0].startswith("/")):
            raise ConfigError(
                f"Invalid Stonith configuration parameter [{request.params}]: {TYPE} takes "
                "one optional absolute socket path",
                request.location,
            )
        self.socket = Path(words[0]) if words else DEFAULT_SOCKET

    def device_id(self) -> str:
        return f"{TYPE} {self.socket}"

    async def reset(self, node: str) -> FenceResult:
        try:
            reader, writer = await asyncio.open_unix_connection(str(self.socket))
        except OSError as exc:
            self.last_error = f"{self.socket}: {exc.strerror or exc}"
            return FenceResult.BAD
        try:
            writer.write(f"reset {node}\n".encode())
            await writer.drain()
            answer = (await reader.readline()).decode(errors="replace").strip()
        except OSError as exc:
            self.last_error = f"{self.socket}: {exc.strerror or exc}"
            return FenceResult.BAD
        finally:
            writer.close()
        word, _, why = answer.partition(" ")
        if word == "OK":
            return FenceResult.OK
        self.last_error = why or answer or "no answer"
        return FenceResult.BADHOST if word == "BADHOST" else FenceResult.BAD


@hookimpl
def hacore_fence_device(request: FenceRequest) -> FenceDevice | None:
    if request.type != TYPE:
        return None
    if request.file is not None:
        raise ConfigError(
            f"{TYPE} takes its socket on a stonith_host line, not a file", request.location
        )
    return PowerSocketDevice(request)
