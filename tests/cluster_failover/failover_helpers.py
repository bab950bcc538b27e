"""Small helpers so each failover test reads like the seed tutorial."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from halab.configs import seed_template
from halab.lab import Lab
from tests.waiting import wait_for


def template(tmp_path: Path, **changes: str) -> Path:
    """The seed configuration with files replaced or ha.cf directives rewritten.

    ``auto_failback="off"`` rewrites that directive; ``haresources=...`` replaces the file.
    """
    files = seed_template(["node1", "node2"])
    for key, value in changes.items():
        if key in files:
            files[key] = value
        else:
            lines = [
                f"{key} {value}" if line.split()[:1] == [key] else line
                for line in files["ha.cf"].splitlines()
            ]
            files["ha.cf"] = "\n".join(lines) + "\n"
    directory = tmp_path / "ha.d"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text)
    (directory / "authkeys").chmod(0o600)
    return directory


def hactl(lab: Lab, node: str, *args: str) -> Any:
    """Run hactl inside a node: parsed JSON for ``--json``, else the completed process."""
    result = lab.node(node).exec("hactl", *args, timeout=60)
    if "--json" in args:
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)
    return result


def holder(lab: Lab, node: str) -> str | None:
    """Who holds the (only) group, as ``node`` sees it."""
    status = hactl(lab, node, "status", "--json")
    holders: list[str | None] = [group["holder"] for group in status["resources"]]
    return holders[0]


def node_status(lab: Lab, observer: str, node: str) -> str:
    status = hactl(lab, observer, "status", "--json")
    return next(str(n["status"]) for n in status["nodes"] if n["name"] == node)


def single_holder_for(lab: Lab, seconds: float) -> str:
    """The VIP ends up on exactly one node and stays there for ``seconds``."""
    wait_for(lambda: len(lab.vip_holders()) == 1, 10, "a single VIP holder")
    (owner,) = lab.vip_holders()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert lab.vip_holders() == {owner}, f"VIP moved or doubled: {lab.vip_holders()}"
        time.sleep(0.05)
    return owner
