"""The seed exactly: Debian's Apache through its own /etc/init.d/apache2 on the VIP.

Each node has a private copy of /etc/apache2 whose ports.conf listens on 10.0.0.60 only,
and its own /var/www/html/index.html ("This is nodeN").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from halab.configs import FAST_TIMING
from halab.lab import LabFactory
from tests.cluster_failover.failover_helpers import template

pytestmark = [pytest.mark.netns, pytest.mark.slow]


def test_apache_follows_the_vip_from_node1_to_node2_and_back(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    assert Path("/etc/init.d/apache2").exists(), "apache2 must be installed (make test does)"
    config = template(tmp_path, haresources="node1 IPaddr::10.0.0.60/24/eth0 apache2\n")
    lab = lab_factory(config=config, timing=FAST_TIMING)
    for name in lab.names:
        node = lab.node(name)
        node.path("/etc/apache2/ports.conf").write_text("Listen 10.0.0.60:80\n")
        node.path("/var/log/apache2").mkdir(exist_ok=True)
    lab.start()
    lab.wait_serving("node1", timeout=10)
    lab.kill("node1")
    lab.wait_serving("node2", timeout=5)
    lab.start("node1")
    lab.wait_serving("node1", timeout=10)
    assert lab.vip_holders() == {"node1"}
