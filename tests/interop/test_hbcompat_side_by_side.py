"""cl_status side by side: a real Heartbeat 3.0.6 pair and a hacore pair through the same
story, and at every step the real /usr/bin/cl_status on the Heartbeat pair and hacore's
cl_status on the hacore pair print the same thing with the same exit code.

The story: steady (node1 holds the VIP), Heartbeat's own hb_standby on node1, its
hb_takeover on node1 (both through the FIFO on the hacore pair), node2 killed, node1's
daemon stopped. The only differences normalised away are what must differ: the time
and pid in cl_log lines, and the build named in the version (``3.0.6 (node: 958e…)``
against ``3.0.6 (hacore 0.1.0)``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from halab.configs import FAST_TIMING
from halab.lab import Lab, LabFactory

pytestmark = [pytest.mark.netns, pytest.mark.slow, pytest.mark.timeout(400)]

REAL_CL_STATUS = "/usr/bin/cl_status"
HB_STANDBY = "/usr/share/heartbeat/hb_standby"
HB_TAKEOVER = "/usr/share/heartbeat/hb_takeover"
SETTLE_S = 40.0
CLIENT_WAIT = "3000"  # ms for a peer's answer: Heartbeat's peer can be slower than 500

# Every subcommand, option and error path, in the steady state.
FULL: list[tuple[str, ...]] = [
    (),
    ("-h",),
    ("hbstatus",),
    ("hbstatus", "-m", "-v"),
    ("hbstatus", "-x"),
    ("listnodes",),
    ("listnodes", "-m"),
    ("listnodes", "-p"),
    ("listnodes", "-n", "-v"),
    ("listnodes", "-p", "-n"),
    ("listnodes", "-x"),
    ("nodestatus", "node2", "-m"),
    ("nodestatus", "NODE2"),
    ("nodestatus", "10.0.0.2"),
    ("nodestatus", "nodex"),
    ("nodestatus",),
    ("nodestatus", "-x", "node1"),
    ("nodetype", "node2"),
    ("nodetype", "-m", "10.0.0.2"),
    ("nodetype", "nodex"),
    ("nodetype",),
    ("nodeweight", "-m", "node2"),
    ("nodeweight", "nodex"),
    ("nodesite", "node2"),
    ("nodesite", "-m", "node2"),
    ("listhblinks", "node1"),
    ("listhblinks", "-m", "-v", "node2"),
    ("listhblinks", "-v", "10.0.0.2"),
    ("listhblinks", "nodex"),
    ("listhblinks",),
    ("hblinkstatus", "-m", "node2", "eth1"),
    ("hblinkstatus", "10.0.0.2", "10.0.0.2"),
    ("hblinkstatus", "node2", "eth9"),
    ("hblinkstatus", "node2"),
    ("clientstatus", "-m", "node1", "ipfail"),
    ("clientstatus", "10.0.0.2", "ipfail"),
    ("clientstatus", "nodex", "ipfail"),
    ("clientstatus", "node1"),
    ("rscstatus", "-x"),
    ("hbparameter", "-m", "-p", "deadtime"),
    ("hbparameter", "-p", "crm"),
    ("hbparameter", "-p", "initdead"),
    ("hbparameter", "-p", "warntime"),
    ("hbparameter", "-p", "deadping"),
    ("hbparameter", "-p", "udpport"),
    ("hbparameter", "-p", "auto_failback"),
    ("hbparameter", "-p", "msgfmt"),
    ("hbparameter", "-p", "logfacility"),
    ("hbparameter", "-p", "hbversion"),
    ("hbparameter", "-p", "node"),
    ("hbparameter", "-p"),
    ("hbparameter", "keepalive"),
    ("parameter", "-p", "keepalive"),
    ("listnode",),
]
# What changes from one step to the next.
STATE: list[tuple[str, ...]] = [
    ("hbstatus",),
    ("hbstatus", "-v"),
    ("nodestatus", "node1"),
    ("nodestatus", "node2"),
    ("rscstatus",),
    ("rscstatus", "-m"),
    ("hblinkstatus", "node1", "eth1"),
    ("hblinkstatus", "node2", "eth1"),
    ("listhblinks", "-v", "node2"),
    ("clientstatus", "node1", "ipfail"),
    ("clientstatus", "node2", "ipfail", CLIENT_WAIT),
    ("hbparameter", "-p", "keepalive"),
    ("test",),
]


@dataclass(frozen=True)
class Seen:
    rc: int
    out: str
    err: str


Record = dict[str, dict[tuple[str, ...], Seen]]
_CL_LOG = re.compile(r"^\w{3} \d\d \d\d:\d\d:\d\d (\S+) cl_status: \[\d+\]:", re.M)
_VERSION = re.compile(r"3\.0\.6 \((node: [0-9a-f]{40}|hacore [^)]+)\)")


def normalise(text: str) -> str:
    return _VERSION.sub("3.0.6 (BUILD)", _CL_LOG.sub(r"TIME \1 cl_status: [PID]:", text))


class Story:
    """One pair (Heartbeat's or hacore's) and its cl_status."""

    def __init__(self, lab: Lab, cl_status: str) -> None:
        self.lab = lab
        self.cl_status = cl_status
        self.record: Record = {}

    def run(self, node: str, *args: str) -> Seen:
        result = self.lab.node(node).exec(self.cl_status, *args)
        return Seen(result.returncode, normalise(result.stdout), normalise(result.stderr))

    def word(self, node: str, *args: str) -> str:
        return self.run(node, *args).out.strip()

    def snapshot(self, step: str, node: str, commands: list[tuple[str, ...]]) -> None:
        with ThreadPoolExecutor(max_workers=4) as pool:
            seen = list(pool.map(lambda args: self.run(node, *args), commands))
        self.record[f"{step} on {node}"] = dict(zip(commands, seen, strict=True))

    def settle(self, what: str, **expected: Callable[[], bool]) -> None:
        deadline = time.monotonic() + SETTLE_S
        while not all(check() for check in expected.values()):
            self.lab.check_daemons()
            if time.monotonic() > deadline:
                failing = [name for name, check in expected.items() if not check()]
                raise AssertionError(f"{self.cl_status}: {what}: {failing} not reached")
            time.sleep(0.1)

    def holds(self, **words: str) -> dict[str, Callable[[], bool]]:
        return {
            f"{node} rscstatus {word}": self._holding(node, word) for node, word in words.items()
        }

    def _holding(self, node: str, word: str) -> Callable[[], bool]:
        return lambda: self.word(node, "rscstatus") == word

    def script(self, node: str, path: str) -> None:
        result = self.lab.node(node).exec(path)
        assert result.returncode == 0 and result.stdout == "", (path, result)


def tell(lab_factory: LabFactory, daemon: str, cl_status: str) -> Record:
    lab = lab_factory(daemon=daemon, timing=FAST_TIMING)
    story = Story(lab, cl_status)
    try:
        lab.start()
        lab.wait_serving("node1", timeout=60)
        story.settle("steady", **story.holds(node1="local", node2="local"))
        story.snapshot("steady", "node1", FULL + STATE)
        story.snapshot("steady", "node2", STATE)

        story.script("node1", HB_STANDBY)
        lab.wait_serving("node2", timeout=30)
        story.settle("standby", **story.holds(node1="none", node2="all"))
        story.snapshot("standby", "node1", STATE)
        story.snapshot("standby", "node2", STATE)

        story.script("node1", HB_TAKEOVER)
        lab.wait_serving("node1", timeout=30)
        story.settle("takeover", **story.holds(node1="all", node2="none"))
        story.snapshot("takeover", "node1", STATE)
        story.snapshot("takeover", "node2", STATE)

        lab.kill("node2")
        story.settle(
            "peer dead",
            dead=lambda: story.word("node1", "nodestatus", "node2") == "dead",
            link=lambda: story.word("node1", "hblinkstatus", "node2", "eth1") == "dead",
            **story.holds(node1="all"),
        )
        story.snapshot("peer dead", "node1", STATE)

        lab.stop("node1")
        story.snapshot("daemon stopped", "node1", STATE)
    finally:
        lab.close()
    return story.record


def test_cl_status_reads_the_same_on_heartbeat_and_on_hacore(lab_factory: LabFactory) -> None:
    heartbeat = tell(lab_factory, "heartbeat", REAL_CL_STATUS)
    hacore = tell(lab_factory, "hacore", "cl_status")  # the lab's PATH: hacore's first
    assert list(hacore) == list(heartbeat)
    differences = [
        f"{step}: cl_status {' '.join(args)}\n  heartbeat {seen}\n  hacore    {hacore[step][args]}"
        for step, commands in heartbeat.items()
        for args, seen in commands.items()
        if hacore[step][args] != seen
    ]
    assert not differences, "\n".join(differences)
    # The comparison is not vacuous: the story went where it should.
    assert heartbeat["standby on node2"][("rscstatus",)].out == "all\n"
    assert heartbeat["peer dead on node1"][("nodestatus", "node2")] == Seen(1, "dead\n", "")
    assert heartbeat["daemon stopped on node1"][("hbstatus",)].rc == 1
