"""Scope, environments, modes, exceptions and `where:` conditions, on hand-built resources."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from railguard.guardrails import parse_guardrails
from railguard.guardrails.controls import inline_control
from railguard.guardrails.match import check_exceptions, environment_of, from_spec, mode_for, out_of_scope
from railguard.guardrails.where import Condition
from railguard.model import Resource, Result, Unknown

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SG = "AWS::EC2::SecurityGroup"


def sg(rid: str = "sg-1", account: str = "111111111111", region: str = "us-east-1", tags: dict[str, str] | None = None,
       **props: object) -> Resource:
    return Resource(type=SG, id=rid, account=account, region=region, tags=tags or {}, properties=props, name=f"n-{rid}")


FILE = parse_guardrails("""
guardrails:
  - name: g
    controls: [ec2.sg-admin-port-open-to-world]
    scope: {regions: [us-east-1], tags: {team: web}}
    mode: {prod: approve, dev: remediate}
    action: {id: ec2.restrict-world-ingress}
    exceptions:
      - {resource: sg-bastion, reason: bastion, owner: ops, expires: 2027-01-31}
      - {tag: {keep: "yes"}, reason: lab, owner: lab, expires: 2026-11-30}
      - {account: "222222222222", reason: sandbox, owner: sb, expires: 2027-06-30}
environments: {prod: {accounts: ["111111111111"]}, dev: {tag: {env: dev}}}
""", "g.yaml", {})
G, ENVS = FILE.guardrails[0], FILE.environments


def test_scope_by_region_and_tags() -> None:
    assert out_of_scope(G, sg(tags={"team": "web"}), ENVS) is None
    assert "region eu-west-1" in (out_of_scope(G, sg(region="eu-west-1", tags={"team": "web"}), ENVS) or "")
    assert "team=web" in (out_of_scope(G, sg(), ENVS) or "")


def test_environment_chooses_the_mode_and_no_match_means_assess() -> None:
    assert environment_of(sg(), ENVS) == "prod"
    assert mode_for(G, sg(), ENVS)[0] == "approve"
    assert mode_for(G, sg(account="333333333333", tags={"env": "dev"}), ENVS)[0] == "remediate"
    mode, why = mode_for(G, sg(account="333333333333"), ENVS)
    assert mode == "assess" and "no mode" in why


def test_exceptions_by_resource_tag_account_and_expiry() -> None:
    exc = [from_spec("g", i, e) for i, e in enumerate(G.exceptions)]
    assert check_exceptions(sg("sg-bastion"), exc, NOW).active is not None
    assert check_exceptions(Resource(type=SG, id="sg-x", name="sg-bastion"), exc, NOW).active is not None  # by name
    lapsed = check_exceptions(sg(tags={"keep": "yes"}), exc, NOW)
    assert lapsed.active is None and "expired on 2026-11-30" in lapsed.expired_note()
    assert check_exceptions(sg(account="222222222222"), exc, NOW).active is not None
    assert check_exceptions(sg("sg-other"), exc, NOW).active is None
    last_day = datetime(2027, 1, 31, 23, 0, tzinfo=UTC)
    assert check_exceptions(sg("sg-bastion"), exc, last_day).active is not None  # holds through its last day


@pytest.mark.parametrize(("cond", "props", "matches"), [
    ({"path": "GroupName", "eq": "web"}, {"GroupName": "web"}, True),
    ({"path": "GroupName", "ne": "web"}, {"GroupName": "web"}, False),
    ({"path": "GroupName", "in": ["a", "web"]}, {"GroupName": "web"}, True),
    ({"path": "SecurityGroupIngress[].CidrIp", "contains": "0.0.0.0/0"},
     {"SecurityGroupIngress": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "0.0.0.0/0"}]}, True),
    ({"path": "SecurityGroupIngress[].CidrIp", "cidr-contains": "10.2.3.4"},
     {"SecurityGroupIngress": [{"CidrIp": "10.0.0.0/8"}]}, True),
    ({"path": "SecurityGroupIngress[].CidrIp", "cidr-contains": "192.168.0.1"},
     {"SecurityGroupIngress": [{"CidrIp": "10.0.0.0/8"}]}, False),
    ({"path": "Created", "older-than": "30d"}, {"Created": "2026-10-01T00:00:00Z"}, True),
    ({"path": "Created", "older-than": "90d"}, {"Created": "2026-10-01T00:00:00Z"}, False),
    ({"path": "Description", "absent": True}, {}, True),
    ({"path": "Description", "absent": False}, {}, False),
    ({"any": [{"path": "a", "eq": 1}, {"path": "b", "eq": 2}]}, {"b": 2}, True),
    ({"not": {"path": "a", "eq": 1}}, {"a": 1}, False),
    ({"path": "tags.team", "eq": "web"}, {}, True),
])
def test_where_operators(cond: dict[str, object], props: dict[str, object], matches: bool) -> None:
    c = Condition.model_validate(cond)
    assert c.matches(sg(tags={"team": "web"}, **props), NOW) is matches


@pytest.mark.parametrize(("cond", "error"), [
    ({"path": "a", "eq": 1, "ne": 2}, "exactly one operator"),
    ({"eq": 1}, "needs `path`"),
    ({"path": "a[", "eq": 1}, "not a JMESPath expression"),
    ({"path": "a", "cidr-contains": "nope"}, "not an IP address or CIDR"),
    ({"path": "a", "gt": 1}, "Extra inputs"),
])
def test_where_refuses_bad_conditions(cond: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        Condition.model_validate(cond)


def test_inline_control_is_unknown_on_an_unknown_value_never_pass() -> None:
    g = parse_guardrails("guardrails:\n  - name: w\n    resource: AWS::EC2::SecurityGroup\n"
                         "    where: {path: GroupName, eq: web}\n", "g.yaml", {}).guardrails[0]
    from railguard.controls import Context
    from railguard.model import Inventory

    c = inline_control(g)
    ctx = Context(inventory=Inventory(), now=NOW)
    assert c(sg(GroupName="web"), ctx).result == Result.FAIL  # type: ignore[union-attr]
    assert c(sg(GroupName="db"), ctx).result == Result.PASS  # type: ignore[union-attr]
    v = c(sg(GroupName=Unknown("denied")), ctx)
    assert v is not None and v.result == Result.UNKNOWN and "denied" in v.reason
