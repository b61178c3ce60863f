"""ec2.restrict-world-ingress and ec2.revoke-world-ingress under moto: only the offending rules go,
dry-run changes nothing, apply fixes the finding, undo restores the group exactly, and the API
requests one action costs (plan 0, apply 1, verify 1)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from railguard.model import Result
from railguard.remediation.action import ParamsError, Target
from railguard.remediation.actions import get
from railguard.remediation.actions.security_groups import SG, plan_rules
from railguard.sources.aws.session import AccountSession
from tests.livehelp import live_inventory
from tests.remediation.actions.support import REGION, calls_during, journalled, plan, session, verdict

ADMIN = "ec2.sg-admin-port-open-to-world"


@pytest.fixture
def sess(aws: None) -> AccountSession:
    return session()


def ec2() -> Any:
    return boto3.client("ec2", region_name=REGION)


def new_group(perms: list[dict[str, Any]], name: str = "web") -> str:
    c = ec2()
    vpc = c.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    gid: str = c.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    if perms:
        c.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
    return gid


def raw(gid: str) -> str:
    """The group's ingress as the API returns it, in a stable order (for byte comparison)."""
    perms = ec2().describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
    norm = []
    for p in perms:
        p = {k: sorted(v, key=json.dumps) if isinstance(v, list) else v for k, v in p.items()}
        norm.append(p)
    return json.dumps(sorted(norm, key=lambda p: json.dumps(p, sort_keys=True)), sort_keys=True)


def tcp(lo: int, hi: int | None = None, v4: list[Any] = (), v6: list[Any] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    def rng(key: str, item: Any) -> dict[str, Any]:
        return {key: item[0], "Description": item[1]} if isinstance(item, tuple) else {key: item}

    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": lo, "ToPort": hi if hi is not None else lo}
    if v4:
        perm["IpRanges"] = [rng("CidrIp", x) for x in v4]
    if v6:
        perm["Ipv6Ranges"] = [rng("CidrIpv6", x) for x in v6]
    return perm


MIXED = [
    tcp(22, v4=[("0.0.0.0/0", "ssh from anywhere"), "10.0.0.0/8"], v6=[("::/0", "ssh v6")]),
    tcp(3389, v6=["::/0"]),
    tcp(443, v4=[("0.0.0.0/0", "public https")], v6=["::/0"]),
]


# ---------------------------------------------------------------- the pure plan


def test_plan_rules_keeps_everything_but_the_offenders() -> None:
    ingress = [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0", "Description": "x"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "10.0.0.0/8"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv6": "::/0"},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "SourceSecurityGroupId": "sg-1"},
    ]
    revoke, add = plan_rules(ingress, [22, 3389], [4, 6])
    assert revoke == [ingress[0], ingress[2]] and add == []
    revoke, _ = plan_rules(ingress, [22], [6])
    assert revoke == [ingress[2]]
    revoke, _ = plan_rules(ingress, None, [4, 6])
    assert revoke == [ingress[0], ingress[2], ingress[3]]


def test_plan_rules_splits_a_range_and_adds_allowed_ranges() -> None:
    wide = {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "CidrIp": "0.0.0.0/0", "Description": "d"}
    allv6 = {"IpProtocol": "-1", "CidrIpv6": "::/0"}
    revoke, add = plan_rules([wide, allv6], [22, 3389], [4, 6], ["10.1.0.0/16", "fd00::/8"], keep_other_ports=True)
    assert revoke == [wide, allv6]
    ranges = sorted((a["FromPort"], a["ToPort"]) for a in add if a.get("CidrIp") == "0.0.0.0/0")
    assert ranges == [(0, 21), (23, 3388), (3390, 65535)]
    assert all(a["Description"] == "d" for a in add if "CidrIp" in a)
    assert {(a["FromPort"], a["CidrIp"]) for a in add if a.get("CidrIp") == "10.1.0.0/16"} == {
        (22, "10.1.0.0/16"), (3389, "10.1.0.0/16")}
    assert {"IpProtocol": "-1", "CidrIpv6": "fd00::/8"} in add  # all traffic: the whole rule, narrowed


# ---------------------------------------------------------------- restrict


def test_restrict_dry_run_apply_verify_undo(sess: AccountSession) -> None:
    gid = new_group(MIXED)
    before = raw(gid)
    assert verdict(sess, ADMIN, gid) == Result.FAIL

    t, change = plan(sess, "ec2.restrict-world-ingress", SG, gid)
    assert not change.noop and change.calls == ("ec2:RevokeSecurityGroupIngress",)
    assert raw(gid) == before  # planning changed nothing
    assert len(change.prior["revoke"]) == 3  # 22 v4, 22 v6, 3389 v6; 443 and 10/8 stay
    json.dumps(change.to_dict())  # the journal stores it as JSON

    spec = get("ec2.restrict-world-ingress")
    applied = spec.apply(t, change)
    assert applied == {"revoked": 3, "added": 0}
    assert verdict(sess, ADMIN, gid) == Result.PASS
    after = ec2().describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
    kept = {(p["FromPort"], r.get("CidrIp") or r.get("CidrIpv6")) for p in after
            for r in p["IpRanges"] + p["Ipv6Ranges"]}
    assert kept == {(22, "10.0.0.0/8"), (443, "0.0.0.0/0"), (443, "::/0")}

    left, reread = calls_during(sess, spec.current, t)
    assert reread == {"ec2:DescribeSecurityGroups": 1}
    assert left["GroupId"] == gid and len(left["SecurityGroupIngress"]) == 3
    from_scan, free = calls_during(sess, spec.current, t, t.resource)  # from a re-read resource: no call
    assert free == {} and change.prior["SecurityGroupIngress"] == from_scan["SecurityGroupIngress"]

    spec.undo(t, journalled(change), applied)
    assert raw(gid) == before  # descriptions included
    assert verdict(sess, ADMIN, gid) == Result.FAIL


