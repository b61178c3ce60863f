"""EC2/VPC controls on hand-built CloudFormation-shaped resources (template and live shapes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from railguard.controls import LIVE, Context, get_control
from railguard.controls.ec2 import generic_description
from railguard.engine.evaluate import run_control
from railguard.engine.plan import PlannedControl
from railguard.model import Inventory, Origin, Resource, Result, Unknown, Verdict

TEMPLATE = Origin(file="stack.yaml", line=3)
LIVE_ORIGIN = Origin(account="123456789012", region="us-east-1")


def verdict(control_id: str, r: Resource, others: list[Resource] | None = None,
            params: Mapping[str, Any] | None = None) -> Verdict:
    c = get_control(control_id)
    inv = Inventory([r, *(others or [])])
    pc = PlannedControl(c, {**c.params, **(params or {})})
    v = run_control(pc, r, Context(inv, pc.params, place=LIVE if r.is_live else "iac"))
    assert v is not None
    return v


def result(control_id: str, r: Resource, others: list[Resource] | None = None,
           params: Mapping[str, Any] | None = None) -> Result:
    return verdict(control_id, r, others, params).result


def sg(ingress: Any = (), egress: Any = (), name: str = "web", live: bool = False) -> Resource:
    props = {"GroupName": name, "GroupDescription": "d", "VpcId": "vpc-1",
             "SecurityGroupIngress": list(ingress) if isinstance(ingress, list | tuple) else ingress,
             "SecurityGroupEgress": list(egress)}
    if live:
        return Resource("AWS::EC2::SecurityGroup", "sg-1", props, account="123456789012", region="us-east-1",
                        origin=LIVE_ORIGIN, name=name)
    return Resource("AWS::EC2::SecurityGroup", "WebSG", props, origin=TEMPLATE)


def rule(proto: Any = "tcp", lo: Any = 22, hi: Any = 22, cidr: Any = "0.0.0.0/0", v6: Any = None,
         desc: Any = None) -> dict[str, Any]:
    r: dict[str, Any] = {"IpProtocol": proto}
    if lo is not None:
        r["FromPort"] = lo
    if hi is not None:
        r["ToPort"] = hi
    if v6 is not None:
        r["CidrIpv6"] = v6
    elif cidr is not None:
        r["CidrIp"] = cidr
    if desc is not None:
        r["Description"] = desc
    return r


V4, V6, BOTH = "ec2.sg-admin-port-open-to-world-ipv4", "ec2.sg-admin-port-open-to-world-ipv6", \
    "ec2.sg-admin-port-open-to-world"


# ---------------------------------------------------------------- security groups


@pytest.mark.parametrize(
    "ingress",
    [
        [rule()],
        [rule("tcp", "22", "22")],  # ports as strings in templates
        [rule("tcp", 3389, 3389)],
        [rule("udp", 3389, 3389)],
        [rule("-1", None, None)],  # all traffic
        [rule("all", None, None)],
        [rule(-1, -1, -1)],
        [rule("tcp", 0, 65535)],
        [rule("tcp", 20, 30, "1.2.3.4/0")],
        [rule("tcp", 22, 22, "0.0.0.0/1"), rule("tcp", 22, 22, "128.0.0.0/1")],  # world in pieces
    ],
)
def test_admin_port_ipv4_fails(ingress: list[dict[str, Any]]) -> None:
    assert result(V4, sg(ingress)) == Result.FAIL
    assert result(BOTH, sg(ingress)) == Result.FAIL
    assert result(V6, sg(ingress)) == Result.PASS


@pytest.mark.parametrize(
    "ingress",
    [
        [],
        [rule("tcp", 22, 22, "10.0.0.0/8")],
        [rule("tcp", 80, 443)],
        [rule("icmp", -1, -1)],  # ICMP -1 means all ICMP types, not all ports
        [rule("tcp", 22, 22, "0.0.0.0/1")],
        [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "SourceSecurityGroupId": "sg-2"}],
        [{"IpProtocol": "-1", "SourcePrefixListId": "pl-1"}],
    ],
)
def test_admin_port_passes(ingress: list[dict[str, Any]]) -> None:
    assert result(V4, sg(ingress)) == Result.PASS
    assert result(BOTH, sg(ingress)) == Result.PASS


def test_admin_port_ipv6() -> None:
    open6 = sg([rule("tcp", 3389, 3389, v6="::/0")])
    assert result(V6, open6) == Result.FAIL
    assert result(BOTH, open6) == Result.FAIL
    assert result(V4, open6) == Result.PASS
    assert result(V6, sg([rule("-1", None, None, v6="::/0")])) == Result.FAIL
    assert result(V6, sg([rule("tcp", 22, 22, v6="2001:db8::/32")])) == Result.PASS


def test_admin_port_evidence() -> None:
    v = verdict(BOTH, sg([rule(desc="ssh"), rule("tcp", 443, 443)]))
    assert v.result == Result.FAIL
    assert "22 from 0.0.0.0/0" in v.reason
    (exp,) = v.evidence["exposures"]
    assert exp["port"] == 22 and exp["rules"][0]["CidrIp"] == "0.0.0.0/0"


def test_unknown_cidr_is_unknown_but_known_fail_stays_fail() -> None:
    unknown_cidr = sg([rule("tcp", 22, 22, Unknown("parameter AllowedCidr has no default"))])
    v = verdict(V4, unknown_cidr)
    assert v.result == Result.UNKNOWN and "AllowedCidr" in v.reason
    assert result(V4, sg([rule("tcp", 22, 22, Unknown("p")), rule("-1", None, None)])) == Result.FAIL
    # an Unknown on a rule that cannot reach the port does not matter
    assert result(V4, sg([rule("icmp", -1, -1, Unknown("p"))])) == Result.PASS
    assert result(V4, sg(Unknown("!If unresolved"))) == Result.UNKNOWN
    assert result(V4, sg([rule(Unknown("proto"), 22, 22)])) == Result.UNKNOWN
    assert result(V4, sg([Unknown("rule from a module")])) == Result.UNKNOWN


def test_cifs() -> None:
    c = "ec2.sg-cifs-open-to-world"
    assert result(c, sg([rule("tcp", 445, 445)])) == Result.FAIL
    assert result(c, sg([rule("tcp", 445, 445, v6="::/0")])) == Result.FAIL
    assert result(c, sg([rule("-1", None, None)])) == Result.FAIL
    assert result(c, sg([rule("tcp", 445, 445, "10.0.0.0/8")])) == Result.PASS
    assert result(c, sg([rule("tcp", 22, 22)])) == Result.PASS


def test_default_sg() -> None:
    c = "ec2.default-sg-restricts-all"
    assert get_control(c).places == frozenset({"live"})
    egress_all = [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]
    assert result(c, sg([], egress_all, name="default", live=True)) == Result.FAIL
    self_ref = [{"IpProtocol": "-1", "SourceSecurityGroupId": "sg-1"}]
    assert result(c, sg(self_ref, [], name="default", live=True)) == Result.FAIL
    assert result(c, sg([], [], name="default", live=True)) == Result.PASS
    ctl = get_control(c)
    r = sg([], egress_all, name="web", live=True)
    assert run_control(PlannedControl(ctl, {}), r, Context(Inventory([r]))) is None  # not a default group


def test_world_ingress_description() -> None:
    c = "ec2.sg-world-ingress-undescribed"
    assert result(c, sg([rule("tcp", 443, 443)])) == Result.FAIL
    assert result(c, sg([rule("tcp", 443, 443, desc="launch-wizard-3")])) == Result.FAIL
    assert result(c, sg([rule("tcp", 443, 443, v6="::/0", desc="Created by RDS management console")])) \
        == Result.FAIL
    assert result(c, sg([rule("tcp", 443, 443, desc="Public HTTPS for the storefront, ticket SEC-12")])) \
        == Result.PASS
    assert result(c, sg([rule("tcp", 22, 22, "10.0.0.0/8")])) == Result.PASS  # not world-open
    assert result(c, sg([rule("tcp", 443, 443, desc=Unknown("param"))])) == Result.UNKNOWN
    assert generic_description("") and generic_description("  ") and generic_description("N/A")
    assert generic_description("allow all") and generic_description("launch-wizard-12 created 2024")
    assert not generic_description("Office VPN egress for the payroll team")


# ---------------------------------------------------------------- network ACLs


def nacl(entries: list[dict[str, Any]] | None = None, live: bool = False) -> Resource:
    props: dict[str, Any] = {"VpcId": "vpc-1"}
    if entries is not None:
        props["Entries"] = entries
    if live:
        return Resource("AWS::EC2::NetworkAcl", "acl-1", props, account="123456789012", region="us-east-1",
                        origin=LIVE_ORIGIN)
    return Resource("AWS::EC2::NetworkAcl", "Acl", props, origin=TEMPLATE)


def entry(n: Any, action: str = "allow", proto: Any = 6, lo: Any = 22, hi: Any = 22, cidr: Any = "0.0.0.0/0",
          egress: Any = False, acl: Any = "Acl", v6: Any = None) -> Resource:
    props: dict[str, Any] = {"NetworkAclId": acl, "RuleNumber": n, "Protocol": proto, "RuleAction": action,
                             "Egress": egress}
    if v6 is not None:
        props["Ipv6CidrBlock"] = v6
    else:
        props["CidrBlock"] = cidr
    if lo is not None:
        props["PortRange"] = {"From": lo, "To": hi}
    return Resource("AWS::EC2::NetworkAclEntry", f"E{n}{egress}", props, origin=TEMPLATE)


NACL_ID = "ec2.nacl-admin-port-open-to-world"


def test_nacl_entries_as_resources() -> None:
    acl = nacl()
    assert result(NACL_ID, acl, [entry(100)]) == Result.FAIL
    assert result(NACL_ID, acl, [entry(100, proto=-1, lo=None)]) == Result.FAIL
    assert result(NACL_ID, acl, [entry(100, proto="6", lo="0", hi="65535")]) == Result.FAIL
    assert result(NACL_ID, acl, [entry(100, proto=17, lo=3389, hi=3389)]) == Result.FAIL
    assert result(NACL_ID, acl, [entry(100, v6="::/0")]) == Result.FAIL
    assert result(NACL_ID, acl, []) == Result.PASS  # no entries: the implicit deny
    assert result(NACL_ID, acl, [entry(100, cidr="10.0.0.0/8")]) == Result.PASS
    assert result(NACL_ID, acl, [entry(100, egress=True)]) == Result.PASS  # egress only
    assert result(NACL_ID, acl, [entry(100, egress="true")]) == Result.PASS
    assert result(NACL_ID, acl, [entry(100, proto=1, lo=None)]) == Result.PASS  # ICMP
    assert result(NACL_ID, acl, [entry(100, acl="OtherAcl")]) == Result.PASS  # another ACL's rule


def test_nacl_rule_order() -> None:
    acl = nacl()
    deny_first = [entry(90, "deny", proto=-1, lo=None), entry(100, proto=-1, lo=None)]
    assert result(NACL_ID, acl, deny_first) == Result.PASS
    admin_denied = [entry(10, "deny", lo=22, hi=22), entry(11, "deny", lo=3389, hi=3389),
                    entry(20, "deny", lo=22, hi=22, v6="::/0"), entry(21, "deny", lo=3389, hi=3389, v6="::/0"),
                    entry(100, proto=-1, lo=None), entry(101, proto=-1, lo=None, v6="::/0")]
    assert result(NACL_ID, acl, admin_denied) == Result.PASS
    only_22_denied = [entry(10, "deny", lo=22, hi=22), entry(100, proto=-1, lo=None)]
    v = verdict(NACL_ID, acl, only_22_denied)
    assert v.result == Result.FAIL and "3389" in v.reason and "22 from" not in v.reason
    deny_after = [entry(100, proto=-1, lo=None), entry(90 + 20, "deny", proto=-1, lo=None)]
    assert result(NACL_ID, acl, deny_after) == Result.FAIL
    numbers_as_strings = [entry("90", "deny", proto="-1", lo=None), entry("100", proto="-1", lo=None)]
    assert result(NACL_ID, acl, numbers_as_strings) == Result.PASS
    narrow_deny = [entry(90, "deny", cidr="203.0.113.0/24"), entry(100)]
    assert result(NACL_ID, acl, narrow_deny) == Result.FAIL


def test_nacl_inline_entries_live_shape() -> None:
    default_rules = [
        {"NetworkAclId": "acl-1", "RuleNumber": 100, "Protocol": -1, "RuleAction": "allow", "Egress": False,
         "CidrBlock": "0.0.0.0/0"},
        {"NetworkAclId": "acl-1", "RuleNumber": 32767, "Protocol": -1, "RuleAction": "deny", "Egress": False,
         "CidrBlock": "0.0.0.0/0"},
    ]
    assert result(NACL_ID, nacl(default_rules, live=True)) == Result.FAIL
    assert result(NACL_ID, nacl(default_rules[1:], live=True)) == Result.PASS


def test_nacl_unknown() -> None:
    acl = nacl()
    assert result(NACL_ID, acl, [entry(100, cidr=Unknown("param"))]) == Result.UNKNOWN
    assert result(NACL_ID, acl, [entry(Unknown("param"), "deny"), entry(100)]) == Result.UNKNOWN
    assert result(NACL_ID, acl, [entry(100, acl=Unknown("ImportValue"))]) == Result.UNKNOWN


# ---------------------------------------------------------------- VPC flow logs


def vpc(live: bool = False) -> Resource:
    if live:
        return Resource("AWS::EC2::VPC", "vpc-1", {"CidrBlock": "10.0.0.0/16"}, account="123456789012",
                        region="us-east-1", origin=LIVE_ORIGIN)
    return Resource("AWS::EC2::VPC", "VPC", {"CidrBlock": "10.0.0.0/16"}, origin=TEMPLATE)


def flow_log(target: Any = "VPC", traffic: Any = "REJECT", origin: Origin = TEMPLATE) -> Resource:
    return Resource("AWS::EC2::FlowLog", "FlowLog", {"ResourceId": target, "ResourceType": "VPC",
                                                     "TrafficType": traffic}, origin=origin)


def test_vpc_flow_logs() -> None:
    c = "ec2.vpc-flow-logs"
    assert result(c, vpc()) == Result.FAIL
    assert result(c, vpc(), [flow_log()]) == Result.PASS
    assert result(c, vpc(), [flow_log(traffic="ALL")]) == Result.PASS
    assert result(c, vpc(), [flow_log(traffic="ACCEPT")]) == Result.FAIL
    assert result(c, vpc(), [flow_log(target="OtherVPC")]) == Result.FAIL
    assert result(c, vpc(), [flow_log(target=Unknown("ImportValue"))]) == Result.UNKNOWN
    # a flow log in another template does not cover a VPC with the same logical id
    assert result(c, vpc(), [flow_log(origin=Origin(file="other.yaml"))]) == Result.FAIL


def test_vpc_flow_logs_live_status() -> None:
    c = "ec2.vpc-flow-logs"
    active = Resource("AWS::EC2::FlowLog", "fl-1", {"ResourceId": "vpc-1", "TrafficType": "ALL"},
                      account="123456789012", region="us-east-1", origin=LIVE_ORIGIN,
                      live={"flow_log_status": "ACTIVE"})
    assert result(c, vpc(live=True), [active]) == Result.PASS
    other_region = Resource("AWS::EC2::FlowLog", "fl-2", {"ResourceId": "vpc-1", "TrafficType": "ALL"},
                            account="123456789012", region="eu-west-1",
                            origin=Origin(account="123456789012", region="eu-west-1"))
    assert result(c, vpc(live=True), [other_region]) == Result.FAIL


# ---------------------------------------------------------------- instances


def instance(props: dict[str, Any], live: dict[str, Any] | None = None, tags: dict[str, str] | None = None,
             ) -> Resource:
    if live is not None:
        return Resource("AWS::EC2::Instance", "i-1", {"InstanceId": "i-1", **props}, account="123456789012",
                        region="us-east-1", origin=LIVE_ORIGIN, live=live, tags=tags or {})
    return Resource("AWS::EC2::Instance", "Web", props, origin=TEMPLATE, tags=tags or {})


def test_imdsv2() -> None:
    c = "ec2.imdsv2-required"
    assert result(c, instance({"MetadataOptions": {"HttpTokens": "required"}})) == Result.PASS
    assert result(c, instance({"MetadataOptions": {"HttpTokens": "optional"}})) == Result.FAIL
    assert result(c, instance({})) == Result.FAIL  # unset: the default is optional
    assert result(c, instance({"MetadataOptions": {"HttpEndpoint": "disabled"}})) == Result.PASS
    assert result(c, instance({"MetadataOptions": {"HttpTokens": Unknown("param")}})) == Result.UNKNOWN
    running = {"state": "running"}
    stopped = {"state": "stopped"}
    assert result(c, instance({"MetadataOptions": {"HttpTokens": "optional", "HttpEndpoint": "enabled"}},
                              stopped)) == Result.FAIL
    assert result(c, instance({"MetadataOptions": {"HttpTokens": "required"}}, running)) == Result.PASS
    assert result(c, instance({}, running)) == Result.UNKNOWN  # live must say


def test_imdsv2_from_launch_template() -> None:
    c = "ec2.imdsv2-required"
    lt = Resource("AWS::EC2::LaunchTemplate", "LT", {"LaunchTemplateName": "web",
                                                     "LaunchTemplateData": {"MetadataOptions":
                                                                            {"HttpTokens": "required"}}},
                  origin=TEMPLATE)
    lt_v1 = Resource("AWS::EC2::LaunchTemplate", "LT", {"LaunchTemplateData": {}}, origin=TEMPLATE)
    by_id = instance({"LaunchTemplate": {"LaunchTemplateId": "LT", "Version": "1"}})
    by_name = instance({"LaunchTemplate": {"LaunchTemplateName": "web", "Version": "1"}})
    assert result(c, by_id, [lt]) == Result.PASS
    assert result(c, by_name, [lt]) == Result.PASS
    assert result(c, by_id, [lt_v1]) == Result.FAIL
    assert result(c, by_id) == Result.UNKNOWN  # template not in the scanned files
    # the instance's own options win over the launch template's
    own = instance({"MetadataOptions": {"HttpTokens": "optional"}, "LaunchTemplate": {"LaunchTemplateId": "LT"}})
    assert result(c, own, [lt]) == Result.FAIL


def test_instance_profile() -> None:
    c = "ec2.instance-profile-attached"
    assert result(c, instance({"IamInstanceProfile": "WebProfile"})) == Result.PASS
    assert result(c, instance({})) == Result.FAIL
    assert result(c, instance({"IamInstanceProfile": Unknown("param")})) == Result.UNKNOWN
    assert result(c, instance({}, {"state": "stopped"})) == Result.FAIL
    gone = instance({}, {"state": "terminated"})
    assert run_control(PlannedControl(get_control(c), {}), gone, Context(Inventory([gone]))) is None


def test_instance_public_ip_live() -> None:
    c = "ec2.instance-public-ip"
    assert result(c, instance({}, {"state": "running", "public_ip": "54.1.2.3"})) == Result.FAIL
    assert result(c, instance({}, {"state": "running", "public_ip": None})) == Result.PASS
    tagged = instance({}, {"state": "running", "public_ip": "54.1.2.3"}, tags={"railguard:public": "true"})
    assert result(c, tagged) == Result.PASS
    assert result(c, tagged, params={"public_tag": "exposed"}) == Result.FAIL
    assert result(c, instance({}, {"state": "running", "public_ip": Unknown("denied")})) == Result.UNKNOWN


def test_instance_public_ip_template() -> None:
    c = "ec2.instance-public-ip"
    pub = {"NetworkInterfaces": [{"DeviceIndex": "0", "AssociatePublicIpAddress": "true", "SubnetId": "Sub"}]}
    priv = {"NetworkInterfaces": [{"DeviceIndex": "0", "AssociatePublicIpAddress": False, "SubnetId": "Sub"}]}
    assert result(c, instance(pub)) == Result.FAIL
    assert result(c, instance(priv)) == Result.PASS
    assert result(c, instance(pub, tags={"railguard:public": "yes"})) == Result.PASS
    tagged_prop = instance({**pub, "Tags": [{"Key": "railguard:public", "Value": "true"}]})
    assert result(c, tagged_prop) == Result.PASS
    public_subnet = Resource("AWS::EC2::Subnet", "Sub", {"MapPublicIpOnLaunch": True}, origin=TEMPLATE)
    private_subnet = Resource("AWS::EC2::Subnet", "Sub", {"MapPublicIpOnLaunch": False}, origin=TEMPLATE)
    assert result(c, instance({"SubnetId": "Sub"}), [public_subnet]) == Result.FAIL
    assert result(c, instance({"SubnetId": "Sub"}), [private_subnet]) == Result.PASS
    assert result(c, instance({"SubnetId": "Sub"})) == Result.UNKNOWN
    assert result(c, instance({})) == Result.FAIL  # default VPC: public IP
    assert result(c, instance({"NetworkInterfaces": [{"AssociatePublicIpAddress": Unknown("p")}]})) \
        == Result.UNKNOWN


# ---------------------------------------------------------------- VPC peering


def peering(owner: Any, live: dict[str, Any] | None = None) -> Resource:
    props = {"VpcId": "vpc-1", "PeerVpcId": "vpc-2"}
    if owner is not None:
        props["PeerOwnerId"] = owner
    if live is not None:
        return Resource("AWS::EC2::VPCPeeringConnection", "pcx-1", props, account="123456789012",
                        region="us-east-1", origin=LIVE_ORIGIN, live=live)
    return Resource("AWS::EC2::VPCPeeringConnection", "Peer", props, origin=TEMPLATE)


def test_vpc_peering() -> None:
    c = "ec2.vpc-peering-unknown-account"
    v = verdict(c, peering("210987654321"))
    assert v.result == Result.UNKNOWN and "owned accounts" in v.reason
    assert result(c, peering("210987654321"), params={"owned_accounts": ["210987654321"]}) == Result.PASS
    assert result(c, peering("210987654321"), params={"owned_accounts": "111111111111, 210987654321"}) \
        == Result.PASS
    assert result(c, peering(210987654321), params={"owned_accounts": [210987654321]}) == Result.PASS
    assert result(c, peering("210987654321"), params={"owned_accounts": ["111111111111"]}) == Result.FAIL
    assert result(c, peering(None)) == Result.PASS  # same account
    assert result(c, peering("123456789012", {"status": "active"})) == Result.PASS
    assert result(c, peering(Unknown("param")), params={"owned_accounts": ["1"]}) == Result.UNKNOWN
    ctl = get_control(c)
    gone = peering("210987654321", {"status": "deleted"})
    assert run_control(PlannedControl(ctl, dict(ctl.params)), gone, Context(Inventory([gone]))) is None


def test_every_control_has_metadata() -> None:
    ids = [V4, V6, BOTH, "ec2.sg-cifs-open-to-world", "ec2.default-sg-restricts-all",
           "ec2.sg-world-ingress-undescribed", NACL_ID, "ec2.vpc-flow-logs", "ec2.imdsv2-required",
           "ec2.instance-profile-attached", "ec2.instance-public-ip", "ec2.vpc-peering-unknown-account"]
    for cid in ids:
        c = get_control(cid)
        assert c.title and c.fix and c.severity


def test_instance_reads_its_launch_template() -> None:
    lt = Resource("AWS::EC2::LaunchTemplate", "LT", {"LaunchTemplateData": {
        "IamInstanceProfile": {"Name": "web-profile"},
        "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": False, "SubnetId": "Sub"}],
    }}, origin=TEMPLATE)
    bare_lt = Resource("AWS::EC2::LaunchTemplate", "LT", {"LaunchTemplateData": {}}, origin=TEMPLATE)
    web = instance({"LaunchTemplate": {"LaunchTemplateId": "LT", "Version": "1"}})
    assert result("ec2.instance-profile-attached", web, [lt]) == Result.PASS
    assert result("ec2.instance-profile-attached", web, [bare_lt]) == Result.FAIL
    assert result("ec2.instance-profile-attached", web) == Result.UNKNOWN  # template not scanned
    assert result("ec2.instance-public-ip", web, [lt]) == Result.PASS
    assert result("ec2.instance-public-ip", web, [bare_lt]) == Result.FAIL  # default VPC


def launch_template(options: Any = None) -> Resource:
    data: dict[str, Any] = {"ImageId": "ami-1"}
    if options is not None:
        data["MetadataOptions"] = options
    return Resource("AWS::EC2::LaunchTemplate", "LT", {"LaunchTemplateData": data}, origin=TEMPLATE)


def launch_config(options: Any = None) -> Resource:
    props: dict[str, Any] = {"ImageId": "ami-1"}
    if options is not None:
        props["MetadataOptions"] = options
    return Resource("AWS::AutoScaling::LaunchConfiguration", "LC", props, origin=TEMPLATE)


@pytest.mark.parametrize("make", [launch_template, launch_config])
def test_launch_config_imdsv2(make: Any) -> None:
    c = "ec2.launch-config-imdsv2"
    assert result(c, make({"HttpTokens": "required"})) == Result.PASS
    assert result(c, make({"HttpTokens": "Required", "HttpEndpoint": "enabled"})) == Result.PASS
    assert result(c, make({"HttpEndpoint": "disabled"})) == Result.PASS
    assert result(c, make({"HttpTokens": "optional"})) == Result.FAIL
    assert result(c, make({"HttpPutResponseHopLimit": 2})) == Result.FAIL  # unset: the default is optional
    assert result(c, make()) == Result.FAIL
    # a known setting that settles it wins over an unknown other one; otherwise UNKNOWN
    assert result(c, make({"HttpTokens": "required", "HttpEndpoint": Unknown("param")})) == Result.PASS
    assert result(c, make({"HttpTokens": Unknown("param"), "HttpEndpoint": "disabled"})) == Result.PASS
    assert result(c, make({"HttpTokens": Unknown("param")})) == Result.UNKNOWN
    assert result(c, make({"HttpTokens": "optional", "HttpEndpoint": Unknown("param")})) == Result.UNKNOWN
    assert result(c, make(Unknown("depends on condition UseV2"))) == Result.UNKNOWN


def test_launch_config_imdsv2_evidence_and_places() -> None:
    c = get_control("ec2.launch-config-imdsv2")
    assert c.places == frozenset({"iac"}) and c.severity == get_control("ec2.imdsv2-required").severity
    v = verdict("ec2.launch-config-imdsv2", launch_template({"HttpTokens": "optional"}))
    assert v.result == Result.FAIL and "'optional'" in v.reason
