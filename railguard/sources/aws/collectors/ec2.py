"""EC2 and VPC collectors: security groups, network ACLs and their entries, VPCs, flow logs,
instances and VPC peering connections.

One paginated `Describe*` per type per region answers every control: no per-resource call.
Each type has its own collector so that the runner reads them in parallel and a scan that
needs only security groups makes only `DescribeSecurityGroups`.

Shapes (CloudFormation property names; `live` holds what CloudFormation has no property for):

- `AWS::EC2::SecurityGroup` (id sg-..., name = GroupName, or `default (vpc-...)` for default
  groups, which all share the name): GroupName, GroupDescription, VpcId,
  SecurityGroupIngress / SecurityGroupEgress with one entry per source as CloudFormation
  writes them: {IpProtocol ("-1" for all, "tcp", ...), FromPort, ToPort (absent when the API
  omits them), one of CidrIp | CidrIpv6 | SourceSecurityGroupId (+ SourceSecurityGroupOwnerId)
  | SourcePrefixListId (egress: DestinationSecurityGroupId | DestinationPrefixListId),
  Description}. live: owner_id, is_default (GroupName == "default").
- `AWS::EC2::NetworkAcl` (id acl-...): VpcId, Entries (the entries below, inline, so that a
  single re-read ACL can be judged). live: is_default, subnet_ids (associations).
- `AWS::EC2::NetworkAclEntry` (id `acl-.../ingress|egress/<RuleNumber>`): NetworkAclId,
  RuleNumber, Protocol (int: -1 all, 6 tcp, 17 udp, ...), RuleAction, Egress, CidrBlock |
  Ipv6CidrBlock, PortRange {From, To}, IcmpTypeCode {Code, Type}. The default rule `*` is
  RuleNumber 32767.
- `AWS::EC2::VPC` (id vpc-..., name = Name tag): CidrBlock, InstanceTenancy. live: is_default,
  state, ipv6_cidr_blocks.
- `AWS::EC2::FlowLog` (id fl-...): ResourceId, ResourceType (VPC | Subnet | NetworkInterface |
  TransitGateway | TransitGatewayAttachment, from the id prefix), TrafficType,
  LogDestinationType, LogDestination, LogGroupName, DeliverLogsPermissionArn,
  MaxAggregationInterval, LogFormat. live: flow_log_status, deliver_logs_status,
  deliver_logs_error.
- `AWS::EC2::Instance` (id i-..., name = Name tag): InstanceId, ImageId, InstanceType,
  IamInstanceProfile (profile name, from the ARN), MetadataOptions
  {HttpTokens, HttpEndpoint, HttpPutResponseHopLimit, InstanceMetadataTags}, SubnetId,
  SecurityGroupIds, KeyName. live: state, public_ip, private_ip, vpc_id, security_group_ids,
  instance_profile_arn, launch_time (ISO). Terminated instances are filtered out server-side.
- `AWS::EC2::VPCPeeringConnection` (id pcx-...): VpcId (this account's side), PeerVpcId,
  PeerOwnerId, PeerRegion. live: status, requester {OwnerId, VpcId, Region, CidrBlock},
  accepter {...}.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from railguard.model import Resource
from railguard.sources.aws.collector import REGIONAL, CollectContext, collector, per_resource, tag_map

SG = "AWS::EC2::SecurityGroup"
NACL = "AWS::EC2::NetworkAcl"
NACL_ENTRY = "AWS::EC2::NetworkAclEntry"
VPC = "AWS::EC2::VPC"
FLOW_LOG = "AWS::EC2::FlowLog"
INSTANCE = "AWS::EC2::Instance"
PEERING = "AWS::EC2::VPCPeeringConnection"

PAGE = {"PaginationConfig": {"PageSize": 1000}}
LIVE_STATES = ["pending", "running", "shutting-down", "stopping", "stopped"]


def _arn(ctx: CollectContext, kind: str, id_: str) -> str:
    return f"arn:{ctx.partition}:ec2:{ctx.region}:{ctx.account}:{kind}/{id_}"


# ---------------------------------------------------------------- security groups


def flatten_permissions(perms: list[Mapping[str, Any]], *, egress: bool) -> list[dict[str, Any]]:
    """DescribeSecurityGroups' IpPermissions -> CloudFormation rules, one per CIDR or source."""
    peer_sg = "DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"
    peer_pl = "DestinationPrefixListId" if egress else "SourcePrefixListId"
    out: list[dict[str, Any]] = []
    for perm in perms:
        base: dict[str, Any] = {"IpProtocol": str(perm.get("IpProtocol", "-1"))}
        for k in ("FromPort", "ToPort"):
            if perm.get(k) is not None:
                base[k] = perm[k]

        def add(extra: dict[str, Any], desc: Any, base: dict[str, Any] = base) -> None:
            rule = {**base, **extra}
            if desc:
                rule["Description"] = desc
            out.append(rule)

        for rng in perm.get("IpRanges", []):
            add({"CidrIp": rng["CidrIp"]}, rng.get("Description"))
        for rng in perm.get("Ipv6Ranges", []):
            add({"CidrIpv6": rng["CidrIpv6"]}, rng.get("Description"))
        for pair in perm.get("UserIdGroupPairs", []):
            extra = {peer_sg: pair.get("GroupId") or pair.get("GroupName")}
            if pair.get("UserId") and not egress:
                extra["SourceSecurityGroupOwnerId"] = pair["UserId"]
            add(extra, pair.get("Description"))
        for pl in perm.get("PrefixListIds", []):
            add({peer_pl: pl["PrefixListId"]}, pl.get("Description"))
    return out


