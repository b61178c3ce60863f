"""Terraform `aws_*` resources -> CloudFormation-shaped `Resource`s, so the same controls fire.

Input is the evaluated configuration of each resource instance (HCL) or its planned values
(plan JSON): arguments as values, nested blocks as lists of dicts. Split resources
(`aws_s3_bucket_versioning`, `aws_security_group_rule`, `aws_iam_user_policy_attachment`, ...)
are folded into their owner, found by the reference they hold (which resolves to the owner's
address or its physical name). A split resource whose owner is not in the scanned
configuration is kept on its own so that nothing silently disappears.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from railguard.model import Origin, Resource, Unknown
from railguard.sources.loaded import Piece
from railguard.sources.terraform.expr import JsonDoc, Named, OutsideRef
from railguard.sources.terraform.policydoc import parse_policy


@dataclass
class TFResource:
    """One evaluated resource instance, from HCL or from a plan."""

    address: str
    type: str
    cfg: dict[str, Any]
    file: str
    line: int | None = None


@dataclass
class Draft:
    type: str
    id: str
    props: dict[str, Any]
    origin: Origin
    name: str | None = None
    arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def resource(self) -> Resource:
        return Resource(
            type=self.type, id=self.id, properties=self.props, arn=self.arn, tags=self.tags,
            origin=self.origin, name=self.name,
        )


# ---- small helpers ---------------------------------------------------------------------------


def clean(v: Any) -> Any:
    """Strip loader bookkeeping (`__line__`) and unwrap jsonencode values."""
    if isinstance(v, JsonDoc):
        return clean(v.value)
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items() if k != "__line__"}
    if isinstance(v, list | tuple):
        return [clean(x) for x in v]
    return v


def val(cfg: dict[str, Any], key: str, default: Any = None) -> Any:
    v = cfg.get(key)
    return default if v is None else clean(v)


def blocks(cfg: dict[str, Any], key: str) -> list[dict[str, Any]]:
    v = cfg.get(key)
    if isinstance(v, dict):
        return [v]
    if isinstance(v, list):
        return [x for x in v if isinstance(x, dict)]
    return []


def block(cfg: dict[str, Any], key: str) -> dict[str, Any] | None:
    bs = blocks(cfg, key)
    return bs[0] if bs else None


def listify(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, Unknown):
        return [v]
    if isinstance(v, list | tuple | set):
        return list(v)
    return [v]


def put(d: dict[str, Any], key: str, v: Any) -> None:
    if v is not None:
        d[key] = clean(v)


def puts(d: dict[str, Any], cfg: dict[str, Any], **attrs: str) -> None:
    """`put(d, Property, cfg.get(attribute))` for each `Property="attribute"`, in order."""
    for key, attr in attrs.items():
        put(d, key, cfg.get(attr))


def num(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return v
    return v


def tags_of(cfg: dict[str, Any]) -> dict[str, str]:
    t = cfg.get("tags")
    if isinstance(t, dict):
        return {str(k): v for k, v in t.items() if isinstance(v, str)}
    return {}


_NAME_KEYS = ("bucket", "name", "identifier", "function_name", "family", "table_name", "user", "role", "group")


def physical_name(cfg: dict[str, Any]) -> str | None:
    for k in _NAME_KEYS:
        v = cfg.get(k)
        if isinstance(v, str) and v:
            return v
    return None


def policy(v: Any) -> Any:
    return clean(parse_policy(v))


# Arguments that name a KMS key, a log destination or a delivery role: a reference to one declared
# outside the configuration (a variable, a data source) is set, with an identity we do not know.
PRESENT_KEYS = frozenset({
    "KmsKeyId", "KMSKeyId", "KmsKeyArn", "KmsKey", "KMSMasterKeyID", "KmsMasterKeyId", "KMSMasterKeyId",
    "S3BucketName", "DestinationBucketName", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn",
    "DeliverLogsPermissionArn", "LogDestination", "LogGroupName",
    "WebACLId", "AcmCertificateArn", "IamCertificateId",
})


class Present(str):
    """A value that is set, to something declared outside the scanned configuration: it reads as
    its reason; `controls.helpers.outside_value` tells a control that needs the identity."""

    outside = True


def _present(v: Any) -> None:
    if isinstance(v, dict):
        for k, x in v.items():
            if k in PRESENT_KEYS and isinstance(x, OutsideRef):
                v[k] = Present(f"<set outside the configuration: {x.reason}>")
            elif isinstance(x, dict | list):
                _present(x)
    elif isinstance(v, list):
        for x in v:
            _present(x)


class PartialProperties(dict[str, Any]):
    """Properties of which only some are known (an owner outside the configuration): a key not
    set reads as the `Unknown`, so a control reports UNKNOWN instead of judging an absence."""

    def __init__(self, unknown: Unknown) -> None:
        super().__init__()
        self.unknown = unknown

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(key, self.unknown)


# ---- the mapper ------------------------------------------------------------------------------

Mapper = Callable[["Builder", TFResource], None]
MAP: dict[str, Mapper] = {}
FOLD: dict[str, Mapper] = {}


def maps(*types: str, fold: bool = False) -> Callable[[Mapper], Mapper]:
    def reg(fn: Mapper) -> Mapper:
        for t in types:
            (FOLD if fold else MAP)[t] = fn
        return fn

    return reg


class Builder:
    def __init__(self) -> None:
        self.drafts: list[Draft] = []
        self.by_addr: dict[str, Draft] = {}
        self.by_name: dict[tuple[str, str], Draft] = {}
        self.by_base: dict[str, list[Draft]] = {}  # address without its instance key -> instances
        self.folded: dict[str, str] = {}  # address of a split resource -> id of the owner it went into
        self.shared_names: set[tuple[str, str]] = set()  # (type, name) that several resources carry
        self.outsiders: dict[tuple[str, str], Draft] = {}  # owners outside the configuration, by type and name
        self._current: str | None = None

    def add(self, r: TFResource, type_: str, props: dict[str, Any], *, id: str | None = None,
            name: str | None = None, line: int | None = None, arn: str | None = None) -> Draft:
        d = Draft(
            type=type_, id=id or r.address, props=props,
            origin=Origin(file=r.file, line=line if line is not None else r.line),
            name=name if name is not None else (physical_name(r.cfg) or r.address),
            arn=arn, tags=tags_of(r.cfg),
        )
        self.drafts.append(d)
        self.by_addr.setdefault(d.id, d)
        if d.id.endswith("]"):
            self.by_base.setdefault(d.id[: d.id.rfind("[")], []).append(d)
        if d.name and d.name != d.id:
            if (type_, d.name) in self.by_name:
                self.shared_names.add((type_, d.name))  # a name alone can no longer tell them apart
            self.by_name.setdefault((type_, d.name), d)
        return d

    def find(self, type_: str, ref: Any) -> Draft | None:
        """The draft a reference names (by address, physical name or S3 ARN); remembers the fold."""
        d = self._find(type_, ref)
        if d is not None and self._current is not None:
            self.folded.setdefault(self._current, d.id)
        return d

    def _find(self, type_: str, ref: Any) -> Draft | None:
        if not isinstance(ref, str) or not ref:
            return None
        if isinstance(ref, Named):  # read through a reference: the resource it came from decides
            d = self.by_addr.get(ref.address)
            if d is not None and d.type == type_:
                return d
        d = self.by_addr.get(ref)
        if d is not None and d.type == type_:
            return d
        if ref.startswith("arn:aws:s3:::"):
            ref = ref[len("arn:aws:s3:::"):]
        d = self.by_name.get((type_, ref))
        if d is not None:
            return None if (type_, ref) in self.shared_names else d
        # a plan reference without the instance key: accept it when exactly one instance matches
        hits = [x for x in self.by_base.get(ref, ()) if x.type == type_]
        return hits[0] if len(hits) == 1 else None

    def build(self, items: list[TFResource]) -> list[Resource]:
        for r in items:
            fn = MAP.get(r.type)
            if fn is not None:
                fn(self, r)
            elif r.type not in FOLD:
                self.add(r, f"Terraform::{r.type}", clean(r.cfg))
        for r in items:
            fn = FOLD.get(r.type)
            if fn is not None:
                n = len(self.drafts)
                self._current = r.address
                fn(self, r)
                self._current = None
                if len(self.drafts) > n:  # kept on its own (or a policy resource): ignores go to it
                    self.folded.pop(r.address, None)
        for d in self.drafts:
            _present(d.props)
        return [d.resource() for d in self.drafts]

    def outside(self, type_: str, r: TFResource, name: Any, name_key: str) -> Draft:
        """The owner of a split resource, declared outside the scanned configuration: a resource of
        the owner's type whose properties are only what its split resources say (the rest is
        Unknown), so the controls that read those properties judge them, as CloudFormation's
        loader judges a stand-alone `SecurityGroupIngress`. Split resources naming the same owner
        share it."""
        key = (type_, name if isinstance(name, str) else r.address)
        d = self.outsiders.get(key)
        if d is not None:
            self.folded.setdefault(r.address, d.id)
            return d
        shown = name if isinstance(name, str) else "an unresolved name"
        props = PartialProperties(Unknown(f"{type_} {shown} is declared outside the scanned configuration "
                                          f"(only {r.type} {r.address} is here)"))
        if name is not None:
            props[name_key] = clean(name)
        d = self.add(r, type_, props, name=name if isinstance(name, str) else r.address)
        self.outsiders[key] = d
        return d

    def keep(self, r: TFResource) -> Draft:
        """A split resource whose owner is not in the configuration: keep it as it is."""
        return self.add(r, f"Terraform::{r.type}", clean(r.cfg))


def build_resources(items: list[TFResource]) -> list[Resource]:
    return Builder().build(items)


# ---- EC2 networking --------------------------------------------------------------------------


def ip_protocol(v: Any) -> Any:
    if v is None or isinstance(v, Unknown):
        return v if v is not None else Unknown("protocol is not set")
    s = str(v).strip().lower()
    return "-1" if s in ("all", "-1") else s


def sg_entries(rule: dict[str, Any], egress: bool, group_ref: str, file: str | None = None,
               line: int | None = None) -> list[dict[str, Any]]:
    base: dict[str, Any] = {"IpProtocol": ip_protocol(rule.get("protocol", rule.get("ip_protocol")))}
    if base["IpProtocol"] != "-1":
        put(base, "FromPort", num(rule.get("from_port")))
        put(base, "ToPort", num(rule.get("to_port")))
    if rule.get("description") != "":  # plans write "" for no description; CloudFormation and EC2 omit it
        put(base, "Description", rule.get("description"))
    out: list[dict[str, Any]] = []
    for c in listify(rule.get("cidr_blocks")) + listify(rule.get("cidr_ipv4")):
        out.append({**base, "CidrIp": c})
    for c in listify(rule.get("ipv6_cidr_blocks")) + listify(rule.get("cidr_ipv6")):
        out.append({**base, "CidrIpv6": c})
    sg_key = "DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"
    pl_key = "DestinationPrefixListId" if egress else "SourcePrefixListId"
    for g in (listify(rule.get("security_groups")) + listify(rule.get("source_security_group_id"))
              + listify(rule.get("referenced_security_group_id"))):
        out.append({**base, sg_key: g})
    for p in listify(rule.get("prefix_list_ids")) + listify(rule.get("prefix_list_id")):
        out.append({**base, pl_key: p})
    if rule.get("self") is True:
        out.append({**base, sg_key: group_ref})
    where = line if line is not None else rule.get("__line__")
    return [Piece(clean(e), file, where if isinstance(where, int) else None) for e in out]


@maps("aws_security_group", "aws_default_security_group")
def _sg(b: Builder, r: TFResource) -> None:
    c = r.cfg
    props: dict[str, Any] = {}
    default = r.type == "aws_default_security_group"
    put(props, "GroupName", "default" if default else c.get("name"))
    put(props, "GroupDescription", val(c, "description", None if default else "Managed by Terraform"))
    put(props, "VpcId", c.get("vpc_id"))
    ing: list[dict[str, Any]] = []
    eg: list[dict[str, Any]] = []
    for key, egress, acc in (("ingress", False, ing), ("egress", True, eg)):
        raw = c.get(key)
        if isinstance(raw, Unknown):
            acc.append({"IpProtocol": raw})
            continue
        for rule in blocks(c, key):
            acc.extend(sg_entries(rule, egress, r.address, r.file))
    props["SecurityGroupIngress"] = ing
    props["SecurityGroupEgress"] = eg
    b.add(r, "AWS::EC2::SecurityGroup", props, name=val(c, "name") if isinstance(c.get("name"), str) else ("default" if default else r.address))


@maps("aws_security_group_rule", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", fold=True)
def _sg_rule(b: Builder, r: TFResource) -> None:
    c = r.cfg
    if r.type == "aws_security_group_rule":
        egress = c.get("type") == "egress"
        if isinstance(c.get("type"), Unknown):
            b.keep(r)
            return
    else:
        egress = r.type.endswith("egress_rule")
    ref = c.get("security_group_id")
    sg = b.find("AWS::EC2::SecurityGroup", ref)
    entries = sg_entries(c, egress, ref if isinstance(ref, str) else r.address, r.file, r.line)
    key = "SecurityGroupEgress" if egress else "SecurityGroupIngress"
    if sg is None:
        # the group is declared elsewhere (a literal sg-..., a variable): as CloudFormation's loader
        # does for a stand-alone SecurityGroupIngress, the rules naming it make a group of their own
        sg = b.outside("AWS::EC2::SecurityGroup", r, ref, "GroupId")
        sg.props.setdefault("SecurityGroupIngress", [])
        sg.props.setdefault("SecurityGroupEgress", [])
    existing = sg.props.get(key)
    if isinstance(existing, list):
        existing.extend(entries)


_NACL_PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "all": -1, "-1": -1}


def nacl_protocol(v: Any) -> Any:
    if v is None or isinstance(v, Unknown):
        return v
    s = str(v).strip().lower()
    if s in _NACL_PROTO:
        return _NACL_PROTO[s]
    try:
        return int(s)
    except ValueError:
        return Unknown(f"protocol {v!r} is not recognised")


def nacl_entry(c: dict[str, Any], acl_ref: Any, egress: Any, number_key: str, action_key: str) -> dict[str, Any]:
    p: dict[str, Any] = {"NetworkAclId": clean(acl_ref)}
    put(p, "RuleNumber", num(c.get(number_key)))
    proto = nacl_protocol(c.get("protocol"))
    put(p, "Protocol", proto)
    action = c.get(action_key)
    put(p, "RuleAction", action.lower() if isinstance(action, str) else action)
    p["Egress"] = clean(egress) if egress is not None else False
    puts(p, c, CidrBlock="cidr_block", Ipv6CidrBlock="ipv6_cidr_block")
    if proto != -1 and (c.get("from_port") is not None or c.get("to_port") is not None):
        p["PortRange"] = {"From": num(clean(c.get("from_port"))), "To": num(clean(c.get("to_port")))}
    if c.get("icmp_type") is not None or c.get("icmp_code") is not None:
        p["Icmp"] = {"Type": num(clean(c.get("icmp_type"))), "Code": num(clean(c.get("icmp_code")))}
    return p


@maps("aws_network_acl", "aws_default_network_acl")
def _nacl(b: Builder, r: TFResource) -> None:
    c = r.cfg
    props: dict[str, Any] = {}
    put(props, "VpcId", c.get("vpc_id"))
    b.add(r, "AWS::EC2::NetworkAcl", props)
    for key, egress in (("ingress", False), ("egress", True)):
        for i, rule in enumerate(blocks(c, key)):
            b.add(r, "AWS::EC2::NetworkAclEntry", nacl_entry(rule, r.address, egress, "rule_no", "action"),
                  id=f"{r.address}.{key}[{i}]", name=f"{r.address}.{key}[{i}]", line=rule.get("__line__"))


@maps("aws_network_acl_rule")
def _nacl_rule(b: Builder, r: TFResource) -> None:
    c = r.cfg
    b.add(r, "AWS::EC2::NetworkAclEntry",
          nacl_entry(c, c.get("network_acl_id"), c.get("egress"), "rule_number", "rule_action"), name=r.address)


@maps("aws_vpc", "aws_default_vpc")
def _vpc(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(
        p, c, CidrBlock="cidr_block", EnableDnsSupport="enable_dns_support",
        EnableDnsHostnames="enable_dns_hostnames", InstanceTenancy="instance_tenancy",
    )
    b.add(r, "AWS::EC2::VPC", p)


@maps("aws_subnet", "aws_default_subnet")
def _subnet(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"MapPublicIpOnLaunch": val(c, "map_public_ip_on_launch", r.type == "aws_default_subnet")}
    puts(p, c, VpcId="vpc_id", CidrBlock="cidr_block", AvailabilityZone="availability_zone")
    b.add(r, "AWS::EC2::Subnet", p, name=tags_of(c).get("Name") or r.address)


@maps("aws_flow_log")
def _flow_log(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    for key, kind in (("vpc_id", "VPC"), ("subnet_id", "Subnet"), ("eni_id", "NetworkInterface"),
                      ("transit_gateway_id", "TransitGateway"), ("transit_gateway_attachment_id", "TransitGatewayAttachment")):
        if c.get(key) is not None:
            p["ResourceId"] = clean(c[key])
            p["ResourceType"] = kind
            break
    puts(
        p, c, TrafficType="traffic_type", LogDestinationType="log_destination_type",
        LogDestination="log_destination", LogGroupName="log_group_name",
        DeliverLogsPermissionArn="iam_role_arn",
    )
    b.add(r, "AWS::EC2::FlowLog", p, name=r.address)


def _metadata_options(c: dict[str, Any]) -> dict[str, Any] | None:
    mo = block(c, "metadata_options")
    if mo is None:
        return None
    out: dict[str, Any] = {}
    put(out, "HttpTokens", mo.get("http_tokens"))
    put(out, "HttpEndpoint", mo.get("http_endpoint"))
    put(out, "HttpPutResponseHopLimit", mo.get("http_put_response_hop_limit"))
    put(out, "InstanceMetadataTags", mo.get("instance_metadata_tags"))
    return out


def _ebs(bd: dict[str, Any]) -> dict[str, Any]:
    e: dict[str, Any] = {}
    put(e, "Encrypted", bd.get("encrypted"))
    put(e, "KmsKeyId", bd.get("kms_key_id"))
    put(e, "VolumeSize", bd.get("volume_size"))
    put(e, "VolumeType", bd.get("volume_type"))
    put(e, "SnapshotId", bd.get("snapshot_id"))
    put(e, "DeleteOnTermination", bd.get("delete_on_termination"))
    return e


@maps("aws_instance")
def _instance(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, ImageId="ami", InstanceType="instance_type", IamInstanceProfile="iam_instance_profile")
    put(p, "MetadataOptions", _metadata_options(c))
    puts(
        p, c, SubnetId="subnet_id", SecurityGroupIds="vpc_security_group_ids",
        SecurityGroups="security_groups",
    )
    put(p, "UserData", c.get("user_data") if c.get("user_data") is not None else c.get("user_data_base64"))
    puts(p, c, KeyName="key_name", Monitoring="monitoring", EbsOptimized="ebs_optimized")
    lt = block(c, "launch_template")
    if lt is not None:
        ref: dict[str, Any] = {}
        put(ref, "LaunchTemplateId", lt.get("id"))
        put(ref, "LaunchTemplateName", lt.get("name"))
        put(ref, "Version", lt.get("version"))
        p["LaunchTemplate"] = ref
    if c.get("associate_public_ip_address") is not None:
        p["NetworkInterfaces"] = [{"DeviceIndex": "0", "AssociatePublicIpAddress": clean(c["associate_public_ip_address"])}]
    bdm = []
    for rb in blocks(c, "root_block_device"):
        bdm.append({"DeviceName": "root", "Ebs": _ebs(rb)})
    for eb in blocks(c, "ebs_block_device"):
        bdm.append({"DeviceName": clean(eb.get("device_name")), "Ebs": _ebs(eb)})
    if bdm:
        p["BlockDeviceMappings"] = bdm
    b.add(r, "AWS::EC2::Instance", p, name=(tags_of(c).get("Name") or r.address))


@maps("aws_launch_template")
def _launch_template(b: Builder, r: TFResource) -> None:
    c = r.cfg
    data: dict[str, Any] = {}
    puts(data, c, ImageId="image_id", InstanceType="instance_type")
    put(data, "MetadataOptions", _metadata_options(c))
    iip = block(c, "iam_instance_profile")
    if iip is not None:
        prof: dict[str, Any] = {}
        put(prof, "Arn", iip.get("arn"))
        put(prof, "Name", iip.get("name"))
        data["IamInstanceProfile"] = prof
    puts(data, c, SecurityGroupIds="vpc_security_group_ids", UserData="user_data")
    nis = []
    for ni in blocks(c, "network_interfaces"):
        n: dict[str, Any] = {}
        put(n, "AssociatePublicIpAddress", ni.get("associate_public_ip_address"))
        put(n, "DeviceIndex", ni.get("device_index"))
        put(n, "Groups", ni.get("security_groups"))
        nis.append(n)
    if nis:
        data["NetworkInterfaces"] = nis
    bdm = []
    for bd in blocks(c, "block_device_mappings"):
        ebs = block(bd, "ebs")
        bdm.append({"DeviceName": clean(bd.get("device_name")), "Ebs": _ebs(ebs or {})})
    if bdm:
        data["BlockDeviceMappings"] = bdm
    p: dict[str, Any] = {"LaunchTemplateData": data}
    put(p, "LaunchTemplateName", c.get("name"))
    b.add(r, "AWS::EC2::LaunchTemplate", p)


@maps("aws_launch_configuration")
def _launch_configuration(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, ImageId="image_id", InstanceType="instance_type", IamInstanceProfile="iam_instance_profile")
    put(p, "MetadataOptions", _metadata_options(c))
    puts(p, c, SecurityGroups="security_groups", AssociatePublicIpAddress="associate_public_ip_address")
    put(p, "UserData", c.get("user_data") if c.get("user_data") is not None else c.get("user_data_base64"))
    put(p, "LaunchConfigurationName", c.get("name"))
    b.add(r, "AWS::AutoScaling::LaunchConfiguration", p)


@maps("aws_ebs_volume")
def _ebs_volume(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"Encrypted": val(c, "encrypted", False)}
    puts(
        p, c, KmsKeyId="kms_key_id", Size="size", AvailabilityZone="availability_zone", VolumeType="type",
        SnapshotId="snapshot_id",
    )
    b.add(r, "AWS::EC2::Volume", p, name=tags_of(c).get("Name") or r.address)


@maps("aws_ebs_encryption_by_default")
def _ebs_default(b: Builder, r: TFResource) -> None:
    b.add(r, "RailGuard::EC2::EbsEncryptionByDefault", {"EbsEncryptionByDefault": val(r.cfg, "enabled", True)}, name=r.address)


@maps("aws_ebs_default_kms_key", fold=True)
def _ebs_default_key(b: Builder, r: TFResource) -> None:
    target = next((d for d in b.drafts if d.type == "RailGuard::EC2::EbsEncryptionByDefault"), None)
    if target is None:
        b.keep(r)
        return
    put(target.props, "KmsKeyId", r.cfg.get("key_arn"))


@maps("aws_vpc_peering_connection")
def _peering(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, VpcId="vpc_id", PeerVpcId="peer_vpc_id", PeerOwnerId="peer_owner_id", PeerRegion="peer_region")
    b.add(r, "AWS::EC2::VPCPeeringConnection", p, name=r.address)


# ---- S3 --------------------------------------------------------------------------------------

CANNED_ACL = {
    "private": "Private",
    "public-read": "PublicRead",
    "public-read-write": "PublicReadWrite",
    "authenticated-read": "AuthenticatedRead",
    "log-delivery-write": "LogDeliveryWrite",
    "bucket-owner-read": "BucketOwnerRead",
    "bucket-owner-full-control": "BucketOwnerFullControl",
    "aws-exec-read": "AwsExecRead",
}


def _acl(v: Any) -> Any:
    return CANNED_ACL.get(v, v) if isinstance(v, str) else v


def _sse(cfg_block: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in blocks(cfg_block, "rule"):
        d = block(rule, "apply_server_side_encryption_by_default")
        entry: dict[str, Any] = {}
        if d is not None:
            by: dict[str, Any] = {}
            put(by, "SSEAlgorithm", d.get("sse_algorithm"))
            put(by, "KMSMasterKeyID", d.get("kms_master_key_id"))
            entry["ServerSideEncryptionByDefault"] = by
        put(entry, "BucketKeyEnabled", rule.get("bucket_key_enabled"))
        rules.append(entry)
    return {"ServerSideEncryptionConfiguration": rules}


def _versioning(v: dict[str, Any], legacy: bool) -> dict[str, Any]:
    if legacy:
        enabled = v.get("enabled")
        status: Any = ("Enabled" if enabled else "Suspended") if isinstance(enabled, bool) else enabled
    else:
        status = v.get("status")
    out: dict[str, Any] = {}
    put(out, "Status", status)
    return out


def _logging(lg: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    put(out, "DestinationBucketName", lg.get("target_bucket"))
    put(out, "LogFilePrefix", lg.get("target_prefix"))
    return out


def _pab(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "BlockPublicAcls": val(c, "block_public_acls", False),
        "BlockPublicPolicy": val(c, "block_public_policy", False),
        "IgnorePublicAcls": val(c, "ignore_public_acls", False),
        "RestrictPublicBuckets": val(c, "restrict_public_buckets", False),
    }


@maps("aws_s3_bucket")
def _bucket(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    name = c.get("bucket")
    put(p, "BucketName", name)
    put(p, "AccessControl", _acl(c.get("acl")))
    v = block(c, "versioning")
    if v is not None:
        p["VersioningConfiguration"] = _versioning(v, legacy=True)
    lg = block(c, "logging")
    if lg is not None:
        p["LoggingConfiguration"] = _logging(lg)
    sse = block(c, "server_side_encryption_configuration")
    if sse is not None:
        p["BucketEncryption"] = _sse(sse)
    ol = c.get("object_lock_enabled")
    if ol is not None or block(c, "object_lock_configuration") is not None:
        p["ObjectLockEnabled"] = clean(ol) if ol is not None else True
    arn = f"arn:aws:s3:::{name}" if isinstance(name, str) else None
    b.add(r, "AWS::S3::Bucket", p, name=name if isinstance(name, str) else r.address, arn=arn)
    if c.get("policy") is not None:
        b.add(r, "AWS::S3::BucketPolicy",
              {"Bucket": name if isinstance(name, str) else r.address, "PolicyDocument": policy(c["policy"])},
              id=f"{r.address}.policy", name=f"{r.address}.policy")


def _s3_part(b: Builder, r: TFResource, key: str, value: Callable[[], Any]) -> None:
    """Set `key` of the bucket a split S3 resource configures to `value()`.

    The bucket is found by the reference (address first, then name). When that cannot decide
    (two buckets share the name; `bucket = var.x` while buckets are named by unresolved values
    too), each bucket it may configure gets `key` as Unknown: never a FAIL for a setting that
    may well be there. A bucket outside the configuration is kept as a partial bucket."""
    ref = r.cfg.get("bucket")
    t = b.find("AWS::S3::Bucket", ref)
    if t is not None:
        t.props[key] = value()
        return
    name = ref[len("arn:aws:s3:::"):] if isinstance(ref, str) and ref.startswith("arn:aws:s3:::") else ref
    buckets = [d for d in b.drafts if d.type == "AWS::S3::Bucket" and not isinstance(d.props, PartialProperties)]
    if isinstance(name, Unknown):
        same = [d for d in buckets if isinstance(d.props.get("BucketName"), Unknown) and d.props["BucketName"] == name]
        if len(same) == 1:  # `bucket = var.x` on both sides: the same bucket
            b.folded.setdefault(r.address, same[0].id)
            same[0].props[key] = value()
            return
        maybe = same or [d for d in buckets if isinstance(d.props.get("BucketName"), Unknown)]
        why = f"{r.address} configures the bucket named by an unresolved value ({name.reason}): which bucket is unknown"
    else:
        maybe = [d for d in buckets if d.props.get("BucketName") == name and isinstance(name, str)]
        why = f"{len(maybe)} buckets are named {name}: which one {r.address} configures is unknown"
    if maybe:
        for d in maybe:
            if key not in d.props:
                d.props[key] = Unknown(why)
        b.keep(r)
        return
    outside = b.outside("AWS::S3::Bucket", r, name, "BucketName")
    outside.props[key] = value()


@maps("aws_s3_bucket_public_access_block", fold=True)
def _s3_pab(b: Builder, r: TFResource) -> None:
    _s3_part(b, r, "PublicAccessBlockConfiguration", lambda: _pab(r.cfg))


@maps("aws_s3_bucket_server_side_encryption_configuration", fold=True)
def _s3_sse(b: Builder, r: TFResource) -> None:
    _s3_part(b, r, "BucketEncryption", lambda: _sse(r.cfg))


@maps("aws_s3_bucket_versioning", fold=True)
def _s3_versioning(b: Builder, r: TFResource) -> None:
    _s3_part(b, r, "VersioningConfiguration", lambda: _versioning(block(r.cfg, "versioning_configuration") or {}, legacy=False))


@maps("aws_s3_bucket_logging", fold=True)
def _s3_logging(b: Builder, r: TFResource) -> None:
    _s3_part(b, r, "LoggingConfiguration", lambda: _logging(r.cfg))


def _acl_of(cfg: dict[str, Any]) -> Any:
    if cfg.get("acl") is not None:
        return _acl(clean(cfg["acl"]))
    if block(cfg, "access_control_policy") is not None:
        grants = json.dumps(clean(cfg.get("access_control_policy")), default=str)
        if "acs.amazonaws.com/groups/global/AllUsers" in grants:
            return "PublicReadWrite" if "WRITE" in grants else "PublicRead"
        if "acs.amazonaws.com/groups/global/AuthenticatedUsers" in grants:
            return "AuthenticatedRead"
        return "Private"
    return "Private"


@maps("aws_s3_bucket_acl", fold=True)
def _s3_acl(b: Builder, r: TFResource) -> None:
    _s3_part(b, r, "AccessControl", lambda: _acl_of(r.cfg))


@maps("aws_s3_bucket_ownership_controls", fold=True)
def _s3_ownership(b: Builder, r: TFResource) -> None:
    rule = block(r.cfg, "rule") or {}
    _s3_part(b, r, "OwnershipControls", lambda: {"Rules": [{"ObjectOwnership": clean(rule.get("object_ownership"))}]})


@maps("aws_s3_bucket_policy", fold=True)
def _s3_policy(b: Builder, r: TFResource) -> None:
    ref = r.cfg.get("bucket")
    t = b.find("AWS::S3::Bucket", ref)
    bucket = (t.name or t.id) if t is not None else clean(ref)
    b.add(r, "AWS::S3::BucketPolicy", {"Bucket": bucket, "PolicyDocument": policy(r.cfg.get("policy"))}, name=r.address)


@maps("aws_s3_account_public_access_block")
def _s3_account_pab(b: Builder, r: TFResource) -> None:
    b.add(r, "RailGuard::S3::AccountPublicAccessBlock", _pab(r.cfg), name=r.address)


# ---- databases, storage, messaging, keys ------------------------------------------------------


@maps("aws_db_instance")
def _db(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {
        "StorageEncrypted": val(c, "storage_encrypted", False),
        "PubliclyAccessible": val(c, "publicly_accessible", False),
        "AutoMinorVersionUpgrade": val(c, "auto_minor_version_upgrade", True),
        "MultiAZ": val(c, "multi_az", False),
    }
    for tf, cfn in (("identifier", "DBInstanceIdentifier"), ("engine", "Engine"), ("engine_version", "EngineVersion"),
                    ("instance_class", "DBInstanceClass"), ("kms_key_id", "KmsKeyId"),
                    ("backup_retention_period", "BackupRetentionPeriod"), ("deletion_protection", "DeletionProtection"),
                    ("iam_database_authentication_enabled", "EnableIAMDatabaseAuthentication"),
                    ("db_subnet_group_name", "DBSubnetGroupName"), ("vpc_security_group_ids", "VPCSecurityGroups"),
                    ("username", "MasterUsername"), ("password", "MasterUserPassword")):
        put(p, cfn, c.get(tf))
    b.add(r, "AWS::RDS::DBInstance", p)


@maps("aws_rds_cluster_instance")
def _db_cluster_instance(b: Builder, r: TFResource) -> None:
    """An Aurora member: a DB instance of its cluster (encryption, backups and Multi-AZ are the
    cluster's; the instance decides public access and minor version upgrades)."""
    c = r.cfg
    p: dict[str, Any] = {
        "PubliclyAccessible": val(c, "publicly_accessible", False),
        "AutoMinorVersionUpgrade": val(c, "auto_minor_version_upgrade", True),
    }
    for tf, cfn in (("identifier", "DBInstanceIdentifier"), ("cluster_identifier", "DBClusterIdentifier"),
                    ("engine", "Engine"), ("engine_version", "EngineVersion"), ("instance_class", "DBInstanceClass"),
                    ("db_subnet_group_name", "DBSubnetGroupName"), ("monitoring_interval", "MonitoringInterval"),
                    ("performance_insights_enabled", "EnablePerformanceInsights")):
        put(p, cfn, c.get(tf))
    if p.get("DBClusterIdentifier") is None:
        p["DBClusterIdentifier"] = Unknown("cluster_identifier is not set")
    b.add(r, "AWS::RDS::DBInstance", p)


@maps("aws_rds_cluster")
def _db_cluster(b: Builder, r: TFResource) -> None:
    c = r.cfg
    serverless = c.get("engine_mode") == "serverless"  # Aurora Serverless v1 is always encrypted
    p: dict[str, Any] = {
        "StorageEncrypted": val(c, "storage_encrypted", serverless),
        "DeletionProtection": val(c, "deletion_protection", False),
        "BackupRetentionPeriod": num(val(c, "backup_retention_period", 1)),
        "EnableIAMDatabaseAuthentication": val(c, "iam_database_authentication_enabled", False),
        "CopyTagsToSnapshot": val(c, "copy_tags_to_snapshot", False),
    }
    for tf, cfn in (("cluster_identifier", "DBClusterIdentifier"), ("engine", "Engine"), ("engine_mode", "EngineMode"),
                    ("engine_version", "EngineVersion"), ("kms_key_id", "KmsKeyId"),
                    ("master_username", "MasterUsername"), ("master_password", "MasterUserPassword"),
                    ("publicly_accessible", "PubliclyAccessible"), ("db_subnet_group_name", "DBSubnetGroupName"),
                    ("vpc_security_group_ids", "VpcSecurityGroupIds"), ("snapshot_identifier", "SnapshotIdentifier"),
                    ("replication_source_identifier", "ReplicationSourceIdentifier"),
                    ("enabled_cloudwatch_logs_exports", "EnableCloudwatchLogsExports"),
                    ("backtrack_window", "BacktrackWindow")):
        put(p, cfn, c.get(tf))
    b.add(r, "AWS::RDS::DBCluster", p, name=val(c, "cluster_identifier") if isinstance(c.get("cluster_identifier"), str) else r.address)


@maps("aws_redshift_cluster")
def _redshift(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"Encrypted": val(c, "encrypted", False), "PubliclyAccessible": val(c, "publicly_accessible", False)}
    for tf, cfn in (("cluster_identifier", "ClusterIdentifier"), ("master_username", "MasterUsername"),
                    ("master_password", "MasterUserPassword"), ("kms_key_id", "KmsKeyId"), ("node_type", "NodeType")):
        put(p, cfn, c.get(tf))
    b.add(r, "AWS::Redshift::Cluster", p, name=val(c, "cluster_identifier") if isinstance(c.get("cluster_identifier"), str) else r.address)


@maps("aws_eks_cluster")
def _eks_cluster(b: Builder, r: TFResource) -> None:
    """`vpc_config` and `encryption_config` in the CloudFormation shape; the provider's defaults:
    public endpoint on, private endpoint off, public access from 0.0.0.0/0."""
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, Name="name", Version="version", RoleArn="role_arn")
    vpc = block(c, "vpc_config") or {}
    v: dict[str, Any] = {"EndpointPublicAccess": val(vpc, "endpoint_public_access", True),
                         "EndpointPrivateAccess": val(vpc, "endpoint_private_access", False)}
    puts(v, vpc, PublicAccessCidrs="public_access_cidrs", SubnetIds="subnet_ids", SecurityGroupIds="security_group_ids")
    p["ResourcesVpcConfig"] = v
    encs = []
    for e in blocks(c, "encryption_config"):
        enc: dict[str, Any] = {}
        put(enc, "Resources", e.get("resources"))
        prov = block(e, "provider")
        if prov is not None:
            enc["Provider"] = {"KeyArn": clean(prov.get("key_arn"))}
        encs.append(enc)
    if encs:
        p["EncryptionConfig"] = encs
    name = c.get("name")
    b.add(r, "AWS::EKS::Cluster", p, name=name if isinstance(name, str) else r.address)


