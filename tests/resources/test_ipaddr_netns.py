"""IPaddr/IPaddr2 for real: a ResourceManager in namespace n1 moves a VIP on eth0,
the client namespace on the same link hears the gratuitous ARPs."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time

import pytest

from tests.resources.conftest import Lan, wait_for

pytestmark = pytest.mark.netns

VIP = "10.0.0.60"

# Collects ARP frames about the VIP on the client's eth0 until it has COUNT of them (or
# 5 s pass), then prints [[kernel receive time, opcode, sender MAC, target MAC, Ethernet
# destination], ...]. Kernel timestamps (wall clock) make the timing immune to how late
# this process gets scheduled.
CAPTURE = r"""
import json, socket, struct, sys, time
SO_TIMESTAMPNS = 35
vip, count = socket.inet_aton(sys.argv[1]), int(sys.argv[2])
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
sock.bind(("eth0", 0x0806))
sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
sock.settimeout(0.05)
print("ready", flush=True)
deadline, seen = time.monotonic() + 5, []
while len(seen) < count and time.monotonic() < deadline:
    try:
        frame, ancillary, _, _ = sock.recvmsg(2048, 64)
    except TimeoutError:
        continue
    sec, nsec = struct.unpack("qq", ancillary[0][2][:16])
    op = struct.unpack("!H", frame[20:22])[0]
    sha, spa, tha, tpa = frame[22:28], frame[28:32], frame[32:38], frame[38:42]
    if spa == vip and tpa == vip:
        seen.append([sec + nsec / 1e9, op, sha.hex(":"), tha.hex(":"), frame[:6].hex(":")])