@collector(
    "ec2-security-groups",
    yields=[SG],
    scope=REGIONAL,
    calls=["ec2:DescribeSecurityGroups"],
)
def collect_security_groups(ctx: CollectContext) -> Iterator[Resource]:
    for g in ctx.paginate("ec2", "describe_security_groups", "SecurityGroups", **PAGE):
        yield security_group(ctx, g)


def security_group(ctx: CollectContext, g: Mapping[str, Any]) -> Resource:
    """One DescribeSecurityGroups item as a resource (also used to re-read a single group)."""
    gid, name, vpc = g["GroupId"], g.get("GroupName", ""), g.get("VpcId")
    props = {
        "GroupName": name,
        "GroupDescription": g.get("Description", ""),
        "VpcId": vpc,
        "SecurityGroupIngress": flatten_permissions(g.get("IpPermissions", []), egress=False),
        "SecurityGroupEgress": flatten_permissions(g.get("IpPermissionsEgress", []), egress=True),
    }
    return ctx.resource(
        SG, gid, props,
        arn=g.get("SecurityGroupArn") or _arn(ctx, "security-group", gid),
        tags=tag_map(g.get("Tags")),
        live={"owner_id": g.get("OwnerId"), "is_default": name == "default"},
        name=f"default ({vpc})" if name == "default" and vpc else name,
    )


# ---------------------------------------------------------------- network ACLs


