"""Run a real ResourceManager inside a namespace, driven line by line from the test.

Started as ``python _inns.py '<json config>'`` by a test through ``ip netns exec``
(optionally inside ``unshare -m -p``), so netlink, packet sockets and init scripts see
that namespace. Each stdin line is one JSON command, each stdout line the JSON answer:

    {"op": "acquire"|"release"|"running"|"announce", "key": K}
    {"op": "stale"}
    {"op": "agent", "key": K, "index": i, "action": "start"|"stop"|"status"|"announce"}
    {"op": "wait_announced", "key": K, "index": i}
    -> {"ok": true, "value": ..., "ms": float} | {"ok": false, "error": str, "ms": float}

Logs go to stderr so they never mix with the answers.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import structlog

from hacore.api import HacoreError
from hacore.config.model import ResourceGroup, ResourceSpec
from hacore.plugins import load_plugins
from hacore.resources import ResourceManager


def group_of(tokens: list[str]) -> ResourceGroup:
    specs = []
    for token in tokens[1:]:
        name, *args = token.split("::")
        specs.append(ResourceSpec(spec=token, name=name, args=tuple(args)))
    return ResourceGroup(node=tokens[0], resources=tuple(specs))


async def perform(manager: ResourceManager, command: dict[str, Any]) -> Any:
    op = command["op"]
    if op == "stale":
        return await manager.release_all_stale()
    if op in ("acquire", "release", "running", "announce"):
        return await getattr(manager, op)(command["key"])
    agent = manager.agents(command["key"])[command["index"]]
    if op == "wait_announced":
        return await agent.wait_announced()
    return await getattr(agent, command["action"])()


async def serve(config: dict[str, Any]) -> None:
    manager = ResourceManager(
        load_plugins(),
        [group_of(tokens) for tokens in config["groups"]],
        config_dir=Path(config["config_dir"]),
        init_dir=Path(config.get("init_dir", "/etc/init.d")),
        timeout=config.get("timeout", 30.0),
        stop_retries=config.get("stop_retries", 0),
        stop_retry_delay=0.05,
    )
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        started = time.perf_counter()
        try:
            answer = {"ok": True, "value": await perform(manager, json.loads(line))}
        except HacoreError as exc:
            answer = {"ok": False, "error": str(exc)}
        answer["ms"] = (time.perf_counter() - started) * 1000
        print(json.dumps(answer), flush=True)


def main() -> None:
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    asyncio.run(serve(json.loads(sys.argv[1])))


if __name__ == "__main__":
    main()
