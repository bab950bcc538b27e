"""Open-loop HTTP prober, run in the lab's client namespace (anchors' "Client prober").

A new probe (TCP connect + ``GET /`` + read to EOF) starts every ``--interval`` seconds,
each abandoned after ``--timeout``, independently of outstanding probes: a dead VIP does
not slow the sampling down.  Every finished probe is written as one line
``t_start t_end result`` (CLOCK_MONOTONIC, the lab's clock too), where result is the
node name from "This is <node>" or a failure: timeout, refused, unreachable, reset,
error, http<status>, other.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import errno
import signal
import sys
import time
from typing import TextIO

ANSWER_PREFIX = b"This is "
PR_SET_PDEATHSIG = 1


async def probe(host: str, port: int) -> str:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET / HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        response = await reader.read()
    finally:
        writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1:2]
    if status != [b"200"]:
        return f"http{status[0].decode(errors='replace') if status else '?'}"
    body = body.strip()
    if body.startswith(ANSWER_PREFIX) and len(body.split()) == 3:
        return body[len(ANSWER_PREFIX) :].decode(errors="replace")
    return "other"


async def timed_probe(host: str, port: int, timeout: float, out: TextIO) -> None:
    start = time.monotonic()
    try:
        result = await asyncio.wait_for(probe(host, port), timeout)
    except TimeoutError:
        result = "timeout"
    except ConnectionRefusedError:
        result = "refused"
    except ConnectionResetError:
        result = "reset"
    except OSError as exc:
        unreachable = (errno.EHOSTUNREACH, errno.ENETUNREACH)
        result = "unreachable" if exc.errno in unreachable else "error"
    out.write(f"{start:.6f} {time.monotonic():.6f} {result}\n")
    out.flush()


async def run(host: str, port: int, interval: float, timeout: float, out: TextIO) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks: set[asyncio.Task[None]] = set()
    next_start = time.monotonic()
    while not stop.is_set():
        task = asyncio.create_task(timed_probe(host, port, timeout, out))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        next_start += interval
        now = time.monotonic()
        if now > next_start + interval:  # we were not scheduled: skip, do not burst
            next_start = now
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, next_start - now))
    if tasks:
        await asyncio.wait(tasks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m halab.prober")
    parser.add_argument("--host", default="10.0.0.60")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--interval", type=float, default=0.01)
    parser.add_argument("--timeout", type=float, default=0.1)
    parser.add_argument("--out", required=True, help="file to append probe lines to")
    args = parser.parse_args(argv)
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    with open(args.out, "a", buffering=1) as out:
        print("ready", flush=True)
        asyncio.run(run(args.host, args.port, args.interval, args.timeout, out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
