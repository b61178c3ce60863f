"""EC2 and VPC controls: security groups, network ACLs, default groups, flow logs, instances,
VPC peering (CIS AWS Foundations section 5, 3.7 flow logs, 1.18/1.17 instance roles, and the
network items of railguard-baseline).

Every control reads the CloudFormation shape, so the same function decides a live group and a
template's group. Security group rules are one entry per source, as CloudFormation writes them
(`SecurityGroupIngress: [{IpProtocol, FromPort, ToPort, CidrIp | CidrIpv6 | ..., Description}]`);
network ACL entries are `AWS::EC2::NetworkAclEntry` resources that name their ACL, or an inline
`Entries` list of the same shape on the ACL (the live collector and loaders that fold inline
rules write it). Live-only facts (instance state, public IP, flow log status) come from
`Resource.live`, documented in `railguard/sources/aws/collectors/ec2.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from railguard.controls import Context, control
from railguard.controls.helpers import as_list, blame, refers_to, same_scope, truthy
from railguard.controls.network import (
    ADMIN_PORTS,
    ALL,
    CIFS_PORT,
    TCP,
    UDP,
    Network,
    covered_by,
    covers_world,
    is_world,
    opens_port,
    parse_cidr,
    port_range,
    world_label,
)
from railguard.controls.network import protocol as net_protocol
from railguard.model import (
    Resource,
    Severity,
    Unknown,
    UnknownValue,
    Verdict,
    failed,
    passed,
    require,
    unknown,
)

SG = "AWS::EC2::SecurityGroup"
NACL = "AWS::EC2::NetworkAcl"
NACL_ENTRY = "AWS::EC2::NetworkAclEntry"
VPC = "AWS::EC2::VPC"
FLOW_LOG = "AWS::EC2::FlowLog"
INSTANCE = "AWS::EC2::Instance"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
SUBNET = "AWS::EC2::Subnet"
PEERING = "AWS::EC2::VPCPeeringConnection"

_CIDR_KEY = {4: "CidrIp", 6: "CidrIpv6"}
_GONE_STATES = {"terminated"}
_GONE_PEERING = {"deleted", "deleting", "rejected", "failed", "expired"}


# ---------------------------------------------------------------- shared readers


def _clean(value: Any) -> Any:
    """Evidence must be plain data: an Unknown nested in a rule becomes its reason."""
    if isinstance(value, Unknown):
        return f"<unknown: {value.reason}>"
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _rules(r: Resource, key: str) -> list[Mapping[str, Any]]:
    out = []
    for i, rule in enumerate(as_list(r.get(key))):
        require(rule, f"{key}.{i}")
        if isinstance(rule, Mapping):
            out.append(rule)
    return out


def _world_exposures(r: Resource, ports: Iterable[int], versions: Iterable[int]) -> list[dict[str, Any]]:
    """For each (port, IP version) open to the whole address family: the rules that open it.

    Rules are allows without order, so a family is open when the ranges of the rules that
    reach the port cover it, alone (0.0.0.0/0) or together (0.0.0.0/1 + 128.0.0.0/1). An
    Unknown in a rule that could matter makes the whole answer unknown unless something is
    already open: a FAIL seen in the known rules stays a FAIL.
    """
    rules = _rules(r, "SecurityGroupIngress")
    exposures: list[dict[str, Any]] = []
    pending: UnknownValue | None = None
    for p in ports:
        for version in versions:
            key = _CIDR_KEY[version]
            matching: list[Mapping[str, Any]] = []
            for i, rule in enumerate(rules):
                try:
                    if key not in rule:
                        continue
                    if not opens_port(rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"), p):
                        continue
                    if parse_cidr(require(rule.get(key), key)) is not None:
                        matching.append(rule)
                except UnknownValue as exc:
                    pending = pending or UnknownValue(f"SecurityGroupIngress.{i}.{exc.path}", exc.unknown)
            if covers_world((m[key] for m in matching), version):
                offenders = [m for m in matching if _wide(m[key])] or matching
                exposures.append(
                    {"port": p, "source": world_label(version), "rules": [_clean(dict(m)) for m in offenders],
                     **({"__where__": where} if (where := blame(offenders)) else {})}
                )
    if not exposures and pending is not None:
        raise pending
    return exposures


def _wide(cidr: Any) -> bool:
    """Evidence keeps the rules that make up the world range, not narrow neighbours."""
    net = parse_cidr(cidr)
    return net is not None and net.prefixlen <= 8


def _exposure_verdict(r: Resource, ports: tuple[int, ...], versions: tuple[int, ...], what: str) -> Verdict:
    exposures = _world_exposures(r, ports, versions)
    if exposures:
        opened = sorted({f"{e['port']} from {e['source']}" for e in exposures})
        where: dict[str, Any] = next((e.pop("__where__") for e in exposures if "__where__" in e), {})
        for e in exposures:
            e.pop("__where__", None)
        return failed(f"ingress open to the world on {what}: {', '.join(opened)}", exposures=exposures, **where)
    sources = " or ".join(world_label(v) for v in versions)
    return passed(f"no ingress from {sources} to {what}")


def _related(ctx: Context, type_: str, r: Resource) -> list[Resource]:
    return ctx.inventory.of_type(
        type_, account=r.account, region=r.region, where=lambda o: same_scope(o, r)
    )


def _instance_gone(r: Resource) -> bool:
    state = r.live.get("state") if r.is_live else None
    return isinstance(state, str) and state.lower() in _GONE_STATES


# ---------------------------------------------------------------- security groups


@control(
    "ec2.sg-admin-port-open-to-world-ipv4",
    title="Security group allows ingress from 0.0.0.0/0 to remote server administration ports (22, 3389)",
    resource=SG,
    severity=Severity.HIGH,
    fix="Remove the 0.0.0.0/0 rule for ports 22/3389; allow a known CIDR or use SSM Session Manager.",
    remediation="ec2.restrict-world-ingress",
)
def sg_admin_port_open_ipv4(r: Resource) -> Verdict:
    """TCP/UDP/all-traffic rules reaching 22 or 3389 from the whole IPv4 space (CIS 5.2)."""
    return _exposure_verdict(r, ADMIN_PORTS, (4,), "administration ports 22/3389")


@control(
    "ec2.sg-admin-port-open-to-world-ipv6",
    title="Security group allows ingress from ::/0 to remote server administration ports (22, 3389)",
    resource=SG,
    severity=Severity.HIGH,
    fix="Remove the ::/0 rule for ports 22/3389; allow a known CIDR or use SSM Session Manager.",
    remediation="ec2.restrict-world-ingress",
)
def sg_admin_port_open_ipv6(r: Resource) -> Verdict:
    """TCP/UDP/all-traffic rules reaching 22 or 3389 from the whole IPv6 space (CIS 5.3)."""
    return _exposure_verdict(r, ADMIN_PORTS, (6,), "administration ports 22/3389")


@control(
    "ec2.sg-admin-port-open-to-world",
    title="Security group allows ingress from 0.0.0.0/0 or ::/0 to remote administration ports (22, 3389)",
    resource=SG,
    severity=Severity.HIGH,
    fix="Remove world-open rules for ports 22/3389; allow a known CIDR or use SSM Session Manager.",
    remediation="ec2.restrict-world-ingress",
)
def sg_admin_port_open(r: Resource) -> Verdict:
    """Either address family open to 22 or 3389: the one control a guardrail names."""
    return _exposure_verdict(r, ADMIN_PORTS, (4, 6), "administration ports 22/3389")


@control(
    "ec2.sg-cifs-open-to-world",
    title="Security group allows ingress from 0.0.0.0/0 or ::/0 to CIFS port 445",
    resource=SG,
    severity=Severity.HIGH,
    fix="Remove world-open rules for port 445; SMB/CIFS must never face the internet.",
    remediation="ec2.revoke-world-ingress",
)
def sg_cifs_open(r: Resource) -> Verdict:
    """Port 445 from either whole address family (CIS 5.0 5.1.2)."""
    return _exposure_verdict(r, (CIFS_PORT,), (4, 6), "CIFS port 445")


# Databases, caches, queues and search engines, plus AWS FSBP EC2.19's high-risk ports (FTP, telnet,
# SMTP, POP3, IMAP, RPC, dashboards and dev servers); 22/3389/445 have their own controls.
HIGH_RISK_PORTS = (
    20, 21, 23, 25, 110, 135, 143, 1433, 1434, 1521, 2375, 2376, 2483, 2484, 3000, 3306, 4333, 5000, 5432,
    5500, 5601, 5672, 5984, 6379, 7000, 7001, 7199, 8080, 8088, 8888, 9042, 9092, 9160, 9200, 9300, 11211,
    27017, 27018, 61616,
)


@control(
    "ec2.sg-all-ports-open-to-world",
    title="Security group allows ingress from 0.0.0.0/0 or ::/0 on all ports",
    resource=SG,
    severity=Severity.HIGH,
    fix="Replace the all-traffic world rule with the few ports the service needs, from known sources.",
)
def sg_all_ports_open(r: Resource) -> Verdict:
    """A rule from the whole IPv4 or IPv6 space for all traffic (protocol -1) or for every TCP or UDP
    port (0-65535): everything the instances listen on faces the internet."""
    offenders: list[Mapping[str, Any]] = []
    pending: UnknownValue | None = None
    for i, rule in enumerate(_rules(r, "SecurityGroupIngress")):
        try:
            if not any(is_world(require(rule.get(k), k)) for k in ("CidrIp", "CidrIpv6")):
                continue
            proto = net_protocol(require(rule.get("IpProtocol"), "IpProtocol"))
            lo, hi = port_range(require(rule.get("FromPort"), "FromPort"), require(rule.get("ToPort"), "ToPort"))
            if proto == ALL or (proto in (TCP, UDP) and lo <= 1 and hi >= 65535):
                offenders.append(rule)
        except UnknownValue as exc:
            pending = pending or UnknownValue(f"SecurityGroupIngress.{i}.{exc.path}", exc.unknown)
    if offenders:
        return failed(f"{len(offenders)} ingress rule(s) open every port to the world",
                      rules=[_clean(dict(x)) for x in offenders], **blame(offenders))
    if pending is not None:
        raise pending
    return passed("no ingress rule opens every port to the world")


@control(
    "ec2.sg-high-risk-port-open-to-world",
    title="Security group allows ingress from 0.0.0.0/0 or ::/0 to database, cache, queue or other high-risk ports",
    resource=SG,
    severity=Severity.HIGH,
    params={"ports": list(HIGH_RISK_PORTS)},
    fix="Remove world-open rules for database, cache and queue ports; reach them from the VPC or a known CIDR.",
)
def sg_high_risk_port_open(r: Resource, ctx: Context) -> Verdict:
    """`ports` (default: databases, caches, queues, search, AWS FSBP EC2.19's list) reachable from a whole
    address family, alone or by adjacent rules (0.0.0.0/1 + 128.0.0.0/1)."""
    ports = tuple(int(p) for p in ctx.params.get("ports") or HIGH_RISK_PORTS)
    return _exposure_verdict(r, ports, (4, 6), "high-risk ports")


@control(
    "ec2.default-sg-restricts-all",
    title="Default security group of a VPC allows traffic",
    resource=SG,
    severity=Severity.MEDIUM,
    fix="Remove every inbound and outbound rule from the VPC's default security group.",
    places=("live",),
)
def default_sg_restricts_all(r: Resource) -> Verdict | None:
    """Only groups named `default` (one per VPC, created by AWS): any rule at all fails (CIS 5.4).
    Templates cannot declare a default group, so this runs live only."""
    if r.get("GroupName") != "default":
        return None
    ingress = _rules(r, "SecurityGroupIngress")
    egress = _rules(r, "SecurityGroupEgress")
    if ingress or egress:
        return failed(
            f"default security group has {len(ingress)} inbound and {len(egress)} outbound rule(s)",
            ingress=[_clean(dict(x)) for x in ingress[:10]],
            egress=[_clean(dict(x)) for x in egress[:10]],
        )
    return passed("default security group has no rules")


_PLACEHOLDER = re.compile(
    r"^\s*(?:|-+|\.+|x+|n/?a|none|null|tbd|todo|test(?:ing)?|temp(?:orary)?|default|rule|"
    r"open|public|any(?:where)?|all(?: traffic)?|allow(?:ed)?(?: all| any| all traffic)?|"
    r"world|internet|inbound|ingress|description)\s*$",
    re.IGNORECASE,
)
_GENERIC_PREFIX = re.compile(r"^\s*(?:launch-wizard|created by\b)", re.IGNORECASE)


def generic_description(text: Any) -> bool:
    """Empty, placeholder or tool-generated text that says nothing about why a rule exists."""
    if text is None:
        return True
    s = str(text)
    return bool(_PLACEHOLDER.match(s) or _GENERIC_PREFIX.match(s) or len(s.strip()) < 3)


@control(
    "ec2.sg-world-ingress-undescribed",
    title="World-open security group ingress rule has no description that justifies it",
    resource=SG,
    severity=Severity.LOW,
    fix="Give every 0.0.0.0/0 or ::/0 ingress rule a Description saying why it must be public.",
    remediation="ec2.revoke-world-ingress",
)
def sg_world_ingress_undescribed(r: Resource) -> Verdict:
    """Every rule from 0.0.0.0/0 or ::/0 must carry a description; "launch-wizard-*", "Created
    by ..." and placeholders count as none."""
    offenders = []
    blamed: list[Mapping[str, Any]] = []
    world_rules = 0
    pending: UnknownValue | None = None
    for i, rule in enumerate(_rules(r, "SecurityGroupIngress")):
        try:
            if not any(is_world(require(rule.get(k), k)) for k in ("CidrIp", "CidrIpv6")):
                continue
            world_rules += 1
            if generic_description(require(rule.get("Description"), "Description")):
                offenders.append(_clean(dict(rule)))
                blamed.append(rule)
        except UnknownValue as exc:
            pending = pending or UnknownValue(f"SecurityGroupIngress.{i}.{exc.path}", exc.unknown)
    if offenders:
        return failed(
            f"{len(offenders)} world-open ingress rule(s) without a justifying description", rules=offenders,
            **blame(blamed),
        )
    if pending is not None:
        raise pending
    if not world_rules:
        return passed("no world-open ingress rules")
    return passed(f"all {world_rules} world-open ingress rule(s) are described")


# ---------------------------------------------------------------- network ACLs


def _nacl_entries(r: Resource, ctx: Context) -> list[Mapping[str, Any]]:
    """Entries of an ACL: its inline `Entries` and the entry resources that name it, by
    (direction, rule number) so that the two forms of one rule count once."""
    by_key: dict[tuple[bool, str], Mapping[str, Any]] = {}
    for i, e in enumerate(as_list(r.get("Entries"))):
        require(e, f"Entries.{i}")
        if isinstance(e, Mapping):
            by_key[(truthy(e.get("Egress")), str(e.get("RuleNumber")))] = e
    for res in _related(ctx, NACL_ENTRY, r):
        acl = res.get_raw("NetworkAclId")
        if isinstance(acl, Unknown):
            # an entry that might belong to this ACL: its rules could open or close it
            raise UnknownValue(f"{res.id}.NetworkAclId", acl)
        if refers_to(acl, r):
            e = res.properties
            by_key[(truthy(e.get("Egress")), str(e.get("RuleNumber")))] = e
    return list(by_key.values())


def _rule_number(e: Mapping[str, Any]) -> int:
    n = require(e.get("RuleNumber"), "RuleNumber")
    try:
        return int(str(n))
    except ValueError:
        return 32767


@control(
    "ec2.nacl-admin-port-open-to-world",
    title="Network ACL allows ingress from 0.0.0.0/0 or ::/0 to remote server administration ports",
    resource=NACL,
    reads=[NACL_ENTRY],
    severity=Severity.MEDIUM,
    fix="Add a lower-numbered deny for 22/3389 from 0.0.0.0/0 and ::/0, or narrow the allow rule.",
)
def nacl_admin_port_open(r: Resource, ctx: Context) -> Verdict:
    """Inbound entries in rule order (CIS 5.1): an allow from the whole address family for TCP,
    UDP or all traffic reaching 22 or 3389 fails, unless lower-numbered rules already decide
    every address it names (a deny of 0.0.0.0/0 on that port before it protects the port)."""
    entries = [e for e in _nacl_entries(r, ctx) if not truthy(require(e.get("Egress"), "Egress"))]
    entries.sort(key=_rule_number)
    exposures: list[dict[str, Any]] = []
    pending: UnknownValue | None = None
    for p in ADMIN_PORTS:
        for version, key in ((4, "CidrBlock"), (6, "Ipv6CidrBlock")):
            decided: list[Network] = []
            allowed: list[tuple[Network, Mapping[str, Any]]] = []
            for e in entries:
                try:
                    rng = require(e.get("PortRange"), "PortRange") or {}
                    if not opens_port(e.get("Protocol"), rng.get("From"), rng.get("To"), p):
                        continue
                    net = parse_cidr(e.get(key))
                    if net is None or net.version != version:
                        continue
                    action = str(require(e.get("RuleAction"), "RuleAction")).lower()
                except UnknownValue as exc:
                    pending = pending or UnknownValue(f"rule {e.get('RuleNumber')}: {exc.path}", exc.unknown)
                    continue
                if action == "allow" and not covered_by(net, decided):
                    allowed.append((net, e))
                decided.append(net)
            if covers_world((n for n, _ in allowed), version):
                exposures.append(
                    {
                        "port": p,
                        "source": world_label(version),
                        "rules": [_clean(dict(e)) for n, e in allowed if n.prefixlen <= 8],
                    }
                )
    if pending is not None:
        # rule order decides: an unreadable rule may deny or allow before any other
        raise pending
    if exposures:
        opened = sorted({f"{e['port']} from {e['source']}" for e in exposures})
        return failed(f"network ACL allows {', '.join(opened)}", exposures=exposures)
    return passed("no inbound rule allows 22/3389 from 0.0.0.0/0 or ::/0")


# ---------------------------------------------------------------- VPCs


@control(
    "ec2.vpc-flow-logs",
    title="VPC flow logging is not enabled for rejected traffic",
    resource=VPC,
    reads=[FLOW_LOG],
    severity=Severity.MEDIUM,
    fix="Create a VPC flow log with TrafficType REJECT or ALL (to CloudWatch Logs or S3).",
    remediation="ec2.vpc-flow-logs",
)
def vpc_flow_logs(r: Resource, ctx: Context) -> Verdict:
    """A flow log on the VPC itself (not only on subnets or interfaces) recording REJECT or ALL
    traffic (CIS 3.7 / 3.9); live, only active flow logs count."""
    unknown_ref: Unknown | None = None
    accept_only: list[str] = []
    for fl in _related(ctx, FLOW_LOG, r):
        ref = fl.get_raw("ResourceId")
        if isinstance(ref, Unknown):
            unknown_ref = unknown_ref or ref
            continue
        if not refers_to(ref, r):
            continue
        if fl.is_live and str(fl.live.get("flow_log_status", "ACTIVE")).upper() != "ACTIVE":
            continue
        traffic = fl.get_raw("TrafficType")
        if isinstance(traffic, Unknown):
            unknown_ref = unknown_ref or traffic
            continue
        if str(traffic).upper() in ("ALL", "REJECT"):
            return passed(f"flow log {fl.display_name} records {str(traffic).upper()} traffic",
                          flow_log=fl.id, traffic_type=str(traffic).upper())
        accept_only.append(fl.id)
    if unknown_ref is not None:
        return unknown(f"a flow log's target or traffic type is unknown ({unknown_ref.reason})")
    gap = ctx.inventory.gap_for([FLOW_LOG], r.account, r.region) if r.is_live else None
    if gap is not None:  # "no flow log" would be a guess when flow logs could not be read
        return unknown(f"flow logs could not be read in {gap.region}: {gap.reason}")
    if accept_only:
        return failed("flow logs record only ACCEPT traffic, not rejected traffic", flow_logs=accept_only)
    return failed("no VPC flow log", vpc=r.id)


@control(
    "ec2.vpc-peering-unknown-account",
    title="VPC peering connection with an account outside the list of owned accounts",
    resource=PEERING,
    severity=Severity.MEDIUM,
    fix="Delete the peering connection or add the peer account to owned_accounts if it is yours.",
    params={"owned_accounts": []},
)
def vpc_peering_unknown_account(r: Resource, ctx: Context) -> Verdict | None:
    """The peer account must be the resource's own account or one of `owned_accounts`."""
    if r.is_live and str(r.live.get("status", "")).lower() in _GONE_PEERING:
        return None
    peer = r.get("PeerOwnerId")
    if peer in (None, "") or (r.account and str(peer) == r.account):
        return passed("peering within the same account", peer_owner=r.account)
    owned = _accounts(ctx.params.get("owned_accounts"))
    if not owned:
        return unknown("no list of owned accounts configured (param owned_accounts)", peer_owner=str(peer))
    if str(peer) in owned:
        return passed(f"peer account {peer} is owned", peer_owner=str(peer))
    return failed(f"peer account {peer} is not in the owned accounts", peer_owner=str(peer),
                  peer_vpc=_clean(r.get_raw("PeerVpcId")))


def _accounts(value: Any) -> set[str]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return {str(v).strip() for v in as_list(value) if str(v).strip()}


# ---------------------------------------------------------------- instances


def _launch_template(r: Resource, ctx: Context) -> Resource | Unknown | None:
    """The template's launch template an instance names, None when it names none."""
    ref = r.get("LaunchTemplate")
    if not ref:
        return None
    keys = [ref.get("LaunchTemplateId"), ref.get("LaunchTemplateName")] if isinstance(ref, Mapping) else [ref]
    for k in keys:
        require(k, "LaunchTemplate")
    for lt in _related(ctx, LAUNCH_TEMPLATE, r):
        for k in keys:
            if k is not None and (refers_to(k, lt) or lt.get_raw("LaunchTemplateName") == k):
                return lt
    return Unknown(f"launch template {next((k for k in keys if k), '?')} is not in the scanned files")


@control(
    "ec2.imdsv2-required",
    title="EC2 instance metadata service allows IMDSv1 (HttpTokens not required)",
    resource=INSTANCE,
    severity=Severity.MEDIUM,
    fix="Set MetadataOptions HttpTokens to required (modify-instance-metadata-options or the launch template).",
    remediation="ec2.require-imdsv2",
)
def imdsv2_required(r: Resource, ctx: Context) -> Verdict | None:
    """HttpTokens `required`, or the metadata endpoint disabled (CIS 5.6). In a template the
    options come from the instance or, when it sets none, from its launch template; unset
    means the default, `optional`. Stopped instances count: they run again."""
    if _instance_gone(r):
        return None
    opts = r.get("MetadataOptions")
    source = "instance"
    if opts is None and not r.is_live:
        lt = _launch_template(r, ctx)
        if isinstance(lt, Unknown):
            return unknown(lt.reason)
        if lt is not None:
            opts = lt.get("LaunchTemplateData.MetadataOptions")
            source = f"launch template {lt.display_name}"
    if opts is None and r.is_live:
        return unknown("DescribeInstances returned no MetadataOptions for the instance")
    opts = opts or {}
    endpoint = str(require(opts.get("HttpEndpoint"), "MetadataOptions.HttpEndpoint") or "enabled").lower()
    tokens = require(opts.get("HttpTokens"), "MetadataOptions.HttpTokens")
    if endpoint == "disabled":
        return passed("instance metadata endpoint is disabled", source=source)
    if str(tokens or "").lower() == "required":
        return passed("IMDSv2 required", source=source)
    return failed(
        "IMDSv1 allowed: HttpTokens is " + (f"'{tokens}'" if tokens else "not set (defaults to optional)"),
        HttpTokens=tokens or None, HttpEndpoint=endpoint, source=source,
    )


@control(
    "ec2.instance-profile-attached",
    title="EC2 instance has no IAM instance profile (role) attached",
    resource=INSTANCE,
    severity=Severity.LOW,
    fix="Attach an IAM instance profile with a least-privilege role instead of keys on the host.",
)
def instance_profile_attached(r: Resource, ctx: Context) -> Verdict | None:
    """Instances reach AWS through an instance role, not stored keys (CIS 1.18 / 5.0 1.17). In a
    template the profile may come from the instance's launch template."""
    if _instance_gone(r):
        return None
    profile = _profile_ref(r.get("IamInstanceProfile"))
    if profile:
        return passed("instance profile attached", instance_profile=profile)
    if not r.is_live:
        lt = _launch_template(r, ctx)
        if isinstance(lt, Unknown):
            return unknown(lt.reason)
        if lt is not None:
            profile = _profile_ref(lt.get("LaunchTemplateData.IamInstanceProfile"))
            if profile:
                return passed(f"instance profile attached by launch template {lt.display_name}",
                              instance_profile=profile)
    return failed("no IAM instance profile attached")


def _profile_ref(value: Any) -> str | None:
    """A profile as CloudFormation names it: a name, or a launch template's {Arn | Name}."""
    if isinstance(value, Mapping):
        value = require(value.get("Arn"), "IamInstanceProfile.Arn") or require(
            value.get("Name"), "IamInstanceProfile.Name")
    return str(value) if value else None


def _tags(r: Resource) -> dict[str, Any]:
    """Tags as a dict: the resource's own, or a template's `Tags: [{Key, Value}]` property."""
    out: dict[str, Any] = {}
    raw = r.get_raw("Tags")
    if isinstance(raw, list):
        out.update({t["Key"]: t.get("Value") for t in raw if isinstance(t, Mapping) and isinstance(t.get("Key"), str)})
    elif isinstance(raw, Mapping):
        out.update({str(k): v for k, v in raw.items()})
    out.update(r.tags)
    return out


def _tagged_public(r: Resource, tag: str) -> bool:
    tags = _tags(r)
    if not tag or tag not in tags or isinstance(tags[tag], Unknown):
        return False
    return str(tags[tag]).strip().lower() not in ("false", "no", "0")


@control(
    "ec2.instance-public-ip",
    title="EC2 instance has a public IP address and is not tagged as public",
    resource=INSTANCE,
    severity=Severity.MEDIUM,
    fix="Launch into a private subnet behind a load balancer or NAT, or tag it as deliberately public.",
    params={"public_tag": "railguard:public"},
    remediation="tag.resource",
)
def instance_public_ip(r: Resource, ctx: Context) -> Verdict | None:
    """Live: the instance's public IPv4 address. Template: an interface asking for one, else
    the subnet's MapPublicIpOnLaunch. A tag named `public_tag` marks a deliberate exception."""
    if _instance_gone(r):
        return None
    pinned = ctx.params.get("public_tag", "railguard:public")
    tag = "" if pinned is None else str(pinned)  # "": no exception (as FSBP EC2.9 means it)
    if r.is_live:
        ip = r.fact("public_ip")
        if not ip:
            return passed("no public IP address")
        if _tagged_public(r, tag):
            return passed(f"public IP {ip}, tagged {tag}", public_ip=ip)
        return failed(f"public IP address {ip}", public_ip=ip)
    return _template_public_ip(r, ctx, tag)


def _template_public_ip(r: Resource, ctx: Context, tag: str) -> Verdict:
    nics = [require(n, "NetworkInterfaces") for n in as_list(r.get("NetworkInterfaces"))]
    if not nics:
        lt = _launch_template(r, ctx)
        if isinstance(lt, Unknown):
            return unknown(lt.reason)
        if lt is not None:
            nics = [require(n, "NetworkInterfaces") for n in
                    as_list(lt.get("LaunchTemplateData.NetworkInterfaces"))]
    asks = [require(n.get("AssociatePublicIpAddress"), "AssociatePublicIpAddress") for n in nics
            if isinstance(n, Mapping)]
    public = any(truthy(a) for a in asks)
    if not public and asks and all(a is not None for a in asks):
        return passed("network interfaces do not associate a public IP")
    if not public:
        subnet_ref = r.get("SubnetId") or next(
            (n.get("SubnetId") for n in nics if isinstance(n, Mapping) and n.get("SubnetId")), None
        )
        require(subnet_ref, "SubnetId")
        if subnet_ref is not None:  # no subnet: the default VPC, whose subnets map public IPs
            subnet = next((s for s in _related(ctx, SUBNET, r) if refers_to(subnet_ref, s)), None)
            if subnet is None:
                return unknown("whether it gets a public IP depends on a subnet that is not in the scanned files")
            if not truthy(subnet.get("MapPublicIpOnLaunch")):
                return passed(f"subnet {subnet.display_name} does not map public IPs")
    if _tagged_public(r, tag):
        return passed(f"public IP requested, tagged {tag}")
    return failed("instance is launched with a public IP address")


@control(
    "ec2.instance-tainted",
    title="EC2 instance is tagged Tainted (someone logged in to an immutable host, or a person marked it)",
    resource=INSTANCE,
    severity=Severity.HIGH,
    fix="Treat the host as compromised: isolate it (`railguard ir isolate`, or a guardrail with action ir.isolate), "
        "keep the evidence, replace it.",
    params={"tag": "Tainted"},
    places=("live",),
    remediation="ir.isolate",
)
def instance_tainted(r: Resource, ctx: Context) -> Verdict | None:
    """The host-meets-cloud marker: `railguard ir marker-script` tags an immutable host `Tainted` when someone
    logs in interactively (a person may tag it too). Any value counts; the tag's value says who and when.
    Live only: a template that declares the tag describes no login."""
    if _instance_gone(r):
        return None
    key = str(ctx.params.get("tag") or "Tainted")
    tags = _tags(r)
    if key not in tags:
        return passed(f"not tagged {key}")
    value = tags[key]
    if isinstance(value, Unknown):
        return unknown(f"tag {key} is present but its value cannot be read: {value.reason}")
    return failed(f"tagged {key}: {value}" if value else f"tagged {key}", tag=key, value=value)


# ---------------------------------------------------------------- launch templates and configurations

LAUNCH_CONFIG = "AWS::AutoScaling::LaunchConfiguration"


@control(
    "ec2.launch-config-imdsv2",
    title="Launch template or launch configuration allows IMDSv1 (HttpTokens not required)",
    resource=[LAUNCH_TEMPLATE, LAUNCH_CONFIG],
    severity=Severity.MEDIUM,
    fix="Set MetadataOptions HttpTokens to required in the launch template data or launch configuration.",
    places=("iac",),
)
def launch_config_imdsv2(r: Resource) -> Verdict:
    """Every instance a launch template (`LaunchTemplateData.MetadataOptions`) or an Auto Scaling
    launch configuration (`MetadataOptions`) starts must require IMDSv2: HttpTokens `required`,
    or the metadata endpoint disabled; unset means the default, `optional`. Templates only: the
    live collectors do not read launch templates or configurations, and live the instances they
    started are judged by ec2.imdsv2-required. A known setting that settles it wins over an
    unknown other one (HttpTokens required with an unresolved HttpEndpoint passes)."""
    path = "LaunchTemplateData.MetadataOptions" if r.type == LAUNCH_TEMPLATE else "MetadataOptions"
    opts = r.get(path)
    opts = opts if isinstance(opts, Mapping) else {}
    endpoint, tokens = opts.get("HttpEndpoint"), opts.get("HttpTokens")
    if not isinstance(endpoint, Unknown) and str(endpoint or "").lower() == "disabled":
        return passed("instance metadata endpoint is disabled")
    if not isinstance(tokens, Unknown) and str(tokens or "").lower() == "required":
        return passed("IMDSv2 required")
    require(tokens, f"{path}.HttpTokens")
    require(endpoint, f"{path}.HttpEndpoint")
    return failed(
        "IMDSv1 allowed: HttpTokens is " + (f"'{tokens}'" if tokens else "not set (defaults to optional)"),
        HttpTokens=tokens or None, HttpEndpoint=str(endpoint or "enabled").lower(),
    )
