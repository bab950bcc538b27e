"""The seed cluster with STONITH through the lab's power switch, and what tests read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from halab.configs import seed_template
from halab.lab import Lab


def fenced_template(tmp_path: Path, *extra: str, files: dict[str, str] | None = None) -> Path:
    """Seed config + ``stonith_host * powersocket`` (the lab's switch) + ``extra`` lines."""
    template = seed_template(["node1", "node2"])
    template["ha.cf"] += "\n".join(extra) + "\n"
    template.update(files or {})
    directory = tmp_path / "ha.d"
    directory.mkdir()
    for name, text in template.items():
        (directory / name).write_text(text)
    (directory / "authkeys").chmod(0o600)
    return directory


STONITH = "stonith_host * powersocket"


def status(lab: Lab, node: str) -> Any:
    result = lab.node(node).exec("hactl", "status", "--json", timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def fence_target(lab: Lab, observer: str, node: str) -> dict[str, Any]:
    targets = status(lab, observer)["fencing"]["targets"]
    found: dict[str, Any] = next(t for t in targets if t["node"] == node)
    return found
