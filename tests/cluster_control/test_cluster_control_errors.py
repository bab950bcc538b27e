"""hactl's failures against the real pair: daemon down, bad arguments, apiauth.

ha.cf says ``apiauth hactl uid=hacluster``: besides root, only hacluster may use the
API. The unix socket (mode 0660, group haclient) already keeps out users outside
haclient; apiauth decides for the members.
"""

from __future__ import annotations

import signal

import pytest

from tests.cluster_control.cluster_control_support import (
    ALLOWED,
    API_SOCKET,
    API_USER,
    HACF,
    MEMBER,
    OUTSIDER,
    ControlLab,
    hactl,
    hactl_json,
    one_error_line,
)

pytestmark = [pytest.mark.netns, pytest.mark.timeout(60)]


def test_daemon_down_is_exit_3_in_one_line(control_lab: ControlLab) -> None:
    lab = control_lab.lab
    lab.stop("node2")  # graceful: the socket goes with the daemon
    stopped = hactl(lab.node("node2"), "status")
    assert stopped.returncode == 3
    assert (
        one_error_line(stopped) == f"hactl: hacored is not running (no API socket at {API_SOCKET})"
    )

    node1 = lab.node("node1")
    assert node1.daemon is not None
    node1.daemon.signal(signal.SIGKILL)  # a crash leaves the socket file behind
    assert node1.daemon.wait(5) != 0
    crashed = hactl(node1, "resources")
    assert crashed.returncode == 3
    assert (
        one_error_line(crashed) == f"hactl: cannot reach hacored at {API_SOCKET} (is it running?)"
    )


BAD_ARGUMENTS = [
    ((), "a command is required"),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
    (("standby", "sideways"), "invalid choice: 'sideways'"),
    (("status", "--timeout", "0"), "--timeout must be positive"),
    (("events", "--count", "many"), "invalid int value: 'many'"),
    (("--address", "10.0.0.50:7440", "status"), "--address needs --cert, --key and --cacert"),
]


def test_bad_arguments_are_exit_2_in_one_line(control_lab: ControlLab) -> None:
    node1 = control_lab.lab.node("node1")
    for args, says in BAD_ARGUMENTS:
        result = hactl(node1, *args)
        assert result.returncode == 2, (args, result)
        assert says in one_error_line(result), args


def test_apiauth_admits_the_listed_user_only(control_lab: ControlLab) -> None:
    lab = control_lab.lab
    node1 = lab.node("node1")
    allowed = hactl(node1, "resources", "--json", user=ALLOWED)
    assert allowed.returncode == 0, allowed.stderr

    entry = f"apiauth hactl uid={API_USER}"
    line = node1.path(HACF).read_text().splitlines().index(entry) + 1
    refused = hactl(node1, "standby", "all", user=MEMBER)
    assert refused.returncode == 4
    assert one_error_line(refused) == (
        "hactl: permission denied: uid 65534 (nobody) gid 65534 (nogroup) is not allowed "
        f"to use the hacore API: {entry} ({HACF}:{line}) does not list it"
    )
    assert "api_denied method=Standby" in lab.log("node1")
    assert hactl_json(node1, "resources")[0]["holder"] == "node1"  # nothing moved
    lab.wait_serving("node1", timeout=1)

    outside = hactl(node1, "status", user=OUTSIDER)
    assert outside.returncode == 4
    assert one_error_line(outside) == (
        f"hactl: permission denied: cannot use {API_SOCKET} "
        "(run as root or as a member of group haclient)"
    )

    moved = hactl(node1, "standby", "all", user=ALLOWED)  # writes too, not only reads
    assert moved.returncode == 0, moved.stderr
    lab.wait_serving("node2", timeout=5)


def test_reload_applies_new_apiauth(control_lab: ControlLab) -> None:
    node1 = control_lab.lab.node("node1")
    hacf = node1.path(HACF)
    line = f"apiauth hactl uid={API_USER}"
    hacf.write_text(hacf.read_text().replace(line, f"{line},nobody"))
    assert hactl(node1, "reload").returncode == 0
    admitted = hactl(node1, "status", user=MEMBER)
    assert admitted.returncode == 0, admitted.stderr
