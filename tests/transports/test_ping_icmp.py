"""ICMP echo encoding against a real Heartbeat 3.0.6 packet, and the ping media lines."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hacore_plugins.transports import ping
from hacore_plugins.transports._icmp import (
    MAX_DATA_LEN,
    EchoReply,
    checksum,
    echo_request,
    parse_echo_reply,
)
from hacore_plugins.transports.ping import PingTransport
from hypothesis import given
from hypothesis import strategies as st

from hacore.api import ConfigError, MediumConfig, SourceLocation
from hacore.plugins import load_plugins

VECTORS = Path(__file__).resolve().parents[1] / "data" / "vectors"
HA_CF = SourceLocation(Path("/etc/ha.d/ha.cf"), 12)
IP_HEADER = bytes.fromhex("4500009b6a8a400040017784ac100032ac100001")  # 20 bytes, no options


def captured_icmp() -> bytes:
    """The ICMP message of the one Ethernet frame in the vector's pcap."""
    pcap = (VECTORS / "hb_crc_ping_ns_st_icmp.pcap").read_bytes()
    (linktype,) = struct.unpack_from("<I", pcap, 20)
    assert linktype == 1, "Ethernet"
    (captured_len,) = struct.unpack_from("<I", pcap, 24 + 8)
    frame = pcap[24 + 16 : 24 + 16 + captured_len]
    ip_header_len = (frame[14] & 0x0F) * 4
    return frame[14 + ip_header_len :]


def as_received(icmp: bytes, ip_header: bytes = IP_HEADER) -> bytes:
    return ip_header + icmp


def reply_to(request: bytes) -> bytes:
    """What a ping node's kernel sends back: type 0, checksum adjusted, rest unchanged."""
    unsummed = b"\0\0\0\0" + request[4:]
    return b"\0\0" + struct.pack("!H", checksum(unsummed)) + request[4:]


# ---- encoding -----------------------------------------------------------------------


def test_echo_request_is_byte_identical_to_heartbeats() -> None:
    real = captured_icmp()
    data = (VECTORS / "hb_crc_ping_ns_st_icmp.bin").read_bytes()
    assert real[8:] == data
    (ident,) = struct.unpack_from("=H", real, 4)  # host order, as Heartbeat writes it
    (seq,) = struct.unpack_from("!H", real, 6)
    assert echo_request(ident, seq, data) == real  # type, code, checksum, id, seq, data


def test_checksum_matches_rfc1071_example() -> None:
    # RFC 1071 section 3: the one's complement sum of these words is 0xddf2.
    assert checksum(bytes.fromhex("0001f203f4f5f6f7")) == ~0xDDF2 & 0xFFFF


@given(st.binary(max_size=600))
def test_checksum_is_the_ones_complement_of_the_word_sum(data: bytes) -> None:
    padded = data + b"\0" * (len(data) % 2)
    total = sum(struct.unpack(f"!{len(padded) // 2}H", padded))
    while total >> 16:  # RFC 1071's end-around carry, word by word
        total = (total & 0xFFFF) + (total >> 16)

    assert checksum(data) == ~total & 0xFFFF
    assert checksum(b"\xff\xff" * (len(data) + 1)) == 0


@given(
    ident=st.integers(0, 0xFFFF),
    seq=st.integers(0, 0xFFFF),
    data=st.binary(max_size=600),
)
def test_reply_to_any_request_parses_back(ident: int, seq: int, data: bytes) -> None:
    request = echo_request(ident, seq, data)
    assert checksum(request) == 0
    assert request[0] == 8
    assert parse_echo_reply(as_received(reply_to(request))) == EchoReply(ident, seq, data)


def test_ip_options_are_skipped() -> None:
    with_options = bytes([0x46]) + IP_HEADER[1:] + b"\x01\x01\x01\x00"  # IHL 6: 4 option bytes
    reply = reply_to(echo_request(7, 9, b"data"))
    assert parse_echo_reply(with_options + reply) == EchoReply(7, 9, b"data")


