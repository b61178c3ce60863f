"""EC2/VPC collectors under moto: live shapes, each control's failing and passing fixture,
denied calls giving UNKNOWN (never PASS), and the API calls a scan costs."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from railguard.model import Result
from railguard.sources.aws.collectors.ec2 import flatten_permissions
from railguard.sources.aws.session import CallCounter
from tests.livehelp import live_inventory, results, run_control

REGION = "us-east-1"
AMI = "ami-12345678"  # moto accepts any AMI id unless MOTO_ENABLE_AMI_VALIDATION is set


@pytest.fixture(autouse=True)
def _no_managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests need no AWS-managed IAM policies; loading them costs ~1 s per moto backend."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")


def ec2(region: str = REGION) -> Any:
    return boto3.client("ec2", region_name=region)


def new_vpc(cidr: str = "10.0.0.0/16", name: str | None = None, region: str = REGION) -> str:
    vpc: str = ec2(region).create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    if name:
        ec2(region).create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": name}])
    return vpc


def new_sg(name: str, vpc: str, perms: list[dict[str, Any]]) -> str:
    gid: str = ec2().create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    if perms:
        ec2().authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
    return gid


def tcp(port: int, cidr: str | None = "0.0.0.0/0", v6: str | None = None, desc: str | None = None) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    extra = {"Description": desc} if desc else {}
    if v6:
        perm["Ipv6Ranges"] = [{"CidrIpv6": v6, **extra}]
    else:
        perm["IpRanges"] = [{"CidrIp": cidr, **extra}]
    return perm


def default_sg(vpc: str) -> dict[str, Any]:
    groups = ec2().describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    group: dict[str, Any] = groups[0]
    return group


def deny(monkeypatch: pytest.MonkeyPatch, operation: str) -> None:
    """Make one EC2 operation fail with UnauthorizedOperation, as a missing permission does."""
    real = BaseClient._make_api_call

    def fake(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if op == operation:
            raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}, op)
        return real(self, op, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", fake)


# ---------------------------------------------------------------- shapes


def test_flatten_permissions_one_rule_per_source() -> None:
    perms = [
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "all"}],
         "Ipv6Ranges": [{"CidrIpv6": "::/0"}], "UserIdGroupPairs": [], "PrefixListIds": []},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [], "Ipv6Ranges": [],
         "UserIdGroupPairs": [{"UserId": "123456789012", "GroupId": "sg-1"}],
         "PrefixListIds": [{"PrefixListId": "pl-1"}]},
    ]
    assert flatten_permissions(perms, egress=False) == [
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0", "Description": "all"},
        {"IpProtocol": "-1", "CidrIpv6": "::/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "SourceSecurityGroupId": "sg-1",
         "SourceSecurityGroupOwnerId": "123456789012"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "SourcePrefixListId": "pl-1"},
    ]
    assert flatten_permissions(perms[1:], egress=True)[0]["DestinationSecurityGroupId"] == "sg-1"


def test_live_shapes(aws: None) -> None:
    vpc = new_vpc(name="shapes")
    new_sg("ssh-open", vpc, [tcp(22)])
    nacl = ec2().create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2().create_network_acl_entry(NetworkAclId=nacl, RuleNumber=100, Protocol="6", RuleAction="allow",
                                   Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22})
    iid = ec2().run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    inv = live_inventory(["AWS::EC2::SecurityGroup", "AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry",
                          "AWS::EC2::VPC", "AWS::EC2::Instance"])
    assert not inv.gaps
    sg = next(r for r in inv.of_type("AWS::EC2::SecurityGroup") if r.name == "ssh-open")
    assert sg.get("SecurityGroupIngress") == [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                               "CidrIp": "0.0.0.0/0"}]
    assert sg.get("SecurityGroupEgress") == [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]
    assert sg.arn and sg.arn.endswith(sg.id) and sg.get("VpcId") == vpc
    default = next(r for r in inv.of_type("AWS::EC2::SecurityGroup") if r.get("VpcId") == vpc
                   and r.get("GroupName") == "default")
    assert default.name == f"default ({vpc})" and default.live["is_default"]
    entry = inv.get("AWS::EC2::NetworkAclEntry", f"{nacl}/ingress/100")
    assert entry is not None
    assert entry.properties == {"NetworkAclId": nacl, "RuleNumber": 100, "Protocol": 6, "RuleAction": "allow",
                                "Egress": False, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 22, "To": 22}}
    v = inv.get("AWS::EC2::VPC", vpc)
    assert v is not None and v.name == "shapes" and v.live["is_default"] is False
    i = inv.get("AWS::EC2::Instance", iid)
    assert i is not None and i.get("MetadataOptions.HttpTokens") == "optional"
    assert i.live["state"] == "running" and i.live["public_ip"]


# ---------------------------------------------------------------- security groups


def test_sg_world_open_controls(aws: None) -> None:
    vpc = new_vpc()
    new_sg("ssh-world", vpc, [tcp(22, desc="launch-wizard-1")])
    new_sg("rdp-world-v6", vpc, [tcp(3389, v6="::/0")])
    new_sg("all-world", vpc, [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    new_sg("cifs-world", vpc, [tcp(445)])
    new_sg("ssh-internal", vpc, [tcp(22, "10.0.0.0/8")])
    new_sg("https-public", vpc, [tcp(443, desc="Public storefront HTTPS, approved SEC-7")])

    inv = live_inventory(["AWS::EC2::SecurityGroup"])  # one collection, five controls
    v4 = results(run_control("ec2.sg-admin-port-open-to-world-ipv4", inventory=inv))
    assert v4["ssh-world"] == v4["all-world"] == Result.FAIL
    assert v4["ssh-internal"] == v4["rdp-world-v6"] == v4["cifs-world"] == Result.PASS

    v6 = results(run_control("ec2.sg-admin-port-open-to-world-ipv6", inventory=inv))
    assert v6["rdp-world-v6"] == Result.FAIL
    assert v6["ssh-world"] == v6["ssh-internal"] == Result.PASS

    both = results(run_control("ec2.sg-admin-port-open-to-world", inventory=inv))
    assert both["ssh-world"] == both["rdp-world-v6"] == both["all-world"] == Result.FAIL
    assert both["ssh-internal"] == both["https-public"] == Result.PASS

    cifs = results(run_control("ec2.sg-cifs-open-to-world", inventory=inv))
    assert cifs["cifs-world"] == cifs["all-world"] == Result.FAIL
    assert cifs["ssh-world"] == cifs["ssh-internal"] == Result.PASS

    desc = results(run_control("ec2.sg-world-ingress-undescribed", inventory=inv))
    assert desc["ssh-world"] == desc["cifs-world"] == desc["all-world"] == Result.FAIL
    assert desc["https-public"] == desc["ssh-internal"] == Result.PASS


def test_default_sg(aws: None) -> None:
    left = new_vpc("10.1.0.0/16")
    emptied = new_vpc("10.2.0.0/16")
    g = default_sg(emptied)
    ec2().revoke_security_group_egress(GroupId=g["GroupId"], IpPermissions=g["IpPermissionsEgress"])
    out = results(run_control("ec2.default-sg-restricts-all"))
    assert out[f"default ({left})"] == Result.FAIL
    assert out[f"default ({emptied})"] == Result.PASS
    assert all(name.startswith("default (") for name in out)  # other groups are out of scope


def test_sg_denied_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    new_sg("ssh-internal", new_vpc(), [tcp(22, "10.0.0.0/8")])
    deny(monkeypatch, "DescribeSecurityGroups")
    findings = run_control("ec2.sg-admin-port-open-to-world-ipv4")
    assert findings and all(f.result == Result.UNKNOWN for f in findings)
    assert "access denied" in findings[0].reason


# ---------------------------------------------------------------- network ACLs


def test_nacl(aws: None) -> None:
    vpc = new_vpc()
    ec2().create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "nacl-vpc"}])
    client = ec2()
    open_acl = client.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    client.create_network_acl_entry(NetworkAclId=open_acl, RuleNumber=100, Protocol="6", RuleAction="allow",
                                    Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22})
    guarded = client.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for n, port in ((10, 22), (11, 3389)):
        client.create_network_acl_entry(NetworkAclId=guarded, RuleNumber=n, Protocol="6", RuleAction="deny",
                                        Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": port, "To": port})
    client.create_network_acl_entry(NetworkAclId=guarded, RuleNumber=100, Protocol="-1", RuleAction="allow",
                                    Egress=False, CidrBlock="0.0.0.0/0")
    out = results(run_control("ec2.nacl-admin-port-open-to-world"))
    assert out[open_acl] == Result.FAIL
    assert out[guarded] == Result.PASS
    default_acl = client.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]["NetworkAclId"]
    assert out[default_acl] == Result.FAIL  # allows all inbound


def test_nacl_denied_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    deny(monkeypatch, "DescribeNetworkAcls")
    findings = run_control("ec2.nacl-admin-port-open-to-world")
    assert findings and all(f.result == Result.UNKNOWN for f in findings)


# ---------------------------------------------------------------- VPC flow logs


def test_vpc_flow_logs(aws: None) -> None:
    boto3.client("logs", region_name=REGION).create_log_group(logGroupName="flow")
    logged = new_vpc("10.1.0.0/16", "logged")
    accept_only = new_vpc("10.2.0.0/16", "accept-only")
    new_vpc("10.3.0.0/16", "unlogged")
    for vpc, traffic in ((logged, "REJECT"), (accept_only, "ACCEPT")):
        ec2().create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType=traffic,
                               LogDestinationType="cloud-watch-logs", LogGroupName="flow",
                               DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow")
    out = results(run_control("ec2.vpc-flow-logs"))
    assert out["logged"] == Result.PASS
    assert out["accept-only"] == out["unlogged"] == Result.FAIL


def test_flow_logs_denied_is_unknown_not_pass(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    logged = new_vpc("10.1.0.0/16", "logged")
    ec2().create_flow_logs(ResourceIds=[logged], ResourceType="VPC", TrafficType="ALL",
                           LogDestinationType="s3", LogDestination="arn:aws:s3:::flow-bucket")
    new_vpc("10.3.0.0/16", "unlogged")
    deny(monkeypatch, "DescribeFlowLogs")
    out = results(run_control("ec2.vpc-flow-logs"))
    # flow logs could not be read: neither "has one" nor "has none" is known
    assert out["logged"] == out["unlogged"] == Result.UNKNOWN


# ---------------------------------------------------------------- instances


def test_instances(aws: None) -> None:
    iam = boto3.client("iam")
    iam.create_instance_profile(InstanceProfileName="app-profile")
    client = ec2()

    def launch(name: str, **kwargs: Any) -> str:
        tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}, *kwargs.pop("tags", [])]}]
        iid: str = client.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, TagSpecifications=tags,
                                        **kwargs)["Instances"][0]["InstanceId"]
        return iid

    launch("imdsv1-noprofile")
    launch("imdsv2-profile", MetadataOptions={"HttpTokens": "required"},
           IamInstanceProfile={"Name": "app-profile"})
    launch("public-tagged", MetadataOptions={"HttpTokens": "required"},
           tags=[{"Key": "railguard:public", "Value": "true"}])
    stopped = launch("stopped-v1")
    client.stop_instances(InstanceIds=[stopped])
    gone = launch("terminated-v1")
    client.terminate_instances(InstanceIds=[gone])
    vpc = new_vpc("10.5.0.0/16")
    private_subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.5.1.0/24")["Subnet"]["SubnetId"]
    launch("private", SubnetId=private_subnet, MetadataOptions={"HttpTokens": "required"})

    inv = live_inventory(["AWS::EC2::Instance"])
    imds = results(run_control("ec2.imdsv2-required", inventory=inv))
    assert imds["imdsv1-noprofile"] == imds["stopped-v1"] == Result.FAIL
    assert imds["imdsv2-profile"] == imds["public-tagged"] == Result.PASS
    assert "terminated-v1" not in imds

    prof = results(run_control("ec2.instance-profile-attached", inventory=inv))
    assert prof["imdsv1-noprofile"] == Result.FAIL
    assert prof["imdsv2-profile"] == Result.PASS

    pub = results(run_control("ec2.instance-public-ip", inventory=inv))
    assert pub["imdsv1-noprofile"] == Result.FAIL  # default subnet maps a public IP
    assert pub["public-tagged"] == pub["private"] == Result.PASS


def test_instances_denied_is_unknown(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ec2().run_instances(ImageId=AMI, MinCount=1, MaxCount=1, MetadataOptions={"HttpTokens": "required"})
    deny(monkeypatch, "DescribeInstances")
    for cid in ("ec2.imdsv2-required", "ec2.instance-profile-attached", "ec2.instance-public-ip"):
        findings = run_control(cid)
        assert findings and all(f.result == Result.UNKNOWN for f in findings), cid


# ---------------------------------------------------------------- VPC peering


def test_vpc_peering(aws: None) -> None:
    mine = new_vpc("10.1.0.0/16")
    sibling = new_vpc("10.2.0.0/16")
    creds = boto3.client("sts").assume_role(RoleArn="arn:aws:iam::210987654321:role/peer",
                                            RoleSessionName="peer")["Credentials"]
    other = boto3.client("ec2", region_name="us-west-2", aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    foreign = other.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    internal = ec2().create_vpc_peering_connection(VpcId=mine, PeerVpcId=sibling)["VpcPeeringConnection"]
    external = ec2().create_vpc_peering_connection(VpcId=mine, PeerVpcId=foreign, PeerOwnerId="210987654321",
                                                   PeerRegion="us-west-2")["VpcPeeringConnection"]
    internal_id, external_id = internal["VpcPeeringConnectionId"], external["VpcPeeringConnectionId"]

    unconfigured = {f.resource_id: f for f in run_control("ec2.vpc-peering-unknown-account")}
    assert unconfigured[internal_id].result == Result.PASS
    assert unconfigured[external_id].result == Result.UNKNOWN
    assert "owned accounts" in unconfigured[external_id].reason

    out = results(run_control("ec2.vpc-peering-unknown-account", params={"owned_accounts": ["111111111111"]}))
    assert out[external_id] == Result.FAIL and out[internal_id] == Result.PASS
    out = results(run_control("ec2.vpc-peering-unknown-account", params={"owned_accounts": ["210987654321"]}))
    assert out[external_id] == Result.PASS


# ---------------------------------------------------------------- API economy


def test_one_describe_per_type_per_region(aws: None) -> None:
    regions = ["us-east-1", "eu-west-1"]
    for region in regions:
        vpc = new_vpc(region=region)
        for n in range(5):
            ec2(region).create_security_group(GroupName=f"g{n}", Description="d", VpcId=vpc)
        ec2(region).run_instances(ImageId=AMI, MinCount=3, MaxCount=3)
    counter = CallCounter()
    types = ["AWS::EC2::SecurityGroup", "AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry", "AWS::EC2::VPC",
             "AWS::EC2::FlowLog", "AWS::EC2::Instance", "AWS::EC2::VPCPeeringConnection"]
    inv = live_inventory(types, regions, counter=counter)
    assert not inv.gaps
    calls = {k: v for k, v in counter.snapshot().items() if k.startswith("ec2:") and k != "ec2:DescribeRegions"}
    assert calls == {
        "ec2:DescribeSecurityGroups": 2,
        "ec2:DescribeNetworkAcls": 2,
        "ec2:DescribeVpcs": 2,
        "ec2:DescribeFlowLogs": 2,
        "ec2:DescribeInstances": 2,
        "ec2:DescribeVpcPeeringConnections": 2,
    }


def test_only_the_needed_collector_runs(aws: None) -> None:
    counter = CallCounter()
    live_inventory(["AWS::EC2::SecurityGroup"], counter=counter)
    ec2_calls = {k for k in counter.snapshot() if k.startswith("ec2:") and k != "ec2:DescribeRegions"}
    assert ec2_calls == {"ec2:DescribeSecurityGroups"}
