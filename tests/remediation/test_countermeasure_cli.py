"""Countermeasures end to end from the CLI, over HTTP against moto's server: `railguard events replay`
records three violations attributed to one IAM user (from CloudTrail records), `railguard findings
list` says who did it, and `railguard guardrails run --apply` deactivates every active key of that
user behind the same breaker, once; `railguard undo` switches them back on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.remediation.test_scenario_cli import OFFICE, REGION, WORLD_SSH, railguard

ACCOUNT = "123456789012"  # moto's
MALLORY = f"arn:aws:iam::{ACCOUNT}:user/mallory"

GUARDRAIL = """
guardrails:
  - name: no-admin-ports
    controls: [ec2.sg-admin-port-open-to-world]
    scope: {{regions: [us-east-1]}}
    mode: remediate
    action: {{id: ec2.restrict-world-ingress}}
    safeguards: {{max_actions: {limit}, window: 1h}}
    countermeasure: {{after: 3, window: 1d, action: {{id: iam.deactivate-access-key, params: {{all_active: true}}}}}}
"""


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from railguard.demo.run import moto_server

    with moto_server() as url:
        yield url


def _client(url: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=url, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _keys(url: str) -> set[str]:
    return {k["Status"] for k in _client(url, "iam").list_access_keys(UserName="mallory")["AccessKeyMetadata"]}


def _record(gid: str, n: int) -> dict[str, Any]:
    """An AuthorizeSecurityGroupIngress record as CloudTrail writes it (the fields replay reads)."""
    return {
        "eventVersion": "1.09", "eventTime": f"2026-12-01T10:0{n}:00Z", "eventSource": "ec2.amazonaws.com",
        "eventName": "AuthorizeSecurityGroupIngress", "awsRegion": REGION, "sourceIPAddress": "203.0.113.9",
        "userAgent": "aws-cli/2.15.0", "eventID": f"ev-cm-{n}", "eventType": "AwsApiCall", "readOnly": False,
        "managementEvent": True, "recipientAccountId": ACCOUNT, "eventCategory": "Management",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLEMALLORY", "arn": MALLORY,
                         "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLEMALLORY1", "userName": "mallory"},
        "requestParameters": {"groupId": gid, "ipPermissions": {"items": [
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}},
        "responseElements": {"_return": True},
    }


def test_repeat_offender_from_replayed_events_loses_their_keys(moto_url: str, tmp_path: Path) -> None:
    from railguard.demo.run import reset_moto

    reset_moto(moto_url)
    iam, ec2 = _client(moto_url, "iam"), _client(moto_url, "ec2")
    iam.create_user(UserName="mallory")
    for _ in range(2):
        iam.create_access_key(UserName="mallory")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    gids = []
    for name in ("a", "b", "c"):
        gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[WORLD_SSH, OFFICE])
        gids.append(gid)
    logs = tmp_path / "trail.json"
    logs.write_text(json.dumps({"Records": [_record(g, i) for i, g in enumerate(gids)]}))
    gfile = tmp_path / "g.yaml"
    gfile.write_text(GUARDRAIL.format(limit=10))
    db = str(tmp_path / "rg.db")

    replayed = railguard(moto_url, "events", "replay", str(logs), "--guardrails", str(gfile), "--db", db)
    assert replayed.returncode == 0, replayed.stderr
    assert _keys(moto_url) == {"Active"}  # replay only records (dry run)
    listed = railguard(moto_url, "findings", "list", "--db", db)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count(f"last by {MALLORY}") == 3  # has this happened before? who did it
    rows = json.loads(railguard(moto_url, "findings", "list", "--db", db, "--json").stdout)
    assert {r["resource_id"] for r in rows if r["last_principal"] == MALLORY} == set(gids)

    p = railguard(moto_url, "guardrails", "run", str(gfile), "--db", db, "--apply", "--json")
    assert p.returncode == 0, p.stderr + p.stdout
    out = json.loads(p.stdout)
    counter = [i for i in out["items"] if i["control"] == "countermeasure:no-admin-ports"]
    assert [(c["status"], c["action_id"]) for c in counter] == [("applied", "iam.deactivate-access-key")]
    assert counter[0]["history"].startswith(f"3 violation(s) by {MALLORY}")
    assert _keys(moto_url) == {"Inactive"}
    again = json.loads(railguard(moto_url, "guardrails", "run", str(gfile), "--db", db, "--apply", "--json").stdout)
    assert not [i for i in again["items"] if i["control"].startswith("countermeasure")]  # once per offence

    u = railguard(moto_url, "undo", counter[0]["journal_id"], "--db", db, "--by", "alice")
    assert u.returncode == 0, u.stderr
    assert _keys(moto_url) == {"Active"}


def test_the_countermeasure_is_behind_the_breaker_from_the_cli(moto_url: str, tmp_path: Path) -> None:
    """Breaker at 3: the three groups take the window, the countermeasure is held and a human is asked."""
    from railguard.demo.run import reset_moto

    reset_moto(moto_url)
    iam, ec2 = _client(moto_url, "iam"), _client(moto_url, "ec2")
    iam.create_user(UserName="mallory")
    iam.create_access_key(UserName="mallory")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    gids = []
    for name in ("d", "e", "f"):
        gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[WORLD_SSH])
        gids.append(gid)
    logs = tmp_path / "trail.json"
    logs.write_text(json.dumps({"Records": [_record(g, i) for i, g in enumerate(gids)]}))
    gfile = tmp_path / "g.yaml"
    gfile.write_text(GUARDRAIL.format(limit=3))
    db = str(tmp_path / "rg.db")
    assert railguard(moto_url, "events", "replay", str(logs), "--guardrails", str(gfile), "--db", db).returncode == 0
    p = railguard(moto_url, "guardrails", "run", str(gfile), "--db", db, "--apply")
    assert p.returncode == 1, p.stderr  # something needs a person
    assert "circuit breaker" in p.stdout and "NEEDS A HUMAN: guardrail no-admin-ports" in p.stdout
    assert _keys(moto_url) == {"Active"}
