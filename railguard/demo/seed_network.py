"""Seed the lab's network and EC2 resources: security groups, network ACLs, default groups,
VPCs with and without flow logs, instances, VPC peering.

Per region and per unit of `lab.scale`: two VPCs (one with a REJECT flow log and an emptied
default security group, one without either), six security groups (SSH open to 0.0.0.0/0 with a
launch-wizard description, RDP open to ::/0, all traffic open to the world, CIFS open, SSH
from 10.0.0.0/8, described public HTTPS), two network ACLs (SSH allowed from 0.0.0.0/0; a
deny-before-allow ACL) and two instances (IMDSv1 without a role in a public subnet; IMDSv2 with
a role, tagged public). Once per region: the region's default VPC (no flow logs, default group
and ACL left open), a private-subnet instance, and a same-account VPC peering. Once per lab, in
the home region: a peering with an account outside the lab (UNKNOWN until `owned_accounts` is
configured, so it is not recorded as an expectation).
"""

from __future__ import annotations

import contextlib
from typing import Any

import boto3
from botocore.config import Config

from railguard.demo.lab import Lab

FOREIGN_ACCOUNT = "210987654321"
PROFILE = "lab-net-app-profile"
LOG_GROUP = "lab-net-flow-logs"
AMI = "ami-0a1b2c3d4e5f60718"  # moto accepts any AMI id (AMI validation is off by default)

SG_V4 = "ec2.sg-admin-port-open-to-world-ipv4"
SG_V6 = "ec2.sg-admin-port-open-to-world-ipv6"
SG_ADMIN = "ec2.sg-admin-port-open-to-world"
SG_CIFS = "ec2.sg-cifs-open-to-world"
SG_DESC = "ec2.sg-world-ingress-undescribed"
DEFAULT_SG = "ec2.default-sg-restricts-all"
NACL = "ec2.nacl-admin-port-open-to-world"
FLOW = "ec2.vpc-flow-logs"
IMDS = "ec2.imdsv2-required"
PROFILE_CTL = "ec2.instance-profile-attached"
PUBLIC_IP = "ec2.instance-public-ip"
PEERING = "ec2.vpc-peering-unknown-account"

_SG_CONTROLS = (SG_V4, SG_V6, SG_ADMIN, SG_CIFS, SG_DESC)


def _tcp(port: int, *, v4: str | None = None, v6: str | None = None, desc: str | None = None) -> dict[str, Any]:
    extra = {"Description": desc} if desc else {}
    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if v4:
        perm["IpRanges"] = [{"CidrIp": v4, **extra}]
    if v6:
        perm["Ipv6Ranges"] = [{"CidrIpv6": v6, **extra}]
    return perm


# name -> (ingress permissions, controls expected to FAIL); every other SG control PASSes
_GROUPS: dict[str, tuple[list[dict[str, Any]], set[str]]] = {
    "ssh-world": ([_tcp(22, v4="0.0.0.0/0", desc="launch-wizard-1")], {SG_V4, SG_ADMIN, SG_DESC}),
    "rdp-world6": ([_tcp(3389, v6="::/0")], {SG_V6, SG_ADMIN, SG_DESC}),
    "all-world": (
        [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
        {SG_V4, SG_V6, SG_ADMIN, SG_CIFS, SG_DESC},
    ),
    "cifs-world": ([_tcp(445, v4="0.0.0.0/0", desc="Created by migration tool")], {SG_CIFS, SG_DESC}),
    "ssh-internal": ([_tcp(22, v4="10.0.0.0/8", desc="SSH from the corporate network")], set()),
    "https-public": (
        [_tcp(443, v4="0.0.0.0/0", v6="::/0", desc="Public storefront HTTPS, approved in SEC-42")],
        set(),
    ),
}


def _name_tags(kind: str, name: str, *extra: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}, *extra]}]


