"""Security groups: take world-open ingress away, rule by rule, keeping every other rule.

The plan works on the scanned group's rules (one entry per source, as the collector and
CloudFormation write them), so planning costs no API call; apply is one
`RevokeSecurityGroupIngress` naming exactly the offending rules, plus one
`AuthorizeSecurityGroupIngress` only when something is put back (the rest of a port range, or
`allow_cidrs`). Undo revokes what was put back and re-authorizes exactly the revoked rules,
descriptions included.

Only rules from a whole address family (0.0.0.0/0, ::/0) are offending; a family covered by
pieces (0.0.0.0/1 + 128.0.0.0/1) is left as it is, and verify then reports the finding as
not fixed, which rolls the change back.
"""

from __future__ import annotations

import abc
import ipaddress
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import Field, field_validator

from railguard.controls.network import (
    ADMIN_PORTS,
    TCP,
    UDP,
    is_world,
    opens_port,
    parse_cidr,
    port_range,
    protocol,
)
from railguard.model import Resource, require
from railguard.remediation.action import Action, ActionError, Change, Params, Risk, Target, action

SG = "AWS::EC2::SecurityGroup"
REVOKE = "ec2:RevokeSecurityGroupIngress"
AUTHORIZE = "ec2:AuthorizeSecurityGroupIngress"
DESCRIBE = "ec2:DescribeSecurityGroups"
_CIDR_KEYS = {4: "CidrIp", 6: "CidrIpv6"}

Rule = dict[str, Any]
Port = int


def _port(value: int) -> int:
    if not 0 <= value <= 65535:
        raise ValueError("a port is between 0 and 65535")
    return value


class _WorldParams(Params):
    ip_versions: list[Literal[4, 6]] = Field(default=[4, 6], min_length=1, description="address families to close")


class RestrictParams(_WorldParams):
    ports: list[int] | Literal["all"] = Field(
        default=list(ADMIN_PORTS), description='ports whose world-open rules are taken away, or "all"'
    )
    allow_cidrs: list[str] = Field(default=[], description="ranges given the taken-away ports instead of the world")
    keep_other_ports: bool = Field(
        default=True, description="put back the rest of a TCP/UDP port range that covered a selected port"
    )

    @field_validator("ports")
    @classmethod
    def _ports(cls, v: list[int] | str) -> list[int] | str:
        if isinstance(v, list):
            if not v:
                raise ValueError('name at least one port, or "all"')
            for p in v:
                _port(p)
            return sorted(set(v))
        return v

    @field_validator("allow_cidrs")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        out = []
        for text in v:
            try:
                net = ipaddress.ip_network(text, strict=True)
            except ValueError as exc:
                raise ValueError(f"{text!r} is not a CIDR range ({exc})") from None
            if net.prefixlen == 0:
                raise ValueError(f"{text!r} is the whole address space: that is what this action removes")
            out.append(str(net))
        return list(dict.fromkeys(out))


class RevokeParams(_WorldParams):
    pass


# ---------------------------------------------------------------- rules <-> API permissions


def rule_key(rule: Mapping[str, Any]) -> str:
    """A rule's identity for the API: protocol, ports and source, not its description."""
    return json.dumps({k: v for k, v in rule.items() if k != "Description"}, sort_keys=True)


def canonical(rules: Iterable[Mapping[str, Any]]) -> list[Rule]:
    """Rules in a stable order, so that two reads of one group compare equal."""
    return sorted((dict(r) for r in rules), key=lambda r: json.dumps(r, sort_keys=True))