def test_restrict_puts_back_the_rest_of_a_range_and_allowed_cidrs(sess: AccountSession) -> None:
    gid = new_group([tcp(0, 65535, v4=[("0.0.0.0/0", "everything")]), tcp(22, v4=["10.1.0.0/16"])])
    before = raw(gid)
    t, change = plan(sess, "ec2.restrict-world-ingress", SG, gid,
                     {"allow_cidrs": ["10.1.0.0/16", "192.168.0.0/24"]})
    assert change.calls == ("ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupIngress")
    spec = get("ec2.restrict-world-ingress")
    spec.apply(t, change)
    assert verdict(sess, "ec2.sg-admin-port-open-to-world-ipv4", gid) == Result.PASS
    perms = ec2().describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
    rules = {(p["FromPort"], p["ToPort"], r["CidrIp"], r.get("Description")) for p in perms for r in p["IpRanges"]}
    assert rules == {
        (0, 21, "0.0.0.0/0", "everything"), (23, 3388, "0.0.0.0/0", "everything"),
        (3390, 65535, "0.0.0.0/0", "everything"),
        (22, 22, "10.1.0.0/16", None),  # existed already: not added twice, not removed by undo
        (22, 22, "192.168.0.0/24", "everything"), (3389, 3389, "10.1.0.0/16", "everything"),
        (3389, 3389, "192.168.0.0/24", "everything"),
    }
    spec.undo(t, change, {})
    assert raw(gid) == before


def test_restrict_noop_on_a_compliant_group(sess: AccountSession) -> None:
    gid = new_group([tcp(22, v4=["10.0.0.0/8"]), tcp(443, v4=["0.0.0.0/0"])])
    _, change = plan(sess, "ec2.restrict-world-ingress", SG, gid)
    assert change.noop and change.calls == ()
    assert verdict(sess, ADMIN, gid) == Result.PASS


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ports": ["ssh"]}, "ports"),
        ({"ports": [70000]}, "ports"),
        ({"ports": []}, "ports"),
        ({"allow_cidrs": ["0.0.0.0/0"]}, "allow_cidrs"),
        ({"allow_cidrs": ["10.0.0.1/8"]}, "allow_cidrs"),
        ({"ip_versions": [5]}, "ip_versions"),
        ({"portz": [22]}, "portz"),
    ],
)
def test_restrict_refuses_bad_params_naming_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ParamsError) as err:
        get("ec2.restrict-world-ingress").validate(params)
    assert err.value.errors and err.value.errors[0][0].startswith(field)
    assert field in str(err.value)


def test_api_requests_per_action(sess: AccountSession) -> None:
    """The budget: plan from the scanned group 0 requests, apply 1, verify's re-read 1."""
    gid = new_group([tcp(22, v4=["0.0.0.0/0"]), tcp(80, v4=["0.0.0.0/0"])])
    scanned = next(r for r in live_inventory([SG]).of_type(SG) if r.id == gid)
    spec = get("ec2.restrict-world-ingress")
    t = Target(scanned, sess, REGION)
    change, planned = calls_during(sess, spec.plan, t, {})
    _, applied = calls_during(sess, spec.apply, t, change)
    result, verified = calls_during(sess, verdict, sess, ADMIN, gid)
    assert result == Result.PASS
    assert planned == {}
    assert applied == {"ec2:RevokeSecurityGroupIngress": 1}
    assert verified == {"ec2:DescribeSecurityGroups": 1}
    assert sum(planned.values()) + sum(applied.values()) + sum(verified.values()) <= 3


# ---------------------------------------------------------------- revoke


def test_revoke_takes_every_world_rule_and_keeps_the_rest(sess: AccountSession) -> None:
    gid = new_group([*MIXED, tcp(445, v4=["0.0.0.0/0"])])
    before = raw(gid)
    assert verdict(sess, "ec2.sg-cifs-open-to-world", gid) == Result.FAIL
    t, change = plan(sess, "ec2.revoke-world-ingress", SG, gid)
    assert raw(gid) == before
    spec = get("ec2.revoke-world-ingress")
    spec.apply(t, change)
    for control in (ADMIN, "ec2.sg-cifs-open-to-world", "ec2.sg-world-ingress-undescribed"):
        assert verdict(sess, control, gid) == Result.PASS
    perms = ec2().describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
    assert [(p["FromPort"], p["IpRanges"], p["Ipv6Ranges"]) for p in perms] == [(22, [{"CidrIp": "10.0.0.0/8"}], [])]
    spec.undo(t, change, {})
    assert raw(gid) == before
    assert verdict(sess, "ec2.sg-cifs-open-to-world", gid) == Result.FAIL


def test_revoke_refuses_unknown_params() -> None:
    with pytest.raises(ParamsError, match="ports"):
        get("ec2.revoke-world-ingress").validate({"ports": [22]})