def _entry(ec2: Any, acl: str, n: int, action: str, proto: str, *, port: int | None = None,
           v4: str | None = None, v6: str | None = None) -> None:
    kwargs: dict[str, Any] = {"NetworkAclId": acl, "RuleNumber": n, "Protocol": proto, "RuleAction": action,
                              "Egress": False}
    if port is not None:
        kwargs["PortRange"] = {"From": port, "To": port}
    if v4:
        kwargs["CidrBlock"] = v4
    if v6:
        kwargs["Ipv6CidrBlock"] = v6
    ec2.create_network_acl_entry(**kwargs)


def _instance_profile(lab: Lab) -> None:
    iam = lab.client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_instance_profile(InstanceProfileName=PROFILE)


def _seed_unit(lab: Lab, region: str, k: int) -> tuple[str, str]:
    """One unit of scale in one region; returns the (logged, unlogged) VPC ids."""
    ec2 = lab.client("ec2", region)
    tag = f"{region}-{k}"
    octet = k % 250
    logged = ec2.create_vpc(CidrBlock=f"10.{octet}.0.0/16",
                            TagSpecifications=_name_tags("vpc", f"lab-net-logged-{tag}"))["Vpc"]["VpcId"]
    unlogged = ec2.create_vpc(CidrBlock=f"172.{16 + octet % 16}.0.0/16",
                              TagSpecifications=_name_tags("vpc", f"lab-net-unlogged-{tag}"))["Vpc"]["VpcId"]
    ec2.create_flow_logs(
        ResourceIds=[logged], ResourceType="VPC", TrafficType="REJECT", LogDestinationType="cloud-watch-logs",
        LogGroupName=LOG_GROUP, DeliverLogsPermissionArn=f"arn:aws:iam::{lab.account}:role/lab-net-flow-logs",
    )
    lab.expect_pass(FLOW, f"lab-net-logged-{tag}")
    lab.expect_fail(FLOW, f"lab-net-unlogged-{tag}")

    for base, (perms, fails) in _GROUPS.items():
        name = f"lab-{base}-{tag}"
        gid = ec2.create_security_group(GroupName=name, Description=f"lab {base}", VpcId=unlogged)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
        for cid in _SG_CONTROLS:
            (lab.expect_fail if cid in fails else lab.expect_pass)(cid, name)

    open_acl = ec2.create_network_acl(
        VpcId=unlogged, TagSpecifications=_name_tags("network-acl", f"lab-acl-ssh-world-{tag}")
    )["NetworkAcl"]["NetworkAclId"]
    _entry(ec2, open_acl, 100, "allow", "6", port=22, v4="0.0.0.0/0")
    lab.expect_fail(NACL, f"lab-acl-ssh-world-{tag}")
    guarded = ec2.create_network_acl(
        VpcId=unlogged, TagSpecifications=_name_tags("network-acl", f"lab-acl-guarded-{tag}")
    )["NetworkAcl"]["NetworkAclId"]
    for n, port in ((10, 22), (11, 3389)):
        _entry(ec2, guarded, n, "deny", "6", port=port, v4="0.0.0.0/0")
        _entry(ec2, guarded, n + 10, "deny", "6", port=port, v6="::/0")
    _entry(ec2, guarded, 100, "allow", "-1", v4="0.0.0.0/0")
    _entry(ec2, guarded, 101, "allow", "-1", v6="::/0")
    lab.expect_pass(NACL, f"lab-acl-guarded-{tag}")

    # the default subnet maps public IPs: both instances get one
    v1 = f"lab-imdsv1-noprofile-{tag}"
    ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                      MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
                      TagSpecifications=_name_tags("instance", v1))
    for cid in (IMDS, PROFILE_CTL, PUBLIC_IP):
        lab.expect_fail(cid, v1)
    v2 = f"lab-imdsv2-profile-{tag}"
    ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                      MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
                      IamInstanceProfile={"Name": PROFILE},
                      TagSpecifications=_name_tags("instance", v2, {"Key": "railguard:public", "Value": "true"}))
    for cid in (IMDS, PROFILE_CTL, PUBLIC_IP):
        lab.expect_pass(cid, v2)
    return logged, unlogged


