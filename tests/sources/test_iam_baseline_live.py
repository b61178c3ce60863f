"""The IAM controls of railguard-baseline on live (moto) data: a failing and a passing fixture per
control, collected by the real collectors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from railguard.model import Result
from railguard.sources.aws import pseudo
from tests.livehelp import live_inventory, results, run_control

ACCOUNT = "123456789012"
F, P, M = Result.FAIL, Result.PASS, Result.MANUAL
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ASSUME = doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
S3_READ = doc({"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"})
PASS_ANY = doc({"Sid": "PassAny", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})
EC2_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


def account_trust(mfa: bool) -> str:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                          "Action": "sts:AssumeRole"}
    if mfa:
        st["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return doc(st)


def ago(days: int) -> datetime:
    return (datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None, microsecond=0)


@pytest.fixture
def iam(aws: None) -> Any:
    return boto3.client("iam", region_name="us-east-1")


@pytest.fixture
def light(monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto without the AWS-managed policies (much faster) for tests that attach none."""
    from moto import mock_aws

    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    with mock_aws():
        yield boto3.client("iam", region_name="us-east-1")


def test_user_controls(light: Any) -> None:
    iam = light
    iam.create_user(UserName="assumer")
    iam.put_user_policy(UserName="assumer", PolicyName="assume", PolicyDocument=ASSUME)
    iam.create_group(GroupName="readers")
    iam.put_group_policy(GroupName="readers", PolicyName="read", PolicyDocument=S3_READ)
    iam.create_user(UserName="reader")  # gets s3 through its group only
    iam.add_user_to_group(GroupName="readers", UserName="reader")
    iam.create_user(UserName="console")
    iam.create_login_profile(UserName="console", Password="Test-Passw0rd!")
    iam.create_user(UserName="lab-admin")
    iam.create_login_profile(UserName="lab-admin", Password="Test-Passw0rd!")

    got = results(run_control("iam.user-only-assume-role"))
    assert got == {"assumer": P, "reader": F, "console": P, "lab-admin": P}
    got = results(run_control("iam.user-inline-policies"))
    assert (got["assumer"], got["reader"]) == (F, P)
    got = results(run_control("iam.console-access-restricted", params={"admins": ["lab-admin"]}))
    assert got == {"assumer": P, "reader": P, "console": F, "lab-admin": P}
    got = results(run_control("iam.console-access-restricted"))
    assert (got["console"], got["assumer"]) == (M, P)


def test_access_key_unused(light: Any) -> None:
    from moto.backends import get_backend
    from moto.iam.models import AccessKeyLastUsed

    backend: Any = get_backend("iam")  # type: ignore[call-overload,unused-ignore]
    users = backend[ACCOUNT]["global"].users
    for name in ("fresh", "used", "stale", "never"):
        light.create_user(UserName=name)
        light.create_access_key(UserName=name)
    users["used"].access_keys[0].last_used = AccessKeyLastUsed(ago(3), "s3", "us-east-1")
    users["stale"].access_keys[0].create_date = ago(300)
    users["stale"].access_keys[0].last_used = AccessKeyLastUsed(ago(120), "s3", "us-east-1")
    users["never"].create_date = users["never"].access_keys[0].create_date = ago(100)
    got = results(run_control("iam.access-key-unused"))
    assert got == {"fresh": P, "used": P, "stale": F, "never": F}
    assert results(run_control("iam.access-key-unused", params={"days": 200}))["stale"] == P


def test_role_and_policy_controls(iam: Any) -> None:
    iam.create_role(RoleName="admin-nomfa", AssumeRolePolicyDocument=account_trust(mfa=False))
    iam.create_role(RoleName="admin-mfa", AssumeRolePolicyDocument=account_trust(mfa=True))
    iam.create_role(RoleName="reader-nomfa", AssumeRolePolicyDocument=account_trust(mfa=False))
    iam.create_role(RoleName="svc-admin", AssumeRolePolicyDocument=EC2_TRUST)
    for r in ("admin-nomfa", "admin-mfa", "svc-admin"):
        iam.attach_role_policy(RoleName=r, PolicyArn=ADMIN_ARN)
    iam.put_role_policy(RoleName="reader-nomfa", PolicyName="read", PolicyDocument=S3_READ)
    passer = iam.create_policy(PolicyName="passer", PolicyDocument=PASS_ANY)["Policy"]["Arn"]
    narrow = iam.create_policy(PolicyName="narrow", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/app"}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="reader-nomfa", PolicyArn=passer)
    iam.attach_role_policy(RoleName="reader-nomfa", PolicyArn=narrow)

    got = results(run_control("iam.privileged-role-trust-mfa"))
    # reader-nomfa can pass any role (iam:PassRole on *): an IAM administrator by that grant
    assert got == {"admin-nomfa": F, "admin-mfa": P, "reader-nomfa": F}  # svc-admin: out of scope
    got = results(run_control("iam.role-inline-policies"))
    assert (got["reader-nomfa"], got["admin-nomfa"]) == (F, P)
    [f] = [f for f in run_control("iam.policy-dangerous-permissions") if f.resource_name == "passer"]
    assert f.result == F and f.evidence["statements"][0]["statement"] == "PassAny"
    got = results(run_control("iam.policy-dangerous-permissions"))
    assert (got["narrow"], got["reader-nomfa"]) == (P, P)
    assert "AdministratorAccess" not in got  # AWS-managed: out of scope


def test_instance_role_privileged(iam: Any) -> None:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    for name, policy in (("admin", ADMIN_ARN), ("small", None)):
        iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=EC2_TRUST)
        if policy:
            iam.attach_role_policy(RoleName=f"{name}-role", PolicyArn=policy)
        else:
            iam.put_role_policy(RoleName=f"{name}-role", PolicyName="read", PolicyDocument=S3_READ)
        iam.create_instance_profile(InstanceProfileName=f"{name}-profile")
        iam.add_role_to_instance_profile(InstanceProfileName=f"{name}-profile", RoleName=f"{name}-role")
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, IamInstanceProfile={"Name": f"{name}-profile"},
                          TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}])
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                      TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "bare"}]}])
    findings = run_control("iam.instance-role-privileged")
    got = results(findings)
    assert got == {"admin": F, "small": P, "bare": P}
    [f] = [f for f in findings if f.resource_name == "admin"]
    assert f.evidence["role"] == "admin-role" and f.evidence["privilege"] == "administrator"


def test_password_expiry(light: Any) -> None:
    cid = "iam.password-expiry"
    inv = live_inventory([pseudo.PASSWORD_POLICY])
    assert results(run_control(cid, inventory=inv)) == {"password-policy": P}  # nothing required
    assert results(run_control(cid, inventory=inv, params={"max_age_days": 90})) == {"password-policy": F}
    light.update_account_password_policy(MinimumPasswordLength=14, MaxPasswordAge=60)
    inv = live_inventory([pseudo.PASSWORD_POLICY])
    assert results(run_control(cid, inventory=inv, params={"max_age_days": 90})) == {"password-policy": P}
    assert results(run_control(cid, inventory=inv, params={"max_age_days": 30})) == {"password-policy": F}
