"""The seed's group for real: ``IPaddr::10.0.0.60/24/eth0 apache2``, Debian's Apache
started and stopped through its own ``/etc/init.d/apache2``, inside a namespace.

The manager runs under ``unshare -m -p`` so the init script sees a private ``/run``
(no ``/run/systemd``: no redirect to systemctl; Apache's pid file and lock dir are
private), a private ``/var/log/apache2`` and a ``ports.conf`` that listens on the VIP
only; ``pidof apache2`` sees only this namespace's processes. Nothing on the host
changes; the namespace's teardown kills whatever is left."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.resources.conftest import Lan

pytestmark = pytest.mark.netns

VIP = "10.0.0.60"
KEY = f"IPaddr::{VIP}/24/eth0"

PRIVATE_SETUP = """set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/lock
mount --bind "$APACHE_TEST_LOGS" /var/log/apache2
mount --bind "$APACHE_TEST_PORTS" /etc/apache2/ports.conf
set +e
"$@"
"""


@pytest.mark.requires("/etc/init.d/apache2")
def test_apache_serves_the_vip_after_acquire_and_stops_on_release(lan: Lan, tmp_path: Path) -> None:
    logs = tmp_path / "apache-log"
    logs.mkdir()
    ports = tmp_path / "ports.conf"
    ports.write_text(f"Listen {VIP}:80\n")
    private = (
        "env",
        f"APACHE_TEST_LOGS={logs}",
        f"APACHE_TEST_PORTS={ports}",
        "unshare",
        "--mount",
        "--pid",
        "--fork",
        "--mount-proc",
        "--propagation",
        "private",
        "sh",
        "-c",
        PRIVATE_SETUP,
        "sh",
    )
    host = lan.host([["node1", KEY, "apache2"]], wrap=private)

    acquired = host.call("acquire", key=KEY, timeout=30)
    assert acquired == {"ok": True, "value": True, "ms": acquired["ms"]}
    page = lan.netns.exec("cl", "curl", "-sS", "-m", "3", f"http://{VIP}/", check=False)
    assert "Apache2 Debian Default Page" in page.stdout, page.stderr
    assert host.ok("running", key=KEY) is True
    assert "resuming normal operations" in (logs / "error.log").read_text()

    started = time.monotonic()
    released = host.call("release", key=KEY, timeout=30)
    assert released["ok"] and released["value"] is True
    print(f"apache group: acquire {acquired['ms']:.0f} ms, release {released['ms']:.0f} ms")
    assert time.monotonic() - started < 10
    gone = lan.netns.exec("cl", "curl", "-sS", "-m", "1", f"http://{VIP}/", check=False)
    assert gone.returncode != 0
    assert host.ok("running", key=KEY) is False
    assert host.ok("agent", key=KEY, index=1, action="status") is False
