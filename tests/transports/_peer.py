"""Runs real transports inside a network namespace and lets a test drive them.

The test process stays in the host namespace; this file is also the program started in
the test's namespace (``ip netns exec``) that opens the transports. They talk over
stdin/stdout, one line per command or event:

    stdin:  send <hex>                      every transport sends the payload
            sendto <dev> <ip> <port> <hex>  a fresh socket (new source port) sends once
            stats                           counters of every transport
            quit
    stdout: ready | error <text>            after start-up
            recv <index> <link> <hex>       a transport's sink was called
            ok | stats <json> | bye         replies, in command order
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from halab.netns import NetnsSet

STARTUP_TIMEOUT_S = 15.0
REPLY_TIMEOUT_S = 5.0


def medium(keyword: str, *args: str, udpport: int = 694, baud: int = 19200) -> dict[str, Any]:
    return {"keyword": keyword, "args": list(args), "udpport": udpport, "baud": baud}


@dataclass(frozen=True)
class Received:
    index: int
    link: str
    payload: bytes


class PeerError(AssertionError):
    pass


class Peer:
    """One process in a namespace with the transports of some media lines."""

    def __init__(self, netns: NetnsSet, short: str, *media: dict[str, Any]) -> None:
        self.name = short
        self.received: list[Received] = []
        self._buffer = b""
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.proc = netns.popen(
            short,
            sys.executable,
            __file__,
            json.dumps(list(media)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        reply = self._reply(STARTUP_TIMEOUT_S)
        if reply != "ready":
            log = self.stderr()
            self.close()
            raise PeerError(f"peer {short} did not start: {reply}\n{log}")

    # ---- commands -------------------------------------------------------------------

    def send(self, payload: bytes) -> None:
        self._command(f"send {payload.hex()}")

    def sendto(self, dev: str, ip: str, port: int, payload: bytes) -> None:
        self._command(f"sendto {dev} {ip} {port} {payload.hex()}")

    def stats(self) -> list[dict[str, Any]]:
        reply = self._command("stats")
        result: list[dict[str, Any]] = json.loads(reply.removeprefix("stats "))
        return result

    def wait_received(self, count: int, timeout: float = 3.0) -> list[Received]:
        """Everything received so far, once there are at least ``count`` packets or the
        timeout has passed (the caller's assertion then shows what did arrive)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and self._pump(deadline):
            pass
        return list(self.received)

    def listen(self, seconds: float) -> list[Received]:
        """Everything received after waiting ``seconds`` (to show that nothing comes)."""
        deadline = time.monotonic() + seconds
        while self._pump(deadline):
            pass
        return list(self.received)

    def payloads(self) -> list[bytes]:
        return [r.payload for r in self.received]

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(PeerError, OSError):
                self._command("quit", expect="bye")
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    # ---- line protocol --------------------------------------------------------------

    def _command(self, text: str, expect: str | None = None) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{text}\n".encode())
        self.proc.stdin.flush()
        reply = self._reply(REPLY_TIMEOUT_S)
        wanted = expect or ("stats" if text == "stats" else "ok")
        if not reply.startswith(wanted):
            raise PeerError(f"peer {self.name}: {text!r} -> {reply!r}\n{self.stderr()}")
        return reply

    def _reply(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            line = self._next_line(deadline)
            if line is None:
                return f"<no reply within {timeout} s>"
            if not line.startswith("recv "):
                return line
            _, index, link, payload = line.split(" ")
            self.received.append(Received(int(index), link, bytes.fromhex(payload)))

    def _pump(self, deadline: float) -> bool:
        """Read one event line before the deadline; False when none came."""
        line = self._next_line(deadline)
        if line is None:
            return False
        _, index, link, payload = line.split(" ")
        self.received.append(Received(int(index), link, bytes.fromhex(payload)))
        return True

    def _next_line(self, deadline: float) -> str | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise PeerError(f"peer {self.name} exited\n{self.stderr()}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode()


# ---- the program that runs inside the namespace -------------------------------------


async def _serve(media: list[dict[str, Any]]) -> int:
    import asyncio
    import importlib
    import socket

    import structlog

    from hacore.api import HacoreError, MediumConfig, PacketSink, Transport, TransportType

    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))

    def out(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def printer(index: int) -> PacketSink:
        return lambda payload, link: out(f"recv {index} {link} {payload.hex()}")

    transports: list[Transport] = []
    try:
        for spec in media:
            module = importlib.import_module(f"hacore_plugins.transports.{spec['keyword']}")
            ttype: TransportType = module.hacore_transport_types()[0]
            config = MediumConfig(
                spec["keyword"], tuple(spec["args"]), spec["udpport"], spec["baud"]
            )
            transports.extend(ttype.build(config))
        for index, transport in enumerate(transports):
            await transport.start(printer(index))
    except HacoreError as exc:
        out(f"error {exc}")
        return 1
    out("ready")

    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    async for raw in stdin:
        command, *args = raw.decode().split()
        if command == "send":
            for transport in transports:
                transport.send(bytes.fromhex(args[0]))
            out("ok")
        elif command == "sendto":
            dev, ip, port, payload = args
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
                sock.sendto(bytes.fromhex(payload), (ip, int(port)))
            out("ok")
        elif command == "stats":
            counters = [
                {
                    "link": t.link_name,
                    "sent": getattr(t, "packets_sent", None),
                    "received": getattr(t, "packets_received", None),
                    "failures": t.failures.count if hasattr(t, "failures") else None,
                }
                for t in transports
            ]
            out(f"stats {json.dumps(counters)}")
        elif command == "quit":
            break
    for transport in transports:
        await transport.stop()
    out("bye")
    return 0


if __name__ == "__main__":
    import asyncio

    sys.exit(asyncio.run(_serve(json.loads(sys.argv[1]))))
