"""The lab's LSB web server script, as Heartbeat's ResourceManager uses it."""

from __future__ import annotations

import time

import pytest

from halab.lab import LabFactory

pytestmark = pytest.mark.netns


def test_httpd_lsb_start_status_stop_on_the_vip(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat")
    node = lab.node("node1")
    httpd = "/etc/init.d/httpd"
    assert node.exec(httpd, "start").returncode == 1  # no VIP yet: cannot bind it
    node.exec("ip", "addr", "add", "10.0.0.60/24", "dev", "eth0", check=True)
    assert node.exec(httpd, "start").returncode == 0
    assert node.exec(httpd, "start").returncode == 0  # already running is success
    status = node.exec(httpd, "status")
    assert (status.returncode, "is running" in status.stdout) == (0, True)
    assert lab.client.http_get("10.0.0.60") == "This is node1"
    began = time.monotonic()
    assert node.exec(httpd, "stop").returncode == 0
    assert time.monotonic() - began < 0.5
    status = node.exec(httpd, "status")
    assert (status.returncode, "not running" in status.stdout) == (3, True)
    assert lab.client.http_get("10.0.0.60", timeout=0.3) is None
    assert node.exec(httpd, "stop").returncode == 0  # stopping a stopped service succeeds
    assert node.exec(httpd, "bogus").returncode == 2


def test_httpd_can_bind_every_address_for_keepalived(lab_factory: LabFactory) -> None:
    lab = lab_factory(daemon="heartbeat")
    node = lab.node("node2")
    node.exec("/etc/init.d/httpd", "start", env={"HTTPD_BIND": "0.0.0.0"}, check=True)
    assert lab.client.http_get("10.0.0.51") == "This is node2"