print(json.dumps(seen), flush=True)
"""


def test_ipaddr_takes_next_alias_label_with_subnet_prefix_and_broadcast(lan: Lan) -> None:
    host = lan.host([["node1", f"IPaddr::{VIP}"], ["node1", "IPaddr::10.0.0.61"]])

    assert host.ok("acquire", key=f"IPaddr::{VIP}") is True
    assert host.ok("acquire", key="IPaddr::10.0.0.61") is True

    addrs = lan.addrs()
    assert f"inet {VIP}/24 brd 10.0.0.255 scope global secondary eth0:0" in addrs
    assert "inet 10.0.0.61/24 brd 10.0.0.255 scope global secondary eth0:1" in addrs
    assert host.ok("running", key=f"IPaddr::{VIP}") is True

    # start on a present address: no error, no second copy
    assert host.ok("agent", key=f"IPaddr::{VIP}", index=0, action="start") is None
    assert sum(VIP + "/" in a for a in lan.addrs()) == 1

    assert host.ok("release", key=f"IPaddr::{VIP}") is True
    assert not any(VIP + "/" in a for a in lan.addrs())
    assert host.ok("running", key=f"IPaddr::{VIP}") is False
    # stop when already stopped succeeds
    assert host.ok("agent", key=f"IPaddr::{VIP}", index=0, action="stop") is None
    # the freed label is reused
    assert host.ok("acquire", key=f"IPaddr::{VIP}") is True
    assert f"inet {VIP}/24 brd 10.0.0.255 scope global secondary eth0:0" in lan.addrs()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            f"IPaddr::{VIP}/255.255.255.128/eth0/10.0.0.127",
            f"inet {VIP}/25 brd 10.0.0.127 scope global eth0:0",
        ),
        (f"IPaddr2::{VIP}/24", f"inet {VIP}/24 brd 10.0.0.255 scope global secondary eth0"),
        (
            f"IPaddr2::{VIP}/24/eth0:web",
            f"inet {VIP}/24 brd 10.0.0.255 scope global secondary eth0:web",
        ),
        (
            f"IPaddr2::{VIP}/24/10.0.0.63",
            f"inet {VIP}/24 brd 10.0.0.63 scope global secondary eth0",
        ),
    ],
)
def test_written_netmask_interface_label_and_broadcast_are_used(
    lan: Lan, spec: str, expected: str
) -> None:
    host = lan.host([["node1", spec]])
    assert host.ok("acquire", key=spec) is True
    assert expected in lan.addrs()
    assert host.ok("release", key=spec) is True
    assert lan.addrs() == ["inet 10.0.0.51/24 scope global eth0"]


def test_address_outside_every_subnet_or_on_a_missing_interface_fails_clearly(lan: Lan) -> None:
    host = lan.host([["node1", "IPaddr::192.168.7.7"], ["node1", f"IPaddr::{VIP}/24/nosuch0"]])
    answer = host.call("agent", key="IPaddr::192.168.7.7", index=0, action="start")
    assert not answer["ok"]
    assert "no interface has a subnet containing 192.168.7.7" in answer["error"]
    answer = host.call("agent", key=f"IPaddr::{VIP}/24/nosuch0", index=0, action="start")
    assert not answer["ok"]
    assert "interface nosuch0 does not exist" in answer["error"]
    assert host.ok("acquire", key="IPaddr::192.168.7.7") is False
    assert host.ok("running", key="IPaddr::192.168.7.7") is False


def test_gratuitous_arp_pairs_reach_the_peer_and_move_its_arp_entry(lan: Lan) -> None:
    # The client still believes the VIP lives at the old holder's MAC.
    lan.netns.ip(
        "cl", "neigh", "add", VIP, "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "stale"
    )
    with lan.netns.popen(
        "cl", sys.executable, "-c", CAPTURE, VIP, "10", stdout=subprocess.PIPE
    ) as capture:
        assert capture.stdout is not None
        assert capture.stdout.readline().strip() == b"ready"
        host = lan.host([["node1", f"IPaddr2::{VIP}/24/eth0"]])
        mac = lan.mac("n1")

        assert host.ok("acquire", key=f"IPaddr2::{VIP}/24/eth0") is True
        answered = time.time()
        assert wait_for(lambda: f"lladdr {mac}" in _neigh(lan), timeout=1), _neigh(lan)
        seen = json.loads(capture.stdout.readline())

    assert seen and seen[0][0] <= answered, "the first ARP goes out before start returns"
    # IPaddr2's defaults: 5 request/reply pairs, 200 ms apart, 100 ms between packets.
    assert [op for _, op, *_ in seen] == [1, 2] * 5, seen
    assert {sha for _, _, sha, _, _ in seen} == {mac}
    assert all(dst == "ff:ff:ff:ff:ff:ff" for *_, dst in seen)
    assert [tha for *_, tha, _ in seen] == ["00:00:00:00:00:00", mac] * 5
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(seen)]
    assert all(gap >= 0.03 for gap in gaps), gaps  # paced, not a burst
    assert 0.85 <= seen[-1][0] - seen[0][0] <= 1.3, gaps  # 9 gaps of 100 ms


def test_announce_resends_for_a_held_address_only(lan: Lan) -> None:
    key = f"IPaddr2::{VIP}/24/eth0"
    host = lan.host([["node1", key]])
    assert host.ok("announce", key=key) is None  # not held: nothing sent, no error
    assert host.ok("acquire", key=key) is True
    host.ok("wait_announced", key=key, index=0)
    lan.netns.ip(
        "cl", "neigh", "replace", VIP, "lladdr", "02:00:00:00:00:99", "dev", "eth0", "nud", "stale"
    )
    assert host.ok("announce", key=key) is None
    assert wait_for(lambda: f"lladdr {lan.mac('n1')}" in _neigh(lan), timeout=0.5)


def test_ipaddr_starts_and_stops_repeatedly(lan: Lan) -> None:
    """Five cycles on one interface; the times are printed (figures live in bench/)."""
    key = f"IPaddr::{VIP}/24/eth0"
    host = lan.host([["node1", key]])
    starts, stops = [], []
    for _ in range(5):
        answer = host.call("acquire", key=key)
        assert answer["ok"] and answer["value"]
        starts.append(answer["ms"])
        answer = host.call("release", key=key)
        assert answer["ok"] and answer["value"]
        stops.append(answer["ms"])
    print(f"IPaddr acquire ms {sorted(starts)} release ms {sorted(stops)}")
    assert not [a for a in lan.addrs() if VIP in a]


def _neigh(lan: Lan) -> str:
    return lan.netns.ip("cl", "neigh", "show", VIP, "dev", "eth0").stdout


def test_ipaddr_monitor_wants_the_address_on_a_live_interface(lan: Lan) -> None:
    """``monitor`` (ha.cf monitor lines) is more than ``status``: the NIC must be usable."""
    key = f"IPaddr::{VIP}/24/eth0"
    host = lan.host([["node1", key]])
    assert host.ok("agent", key=key, index=0, action="monitor") is False, "not configured"
    assert host.ok("acquire", key=key) is True
    assert host.ok("agent", key=key, index=0, action="monitor") is True

    lan.netns.ip("cl", "link", "set", "eth0", "down")  # the switch port goes dark
    failed = host.call("agent", key=key, index=0, action="monitor")
    assert not failed["ok"] and failed["error"] == f"{key}: eth0 has no carrier"
    assert host.ok("agent", key=key, index=0, action="status") is True, "status still says yes"
    lan.netns.ip("cl", "link", "set", "eth0", "up")

    lan.netns.ip("n1", "link", "set", "eth0", "down")
    failed = host.call("agent", key=key, index=0, action="monitor")
    assert not failed["ok"] and failed["error"] == f"{key}: eth0 is down"
    lan.netns.ip("n1", "link", "set", "eth0", "up")

    lan.netns.ip("n1", "addr", "del", f"{VIP}/24", "dev", "eth0")
    lan.netns.ip("n1", "addr", "add", f"{VIP}/32", "dev", "lo")
    failed = host.call("agent", key=key, index=0, action="monitor")
    assert not failed["ok"] and failed["error"] == f"{key}: {VIP} is on lo, not eth0"