def to_permissions(rules: Sequence[Mapping[str, Any]], *, descriptions: bool) -> list[dict[str, Any]]:
    """CIDR rules (one per source) -> the API's IpPermissions, grouped by protocol and ports."""
    grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
    for rule in rules:
        key = (rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"))
        perm = grouped.get(key)
        if perm is None:
            perm = {"IpProtocol": rule["IpProtocol"]}
            for k in ("FromPort", "ToPort"):
                if rule.get(k) is not None:
                    perm[k] = rule[k]
            grouped[key] = perm
        desc = {"Description": rule["Description"]} if descriptions and rule.get("Description") else {}
        if "CidrIp" in rule:
            perm.setdefault("IpRanges", []).append({"CidrIp": rule["CidrIp"], **desc})
        elif "CidrIpv6" in rule:
            perm.setdefault("Ipv6Ranges", []).append({"CidrIpv6": rule["CidrIpv6"], **desc})
        else:
            raise ActionError(f"only CIDR rules are changed by this action, not {rule}")
    return list(grouped.values())


def _version(rule: Mapping[str, Any]) -> int | None:
    for version, key in _CIDR_KEYS.items():
        if key in rule:
            return version
    return None


def _ranges_without(lo: int, hi: int, ports: Sequence[int]) -> list[tuple[int, int]]:
    """[lo, hi] with `ports` cut out, as inclusive ranges."""
    out: list[tuple[int, int]] = []
    start = lo
    for p in sorted(p for p in ports if lo <= p <= hi):
        if start <= p - 1:
            out.append((start, p - 1))
        start = p + 1
    if start <= hi:
        out.append((start, hi))
    return out


def _reaches(rule: Mapping[str, Any], ports: Sequence[int] | None) -> bool:
    if ports is None:
        return True
    return any(opens_port(rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"), p) for p in ports)


def _with_ports(rule: Mapping[str, Any], lo: int, hi: int, **source: Any) -> Rule:
    out: Rule = {"IpProtocol": rule["IpProtocol"], "FromPort": lo, "ToPort": hi}
    out.update(source or {k: rule[k] for k in ("CidrIp", "CidrIpv6") if k in rule})
    if rule.get("Description"):
        out["Description"] = rule["Description"]
    return out


def _ingress(resource: Resource) -> list[Rule]:
    rules = require(resource.get("SecurityGroupIngress") or [], "SecurityGroupIngress")
    for i, r in enumerate(rules):
        require(r, f"SecurityGroupIngress.{i}")
    return [dict(r) for r in rules]


# ---------------------------------------------------------------- the plan


def plan_rules(
    ingress: Sequence[Rule],
    ports: Sequence[int] | None,
    versions: Sequence[int],
    allow_cidrs: Sequence[str] = (),
    keep_other_ports: bool = False,
) -> tuple[list[Rule], list[Rule]]:
    """(rules to revoke, rules to add back); `ports` None means every port. Pure: the heart of
    both security-group actions."""
    revoke = [
        r for r in ingress
        if _version(r) in versions and is_world(r[_CIDR_KEYS[_version(r) or 4]]) and _reaches(r, ports)
    ]
    add: list[Rule] = []
    for r in revoke:
        proto = protocol(r.get("IpProtocol"))
        version = _version(r)
        allow = [c for c in allow_cidrs if (parse_cidr(c) or ipaddress.ip_network("0.0.0.0/0")).version == version]
        key = _CIDR_KEYS[version or 4]
        if ports is None or proto not in (TCP, UDP):
            add += [{**r, key: c} for c in allow]  # the whole rule, from the allowed ranges instead
            continue
        lo, hi = port_range(r.get("FromPort"), r.get("ToPort"))
        selected = [p for p in ports if lo <= p <= hi]
        if keep_other_ports:
            add += [_with_ports(r, a, b) for a, b in _ranges_without(lo, hi, selected)]
        add += [_with_ports(r, p, p, **{key: c}) for p in selected for c in allow]
    existing = {rule_key(r) for r in ingress if r not in revoke}
    unique: dict[str, Rule] = {}
    for r in add:
        k = rule_key(r)
        if k not in existing and k not in unique:
            unique[k] = r
    return revoke, list(unique.values())


def _describe(rules: Sequence[Rule]) -> str:
    def one(r: Rule) -> str:
        proto = protocol(r.get("IpProtocol"))
        ports = "" if proto not in (TCP, UDP) else f"/{r.get('FromPort')}" + (
            f"-{r.get('ToPort')}" if r.get("ToPort") != r.get("FromPort") else ""
        )
        return f"{proto}{ports} from {r.get('CidrIp') or r.get('CidrIpv6')}"

    return ", ".join(one(r) for r in rules)


class _WorldIngress(Action):
    """Shared by both security-group actions; subclasses choose the ports and what is put back."""

    @abc.abstractmethod
    def _select(self, p: Any) -> tuple[Sequence[int] | None, Sequence[str], bool]:
        """(ports, or None for every port; ranges allowed instead; put back the rest of a range?)."""

    def build(self, target: Target, params: Any) -> Change:
        r = target.resource
        ingress = _ingress(r)
        ports, allow, keep = self._select(params)
        revoke, add = plan_rules(ingress, ports, params.ip_versions, allow, keep)
        prior = {"GroupId": r.id, "SecurityGroupIngress": canonical(ingress), "revoke": revoke, "add": add}
        if not revoke:
            return self.change(target, params, f"{r.id}: no world-open ingress to remove", prior=prior, noop=True)
        kept = len(ingress) - len(revoke)
        summary = f"revoke {_describe(revoke)} on {r.id} ({kept} rule(s) kept)"
        if add:
            summary += f"; add {_describe(add)}"
        return self.change(
            target, params, summary, prior=prior, calls=(REVOKE, AUTHORIZE) if add else (REVOKE,)
        )

    def apply(self, target: Target, change: Change) -> Mapping[str, Any]:
        ec2 = target.client("ec2")
        gid = change.prior["GroupId"]
        revoke, add = change.prior["revoke"], change.prior["add"]
        ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=to_permissions(revoke, descriptions=False))
        if add:
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=to_permissions(add, descriptions=True))
        return {"revoked": len(revoke), "added": len(add)}

    def undo(self, target: Target, change: Change, applied: Mapping[str, Any]) -> None:
        ec2 = target.client("ec2")
        gid = change.prior["GroupId"]
        if change.prior["add"]:
            ec2.revoke_security_group_ingress(
                GroupId=gid, IpPermissions=to_permissions(change.prior["add"], descriptions=False)
            )
        ec2.authorize_security_group_ingress(
            GroupId=gid, IpPermissions=to_permissions(change.prior["revoke"], descriptions=True)
        )

    def state(self, resource: Resource) -> Mapping[str, Any]:
        return {"GroupId": resource.id, "SecurityGroupIngress": canonical(_ingress(resource))}


@action(
    "ec2.restrict-world-ingress",
    title="Take the selected ports' world-open ingress off a security group, optionally allowing known ranges",
    resource_types=SG,
    calls=[REVOKE, AUTHORIZE, DESCRIBE],
    risk=Risk(breaks_traffic=True, note="clients reaching the selected ports from outside allow_cidrs lose access"),
    fixes=[
        "ec2.sg-admin-port-open-to-world",
        "ec2.sg-admin-port-open-to-world-ipv4",
        "ec2.sg-admin-port-open-to-world-ipv6",
    ],
)
class RestrictWorldIngress(_WorldIngress):
    """Revokes only the 0.0.0.0/0 and ::/0 rules that reach the selected ports (default 22 and
    3389); a TCP/UDP range that also covered other ports is put back without the selected ones;
    `allow_cidrs` get the selected ports instead. Every other rule is kept. An all-traffic rule
    from the world is revoked whole (it has no ports to split)."""

    params_model = RestrictParams

    def _select(self, p: Any) -> tuple[Sequence[int] | None, Sequence[str], bool]:
        return None if p.ports == "all" else p.ports, p.allow_cidrs, p.keep_other_ports


@action(
    "ec2.revoke-world-ingress",
    title="Revoke every ingress rule open to 0.0.0.0/0 or ::/0 on a security group",
    resource_types=SG,
    calls=[REVOKE, AUTHORIZE, DESCRIBE],
    risk=Risk(breaks_traffic=True, note="anything served to the internet through this group stops answering"),
    fixes=[
        "ec2.sg-admin-port-open-to-world",
        "ec2.sg-admin-port-open-to-world-ipv4",
        "ec2.sg-admin-port-open-to-world-ipv6",
        "ec2.sg-cifs-open-to-world",
        "ec2.sg-world-ingress-undescribed",
    ],
)
class RevokeWorldIngress(_WorldIngress):
    """Revokes every rule whose source is a whole address family, on any port; keeps the rest."""

    params_model = RevokeParams

    def _select(self, p: Any) -> tuple[Sequence[int] | None, Sequence[str], bool]:
        return None, (), False
