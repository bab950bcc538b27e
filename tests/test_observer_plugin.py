"""A third-party observer plugin, installed as a distribution, sees a real daemon's life.

Two hacored run in fresh namespaces joined by a veth; node1 has a plugin found through
the `hacore` entry-point group on PYTHONPATH, which appends every hook call to a file.
node2 (the group's preferred node) is then killed: node1's plugin must see the start,
node2's link and status come and go, the group it takes over, and the stop.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from subprocess import Popen

import pytest

from halab.netns import NetnsSet

pytestmark = pytest.mark.netns

PLUGIN = """
import json, os
from hacore.hookspecs import hookimpl

OUT = os.environ["OBSERVER_OUT"]

def _write(kind, **fields):
    with open(OUT, "a") as out:
        out.write(json.dumps({"hook": kind, **fields}) + "\\n")

@hookimpl
def hacore_on_start(cluster):
    _write("start", node=cluster.local_node)

@hookimpl
def hacore_on_node_status(event):
    _write("node", node=event.node, new=str(event.new))

@hookimpl
def hacore_on_link_status(event):
    _write("link", node=event.node, link=event.link, new=str(event.new))

@hookimpl
def hacore_on_group_change(event):
    _write("group", group=event.group, holder=event.holder, state=str(event.state))

@hookimpl
def hacore_on_stop(cluster):
    _write("stop", node=cluster.local_node)
"""

HACF = """\
keepalive 100ms
deadtime 500ms
warntime 300ms
initdead 1
ucast eth1 PEER
auto_failback on
node node1 node2
"""

DUMMY = """#!/bin/sh
case $1 in
  start) touch STATE;; stop) rm -f STATE;;
  status) if [ -e STATE ]; then echo running; else echo stopped; fi;;
esac
"""


def _install_plugin(site: Path) -> None:
    (site / "observer_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = site / "observer_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: observer-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[hacore]\nobserver = observer_plugin\n")


def _node(
    netns: NetnsSet, tmp_path: Path, name: str, peer: str, env: dict[str, str]
) -> Popen[bytes]:
    """A configured hacored for ``name`` in namespace ``name``, started."""
    conf = tmp_path / name
    (conf / "resource.d").mkdir(parents=True)
    # Only the network is private here: keep the FIFO off the host's /var/lib/heartbeat.
    (conf / "ha.cf").write_text(HACF.replace("PEER", peer) + f"fifo {conf / 'fifo'}\n")
    (conf / "haresources").write_text("node2 dummy\n")
    (conf / "authkeys").write_text("auth 1\n1 sha1 observer-test\n")
    (conf / "authkeys").chmod(0o600)
    (conf / "resource.d" / "dummy").write_text(
        DUMMY.replace("STATE", str(tmp_path / f"{name}.state"))
    )
    (conf / "resource.d" / "dummy").chmod(0o755)
    return netns.popen(
        name, sys.executable, "-m", "hacore.daemon", "-c", str(conf), "--node-name", name,
        "--state-dir", str(conf / "state"), "--run-dir", str(conf / "run"),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_for(out: Path, text: str, daemon: Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while text not in (out.read_text() if out.exists() else ""):
        assert daemon.poll() is None, "node1's daemon exited"
        assert time.monotonic() < deadline, f"the plugin never saw {text}"
        time.sleep(0.1)


def test_observer_hooks_follow_a_real_daemon(netns: NetnsSet, tmp_path: Path) -> None:
    netns.add("node1")
    netns.add("node2")
    netns.veth("node1", "eth1", "node2", "eth1")
    netns.addr("node1", "eth1", "172.16.9.1/24")
    netns.addr("node2", "eth1", "172.16.9.2/24")
    site, out = tmp_path / "site", tmp_path / "events.jsonl"
    site.mkdir()
    _install_plugin(site)
    observed = {**os.environ, "PYTHONPATH": str(site), "OBSERVER_OUT": str(out)}
    plain = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    node1 = _node(netns, tmp_path, "node1", "172.16.9.2", observed)
    node2 = _node(netns, tmp_path, "node2", "172.16.9.1", plain)
    try:
        _wait_for(out, '"holder": "node2"', node1)
        node2.kill()
        _wait_for(out, '"holder": "node1", "state": "running"', node1)
        node1.send_signal(signal.SIGTERM)
        assert node1.wait(15) == 0
    finally:
        for daemon in (node1, node2):
            if daemon.poll() is None:
                daemon.kill()
            daemon.wait()
    events = out.read_text().splitlines()
    hooks = [json.loads(line)["hook"] for line in events]
    assert {"start", "node", "group", "stop"} <= set(hooks)
    assert hooks[-1] == "stop"
    assert any('"node": "node2"' in line and '"new": "dead"' in line for line in events), events
    assert any('"hook": "link"' in line and '"new": "up"' in line for line in events)
    assert any('"holder": "node1", "state": "running"' in line for line in events), events
    assert not (tmp_path / "node1.state").exists(), "the group was not released on stop"
