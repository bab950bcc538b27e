"""A respawn client of a real daemon gets the ha.cf ``env`` lines and the ``HA_*``
variables, as Heartbeat's children inherit them (and as resource scripts get them)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from halab.configs import FAST_TIMING, seed_template
from halab.lab import LabFactory

pytestmark = [pytest.mark.netns, pytest.mark.timeout(60)]

ENV_DUMP = """#!/bin/sh
env > /var/log/respawn.env.tmp && mv /var/log/respawn.env.tmp /var/log/respawn.env
exec sleep 1000
"""


def test_respawn_client_sees_env_lines_and_ha_variables(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    config = tmp_path / "ha.d"
    config.mkdir()
    files = seed_template(["node1", "node2"])
    files["ha.cf"] += "env FOO=bar\nenv EMPTY=\nrespawn root /bin/sh /etc/ha.d/envdump.sh\n"
    files["envdump.sh"] = ENV_DUMP
    for name, text in files.items():
        (config / name).write_text(text)
    lab = lab_factory(daemon="hacore", config=config, timing=FAST_TIMING)
    lab.start()
    dump = lab.node("node1").path("/var/log/respawn.env")
    deadline = time.monotonic() + 20
    while not dump.exists():
        assert time.monotonic() < deadline, "the respawn client never ran"
        time.sleep(0.1)
    env = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert env["HA_FOO"] == "bar" and env["HA_EMPTY"] == ""
    assert env["HA_CURHOST"] == "node1"
    assert env["HA_LOGFILE"] == "/var/log/ha-log"
    assert env["HA_DIR"] == "/etc/ha.d"
    assert "PATH" in env  # the daemon's own environment, as Heartbeat's children have it
