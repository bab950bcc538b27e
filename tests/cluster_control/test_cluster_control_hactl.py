"""Every hactl command against a real hacored pair in namespaces (root, unix socket)."""

from __future__ import annotations

import json
import signal

import pytest

from tests.cluster_control.cluster_control_support import (
    HACF,
    NODES,
    VIP_GROUP,
    ControlLab,
    hactl,
    hactl_json,
    one_error_line,
)
from tests.waiting import wait_for

pytestmark = [pytest.mark.netns, pytest.mark.timeout(60)]

PING_NODE = "10.0.0.2"  # the seed's ping node: the lab's router


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip()]


def test_status_json_is_the_pair_as_each_node_sees_it(control_lab: ControlLab) -> None:
    for name in NODES:
        status = hactl_json(control_lab.lab.node(name), "status")
        assert status["node"] == name
        assert (status["keepalive_ms"], status["deadtime_ms"]) == (100, 500)
        nodes = {node["name"]: node for node in status["nodes"]}
        assert list(nodes) == [*NODES, PING_NODE]
        for node in NODES:
            assert (nodes[node]["status"], nodes[node]["type"]) == ("active", "normal")
            assert nodes[node]["local"] is (node == name)
            assert nodes[node]["links"] == [{"name": "eth1", "status": "up"}]
        peer = nodes[next(node for node in NODES if node != name)]
        assert peer["last_heard_ago_s"] < 0.5 and peer["generation"] is not None
        assert (nodes[PING_NODE]["status"], nodes[PING_NODE]["type"]) == ("ping", "ping")
        (group,) = status["resources"]
        assert group.pop("since") is not None
        assert group == {
            "group": VIP_GROUP,
            "resources": [VIP_GROUP, "httpd"],
            "preferred": "node1",
            "holder": "node1",
            "state": "running" if name == "node1" else "stopped",
            "monitors": [],
            "failed_on": [],
        }


def test_text_commands_show_the_same_state(control_lab: ControlLab) -> None:
    node2 = control_lab.lab.node("node2")
    status = hactl(node2, "status")
    assert status.returncode == 0, status.stderr
    assert "hacore " in status.stdout and " on node2 " in status.stdout
    assert f"{VIP_GROUP}: held by node1, stopped here" in status.stdout
    nodes = rows(hactl(node2, "nodes").stdout)
    assert nodes[0] == ["NODE", "STATUS", "TYPE", "GENERATION", "LAST", "HEARD", "SINCE"]
    assert nodes[1][:3] == ["node1", "active", "normal"]
    assert nodes[2][:4] == ["node2", "(local)", "active", "normal"]
    assert nodes[3][:3] == [PING_NODE, "ping", "ping"]
    links = rows(hactl(node2, "links").stdout)
    assert links == [
        ["NODE", "LINK", "STATUS"],
        ["node1", "eth1", "up"],
        ["node2", "eth1", "up"],
        [PING_NODE, PING_NODE, "up"],
    ]
    resources = rows(hactl(node2, "resources").stdout)
    assert resources[1][:4] == [VIP_GROUP, "node1", "stopped", "node1"]
    assert resources[1][-1] == "httpd"


def test_standby_all_gives_the_vip_away_and_takeover_takes_it_back(
    control_lab: ControlLab,
) -> None:
    lab = control_lab.lab
    node1 = lab.node("node1")
    standby = hactl(node1, "standby", "all")
    assert standby.returncode == 0, standby.stderr
    assert standby.stdout.startswith("standby all: done in ")
    # progress off a terminal: one plain line per group change
    assert f"group {VIP_GROUP}: stopping here, held by node1" in standby.stderr
    # returned once the move had finished: the VIP is up on node2 only, and running there
    assert lab.vip_holders() == {"node2"}
    assert hactl_json(lab.node("node2"), "resources")[0]["state"] == "running"
    lab.wait_serving("node2", timeout=5)
    takeover = hactl(node1, "takeover", "all")
    assert takeover.returncode == 0, takeover.stderr
    assert takeover.stdout.startswith("takeover all: done in ")
    assert [VIP_GROUP, "node1", "running"] in rows(takeover.stdout)
    assert lab.vip_holders() == {"node1"}
    lab.wait_serving("node1", timeout=5)