@maps("aws_docdb_cluster")
def _docdb(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"StorageEncrypted": val(c, "storage_encrypted", False)}
    for tf, cfn in (("cluster_identifier", "DBClusterIdentifier"), ("master_username", "MasterUsername"),
                    ("master_password", "MasterUserPassword"), ("kms_key_id", "KmsKeyId")):
        put(p, cfn, c.get(tf))
    b.add(r, "AWS::DocDB::DBCluster", p, name=val(c, "cluster_identifier") if isinstance(c.get("cluster_identifier"), str) else r.address)


@maps("aws_elasticache_replication_group")
def _elasticache_rg(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    for tf, cfn in (("replication_group_id", "ReplicationGroupId"), ("description", "ReplicationGroupDescription"),
                    ("auth_token", "AuthToken"), ("at_rest_encryption_enabled", "AtRestEncryptionEnabled"),
                    ("transit_encryption_enabled", "TransitEncryptionEnabled"), ("kms_key_id", "KmsKeyId"),
                    ("transit_encryption_mode", "TransitEncryptionMode"), ("user_group_ids", "UserGroupIds"),
                    ("engine", "Engine"), ("engine_version", "EngineVersion")):
        put(p, cfn, c.get(tf))
    b.add(r, "AWS::ElastiCache::ReplicationGroup", p,
          name=val(c, "replication_group_id") if isinstance(c.get("replication_group_id"), str) else r.address)


@maps("aws_mq_broker")
def _mq(b: Builder, r: TFResource) -> None:
    c = r.cfg
    users = []
    for u in blocks(c, "user"):
        e: dict[str, Any] = {}
        put(e, "Username", u.get("username"))
        put(e, "Password", u.get("password"))
        put(e, "ConsoleAccess", u.get("console_access"))
        users.append(e)
    p: dict[str, Any] = {"Users": users}
    puts(p, c, BrokerName="broker_name", EngineType="engine_type", PubliclyAccessible="publicly_accessible")
    b.add(r, "AWS::AmazonMQ::Broker", p, name=val(c, "broker_name") if isinstance(c.get("broker_name"), str) else r.address)


@maps("aws_dms_endpoint")
def _dms_endpoint(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    for tf, cfn in (("endpoint_id", "EndpointIdentifier"), ("endpoint_type", "EndpointType"), ("engine_name", "EngineName"),
                    ("username", "Username"), ("password", "Password"), ("server_name", "ServerName"), ("port", "Port")):
        put(p, cfn, c.get(tf))
    b.add(r, "AWS::DMS::Endpoint", p, name=val(c, "endpoint_id") if isinstance(c.get("endpoint_id"), str) else r.address)


@maps("aws_directory_service_directory")
def _directory(b: Builder, r: TFResource) -> None:
    c = r.cfg
    kind = c.get("type")
    type_ = "AWS::DirectoryService::MicrosoftAD" if kind == "MicrosoftAD" else (
        "AWS::DirectoryService::SimpleAD" if kind in (None, "SimpleAD") else f"Terraform::{r.type}")
    p: dict[str, Any] = {}
    puts(p, c, Name="name", Password="password", Size="size", Edition="edition")
    b.add(r, type_, p)


@maps("aws_glue_connection")
def _glue_connection(b: Builder, r: TFResource) -> None:
    c = r.cfg
    ci: dict[str, Any] = {}
    puts(ci, c, Name="name", ConnectionType="connection_type", ConnectionProperties="connection_properties")
    b.add(r, "AWS::Glue::Connection", {"ConnectionInput": ci})


@maps("aws_amplify_app")
def _amplify(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, Name="name", AccessToken="access_token", OauthToken="oauth_token")
    creds = c.get("basic_auth_credentials")
    if creds is not None:
        # Terraform takes base64("user:password"); the whole value is the secret
        p["BasicAuthConfig"] = {"EnableBasicAuth": val(c, "enable_basic_auth", False), "Password": clean(creds)}
    b.add(r, "AWS::Amplify::App", p)


@maps("aws_codepipeline_webhook")
def _webhook(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, Name="name", Authentication="authentication")
    ac = block(c, "authentication_configuration")
    if ac is not None:
        conf: dict[str, Any] = {}
        put(conf, "SecretToken", ac.get("secret_token"))
        put(conf, "AllowedIPRange", ac.get("allowed_ip_range"))
        p["AuthenticationConfiguration"] = conf
    b.add(r, "AWS::CodePipeline::Webhook", p)


@maps("aws_efs_file_system")
def _efs(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"Encrypted": val(c, "encrypted", False)}
    puts(p, c, KmsKeyId="kms_key_id", PerformanceMode="performance_mode")
    b.add(r, "AWS::EFS::FileSystem", p, name=val(c, "creation_token") if isinstance(c.get("creation_token"), str) else r.address)


@maps("aws_dynamodb_table")
def _dynamodb(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, TableName="name", BillingMode="billing_mode")
    sse = block(c, "server_side_encryption")
    if sse is not None:
        s: dict[str, Any] = {"SSEEnabled": val(sse, "enabled", False)}
        put(s, "KMSMasterKeyId", sse.get("kms_key_arn"))
        if sse.get("kms_key_arn") is not None:
            s["SSEType"] = "KMS"
        p["SSESpecification"] = s
    pitr = block(c, "point_in_time_recovery")
    if pitr is not None:
        p["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": val(pitr, "enabled", False)}
    b.add(r, "AWS::DynamoDB::Table", p)


@maps("aws_sns_topic")
def _sns(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, TopicName="name", KmsMasterKeyId="kms_master_key_id")
    b.add(r, "AWS::SNS::Topic", p)
    if c.get("policy") is not None:
        b.add(r, "AWS::SNS::TopicPolicy", {"Topics": [r.address], "PolicyDocument": policy(c["policy"])},
              id=f"{r.address}.policy", name=f"{r.address}.policy")


@maps("aws_sns_topic_policy")
def _sns_policy(b: Builder, r: TFResource) -> None:
    b.add(r, "AWS::SNS::TopicPolicy", {"Topics": [clean(r.cfg.get("arn"))], "PolicyDocument": policy(r.cfg.get("policy"))}, name=r.address)


@maps("aws_sns_topic_subscription")
def _sns_sub(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, TopicArn="topic_arn", Protocol="protocol", Endpoint="endpoint")
    b.add(r, "AWS::SNS::Subscription", p, name=r.address)


@maps("aws_sqs_queue")
def _sqs(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(
        p, c, QueueName="name", KmsMasterKeyId="kms_master_key_id",
        SqsManagedSseEnabled="sqs_managed_sse_enabled",
    )
    b.add(r, "AWS::SQS::Queue", p)
    if c.get("policy") is not None:
        b.add(r, "AWS::SQS::QueuePolicy", {"Queues": [r.address], "PolicyDocument": policy(c["policy"])},
              id=f"{r.address}.policy", name=f"{r.address}.policy")


@maps("aws_sqs_queue_policy")
def _sqs_policy(b: Builder, r: TFResource) -> None:
    b.add(r, "AWS::SQS::QueuePolicy", {"Queues": [clean(r.cfg.get("queue_url"))], "PolicyDocument": policy(r.cfg.get("policy"))}, name=r.address)


@maps("aws_kms_key")
def _kms(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {
        "EnableKeyRotation": val(c, "enable_key_rotation", False),
        "KeySpec": val(c, "customer_master_key_spec", "SYMMETRIC_DEFAULT"),
        "KeyUsage": val(c, "key_usage", "ENCRYPT_DECRYPT"),
        "Enabled": val(c, "is_enabled", True),
    }
    puts(
        p, c, Description="description", MultiRegion="multi_region",
        PendingWindowInDays="deletion_window_in_days", RotationPeriodInDays="rotation_period_in_days",
    )
    if c.get("policy") is not None:
        p["KeyPolicy"] = policy(c["policy"])
    b.add(r, "AWS::KMS::Key", p, name=r.address)


@maps("aws_cloudtrail")
def _trail(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {
        "IsMultiRegionTrail": val(c, "is_multi_region_trail", False),
        "EnableLogFileValidation": val(c, "enable_log_file_validation", False),
        "IsLogging": val(c, "enable_logging", True),
        "IncludeGlobalServiceEvents": val(c, "include_global_service_events", True),
    }
    for tf, cfn in (("name", "TrailName"), ("s3_bucket_name", "S3BucketName"), ("s3_key_prefix", "S3KeyPrefix"),
                    ("kms_key_id", "KMSKeyId"), ("cloud_watch_logs_group_arn", "CloudWatchLogsLogGroupArn"),
                    ("cloud_watch_logs_role_arn", "CloudWatchLogsRoleArn"), ("is_organization_trail", "IsOrganizationTrail"),
                    ("sns_topic_name", "SnsTopicName")):
        put(p, cfn, c.get(tf))
    sels = []
    for es in blocks(c, "event_selector"):
        s: dict[str, Any] = {}
        put(s, "ReadWriteType", es.get("read_write_type") if es.get("read_write_type") is not None else "All")
        put(s, "IncludeManagementEvents", es.get("include_management_events") if es.get("include_management_events") is not None else True)
        drs = []
        for dr in blocks(es, "data_resource"):
            drs.append({"Type": clean(dr.get("type")), "Values": clean(dr.get("values"))})
        if drs:
            s["DataResources"] = drs
        put(s, "ExcludeManagementEventSources", es.get("exclude_management_event_sources"))
        sels.append(s)
    if sels:
        p["EventSelectors"] = sels
    adv = []
    for a in blocks(c, "advanced_event_selector"):
        fs = []
        for f in blocks(a, "field_selector"):
            fd: dict[str, Any] = {}
            for tf, cfn in (("field", "Field"), ("equals", "Equals"), ("not_equals", "NotEquals"),
                            ("starts_with", "StartsWith"), ("not_starts_with", "NotStartsWith"),
                            ("ends_with", "EndsWith"), ("not_ends_with", "NotEndsWith")):
                put(fd, cfn, f.get(tf))
            fs.append(fd)
        sel: dict[str, Any] = {"FieldSelectors": fs}
        put(sel, "Name", a.get("name"))
        adv.append(sel)
    if adv:
        p["AdvancedEventSelectors"] = adv
    b.add(r, "AWS::CloudTrail::Trail", p)


# ---- IAM -------------------------------------------------------------------------------------


def _inline_policies(c: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for ip in blocks(c, "inline_policy"):
        if ip.get("policy") is None and ip.get("name") is None:
            continue
        out.append({"PolicyName": clean(ip.get("name")), "PolicyDocument": policy(ip.get("policy"))})
    return out


@maps("aws_iam_user")
def _iam_user(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"Policies": [], "ManagedPolicyArns": []}
    puts(p, c, UserName="name", Path="path", PermissionsBoundary="permissions_boundary")
    b.add(r, "AWS::IAM::User", p)


@maps("aws_iam_role")
def _iam_role(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"Policies": _inline_policies(c), "ManagedPolicyArns": list(clean(listify(c.get("managed_policy_arns"))))}
    puts(p, c, RoleName="name", Path="path")
    if c.get("assume_role_policy") is not None:
        p["AssumeRolePolicyDocument"] = policy(c["assume_role_policy"])
    puts(p, c, MaxSessionDuration="max_session_duration", PermissionsBoundary="permissions_boundary")
    b.add(r, "AWS::IAM::Role", p)


@maps("aws_iam_group")
def _iam_group(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"Policies": [], "ManagedPolicyArns": []}
    puts(p, c, GroupName="name", Path="path")
    b.add(r, "AWS::IAM::Group", p)


@maps("aws_iam_policy")
def _iam_policy(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"PolicyDocument": policy(c.get("policy"))}
    puts(p, c, ManagedPolicyName="name", Path="path", Description="description")
    b.add(r, "AWS::IAM::ManagedPolicy", p)


_PRINCIPAL = {"user": "AWS::IAM::User", "role": "AWS::IAM::Role", "group": "AWS::IAM::Group"}
_MP_LIST = {"user": "Users", "role": "Roles", "group": "Groups"}


@maps("aws_iam_user_policy", "aws_iam_role_policy", "aws_iam_group_policy", fold=True)
def _iam_inline(b: Builder, r: TFResource) -> None:
    kind = r.type.split("_")[2]
    c = r.cfg
    t = b.find(_PRINCIPAL[kind], c.get(kind))
    entry = {"PolicyName": clean(c.get("name")) if c.get("name") is not None else r.address,
             "PolicyDocument": policy(c.get("policy"))}
    if t is not None:
        t.props.setdefault("Policies", []).append(entry)
        return
    b.add(r, "AWS::IAM::Policy", {**entry, _MP_LIST[kind]: [clean(c.get(kind))]}, name=r.address)


def _attach(b: Builder, kind: str, principal_ref: Any, arn: Any) -> bool:
    t = b.find(_PRINCIPAL[kind], principal_ref)
    if t is not None:
        t.props.setdefault("ManagedPolicyArns", []).append(clean(arn))
    mp = b.find("AWS::IAM::ManagedPolicy", arn)
    if mp is not None:
        who = (t.name or t.id) if t is not None else clean(principal_ref)
        mp.props.setdefault(_MP_LIST[kind], []).append(who)
    return t is not None or mp is not None


@maps("aws_iam_user_policy_attachment", "aws_iam_role_policy_attachment", "aws_iam_group_policy_attachment", fold=True)
def _iam_attachment(b: Builder, r: TFResource) -> None:
    kind = r.type.split("_")[2]
    if not _attach(b, kind, r.cfg.get(kind), r.cfg.get("policy_arn")):
        _outside_principal(b, r, kind, r.cfg.get(kind), r.cfg.get("policy_arn"))


_NAME_KEY = {"user": "UserName", "role": "RoleName", "group": "GroupName"}


def _outside_principal(b: Builder, r: TFResource, kind: str, who: Any, arn: Any) -> None:
    """A policy attached to a user, role or group declared elsewhere: that principal, with the
    attachment as all that is known of it (the controls on attached policies judge it)."""
    d = b.outside(_PRINCIPAL[kind], r, who, _NAME_KEY[kind])
    arns = d.props.get("ManagedPolicyArns")
    if not isinstance(arns, list):
        arns = d.props["ManagedPolicyArns"] = []
    arns.append(clean(arn))


@maps("aws_iam_policy_attachment", fold=True)
def _iam_policy_attachment(b: Builder, r: TFResource) -> None:
    found = False
    outside: list[tuple[str, Any]] = []
    for kind, key in (("user", "users"), ("role", "roles"), ("group", "groups")):
        for who in listify(r.cfg.get(key)):
            if _attach(b, kind, who, r.cfg.get("policy_arn")):
                found = True
            else:
                outside.append((kind, who))
    if not found and not outside:
        b.keep(r)
    for kind, who in outside:
        _outside_principal(b, r, kind, who, r.cfg.get("policy_arn"))


@maps("aws_iam_user_login_profile", fold=True)
def _iam_login_profile(b: Builder, r: TFResource) -> None:
    t = b.find("AWS::IAM::User", r.cfg.get("user"))
    if t is None:
        b.keep(r)
        return
    lp: dict[str, Any] = {"PasswordResetRequired": val(r.cfg, "password_reset_required", False)}
    t.props["LoginProfile"] = lp


@maps("aws_iam_user_group_membership", fold=True)
def _iam_user_groups(b: Builder, r: TFResource) -> None:
    t = b.find("AWS::IAM::User", r.cfg.get("user"))
    if t is None:
        b.keep(r)
        return
    t.props.setdefault("Groups", []).extend(clean(listify(r.cfg.get("groups"))))


@maps("aws_iam_group_membership", fold=True)
def _iam_group_members(b: Builder, r: TFResource) -> None:
    found = False
    for u in listify(r.cfg.get("users")):
        t = b.find("AWS::IAM::User", u)
        if t is not None:
            t.props.setdefault("Groups", []).append(clean(r.cfg.get("group")))
            found = True
    if not found:
        b.keep(r)


@maps("aws_iam_access_key", fold=True)
def _iam_access_key(b: Builder, r: TFResource) -> None:
    b.add(r, "AWS::IAM::AccessKey", {"UserName": clean(r.cfg.get("user")), "Status": val(r.cfg, "status", "Active")}, name=r.address)


@maps("aws_iam_instance_profile")
def _iam_instance_profile(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"Roles": clean(listify(c.get("role")))}
    puts(p, c, InstanceProfileName="name", Path="path")
    b.add(r, "AWS::IAM::InstanceProfile", p)


@maps("aws_iam_account_password_policy")
def _password_policy(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {
        "MinimumPasswordLength": val(c, "minimum_password_length", 6),
        "RequireSymbols": val(c, "require_symbols", False),
        "RequireNumbers": val(c, "require_numbers", False),
        "RequireUppercaseCharacters": val(c, "require_uppercase_characters", False),
        "RequireLowercaseCharacters": val(c, "require_lowercase_characters", False),
        "AllowUsersToChangePassword": val(c, "allow_users_to_change_password", True),
        "ExpirePasswords": bool(c.get("max_password_age")) if not isinstance(c.get("max_password_age"), Unknown) else c["max_password_age"],
    }
    puts(
        p, c, MaxPasswordAge="max_password_age", PasswordReusePrevention="password_reuse_prevention",
        HardExpiry="hard_expiry",
    )
    b.add(r, "RailGuard::IAM::AccountPasswordPolicy", p, name=r.address)


# ---- compute, containers, load balancers --------------------------------------------------------


@maps("aws_lambda_function")
def _lambda(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    for tf, cfn in (("function_name", "FunctionName"), ("runtime", "Runtime"), ("handler", "Handler"), ("role", "Role"),
                    ("kms_key_arn", "KmsKeyArn"), ("package_type", "PackageType")):
        put(p, cfn, c.get(tf))
    env = block(c, "environment")
    if env is not None:
        p["Environment"] = {"Variables": val(env, "variables", {})}
    vpc = block(c, "vpc_config")
    if vpc is not None:
        p["VpcConfig"] = {"SubnetIds": val(vpc, "subnet_ids", []), "SecurityGroupIds": val(vpc, "security_group_ids", [])}
    tr = block(c, "tracing_config")
    if tr is not None:
        p["TracingConfig"] = {"Mode": clean(tr.get("mode"))}
    b.add(r, "AWS::Lambda::Function", p)


_NO_RECASE = {"options", "dockerLabels", "DockerLabels", "Options", "labels", "driverOpts"}


def cfn_case(v: Any) -> Any:
    """ECS container definitions: JSON camelCase -> CloudFormation PascalCase (maps keep their keys)."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            key = k[:1].upper() + k[1:] if isinstance(k, str) else k
            out[key] = x if k in _NO_RECASE else cfn_case(x)
        return out
    if isinstance(v, list):
        return [cfn_case(x) for x in v]
    return v


@maps("aws_ecs_task_definition")
def _ecs_task(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    defs = parse_policy(c.get("container_definitions"))  # same JSON text handling
    if isinstance(defs, Unknown):
        p["ContainerDefinitions"] = defs
    elif isinstance(defs, list):
        p["ContainerDefinitions"] = cfn_case(clean(defs))
    for tf, cfn in (("family", "Family"), ("network_mode", "NetworkMode"), ("cpu", "Cpu"), ("memory", "Memory"),
                    ("execution_role_arn", "ExecutionRoleArn"), ("task_role_arn", "TaskRoleArn"),
                    ("requires_compatibilities", "RequiresCompatibilities"), ("pid_mode", "PidMode"), ("ipc_mode", "IpcMode")):
        put(p, cfn, c.get(tf))
    b.add(r, "AWS::ECS::TaskDefinition", p)


@maps("aws_lb_listener", "aws_alb_listener")
def _listener(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    proto = c.get("protocol")
    if proto is None:
        proto = _default_listener_protocol(b, c)
    put(p, "Protocol", proto.upper() if isinstance(proto, str) else proto)
    put(p, "Port", num(c.get("port")))
    puts(p, c, LoadBalancerArn="load_balancer_arn", SslPolicy="ssl_policy")
    if c.get("certificate_arn") is not None:
        p["Certificates"] = [{"CertificateArn": clean(c["certificate_arn"])}]
    acts = []
    for a in blocks(c, "default_action"):
        act: dict[str, Any] = {}
        t = a.get("type")
        put(act, "Type", t)
        put(act, "TargetGroupArn", a.get("target_group_arn"))
        red = block(a, "redirect")
        if red is not None:
            rc: dict[str, Any] = {"StatusCode": clean(red.get("status_code"))}
            put(rc, "Protocol", red.get("protocol"))
            put(rc, "Port", red.get("port"))
            put(rc, "Host", red.get("host"))
            act["RedirectConfig"] = rc
        acts.append(act)
    if acts:
        p["DefaultActions"] = acts
    b.add(r, "AWS::ElasticLoadBalancingV2::Listener", p, name=r.address)


def _default_listener_protocol(b: Builder, c: dict[str, Any]) -> Any:
    """The provider's default: HTTP on an Application Load Balancer; a Gateway Load Balancer's
    listener has neither protocol nor port (a Network Load Balancer's needs one)."""
    lb = b.find("AWS::ElasticLoadBalancingV2::LoadBalancer", c.get("load_balancer_arn"))
    kind = lb.props.get("Type") if lb is not None else None
    if kind == "gateway":
        return None
    if kind == "application" or c.get("port") is not None:
        return "HTTP"
    return Unknown("protocol is not set and the load balancer's type is unknown (HTTP on an ALB, none on a Gateway LB)")


@maps("aws_lb_listener_certificate", "aws_alb_listener_certificate", fold=True)
def _listener_cert(b: Builder, r: TFResource) -> None:
    t = b.find("AWS::ElasticLoadBalancingV2::Listener", r.cfg.get("listener_arn"))
    if t is None:
        b.keep(r)
        return
    t.props.setdefault("Certificates", []).append({"CertificateArn": clean(r.cfg.get("certificate_arn"))})


@maps("aws_lb", "aws_alb")
def _lb(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    put(p, "Name", c.get("name"))
    internal = c.get("internal")
    p["Scheme"] = internal if isinstance(internal, Unknown) else ("internal" if internal else "internet-facing")
    put(p, "Type", val(c, "load_balancer_type", "application"))
    put(p, "SecurityGroups", c.get("security_groups"))
    attrs = []
    if c.get("drop_invalid_header_fields") is not None:
        attrs.append({"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": str(clean(c["drop_invalid_header_fields"])).lower()})
    al = block(c, "access_logs")
    if al is not None:
        attrs.append({"Key": "access_logs.s3.enabled", "Value": str(val(al, "enabled", True)).lower()})
    if attrs:
        p["LoadBalancerAttributes"] = attrs
    b.add(r, "AWS::ElasticLoadBalancingV2::LoadBalancer", p)


@maps("aws_elb")
def _classic_elb(b: Builder, r: TFResource) -> None:
    c = r.cfg
    listeners = []
    for lst in blocks(c, "listener"):
        e: dict[str, Any] = {}
        put(e, "LoadBalancerPort", num(lst.get("lb_port")))
        lbp = lst.get("lb_protocol")
        put(e, "Protocol", lbp.upper() if isinstance(lbp, str) else lbp)
        put(e, "InstancePort", num(lst.get("instance_port")))
        put(e, "InstanceProtocol", lst.get("instance_protocol"))
        put(e, "SSLCertificateId", lst.get("ssl_certificate_id"))
        listeners.append(e)
    p: dict[str, Any] = {"Listeners": listeners}
    put(p, "LoadBalancerName", c.get("name"))
    b.add(r, "AWS::ElasticLoadBalancing::LoadBalancer", p)


@maps("aws_cloudfront_distribution")
def _cloudfront(b: Builder, r: TFResource) -> None:
    """Behaviors, viewer certificate and web ACL under DistributionConfig; the provider's default
    minimum protocol version is TLSv1."""
    c = r.cfg

    def behavior(bl: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        puts(out, bl, PathPattern="path_pattern", ViewerProtocolPolicy="viewer_protocol_policy",
             TargetOriginId="target_origin_id")
        return out

    cfg: dict[str, Any] = {"Enabled": val(c, "enabled", True)}
    dcb = block(c, "default_cache_behavior")
    if dcb is not None:
        cfg["DefaultCacheBehavior"] = behavior(dcb)
    ordered = [behavior(x) for x in blocks(c, "ordered_cache_behavior")]
    if ordered:
        cfg["CacheBehaviors"] = ordered
    vc = block(c, "viewer_certificate")
    if vc is not None:
        cert: dict[str, Any] = {"MinimumProtocolVersion": val(vc, "minimum_protocol_version", "TLSv1")}
        puts(cert, vc, CloudFrontDefaultCertificate="cloudfront_default_certificate",
             AcmCertificateArn="acm_certificate_arn", IamCertificateId="iam_certificate_id",
             SslSupportMethod="ssl_support_method")
        cfg["ViewerCertificate"] = cert
    puts(cfg, c, WebACLId="web_acl_id", Aliases="aliases")
    b.add(r, "AWS::CloudFront::Distribution", {"DistributionConfig": cfg})


# ---- monitoring and detection ----------------------------------------------------------------


@maps("aws_config_configuration_recorder")
def _config_recorder(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, Name="name", RoleARN="role_arn")
    rg = block(c, "recording_group")
    if rg is not None:
        g: dict[str, Any] = {"AllSupported": val(rg, "all_supported", True),
                             "IncludeGlobalResourceTypes": val(rg, "include_global_resource_types", False)}
        put(g, "ResourceTypes", rg.get("resource_types"))
        p["RecordingGroup"] = g
    b.add(r, "AWS::Config::ConfigurationRecorder", p)


@maps("aws_config_configuration_recorder_status", fold=True)
def _config_recorder_status(b: Builder, r: TFResource) -> None:
    t = b.find("AWS::Config::ConfigurationRecorder", r.cfg.get("name"))
    if t is None:
        b.keep(r)
        return
    # no CloudFormation property: a recorder created by CloudFormation is started by it
    t.props["RecorderStatus"] = {"Recording": val(r.cfg, "is_enabled", False)}


@maps("aws_guardduty_detector")
def _guardduty(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"Enable": val(c, "enable", True)}
    put(p, "FindingPublishingFrequency", c.get("finding_publishing_frequency"))
    b.add(r, "AWS::GuardDuty::Detector", p, name=r.address)


@maps("aws_securityhub_account")
def _securityhub(b: Builder, r: TFResource) -> None:
    b.add(r, "AWS::SecurityHub::Hub", {}, name=r.address)


@maps("aws_cloudwatch_log_group")
def _log_group(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, LogGroupName="name", RetentionInDays="retention_in_days", KmsKeyId="kms_key_id")
    b.add(r, "AWS::Logs::LogGroup", p)


@maps("aws_cloudwatch_log_metric_filter")
def _metric_filter(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, FilterName="name", FilterPattern="pattern", LogGroupName="log_group_name")
    mts = []
    for mt in blocks(c, "metric_transformation"):
        m: dict[str, Any] = {}
        put(m, "MetricName", mt.get("name"))
        put(m, "MetricNamespace", mt.get("namespace"))
        put(m, "MetricValue", mt.get("value"))
        put(m, "DefaultValue", mt.get("default_value"))
        put(m, "Unit", mt.get("unit"))
        mts.append(m)
    p["MetricTransformations"] = mts
    b.add(r, "AWS::Logs::MetricFilter", p)


@maps("aws_cloudwatch_metric_alarm")
def _alarm(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    for tf, cfn in (("alarm_name", "AlarmName"), ("metric_name", "MetricName"), ("namespace", "Namespace"),
                    ("statistic", "Statistic"), ("period", "Period"), ("evaluation_periods", "EvaluationPeriods"),
                    ("threshold", "Threshold"), ("comparison_operator", "ComparisonOperator"),
                    ("alarm_actions", "AlarmActions"), ("ok_actions", "OKActions"),
                    ("insufficient_data_actions", "InsufficientDataActions"), ("actions_enabled", "ActionsEnabled"),
                    ("treat_missing_data", "TreatMissingData"), ("datapoints_to_alarm", "DatapointsToAlarm")):
        put(p, cfn, c.get(tf))
    b.add(r, "AWS::CloudWatch::Alarm", p, name=val(c, "alarm_name") if isinstance(c.get("alarm_name"), str) else r.address)


# ---- resource policies: Lambda permissions, ECR, Secrets Manager, OpenSearch --------------------


@maps("aws_lambda_permission")
def _lambda_permission(b: Builder, r: TFResource) -> None:
    p: dict[str, Any] = {}
    puts(p, r.cfg, Action="action", FunctionName="function_name", Principal="principal", SourceAccount="source_account",
         SourceArn="source_arn", PrincipalOrgID="principal_org_id", FunctionUrlAuthType="function_url_auth_type",
         EventSourceToken="event_source_token")
    b.add(r, "AWS::Lambda::Permission", p, name=r.address)


@maps("aws_ecr_repository")
def _ecr_repository(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {"ImageTagMutability": val(c, "image_tag_mutability", "MUTABLE")}
    put(p, "RepositoryName", c.get("name"))
    scan = block(c, "image_scanning_configuration")
    p["ImageScanningConfiguration"] = {"ScanOnPush": val(scan or {}, "scan_on_push", False)}
    enc = block(c, "encryption_configuration")
    if enc is not None:
        e: dict[str, Any] = {}
        puts(e, enc, EncryptionType="encryption_type", KmsKey="kms_key")
        p["EncryptionConfiguration"] = e
    b.add(r, "AWS::ECR::Repository", p)


@maps("aws_ecr_repository_policy", fold=True)
def _ecr_repository_policy(b: Builder, r: TFResource) -> None:
    t = b.find("AWS::ECR::Repository", r.cfg.get("repository"))
    if t is None:
        b.keep(r)
        return
    t.props["RepositoryPolicyText"] = policy(r.cfg.get("policy"))


@maps("aws_secretsmanager_secret")
def _secret(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    puts(p, c, Name="name", KmsKeyId="kms_key_id", Description="description")
    d = b.add(r, "AWS::SecretsManager::Secret", p)
    if c.get("policy") is not None:
        b.add(r, "AWS::SecretsManager::ResourcePolicy", {"SecretId": d.id, "ResourcePolicy": policy(c["policy"])},
              id=f"{r.address}.policy", name=f"{r.address}.policy")


@maps("aws_secretsmanager_secret_policy")
def _secret_policy(b: Builder, r: TFResource) -> None:
    p: dict[str, Any] = {"SecretId": clean(r.cfg.get("secret_arn")), "ResourcePolicy": policy(r.cfg.get("policy"))}
    put(p, "BlockPublicPolicy", r.cfg.get("block_public_policy"))
    b.add(r, "AWS::SecretsManager::ResourcePolicy", p, name=r.address)


_DOMAIN_TYPE = {"aws_opensearch_domain": "AWS::OpenSearchService::Domain",
                "aws_elasticsearch_domain": "AWS::Elasticsearch::Domain"}


@maps("aws_opensearch_domain", "aws_elasticsearch_domain")
def _search_domain(b: Builder, r: TFResource) -> None:
    c = r.cfg
    p: dict[str, Any] = {}
    put(p, "DomainName", c.get("domain_name"))
    put(p, "EngineVersion" if r.type == "aws_opensearch_domain" else "ElasticsearchVersion",
        c.get("engine_version") if r.type == "aws_opensearch_domain" else c.get("elasticsearch_version"))
    if c.get("access_policies") is not None:
        p["AccessPolicies"] = policy(c["access_policies"])
    vpc = block(c, "vpc_options")
    if vpc is not None:
        p["VPCOptions"] = {"SubnetIds": val(vpc, "subnet_ids", []), "SecurityGroupIds": val(vpc, "security_group_ids", [])}
    ear = block(c, "encrypt_at_rest")
    if ear is not None:
        e: dict[str, Any] = {"Enabled": val(ear, "enabled", False)}
        put(e, "KmsKeyId", ear.get("kms_key_id"))
        p["EncryptionAtRestOptions"] = e
    n2n = block(c, "node_to_node_encryption")
    if n2n is not None:
        p["NodeToNodeEncryptionOptions"] = {"Enabled": val(n2n, "enabled", False)}
    dep = block(c, "domain_endpoint_options")
    if dep is not None:
        d: dict[str, Any] = {"EnforceHTTPS": val(dep, "enforce_https", True)}
        put(d, "TLSSecurityPolicy", dep.get("tls_security_policy"))
        p["DomainEndpointOptions"] = d
    name = c.get("domain_name")
    b.add(r, _DOMAIN_TYPE[r.type], p, name=name if isinstance(name, str) else r.address)


@maps("aws_opensearch_domain_policy", "aws_elasticsearch_domain_policy", fold=True)
def _search_domain_policy(b: Builder, r: TFResource) -> None:
    kind = "AWS::OpenSearchService::Domain" if r.type == "aws_opensearch_domain_policy" else "AWS::Elasticsearch::Domain"
    t = b.find(kind, r.cfg.get("domain_name"))
    if t is None:
        b.keep(r)
        return
    t.props["AccessPolicies"] = policy(r.cfg.get("access_policies"))


# ---- endpoints and public access (issue 15 point 2): function URLs, API Gateway, DMS ---------------


@maps("aws_lambda_function_url")
def _lambda_url(b: Builder, r: TFResource) -> None:
    p: dict[str, Any] = {}
    puts(p, r.cfg, TargetFunctionArn="function_name", AuthType="authorization_type", Qualifier="qualifier",
         InvokeMode="invoke_mode")
    b.add(r, "AWS::Lambda::Url", p, name=r.address)


@maps("aws_api_gateway_rest_api")
def _rest_api(b: Builder, r: TFResource) -> None:
    p: dict[str, Any] = {}
    put(p, "Name", r.cfg.get("name"))
    ec = block(r.cfg, "endpoint_configuration")
    if ec is not None:
        p["EndpointConfiguration"] = {"Types": val(ec, "types", [])}
    b.add(r, "AWS::ApiGateway::RestApi", p)


@maps("aws_api_gateway_method")
def _api_method(b: Builder, r: TFResource) -> None:
    p: dict[str, Any] = {}
    puts(p, r.cfg, RestApiId="rest_api_id", ResourceId="resource_id", HttpMethod="http_method",
         AuthorizationType="authorization", AuthorizerId="authorizer_id", ApiKeyRequired="api_key_required")
    b.add(r, "AWS::ApiGateway::Method", p, name=r.address)


@maps("aws_apigatewayv2_route")
def _api_route(b: Builder, r: TFResource) -> None:
    p: dict[str, Any] = {}
    puts(p, r.cfg, ApiId="api_id", RouteKey="route_key", AuthorizationType="authorization_type",
         AuthorizerId="authorizer_id", ApiKeyRequired="api_key_required")
    b.add(r, "AWS::ApiGatewayV2::Route", p, name=r.address)


# every type with a CloudFormation mapping, for docs and tests
MAPPED_TYPES = sorted(set(MAP) | set(FOLD))
