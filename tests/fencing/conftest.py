"""A configuration directory built from the lab's seed template, with the real plugins."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from halab.configs import seed_template


@pytest.fixture
def config_dir(tmp_path: Path) -> Callable[..., Path]:
    """``config_dir("stonith_host * null node2", ...)``: seed ha.cf plus these lines."""

    def make(*extra: str) -> Path:
        files = seed_template(["node1", "node2"])
        files["ha.cf"] = files["ha.cf"].replace("ucast eth1 172.16.0.51", "ucast lo 127.0.0.1")
        files["ha.cf"] += "".join(f"{line}\n" for line in extra)
        directory = tmp_path / "ha.d"
        directory.mkdir(exist_ok=True)
        for name, text in files.items():
            (directory / name).write_text(text)
        (directory / "authkeys").chmod(0o600)
        return directory

    return make