@pytest.mark.parametrize(
    "datagram",
    [
        pytest.param(b"", id="empty"),
        pytest.param(IP_HEADER[:19], id="short IP header"),
        pytest.param(as_received(reply_to(echo_request(1, 1, b"x"))[:7]), id="short ICMP header"),
        pytest.param(
            bytes([0x65]) + as_received(reply_to(echo_request(1, 1, b"x")))[1:], id="IPv6"
        ),
        pytest.param(
            bytes([0x44]) + as_received(reply_to(echo_request(1, 1, b"x")))[1:], id="IHL 4"
        ),
        pytest.param(as_received(echo_request(1, 1, b"x")), id="echo request"),
        pytest.param(
            as_received(b"\x03\x01" + reply_to(echo_request(1, 1, b"x"))[2:]), id="unreachable"
        ),
        pytest.param(as_received(reply_to(echo_request(1, 1, b"x")) + b"!"), id="bad checksum"),
    ],
)
def test_anything_but_a_sound_echo_reply_is_refused(datagram: bytes) -> None:
    assert parse_echo_reply(datagram) is None


# ---- ha.cf lines --------------------------------------------------------------------


def build(keyword: str, *args: str) -> list[PingTransport]:
    types = {t.keyword: t for t in ping.hacore_transport_types()}
    transports = types[keyword].build(MediumConfig(keyword, args, 694, 19200, HA_CF))
    assert all(isinstance(t, PingTransport) for t in transports)
    return [t for t in transports if isinstance(t, PingTransport)]


def test_both_keywords_register_through_the_plugin_kernel() -> None:
    registry = load_plugins(extra=[ping], autoload=False)
    assert sorted(registry.transports) == ["ping", "ping_group"]
    assert all(t.description for t in registry.transports.values())


def test_ping_line_gives_one_link_per_address_named_after_it() -> None:
    (single,) = build("ping", "10.0.0.2")
    assert (single.link_name, single.addresses) == ("10.0.0.2", ("10.0.0.2",))
    assert [(t.link_name, t.addresses) for t in build("ping", "10.0.0.2", "10.0.0.3")] == [
        ("10.0.0.2", ("10.0.0.2",)),
        ("10.0.0.3", ("10.0.0.3",)),
    ]


def test_ping_group_is_one_link_named_after_the_group() -> None:
    (group,) = build("ping_group", "routers", "10.0.0.2", "10.0.0.3", "10.0.0.2")
    assert group.link_name == "routers"
    assert group.addresses == ("10.0.0.2", "10.0.0.3"), "a repeated member is pinged once"
    assert group.medium == "ping_group routers 10.0.0.2 10.0.0.3"


def test_build_opens_nothing() -> None:
    (transport,) = build("ping", "10.0.0.2")
    assert transport.ident is None
    transport.send(b"before start")  # neither raises nor sends
    assert transport.packets_sent == 0


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("ping", "ping takes at least one address, got none in 'ping'"),
        ("ping 10.0.0.256", "ping: '10.0.0.256' is not an IPv4 address"),
        ("ping router", "'router' is not an IPv4 address (host names are not resolved"),
        ("ping ::1", "'::1' is not an IPv4 address"),
        ("ping 10.0.0.2 010.0.0.3", "'010.0.0.3' is not an IPv4 address"),
        ("ping 224.0.0.1", "224.0.0.1 cannot be a ping node (it is not a unicast address)"),
        ("ping 0.0.0.0", "0.0.0.0 cannot be a ping node"),
        ("ping 255.255.255.255", "255.255.255.255 cannot be a ping node"),
        ("ping_group", "ping_group takes a group name and at least one address, got 'ping_group'"),
        ("ping_group routers", "got 'ping_group routers'"),
        ("ping_group routers 10.0.0.2 gw", "ping_group: 'gw' is not an IPv4 address"),
        ("ping_group routers 10.0.0.2 239.1.1.1", "239.1.1.1 cannot be a ping node"),
    ],
)
def test_bad_lines_are_refused_naming_the_problem_and_place(line: str, problem: str) -> None:
    keyword, *args = line.split()
    with pytest.raises(ConfigError) as caught:
        build(keyword, *args)
    assert problem in caught.value.message
    assert caught.value.location == HA_CF
    assert str(caught.value).startswith("/etc/ha.d/ha.cf:12: ")


def test_largest_payload_fits_an_ipv4_datagram() -> None:
    assert 20 + len(echo_request(1, 1, bytes(MAX_DATA_LEN))) == 0xFFFF
