"""Pure network helpers: protocol and port spellings, world CIDRs, set coverage."""

from __future__ import annotations

import ipaddress

import pytest

from railguard.controls.network import (
    ALL,
    ICMP,
    TCP,
    UDP,
    covered_by,
    covers_world,
    is_world,
    opens_port,
    parse_cidr,
    port_range,
    protocol,
)
from railguard.model import Unknown, UnknownValue


@pytest.mark.parametrize(
    ("value", "expected"),
    [("-1", ALL), (-1, ALL), ("all", ALL), ("ALL", ALL), (None, ALL), ("tcp", TCP), ("TCP", TCP), ("6", TCP),
     (6, TCP), ("06", TCP), ("udp", UDP), (17, UDP), ("icmp", ICMP), ("1", ICMP), ("50", "50")],
)
def test_protocol_spellings(value: object, expected: str) -> None:
    assert protocol(value) == expected


def test_port_ranges() -> None:
    assert port_range(22, 22) == (22, 22)
    assert port_range("22", "22") == (22, 22)
    assert port_range(-1, -1) == (0, 65535)
    assert port_range(None, None) == (0, 65535)
    assert port_range("", "") == (0, 65535)
    assert port_range(3389, 22) == (22, 3389)


@pytest.mark.parametrize(
    ("proto", "lo", "hi", "port", "expected"),
    [
        ("tcp", 22, 22, 22, True),
        ("tcp", "22", "22", 22, True),
        ("tcp", 0, 65535, 3389, True),
        ("tcp", 23, 3388, 22, False),
        ("tcp", 23, 3388, 3389, False),
        ("udp", 3389, 3389, 3389, True),
        ("-1", None, None, 22, True),
        ("-1", 80, 80, 22, True),  # all traffic ignores the port range
        (-1, None, None, 445, True),
        ("all", None, None, 22, True),
        ("icmp", -1, -1, 22, False),  # ICMP FromPort -1 is "all ICMP types", not all ports
        ("icmpv6", -1, -1, 22, False),
        ("tcp", -1, -1, 22, True),
        ("6", None, None, 22, True),
        ("50", None, None, 22, False),
    ],
)
def test_opens_port(proto: object, lo: object, hi: object, port: int, expected: bool) -> None:
    assert opens_port(proto, lo, hi, port) is expected


def test_unknown_raises() -> None:
    with pytest.raises(UnknownValue):
        opens_port(Unknown("ref"), 22, 22, 22)
    with pytest.raises(UnknownValue):
        opens_port("tcp", Unknown("param"), 22, 22)
    with pytest.raises(UnknownValue):
        is_world(Unknown("param"))


def test_world_cidrs() -> None:
    assert is_world("0.0.0.0/0")
    assert is_world("::/0")
    assert is_world("1.2.3.4/0")  # host bits set, still the whole space
    assert is_world(" 0.0.0.0/0 ")
    assert not is_world("0.0.0.0/1")
    assert not is_world("10.0.0.0/8")
    assert not is_world(None)
    assert not is_world("not-a-cidr")
    assert parse_cidr("10.1.2.3") == ipaddress.ip_network("10.1.2.3/32")


def test_covers_world_in_pieces() -> None:
    assert covers_world(["0.0.0.0/1", "128.0.0.0/1"], 4)
    assert covers_world(["0.0.0.0/0"], 4)
    assert not covers_world(["0.0.0.0/1"], 4)
    assert not covers_world(["0.0.0.0/0"], 6)
    assert covers_world(["::/1", "8000::/1"], 6)
    assert not covers_world([], 4)


def test_covered_by() -> None:
    n = ipaddress.ip_network
    assert covered_by(n("0.0.0.0/0"), [n("0.0.0.0/1"), n("128.0.0.0/1")])
    assert covered_by(n("10.1.0.0/16"), [n("10.0.0.0/8")])
    assert not covered_by(n("0.0.0.0/0"), [n("10.0.0.0/8")])
    assert not covered_by(n("0.0.0.0/0"), [n("::/0")])
    assert not covered_by(n("0.0.0.0/0"), [])
