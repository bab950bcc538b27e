"""The IPaddr argument, split as Debian's IPaddr/IPaddr2 wrappers split it."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hacore_plugins.resources._ipargs import IpSpec, parse_ip_arg, parse_ip_args
from hypothesis import given
from hypothesis import strategies as st

from hacore.api import ConfigError, ResourceRequest
from hacore.plugins import load_plugins

IP = ipaddress.IPv4Address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.60", IpSpec(IP("10.0.0.60"))),
        ("10.0.0.60/24", IpSpec(IP("10.0.0.60"), 24)),
        ("10.0.0.60/255.255.255.0", IpSpec(IP("10.0.0.60"), 24)),
        ("10.0.0.60/24/eth0", IpSpec(IP("10.0.0.60"), 24, "eth0")),
        ("10.0.0.60/24/eth0:web", IpSpec(IP("10.0.0.60"), 24, "eth0", "eth0:web")),
        (
            "10.0.0.60/24/eth0/10.0.0.255",
            IpSpec(IP("10.0.0.60"), 24, "eth0", None, IP("10.0.0.255")),
        ),
        # a third field starting with a digit is the broadcast, as in the wrappers
        ("10.0.0.60/24/10.0.0.255", IpSpec(IP("10.0.0.60"), 24, None, None, IP("10.0.0.255"))),
        ("10.0.0.60/24/eth0/+", IpSpec(IP("10.0.0.60"), 24, "eth0", None, "+")),
        ("10.0.0.60/32", IpSpec(IP("10.0.0.60"), 32)),
        ("10.0.0.60/1", IpSpec(IP("10.0.0.60"), 1)),
    ],
)
def test_accepted_forms(text: str, expected: IpSpec) -> None:
    assert parse_ip_arg("IPaddr", text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty field"),
        ("10.0.0.60/", "empty field"),
        ("10.0.0.60//eth0", "empty field"),
        ("10.0.0.256", "not an IPv4 address"),
        ("0.1.2.3", "not a usable address"),
        ("fe80::1/64", "IPv6 is not supported"),
        ("node1", "not an IPv4 address"),
        ("10.0.0.60/0", "out of range 1-32"),
        ("10.0.0.60/33", "out of range 1-32"),
        ("10.0.0.60/255.0.255.0", "contiguous dotted quad"),
        ("10.0.0.60/0.0.0.0", "out of range"),
        ("10.0.0.60/24/eth0/10.0.0.300", "broadcast '10.0.0.300'"),
        ("10.0.0.60/24/eth0/10.0.0.255/extra", "unexpected field 'extra'"),
        ("10.0.0.60/24/averyveryverylongname0", "not an interface name"),
        ("10.0.0.60/24/eth0:", "label 'eth0:'"),
        ("10.0.0.60/24/ethernet0:toolong", "at most 15 characters"),
    ],
)
def test_rejected_forms_name_the_problem(text: str, why: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_ip_arg("IPaddr", text)
    assert why in str(caught.value)
    assert f"IPaddr::{text}" in str(caught.value)


def test_exactly_one_argument_as_the_wrappers_insist() -> None:
    with pytest.raises(ConfigError, match="exactly one argument"):
        parse_ip_args("IPaddr2", ("10.0.0.60", "eth0"))
    with pytest.raises(ConfigError, match="exactly one argument"):
        parse_ip_args("IPaddr2", ())


def test_the_resource_types_validate_at_config_time() -> None:
    registry = load_plugins()
    for name in ("IPaddr", "IPaddr2"):
        rtype = registry.resource_types[name]
        assert rtype.validate is not None
        good = ResourceRequest(f"{name}::10.0.0.60/24", name, ("10.0.0.60/24",), Path("/x"))
        rtype.validate(good)
        bad = ResourceRequest(f"{name}::10.0.0.60/99", name, ("10.0.0.60/99",), Path("/x"))
        with pytest.raises(ConfigError, match="out of range"):
            rtype.validate(bad)


ips = st.builds(IP, st.integers(min_value=1 << 24, max_value=(1 << 32) - 1))
masks = st.integers(min_value=1, max_value=32)
ifnames = st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True)
tags = st.from_regex(r"[a-z0-9]{1,4}", fullmatch=True)


@given(
    ip=ips,
    bits=st.none() | masks,
    dotted=st.booleans(),
    ifname=st.none() | ifnames,
    tag=st.none() | tags,
    broadcast=st.none() | ips,
)
def test_written_fields_round_trip(
    ip: IP,
    bits: int | None,
    dotted: bool,
    ifname: str | None,
    tag: str | None,
    broadcast: IP | None,
) -> None:
    if bits is None:  # the wrappers need a netmask before an interface or broadcast
        ifname = tag = broadcast = None
    label = f"{ifname}:{tag}" if ifname and tag else None
    parts = [str(ip)]
    if bits is not None:
        parts.append(str(ipaddress.IPv4Network(f"0.0.0.0/{bits}").netmask) if dotted else str(bits))
    if ifname:
        parts.append(label or ifname)
    if broadcast:
        parts.append(str(broadcast))
    assert parse_ip_arg("IPaddr", "/".join(parts)) == IpSpec(ip, bits, ifname, label, broadcast)


@given(st.text(alphabet="0123456789./:+-abeht ", max_size=40))
def test_any_text_parses_or_raises_config_error(text: str) -> None:
    try:
        spec = parse_ip_arg("IPaddr", text)
    except ConfigError:
        return
    assert spec.prefixlen is None or 1 <= spec.prefixlen <= 32
    assert str(spec.ip) == text.split("/")[0]