def test_standby_prints_the_final_holder(control_lab: ControlLab) -> None:
    standby = hactl(control_lab.lab.node("node1"), "standby", "all", "--json")
    assert standby.returncode == 0, standby.stderr
    moved = json.loads(standby.stdout)
    assert (moved["operation"], moved["scope"]) == ("standby", "all")
    assert moved["status"]["resources"][0]["holder"] == "node2"


def test_standby_local_and_foreign_are_relative_to_the_node(control_lab: ControlLab) -> None:
    """node1's group is local to node1 and foreign to node2."""
    lab = control_lab.lab
    node1, node2 = lab.node("node1"), lab.node("node2")
    nothing = hactl(node1, "standby", "foreign")  # node1 holds no foreign group
    assert nothing.returncode == 0, nothing.stderr
    assert hactl_json(node2, "resources")[0]["holder"] == "node1"
    assert hactl(node1, "standby", "local").returncode == 0
    lab.wait_serving("node2", timeout=5)
    assert hactl(node2, "standby", "foreign").returncode == 0
    lab.wait_serving("node1", timeout=5)


def test_reload_takes_a_harmless_edit_and_rejects_a_broken_file(
    control_lab: ControlLab,
) -> None:
    lab = control_lab.lab
    node1 = lab.node("node1")
    hacf = node1.path(HACF)
    original = hacf.read_text()
    assert "warntime 300ms" in original
    hacf.write_text(original.replace("warntime 300ms", "# reviewed\nwarntime 400ms"))
    reloaded = hactl(node1, "reload")
    assert reloaded.returncode == 0, reloaded.stderr
    first, *warnings = reloaded.stdout.splitlines()
    assert first == "configuration reloaded"
    assert all(line.startswith("warning: ") for line in warnings), warnings
    assert isinstance(hactl_json(node1, "reload")["warnings"], list)

    hacf.write_text(original + "keepalive banana\n")
    rejected = hactl(node1, "reload")
    assert rejected.returncode == 1
    line = one_error_line(rejected)
    assert line.startswith(
        "hactl: reload configuration rejected, the running configuration is unchanged: "
    )
    assert "/etc/ha.d/ha.cf:" in line and "keepalive [banana]" in line
    lab.check_daemons()
    assert hactl_json(node1, "status")["keepalive_ms"] == 100
    assert hactl_json(lab.node("node2"), "nodes")[0]["status"] == "active"
    lab.wait_serving("node1", timeout=1)


def test_reload_of_a_comment_asks_for_no_restart(control_lab: ControlLab) -> None:
    node1 = control_lab.lab.node("node1")
    hacf = node1.path(HACF)
    hacf.write_text("# maintained by the operator\n" + hacf.read_text())
    reloaded = hactl(node1, "reload")
    assert reloaded.returncode == 0, reloaded.stderr
    assert "restart hacored" not in reloaded.stdout


def test_events_follow_a_crash_of_the_holder(control_lab: ControlLab) -> None:
    """node2 holds the VIP (after node1's standby) and crashes: node1's event stream
    shows node2 dead, its link dead, the group moving to node1 and running there."""
    lab = control_lab.lab
    node1 = lab.node("node1")
    assert hactl(node1, "standby", "all").returncode == 0
    lab.wait_serving("node2", timeout=5)
    watches = lab.log("node1", "ha-debug").count("method=Watch")  # read calls: debug only
    stream = node1.path("/var/log/hactl-events.out")
    events = node1.spawn("hactl", "events", "--json", log=stream)

    def subscribed() -> bool:
        return lab.log("node1", "ha-debug").count("method=Watch") > watches

    wait_for(subscribed, 5, "hactl subscribed")

    lab.kill("node2")
    lab.wait_serving("node1", timeout=5)

    def seen() -> list[dict[str, object]]:
        return [json.loads(line) for line in stream.read_text().splitlines()]

    def has(**fields: object) -> bool:
        return any(fields.items() <= event.items() for event in seen())

    wait_for(lambda: has(type="group", holder="node1", state="running"), 5, "group running")
    assert has(type="node_status", node="node2", old="active", new="dead")
    assert has(type="link_status", node="node2", link="eth1", old="up", new="dead")
    assert has(type="failover", group=VIP_GROUP, to="node1")
    kinds = [event["type"] for event in seen()]
    assert kinds.index("node_status") < kinds.index("failover")
    events.signal(signal.SIGINT)
    assert events.wait(5) == 130