def _seed_region(lab: Lab, region: str) -> None:
    ec2 = lab.client("ec2", region)
    lab.client("logs", region).create_log_group(logGroupName=LOG_GROUP)
    vpcs = [_seed_unit(lab, region, k) for k in range(max(1, lab.scale))]

    # the default groups: the one of each logged VPC is emptied, every other one keeps its rules;
    # default network ACLs allow all inbound traffic; the region's default VPC has no flow log
    default_vpcs = [v["VpcId"] for v in ec2.describe_vpcs(
        Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]]
    for v in default_vpcs:
        lab.expect_fail(FLOW, v)
    ours = {v for pair in vpcs for v in pair} | set(default_vpcs)
    emptied = {logged for logged, _ in vpcs}
    for g in ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"
    ]:
        if g["VpcId"] not in ours:
            continue
        name = f"default ({g['VpcId']})"
        if g["VpcId"] in emptied:
            if g.get("IpPermissions"):
                ec2.revoke_security_group_ingress(GroupId=g["GroupId"], IpPermissions=g["IpPermissions"])
            if g.get("IpPermissionsEgress"):
                ec2.revoke_security_group_egress(GroupId=g["GroupId"], IpPermissions=g["IpPermissionsEgress"])
            lab.expect_pass(DEFAULT_SG, name)
        elif g.get("IpPermissions") or g.get("IpPermissionsEgress"):
            lab.expect_fail(DEFAULT_SG, name)
    for acl in ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]}])["NetworkAcls"]:
        if acl["VpcId"] in ours:
            lab.expect_fail(NACL, acl["NetworkAclId"])

    logged, unlogged = vpcs[0]
    subnet = ec2.create_subnet(VpcId=logged, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    private = f"lab-private-imdsv2-{region}"
    ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet,
                      MetadataOptions={"HttpTokens": "required"}, IamInstanceProfile={"Name": PROFILE},
                      TagSpecifications=_name_tags("instance", private))
    for cid in (IMDS, PROFILE_CTL, PUBLIC_IP):
        lab.expect_pass(cid, private)

    peer = f"lab-peer-internal-{region}"
    ec2.create_vpc_peering_connection(VpcId=logged, PeerVpcId=unlogged,
                                      TagSpecifications=_name_tags("vpc-peering-connection", peer))
    lab.expect_pass(PEERING, peer)


def _foreign_peering(lab: Lab) -> None:
    """A peering with an account outside the lab: FAIL once owned_accounts lists the lab's only."""
    creds = lab.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/lab-peer", RoleSessionName="railguard-lab"
    )["Credentials"]
    other = boto3.client(
        "ec2", region_name=lab.home, endpoint_url=lab.endpoint_url,
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], config=Config(retries={"max_attempts": 2}),
    )
    foreign_vpc = other.create_vpc(CidrBlock="10.250.0.0/16")["Vpc"]["VpcId"]
    mine = lab.client("ec2").create_vpc(
        CidrBlock="10.251.0.0/16", TagSpecifications=_name_tags("vpc", "lab-net-peered-external")
    )["Vpc"]["VpcId"]
    lab.client("ec2").create_vpc_peering_connection(
        VpcId=mine, PeerVpcId=foreign_vpc, PeerOwnerId=FOREIGN_ACCOUNT, PeerRegion=lab.home,
        TagSpecifications=_name_tags("vpc-peering-connection", "lab-peer-external"),
    )
    lab.expect_fail(FLOW, "lab-net-peered-external")


def seed(lab: Lab) -> None:
    _instance_profile(lab)
    for region in lab.regions:
        _seed_region(lab, region)
    _foreign_peering(lab)