def nacl_entry(acl_id: str, e: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeNetworkAcls entry in the AWS::EC2::NetworkAclEntry shape."""
    proto = str(e.get("Protocol", "-1"))
    props: dict[str, Any] = {
        "NetworkAclId": acl_id,
        "RuleNumber": e.get("RuleNumber"),
        "Protocol": int(proto) if proto.lstrip("-").isdigit() else proto,
        "RuleAction": e.get("RuleAction"),
        "Egress": bool(e.get("Egress")),
    }
    for k in ("CidrBlock", "Ipv6CidrBlock"):
        if e.get(k):
            props[k] = e[k]
    if e.get("PortRange"):
        props["PortRange"] = {k: e["PortRange"][k] for k in ("From", "To") if k in e["PortRange"]}
    if e.get("IcmpTypeCode"):
        props["IcmpTypeCode"] = dict(e["IcmpTypeCode"])
    return props


@collector(
    "ec2-network-acls",
    yields=[NACL, NACL_ENTRY],
    scope=REGIONAL,
    calls=["ec2:DescribeNetworkAcls"],
)
def collect_network_acls(ctx: CollectContext) -> Iterator[Resource]:
    for acl in ctx.paginate("ec2", "describe_network_acls", "NetworkAcls", **PAGE):
        aid = acl["NetworkAclId"]
        entries = [nacl_entry(aid, e) for e in acl.get("Entries", [])]
        tags = tag_map(acl.get("Tags"))
        yield ctx.resource(
            NACL, aid, {"VpcId": acl.get("VpcId"), "Entries": entries},
            arn=_arn(ctx, "network-acl", aid),
            tags=tags,
            live={
                "is_default": bool(acl.get("IsDefault")),
                "subnet_ids": [a["SubnetId"] for a in acl.get("Associations", []) if a.get("SubnetId")],
            },
            name=tags.get("Name"),
        )
        if ctx.wants(NACL_ENTRY):
            for e in entries:
                direction = "egress" if e["Egress"] else "ingress"
                yield ctx.resource(NACL_ENTRY, f"{aid}/{direction}/{e['RuleNumber']}", e)


# ---------------------------------------------------------------- VPCs and flow logs


@collector("ec2-vpcs", yields=[VPC], scope=REGIONAL, calls=["ec2:DescribeVpcs"])
def collect_vpcs(ctx: CollectContext) -> Iterator[Resource]:
    for v in ctx.paginate("ec2", "describe_vpcs", "Vpcs", **PAGE):
        yield vpc(ctx, v)


def vpc(ctx: CollectContext, v: Mapping[str, Any]) -> Resource:
    """One DescribeVpcs item as a resource."""
    vid = v["VpcId"]
    tags = tag_map(v.get("Tags"))
    return ctx.resource(
        VPC, vid, {"CidrBlock": v.get("CidrBlock"), "InstanceTenancy": v.get("InstanceTenancy")},
        arn=_arn(ctx, "vpc", vid),
        tags=tags,
        live={
            "is_default": bool(v.get("IsDefault")),
            "state": v.get("State"),
            "ipv6_cidr_blocks": [
                a["Ipv6CidrBlock"] for a in v.get("Ipv6CidrBlockAssociationSet", []) if a.get("Ipv6CidrBlock")
            ],
        },
        name=tags.get("Name"),
    )


_FLOW_LOG_TARGETS = {
    "vpc-": "VPC",
    "subnet-": "Subnet",
    "eni-": "NetworkInterface",
    "tgw-attach-": "TransitGatewayAttachment",
    "tgw-": "TransitGateway",
}


def flow_log_resource_type(resource_id: str) -> str | None:
    for prefix, kind in _FLOW_LOG_TARGETS.items():
        if resource_id.startswith(prefix):
            return kind
    return None


@collector("ec2-flow-logs", yields=[FLOW_LOG], scope=REGIONAL, calls=["ec2:DescribeFlowLogs"])
def collect_flow_logs(ctx: CollectContext) -> Iterator[Resource]:
    for fl in ctx.paginate("ec2", "describe_flow_logs", "FlowLogs", **PAGE):
        yield flow_log(ctx, fl)


def flow_log(ctx: CollectContext, fl: Mapping[str, Any]) -> Resource:
    """One DescribeFlowLogs item as a resource."""
    fid, target = fl["FlowLogId"], fl.get("ResourceId", "")
    props: dict[str, Any] = {
        "ResourceId": target,
        "ResourceType": flow_log_resource_type(target),
        "TrafficType": fl.get("TrafficType"),
        "LogDestinationType": fl.get("LogDestinationType", "cloud-watch-logs"),
    }
    for k in ("LogDestination", "LogGroupName", "DeliverLogsPermissionArn", "MaxAggregationInterval",
              "LogFormat"):
        if fl.get(k) is not None:
            props[k] = fl[k]
    tags = tag_map(fl.get("Tags"))
    return ctx.resource(
        FLOW_LOG, fid, props,
        arn=_arn(ctx, "vpc-flow-log", fid),
        tags=tags,
        live={
            "flow_log_status": fl.get("FlowLogStatus"),
            "deliver_logs_status": fl.get("DeliverLogsStatus"),
            "deliver_logs_error": fl.get("DeliverLogsErrorMessage"),
        },
        name=tags.get("Name"),
    )


# ---------------------------------------------------------------- instances


def _profile_name(arn: str) -> str:
    """`arn:aws:iam::1:instance-profile/path/name` -> `name`, as CloudFormation writes it."""
    return arn.rsplit("/", 1)[-1]


INSTANCE_USER_DATA = "AWS::EC2::Instance#UserData"  # facet: one DescribeInstanceAttribute per instance


@collector("ec2-instances", yields=[INSTANCE, INSTANCE_USER_DATA], scope=REGIONAL,
           calls=["ec2:DescribeInstances", "ec2:DescribeInstanceAttribute"])
def collect_instances(ctx: CollectContext) -> Iterator[Resource]:
    filters = [{"Name": "instance-state-name", "Values": LIVE_STATES}]
    found = [i for reservation in ctx.paginate("ec2", "describe_instances", "Reservations", Filters=filters, **PAGE)
             for i in reservation.get("Instances", [])]
    if not ctx.wants(INSTANCE_USER_DATA):
        yield from (instance(ctx, i) for i in found)
        return
    yield from per_resource(lambda i: instance(ctx, i, user_data=instance_user_data(ctx, i["InstanceId"])), found)


def instance_user_data(ctx: CollectContext, instance_id: str) -> Any:
    """The instance's user data (base64, as the API returns it), "" when it has none."""
    try:
        answer = ctx.client("ec2").describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
    except Exception as exc:
        return ctx.unknown(exc, "ec2:DescribeInstanceAttribute")
    return (answer.get("UserData") or {}).get("Value") or ""


def instance(ctx: CollectContext, i: Mapping[str, Any], user_data: Any = None) -> Resource:
    """One DescribeInstances instance as a resource. `UserData` is what `user_data` says (read only
    for the `AWS::EC2::Instance#UserData` facet), else `Unknown`: never mistaken for "none"."""
    iid = i["InstanceId"]
    profile_arn = (i.get("IamInstanceProfile") or {}).get("Arn")
    sg_ids = [g["GroupId"] for g in i.get("SecurityGroups", []) if g.get("GroupId")]
    if not sg_ids:  # moto and some shapes list groups only on the interfaces
        sg_ids = list(dict.fromkeys(
            g["GroupId"] for n in i.get("NetworkInterfaces", []) for g in n.get("Groups", [])
            if g.get("GroupId")
        ))
    meta = i.get("MetadataOptions")
    props: dict[str, Any] = {
        "InstanceId": iid,
        "ImageId": i.get("ImageId"),
        "InstanceType": i.get("InstanceType"),
        "SubnetId": i.get("SubnetId"),
        "SecurityGroupIds": sg_ids,
    }
    if profile_arn:
        props["IamInstanceProfile"] = _profile_name(profile_arn)
    if meta is not None:
        props["MetadataOptions"] = {
            k: meta[k] for k in ("HttpTokens", "HttpEndpoint", "HttpPutResponseHopLimit",
                                 "InstanceMetadataTags") if k in meta
        }
    if i.get("KeyName"):
        props["KeyName"] = i["KeyName"]
    props["UserData"] = ctx.not_collected(INSTANCE_USER_DATA) if user_data is None else user_data or None
    launch: Any = i.get("LaunchTime")
    tags = tag_map(i.get("Tags"))
    return ctx.resource(
        INSTANCE, iid, props,
        arn=_arn(ctx, "instance", iid),
        tags=tags,
        live={
            "state": (i.get("State") or {}).get("Name"),
            "public_ip": i.get("PublicIpAddress"),
            "private_ip": i.get("PrivateIpAddress"),
            "vpc_id": i.get("VpcId"),
            "security_group_ids": sg_ids,
            "instance_profile_arn": profile_arn,
            "launch_time": launch.isoformat() if hasattr(launch, "isoformat") else launch,
        },
        name=tags.get("Name"),
    )


# ---------------------------------------------------------------- VPC peering


@collector(
    "ec2-vpc-peering",
    yields=[PEERING],
    scope=REGIONAL,
    calls=["ec2:DescribeVpcPeeringConnections"],
)
def collect_vpc_peering(ctx: CollectContext) -> Iterator[Resource]:
    for p in ctx.paginate("ec2", "describe_vpc_peering_connections", "VpcPeeringConnections", **PAGE):
        pid = p["VpcPeeringConnectionId"]
        req, acc = p.get("RequesterVpcInfo") or {}, p.get("AccepterVpcInfo") or {}
        # this account's side is the requester unless it only accepted the connection
        mine, peer = (acc, req) if req.get("OwnerId") != ctx.account and acc.get("OwnerId") == ctx.account \
            else (req, acc)
        props = {
            "VpcId": mine.get("VpcId"),
            "PeerVpcId": peer.get("VpcId"),
            "PeerOwnerId": peer.get("OwnerId"),
            "PeerRegion": peer.get("Region"),
        }
        tags = tag_map(p.get("Tags"))
        side = ("OwnerId", "VpcId", "Region", "CidrBlock")
        yield ctx.resource(
            PEERING, pid, props,
            arn=_arn(ctx, "vpc-peering-connection", pid),
            tags=tags,
            live={
                "status": (p.get("Status") or {}).get("Code"),
                "requester": {k: req.get(k) for k in side},
                "accepter": {k: acc.get(k) for k in side},
            },
            name=tags.get("Name"),
        )
