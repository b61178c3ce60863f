"""Seed IAM (CIS section 1): users, groups, roles, policies, password policy, certificates.

Each misconfiguration has a compliant twin. IAM is global, so `lab.regions` only matters for
Access Analyzer, which moto does not implement (its control is UNKNOWN there, as it should be).
Ages (keys, passwords, last use) can't be set through any API: they are set on moto's
in-process backend, in naive UTC whole seconds as moto stores them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from railguard.demo.lab import Lab

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}],
}
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
AWS_POLICY = "arn:aws:iam::aws:policy/{}"


def _ago(days: int) -> datetime:
    return (datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None, microsecond=0)


def seed(lab: Lab) -> None:
    iam = lab.client("iam")
    backend = lab.backend("iam")
    from moto.iam.models import AccessKeyLastUsed

    def used(key: Any, days: int) -> None:
        key.last_used = AccessKeyLastUsed(_ago(days), "s3", lab.home)

    def user(name: str, *, password: bool = False, mfa: bool = False, group: str | None = None,
             keys: int = 0) -> Any:
        iam.create_user(UserName=name, Tags=[{"Key": "railguard-demo", "Value": "iam"}])
        if password:
            iam.create_login_profile(UserName=name, Password="Demo-Passw0rd-Not-Secret!")
        if mfa:
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
            iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                                  AuthenticationCode2="654321")
        if group:
            iam.add_user_to_group(GroupName=group, UserName=name)
        for _ in range(keys):
            iam.create_access_key(UserName=name)
        return backend.users[name]

    # account-wide: a weak password policy, no support role, root without MFA (moto: no root MFA)
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireSymbols=False)
    lab.expect_fail("iam.password-min-length", "password-policy")
    lab.expect_fail("iam.password-reuse-prevention", "password-policy")
    lab.expect_fail("iam.support-role", lab.account)
    lab.expect_pass("iam.root-access-key", "root")
    lab.expect_fail("iam.root-mfa", "root")
    lab.expect_fail("iam.root-hardware-mfa", "root")

    for i in range(lab.scale):
        # policies and groups
        s3_read = iam.create_policy(PolicyName=f"rg-iam-s3-read-{i}", PolicyDocument=json.dumps(S3_READ))
        admin = iam.create_policy(PolicyName=f"rg-iam-admin-all-{i}", PolicyDocument=json.dumps(ALLOW_ALL))
        lab.expect_pass("iam.policy-full-admin", f"rg-iam-s3-read-{i}")
        lab.expect_fail("iam.policy-full-admin", f"rg-iam-admin-all-{i}")

        devs = f"rg-iam-devs-{i}"
        iam.create_group(GroupName=devs)
        iam.attach_group_policy(GroupName=devs, PolicyArn=s3_read["Policy"]["Arn"])
        lab.expect_pass("iam.cloudshell-full-access-attached", devs)
        shell = f"rg-iam-cloudshell-{i}"
        iam.create_group(GroupName=shell)
        iam.attach_group_policy(GroupName=shell, PolicyArn=AWS_POLICY.format("AWSCloudShellFullAccess"))
        lab.expect_fail("iam.cloudshell-full-access-attached", shell)

        # roles: *:* attached (customer-managed), *:* inline, and a least-privilege twin
        for role in (f"rg-iam-admin-role-{i}", f"rg-iam-inline-admin-{i}", f"rg-iam-app-role-{i}"):
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))
        iam.attach_role_policy(RoleName=f"rg-iam-admin-role-{i}", PolicyArn=admin["Policy"]["Arn"])
        iam.put_role_policy(RoleName=f"rg-iam-inline-admin-{i}", PolicyName="everything",
                            PolicyDocument=json.dumps(ALLOW_ALL))
        iam.attach_role_policy(RoleName=f"rg-iam-app-role-{i}", PolicyArn=s3_read["Policy"]["Arn"])
        iam.put_role_policy(RoleName=f"rg-iam-app-role-{i}", PolicyName="read", PolicyDocument=json.dumps(S3_READ))
        lab.expect_fail("iam.policy-full-admin", f"rg-iam-inline-admin-{i}")
        lab.expect_pass("iam.policy-full-admin", f"rg-iam-app-role-{i}")

        # console users: no MFA / MFA (both only through a group)
        name = f"rg-iam-nomfa-{i}"
        user(name, password=True, group=devs)
        lab.expect_fail("iam.user-console-mfa", name)
        lab.expect_pass("iam.user-direct-policies", name)
        lab.expect_pass("iam.access-key-at-user-setup", name)

        name = f"rg-iam-mfa-{i}"
        u = user(name, password=True, mfa=True, group=devs)
        u.password_last_used = _ago(1)
        for cid in ("iam.user-console-mfa", "iam.user-direct-policies", "iam.credentials-unused",
                    "iam.access-key-at-user-setup", "iam.cloudshell-full-access-attached"):
            lab.expect_pass(cid, name)

        # console user with an access key created at setup and never used
        name = f"rg-iam-setupkey-{i}"
        user(name, password=True, mfa=True, group=devs, keys=1)
        lab.expect_fail("iam.access-key-at-user-setup", name)

        # access keys: two active / one fresh / one old but used
        name = f"rg-iam-twokeys-{i}"
        u = user(name, group=devs, keys=2)
        for k in u.access_keys:
            used(k, 1)
        lab.expect_fail("iam.user-multiple-active-keys", name)
        lab.expect_pass("iam.access-key-rotated", name)

        name = f"rg-iam-onekey-{i}"
        u = user(name, group=devs, keys=1)
        used(u.access_keys[0], 2)
        for cid in ("iam.user-multiple-active-keys", "iam.access-key-rotated", "iam.credentials-unused"):
            lab.expect_pass(cid, name)

        name = f"rg-iam-oldkey-{i}"
        u = user(name, group=devs, keys=1)
        u.create_date = _ago(300)
        u.access_keys[0].create_date = _ago(200)
        used(u.access_keys[0], 2)
        lab.expect_fail("iam.access-key-rotated", name)
        lab.expect_pass("iam.credentials-unused", name)

        # unused credentials: a password last used 100 days ago, a key never used in 60 days
        name = f"rg-iam-stale-{i}"
        u = user(name, password=True, mfa=True, group=devs)
        u.create_date = _ago(200)
        u.password_last_used = _ago(100)
        lab.expect_fail("iam.credentials-unused", name)
        lab.expect_pass("iam.user-console-mfa", name)

        name = f"rg-iam-stalekey-{i}"
        u = user(name, group=devs, keys=1)
        u.create_date = _ago(60)
        u.access_keys[0].create_date = _ago(60)
        lab.expect_fail("iam.credentials-unused", name)
        lab.expect_pass("iam.access-key-rotated", name)

        # permissions given to the user directly (inline and attached), not through a group
        name = f"rg-iam-direct-{i}"
        user(name)
        iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps(S3_READ))
        iam.attach_user_policy(UserName=name, PolicyArn=AWS_POLICY.format("AmazonS3ReadOnlyAccess"))
        lab.expect_fail("iam.user-direct-policies", name)
        lab.expect_pass("iam.policy-full-admin", name)

        # a stored server certificate (moto reports every one as expired in 2012)
        cert = f"rg-iam-cert-{i}"
        iam.upload_server_certificate(ServerCertificateName=cert, CertificateBody="demo-cert-body",
                                      PrivateKey="demo-not-a-key")
        lab.expect_fail("iam.expired-server-certificates", cert)

    lab.expect_pass("iam.policy-full-admin", "AmazonS3ReadOnlyAccess")
