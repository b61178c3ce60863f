"""Pure helpers for network rules: protocols, port ranges and world-wide CIDRs.

Security group rules and network ACL entries arrive in several spellings: the EC2 API writes
protocols as names (`tcp`) or numbers as strings (`"6"`), CloudFormation NACL entries use
integers (`6`, `-1`), Terraform writes `"all"` or `"-1"`, and templates often quote ports
(`"22"`). These helpers accept all of them, so that a control reads one meaning. A value that
is an `Unknown` raises `UnknownValue` (through `require`), never counts as closed.

"World" means every address of a family: 0.0.0.0/0 or ::/0 in any spelling (`1.2.3.4/0`),
and also a set of rules whose ranges together cover the whole family (0.0.0.0/1 plus
128.0.0.0/1), which is the same exposure written in pieces.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from railguard.model import require

ADMIN_PORTS = (22, 3389)
CIFS_PORT = 445

ALL = "all"
TCP = "tcp"
UDP = "udp"
ICMP = "icmp"
ICMPV6 = "icmpv6"

_PROTOCOL_NAMES = {
    "-1": ALL,
    "all": ALL,
    "any": ALL,
    "*": ALL,
    "6": TCP,
    "tcp": TCP,
    "17": UDP,
    "udp": UDP,
    "1": ICMP,
    "icmp": ICMP,
    "58": ICMPV6,
    "icmpv6": ICMPV6,
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

WORLD_V4 = ipaddress.ip_network("0.0.0.0/0")
WORLD_V6 = ipaddress.ip_network("::/0")


def protocol(value: Any) -> str:
    """Canonical protocol: `all`, `tcp`, `udp`, `icmp`, `icmpv6`, or the number as a string.

    A missing protocol is read as `all`: the conservative reading for an exposure check.
    """
    require(value, "IpProtocol")
    if value is None:
        return ALL
    text = str(value).strip().lower()
    if text.lstrip("-").isdigit():
        text = str(int(text))  # "06" -> "6"
    return _PROTOCOL_NAMES.get(text, text)


def port(value: Any, default: int) -> int:
    """A port bound as an int; None, "" and -1 (all ports) give `default`."""
    require(value, "port")
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        n = int(str(value).strip())
    except ValueError:
        return default
    return default if n < 0 else n


def port_range(from_port: Any, to_port: Any) -> tuple[int, int]:
    """Inclusive (from, to); missing or -1 bounds open the range to its end (0 / 65535)."""
    lo, hi = port(from_port, 0), port(to_port, 65535)
    if hi < lo:  # a single port written only as FromPort, or swapped bounds
        lo, hi = min(lo, hi), max(lo, hi)
    return lo, hi


def opens_port(proto: Any, from_port: Any, to_port: Any, target: int) -> bool:
    """Does a rule with this protocol and port range let TCP or UDP traffic reach `target`?

    Protocol `all` covers every port whatever the range says; ICMP and other protocols
    have no ports.
    """
    p = protocol(proto)
    if p == ALL:
        return True
    if p not in (TCP, UDP):
        return False
    lo, hi = port_range(from_port, to_port)
    return lo <= target <= hi


def parse_cidr(value: Any) -> Network | None:
    """The network of a CIDR string (host bits allowed), or None when absent or malformed."""
    require(value, "CIDR")
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if "/" not in text:  # a bare address is a /32 or /128
        text = f"{text}/{128 if ':' in text else 32}"
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def is_world(value: Any) -> bool:
    """Is this one CIDR the whole IPv4 or IPv6 address space?"""
    net = parse_cidr(value)
    return net is not None and net.prefixlen == 0


def covers_world(cidrs: Iterable[Any], version: int) -> bool:
    """Do these CIDRs, together, cover every address of IP `version` (4 or 6)?"""
    nets: list[Any] = [n for n in (parse_cidr(c) for c in cidrs) if n is not None and n.version == version]
    if not nets:
        return False
    world = WORLD_V4 if version == 4 else WORLD_V6
    return any(n == world for n in ipaddress.collapse_addresses(nets))


def covered_by(net: Network, others: Iterable[Network]) -> bool:
    """Is every address of `net` inside the union of `others` (same IP version)?"""
    same: list[Any] = [o for o in others if o.version == net.version]
    if not same:
        return False
    return any(net.subnet_of(o) for o in ipaddress.collapse_addresses(same))


def world_label(version: int) -> str:
    return "0.0.0.0/0" if version == 4 else "::/0"
