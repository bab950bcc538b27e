"""Media lines are checked when the configuration is read, without opening anything."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from types import ModuleType

import pytest
from hacore_plugins.transports import bcast, mcast, serial, ucast
from hacore_plugins.transports.bcast import InterfaceAddress, broadcast_destination
from hypothesis import given
from hypothesis import strategies as st

from hacore.api import ConfigError, MediumConfig, SourceLocation, Transport
from hacore.plugins import load_plugins

HA_CF = SourceLocation(Path("/etc/ha.d/ha.cf"), 7)
MODULES: dict[str, ModuleType] = {"ucast": ucast, "bcast": bcast, "mcast": mcast, "serial": serial}


def build(keyword: str, *args: str, udpport: int = 694, baud: int = 19200) -> list[Transport]:
    medium = MediumConfig(keyword, args, udpport, baud, HA_CF)
    return list(MODULES[keyword].build(medium))


@pytest.mark.parametrize("keyword", sorted(MODULES))
def test_each_module_registers_its_keyword_through_the_plugin_kernel(keyword: str) -> None:
    registry = load_plugins(extra=[MODULES[keyword]], autoload=False)
    assert list(registry.transports) == [keyword]
    assert registry.transports[keyword].description


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("ucast eth1", "ucast takes 2 argument(s) (interface peer-ip), got 1 in 'ucast eth1'"),
        ("ucast eth1 10.0.0.2 10.0.0.3", "takes 2 argument(s)"),
        ("ucast eth1 10.0.0.256", "peer '10.0.0.256' is not an IPv4 address"),
        ("ucast eth1 node2", "peer 'node2' is not an IPv4 address"),
        ("ucast eth1 239.1.1.1", "239.1.1.1 is not a unicast address"),
        ("ucast eth1 0.0.0.0", "0.0.0.0 is not a unicast address"),
        ("ucast eth1 255.255.255.255", "is not a unicast address"),
        ("ucast eth1/2 10.0.0.2", "invalid interface name 'eth1/2'"),
        ("ucast eth1:0 10.0.0.2", "invalid interface name"),
        ("ucast abcdefghijklmnop 10.0.0.2", "invalid interface name"),
        ("bcast", "bcast needs at least one interface"),
        ("bcast eth0 eth1 eth0", "interface eth0 is listed twice"),
        ("mcast eth0 239.0.0.43 694 1", "mcast takes 5 argument(s)"),
        ("mcast eth0 10.0.0.43 694 1 0", "group 10.0.0.43 is not a multicast address"),
        ("mcast eth0 239.0.0.43 0 1 0", "port must be an integer from 1 to 65535, got '0'"),
        ("mcast eth0 239.0.0.43 65536 1 0", "port must be an integer from 1 to 65535"),
        ("mcast eth0 239.0.0.43 ha 1 0", "port must be an integer"),
        ("mcast eth0 239.0.0.43 694 256 0", "ttl must be an integer from 0 to 255, got '256'"),
        ("mcast eth0 239.0.0.43 694 -1 0", "ttl must be an integer from 0 to 255, got '-1'"),
        ("mcast eth0 239.0.0.43 694 1 2", "loop must be an integer from 0 to 1, got '2'"),
        ("mcast eth0 239.0.0.43 694 1 yes", "loop must be an integer from 0 to 1"),
        ("serial", "serial needs at least one tty"),
        ("serial ttyS0", "Serial port not full pathname [ttyS0] in config file"),
        ("serial /dev/hacore-no-such-tty", "Nonexistent serial port [/dev/hacore-no-such-tty]"),
        ("serial /", "Serial port [/] not a char device in config file"),
        ("serial /dev/null /dev/null", "tty /dev/null is listed twice"),
    ],
)
def test_bad_lines_name_the_problem_and_the_location(line: str, problem: str) -> None:
    keyword, *args = line.split()
    with pytest.raises(ConfigError) as caught:
        build(keyword, *args)
    assert problem in caught.value.message
    assert caught.value.location == HA_CF
    assert str(caught.value).startswith("/etc/ha.d/ha.cf:7: ")


@pytest.mark.parametrize("keyword", ["ucast", "bcast"])
@pytest.mark.parametrize("udpport", [0, 65536])
def test_udpport_out_of_range(keyword: str, udpport: int) -> None:
    args = ("eth1", "10.0.0.2") if keyword == "ucast" else ("eth1",)
    with pytest.raises(ConfigError, match=f"udpport {udpport} is out of range"):
        build(keyword, *args, udpport=udpport)


@pytest.mark.parametrize("baud", [0, 4800, 12345, 921600])
def test_serial_baud_must_be_one_heartbeat_knows(baud: int) -> None:
    with pytest.raises(ConfigError, match=f"baud rate {baud} is not supported"):
        build("serial", "/dev/null", baud=baud)


@pytest.mark.parametrize("baud", serial.HEARTBEAT_BAUD_RATES)
def test_every_heartbeat_baud_rate_is_accepted(baud: int) -> None:
    assert [t.link_name for t in build("serial", "/dev/null", "/dev/zero", baud=baud)] == [
        "null",
        "zero",
    ]


def test_build_opens_nothing_so_absent_interfaces_pass_the_check() -> None:
    (u,) = build("ucast", "nosuch0", "10.0.0.2", udpport=5694)
    assert (u.link_name, u.peer, u.port) == ("nosuch0", "10.0.0.2", 5694)  # type: ignore[attr-defined]
    links = [t.link_name for t in build("bcast", "nosuch0", "nosuch1")]
    assert links == ["nosuch0", "nosuch1"]
    (m,) = build("mcast", "nosuch0", "239.0.0.43", "5405", "0", "1", udpport=694)
    assert (m.link_name, m.group, m.port, m.ttl, m.loop) == (  # type: ignore[attr-defined]
        "nosuch0",
        "239.0.0.43",
        5405,
        0,
        True,
    )


@given(st.integers(min_value=-1000, max_value=1000))
def test_ttl_accepted_exactly_in_0_to_255(ttl: int) -> None:
    line = ("eth0", "239.0.0.43", "694", str(ttl), "0")
    if 0 <= ttl <= 255:
        assert build("mcast", *line)
    else:
        with pytest.raises(ConfigError, match="ttl must be"):
            build("mcast", *line)


@given(st.ip_addresses(v=4))
def test_group_accepted_exactly_when_multicast(address: ipaddress.IPv4Address) -> None:
    line = ("eth0", str(address), "694", "1", "0")
    if address.is_multicast:
        assert build("mcast", *line)
    else:
        with pytest.raises(ConfigError, match="not a multicast address"):
            build("mcast", *line)


@given(st.ip_addresses(v=4))
def test_ucast_peer_accepted_exactly_when_unicast(address: ipaddress.IPv4Address) -> None:
    unicast = not (address.is_multicast or int(address) in (0, 0xFFFFFFFF))
    if unicast:
        assert build("ucast", "eth0", str(address))
    else:
        with pytest.raises(ConfigError, match="not a unicast address"):
            build("ucast", "eth0", str(address))


def test_broadcast_destination_prefers_the_kernel_value_of_the_primary_address() -> None:
    addresses = [
        InterfaceAddress("10.0.0.1", 24, "10.0.0.127", secondary=False),
        InterfaceAddress("10.0.0.7", 24, "10.0.0.255", secondary=True),
    ]
    assert broadcast_destination(addresses) == "10.0.0.127"
    assert broadcast_destination(addresses[::-1]) == "10.0.0.127"


@pytest.mark.parametrize(
    ("address", "prefixlen", "expected"),
    [
        ("10.0.0.1", 24, "10.0.0.255"),
        ("172.16.5.9", 12, "172.31.255.255"),
        ("192.168.1.1", 30, "192.168.1.3"),
        ("192.168.1.1", 31, "255.255.255.255"),
        ("192.168.1.1", 32, "255.255.255.255"),
    ],
)
def test_broadcast_destination_without_brd_comes_from_the_prefix(
    address: str, prefixlen: int, expected: str
) -> None:
    for brd in (None, "0.0.0.0"):
        addresses = [InterfaceAddress(address, prefixlen, brd, secondary=False)]
        assert broadcast_destination(addresses) == expected


def test_no_primary_address_means_no_broadcast() -> None:
    assert broadcast_destination([]) is None
