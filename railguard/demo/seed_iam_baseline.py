"""Seed the IAM items of `railguard-baseline`: users who hold more than role assumption, inline
policies, console users outside the administrators list, privileged roles assumable without MFA,
dangerous policy patterns, an instance running with an administrator role, unused access keys.

Each misconfiguration has a compliant twin. The demo scans with `console_admins: [lab-admin]`
and `owned_accounts: [<lab account>]` (railguard.demo.run.lab_config), so `lab-admin` is the one
console user that passes iam.console-access-restricted. Names start with `rg-base-` so that they
never collide with the CIS IAM seed. The instances live in `lab.home`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from railguard.demo.lab import Lab

ADMIN_USER = "lab-admin"
AMI = "ami-0a1b2c3d4e5f60718"  # moto accepts any AMI id
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
PASSWORD = "Demo-Passw0rd-Not-Secret!"

TRUST_MFA = "iam.privileged-role-trust-mfa"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ASSUME_ANY = _doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"})
S3_WORK = _doc({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], "Resource": "*"})
EC2_TRUST = _doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


def _account_trust(account: str, *, mfa: bool) -> str:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                          "Action": "sts:AssumeRole"}
    if mfa:
        st["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    return _doc(st)


def _ago(days: int) -> datetime:
    return (datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None, microsecond=0)


def seed(lab: Lab) -> None:
    iam = lab.client("iam")
    ec2 = lab.client("ec2")
    backend = lab.backend("iam")
    from moto.iam.models import AccessKeyLastUsed

    tags = [{"Key": "railguard-demo", "Value": "iam-baseline"}]

    # the one configured console administrator: a console password, MFA, nothing but AssumeRole
    own_roles = _doc({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{lab.account}:role/*"})
    assume = iam.create_policy(PolicyName="rg-base-assume-only", PolicyDocument=own_roles)["Policy"]["Arn"]
    iam.create_user(UserName=ADMIN_USER, Tags=tags)
    iam.create_login_profile(UserName=ADMIN_USER, Password=PASSWORD)
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=ADMIN_USER)["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName=ADMIN_USER, SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    iam.attach_user_policy(UserName=ADMIN_USER, PolicyArn=assume)
    for cid in ("iam.console-access-restricted", "iam.user-only-assume-role", "iam.user-inline-policies"):
        lab.expect_pass(cid, ADMIN_USER)
    lab.expect_pass("iam.policy-dangerous-permissions", "rg-base-assume-only")  # this account's roles, not *
    wide = iam.create_policy(PolicyName="rg-base-assume-anything", PolicyDocument=ASSUME_ANY)["Policy"]["Arn"]
    lab.expect_fail("iam.policy-dangerous-permissions", "rg-base-assume-anything")  # sts:AssumeRole on *

    for i in range(lab.scale):
        # users: one that only assumes roles, one with S3 permissions in an inline policy
        name = f"rg-base-assumer-{i}"
        iam.create_user(UserName=name, Tags=tags)
        iam.attach_user_policy(UserName=name, PolicyArn=assume)
        for cid in ("iam.user-only-assume-role", "iam.user-inline-policies", "iam.console-access-restricted"):
            lab.expect_pass(cid, name)
        name = f"rg-base-s3-user-{i}"
        iam.create_user(UserName=name, Tags=tags)
        iam.put_user_policy(UserName=name, PolicyName="s3-work", PolicyDocument=S3_WORK)
        iam.attach_user_policy(UserName=name, PolicyArn=wide)
        lab.expect_fail("iam.user-only-assume-role", name)
        lab.expect_fail("iam.user-inline-policies", name)

        # a console user who is not a configured administrator
        name = f"rg-base-console-{i}"
        iam.create_user(UserName=name, Tags=tags)
        iam.create_login_profile(UserName=name, Password=PASSWORD)
        iam.attach_user_policy(UserName=name, PolicyArn=assume)
        lab.expect_fail("iam.console-access-restricted", name)
        lab.expect_pass("iam.user-only-assume-role", name)

        # access keys: one unused for 120 days, one used yesterday
        name = f"rg-base-stale-key-{i}"
        iam.create_user(UserName=name, Tags=tags)
        iam.create_access_key(UserName=name)
        u = backend.users[name]
        u.create_date = u.access_keys[0].create_date = _ago(400)
        u.access_keys[0].last_used = AccessKeyLastUsed(_ago(120), "s3", lab.home)
        lab.expect_fail("iam.access-key-unused", name)
        name = f"rg-base-used-key-{i}"
        iam.create_user(UserName=name, Tags=tags)
        iam.create_access_key(UserName=name)
        u = backend.users[name]
        u.create_date = u.access_keys[0].create_date = _ago(400)
        u.access_keys[0].last_used = AccessKeyLastUsed(_ago(1), "s3", lab.home)
        lab.expect_pass("iam.access-key-unused", name)

        # administrator roles the whole account may assume: without and with MFA
        for role, mfa in ((f"rg-base-admin-nomfa-{i}", False), (f"rg-base-admin-mfa-{i}", True)):
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=_account_trust(lab.account, mfa=mfa), Tags=tags)
            iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN_ARN)
            (lab.expect_pass if mfa else lab.expect_fail)(TRUST_MFA, role)
            lab.expect_pass("iam.role-inline-policies", role)

        # a service role with an inline policy, and customer policies passing any role / one role
        app = f"rg-base-app-role-{i}"
        iam.create_role(RoleName=app, AssumeRolePolicyDocument=EC2_TRUST, Tags=tags)
        iam.put_role_policy(RoleName=app, PolicyName="s3-work", PolicyDocument=S3_WORK)
        lab.expect_fail("iam.role-inline-policies", app)
        pass_any = f"rg-base-pass-any-role-{i}"
        arn = iam.create_policy(PolicyName=pass_any, PolicyDocument=_doc(
            {"Sid": "PassAnyRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=app, PolicyArn=arn)
        lab.expect_fail("iam.policy-dangerous-permissions", pass_any)
        pass_one = f"rg-base-pass-app-role-{i}"
        arn = iam.create_policy(PolicyName=pass_one, PolicyDocument=_doc(
            {"Effect": "Allow", "Action": "iam:PassRole",
             "Resource": f"arn:aws:iam::{lab.account}:role/{app}"}))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=app, PolicyArn=arn)
        lab.expect_pass("iam.policy-dangerous-permissions", pass_one)

        # instances: one whose profile role is an administrator, one with a read-only-ish role
        for kind, attach in (("admin", True), ("worker", False)):
            role, profile, instance = (f"rg-base-{kind}-instance-role-{i}", f"rg-base-{kind}-profile-{i}",
                                       f"rg-base-{kind}-instance-{i}")
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=EC2_TRUST, Tags=tags)
            if attach:
                iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN_ARN)
            else:
                iam.attach_role_policy(RoleName=role, PolicyArn=assume)
            iam.create_instance_profile(InstanceProfileName=profile)
            iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
            ec2.run_instances(
                ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
                IamInstanceProfile={"Name": profile},
                TagSpecifications=[{"ResourceType": "instance",
                                    "Tags": [{"Key": "Name", "Value": instance}, *tags]}],
            )
            (lab.expect_fail if attach else lab.expect_pass)("iam.instance-role-privileged", instance)

    # the password policy (set by the CIS IAM seed) has no expiry: fine while none is configured
    lab.expect_pass("iam.password-expiry", "password-policy")
