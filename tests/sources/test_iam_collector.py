"""IAM and Access Analyzer collectors under moto: a failing and a passing live fixture per control,
denied calls giving UNKNOWN (never PASS), and the number of API calls."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from railguard.controls import get_control
from railguard.model import Inventory, Result
from railguard.sources.aws import pseudo
from railguard.sources.aws.session import CallCounter
from tests.livehelp import live_inventory, results, run_control

ACCOUNT = "123456789012"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}
TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
IAM_TYPES = ["AWS::IAM::User", "AWS::IAM::Role", "AWS::IAM::Group", "AWS::IAM::ManagedPolicy",
             pseudo.ROOT_ACCOUNT, pseudo.PASSWORD_POLICY, pseudo.SERVER_CERTIFICATE]


def ago(days: int) -> datetime:
    return (datetime.now(UTC) - timedelta(days=days)).replace(tzinfo=None, microsecond=0)


def backend() -> Any:
    from moto.backends import get_backend

    backends: Any = get_backend("iam")  # type: ignore[call-overload,unused-ignore]
    return backends[ACCOUNT]["global"]


@pytest.fixture
def iam(aws: None) -> Any:
    """moto with AWS-managed policies loaded (slow to start): only for tests that attach them."""
    return boto3.client("iam", region_name="us-east-1")


@pytest.fixture
def light(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto without the ~1,000 AWS-managed policies: much faster to start and reset."""
    from moto import mock_aws

    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    with mock_aws():
        yield boto3.client("iam", region_name="us-east-1")


def check(inv: Inventory, control_id: str) -> dict[str, Result]:
    return results(run_control(control_id, inventory=inv))


@pytest.fixture
def fake_calls(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, Any], None]:
    """Make one API operation fail (an exception) or answer (a dict) without reaching moto."""
    answers: dict[str, Any] = {}
    real = BaseClient._make_api_call

    def fake(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation in answers:
            a = answers[operation]
            if isinstance(a, Exception):
                raise a
            return a
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", fake)

    def set_answer(operation: str, answer: Any) -> None:
        answers[operation] = answer

    return set_answer


def denied(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, operation)


def seed_users(iam: Any) -> None:
    def user(name: str, *, password: bool = False, mfa: bool = False, keys: int = 0) -> Any:
        iam.create_user(UserName=name)
        if password:
            iam.create_login_profile(UserName=name, Password="Test-Passw0rd!")
        if mfa:
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
            iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                                  AuthenticationCode2="654321")
        for _ in range(keys):
            iam.create_access_key(UserName=name)
        return backend().users[name]

    from moto.iam.models import AccessKeyLastUsed

    user("nomfa", password=True)
    user("mfa", password=True, mfa=True).password_last_used = ago(1)
    user("setupkey", password=True, mfa=True, keys=1)
    two = user("twokeys", keys=2)
    for k in two.access_keys:
        k.last_used = AccessKeyLastUsed(ago(1), "s3", "us-east-1")
    old = user("oldkey", keys=1)
    old.create_date = old.access_keys[0].create_date = ago(200)
    old.access_keys[0].last_used = AccessKeyLastUsed(ago(2), "s3", "us-east-1")
    stale = user("stale", password=True, mfa=True)
    stale.create_date, stale.password_last_used = ago(200), ago(100)


USER_CONTROLS = ["iam.user-console-mfa", "iam.access-key-at-user-setup", "iam.credentials-unused",
                 "iam.user-multiple-active-keys", "iam.access-key-rotated"]


def test_user_credential_controls(light: Any) -> None:
    seed_users(light)
    inv = live_inventory(["AWS::IAM::User"])
    F, P = Result.FAIL, Result.PASS
    assert check(inv, "iam.user-console-mfa") == {
        "nomfa": F, "mfa": P, "setupkey": P, "twokeys": P, "oldkey": P, "stale": P}
    got = check(inv, "iam.access-key-at-user-setup")
    assert (got["setupkey"], got["mfa"], got["twokeys"]) == (F, P, P)
    got = check(inv, "iam.credentials-unused")
    assert (got["stale"], got["mfa"], got["oldkey"], got["twokeys"]) == (F, P, P, P)
    got = check(inv, "iam.user-multiple-active-keys")
    assert (got["twokeys"], got["oldkey"]) == (F, P)
    got = check(inv, "iam.access-key-rotated")
    assert (got["oldkey"], got["twokeys"]) == (F, P)

    # the shape teammates rely on
    mfa = inv.get("AWS::IAM::User", f"arn:aws:iam::{ACCOUNT}:user/mfa")
    assert mfa is not None
    assert mfa.get("LoginProfile") == {} and mfa.fact("mfa_active") is True
    assert mfa.fact("virtual_mfa_devices") == [f"arn:aws:iam::{ACCOUNT}:mfa/mfa"]
    old = inv.get("AWS::IAM::User", f"arn:aws:iam::{ACCOUNT}:user/oldkey")
    assert old is not None and "LoginProfile" not in old.properties
    [k] = old.fact("access_keys")
    assert k["active"] and k["slot"] == 1 and k["last_rotated"].tzinfo is not None

    # only what the selected controls need is read
    counter = CallCounter()
    live_inventory(get_control("iam.password-min-length").types, counter=counter)
    assert {k: v for k, v in counter.snapshot().items() if k.startswith("iam:")} == {"iam:GetAccountPasswordPolicy": 1}
    counter = CallCounter()
    live_inventory(get_control("iam.user-direct-policies").types, counter=counter)
    iam_calls = set(counter.snapshot())
    assert "iam:GetAccountAuthorizationDetails" in iam_calls
    assert not iam_calls & {"iam:ListPolicies", "iam:GetAccountSummary", "iam:ListServerCertificates"}


def test_policy_controls_and_api_economy(iam: Any, fake_calls: Callable[[str, Any], None]) -> None:
    adm = iam.create_policy(PolicyName="adm", PolicyDocument=json.dumps(ADMIN))["Policy"]["Arn"]
    iam.create_policy(PolicyName="adm-unattached", PolicyDocument=json.dumps(ADMIN))
    read = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(READ))["Policy"]["Arn"]
    for role in ("r-adm", "r-inline", "r-ok", "r-aws", "support"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="r-adm", PolicyArn=adm)
    iam.put_role_policy(RoleName="r-inline", PolicyName="all", PolicyDocument=json.dumps(ADMIN))
    iam.attach_role_policy(RoleName="r-ok", PolicyArn=read)
    iam.attach_role_policy(RoleName="r-aws", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_group(GroupName="devs")
    iam.attach_group_policy(GroupName="devs", PolicyArn="arn:aws:iam::aws:policy/AWSCloudShellFullAccess")
    iam.create_user(UserName="grouped")
    iam.add_user_to_group(GroupName="devs", UserName="grouped")
    iam.create_user(UserName="direct")
    iam.put_user_policy(UserName="direct", PolicyName="read", PolicyDocument=json.dumps(READ))
    iam.create_user(UserName="attached")
    iam.attach_user_policy(UserName="attached", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    for i in range(30):
        iam.create_user(UserName=f"bulk-{i}")
        iam.put_user_policy(UserName=f"bulk-{i}", PolicyName="p", PolicyDocument=json.dumps(READ))
        iam.create_role(RoleName=f"role-{i}", AssumeRolePolicyDocument=json.dumps(TRUST))

    counter = CallCounter()
    inv = live_inventory(IAM_TYPES, counter=counter)
    # whatever the number of principals: one pass over IAM, one document per attached AWS policy
    assert {k: v for k, v in counter.snapshot().items() if k.startswith("iam:")} == {
        "iam:GetAccountAuthorizationDetails": 1, "iam:ListPolicies": 1, "iam:GetPolicyVersion": 3,
        "iam:GenerateCredentialReport": 1, "iam:GetCredentialReport": 1, "iam:GetAccountSummary": 1,
        "iam:ListVirtualMFADevices": 1, "iam:GetAccountPasswordPolicy": 1, "iam:ListServerCertificates": 1,
    }

    got = check(inv, "iam.policy-full-admin")
    assert {k: v for k, v in got.items() if not k.startswith(("bulk-", "role-"))} == {
        "adm": Result.FAIL, "adm-unattached": Result.PASS, "read": Result.PASS,
        "AdministratorAccess": Result.FAIL,  # AWS-managed, attached: fetched because attached
        "AWSCloudShellFullAccess": Result.PASS, "ReadOnlyAccess": Result.PASS,
        "r-adm": Result.PASS, "r-inline": Result.FAIL, "r-ok": Result.PASS, "r-aws": Result.PASS,
        "support": Result.PASS, "devs": Result.PASS, "grouped": Result.PASS, "direct": Result.PASS,
        "attached": Result.PASS,
    }
    aws_adm = inv.get("AWS::IAM::ManagedPolicy", "arn:aws:iam::aws:policy/AdministratorAccess")
    assert aws_adm is not None and aws_adm.fact("aws_managed") is True and aws_adm.get("Roles") == ["r-aws"]

    got = check(inv, "iam.user-direct-policies")
    assert (got["grouped"], got["direct"], got["attached"]) == (Result.PASS, Result.FAIL, Result.FAIL)
    got = check(inv, "iam.cloudshell-full-access-attached")
    assert (got["devs"], got["grouped"], got["r-aws"]) == (Result.FAIL, Result.PASS, Result.PASS)
    assert check(inv, "iam.support-role") == {ACCOUNT: Result.FAIL}

    iam.attach_role_policy(RoleName="support", PolicyArn="arn:aws:iam::aws:policy/AWSSupportAccess")
    assert results(run_control("iam.support-role")) == {ACCOUNT: Result.PASS}

    # a denied AWS-managed policy document is UNKNOWN for that policy, not PASS
    fake_calls("GetPolicyVersion", denied("GetPolicyVersion"))
    assert results(run_control("iam.policy-full-admin"))["AdministratorAccess"] == Result.UNKNOWN


def test_password_policy(light: Any) -> None:
    cids = ("iam.password-min-length", "iam.password-reuse-prevention")
    inv = live_inventory([pseudo.PASSWORD_POLICY])
    assert [check(inv, c) for c in cids] == [{"password-policy": Result.FAIL}] * 2  # no policy at all
    light.update_account_password_policy(MinimumPasswordLength=8)
    inv = live_inventory([pseudo.PASSWORD_POLICY])
    assert [check(inv, c) for c in cids] == [{"password-policy": Result.FAIL}] * 2
    light.update_account_password_policy(MinimumPasswordLength=14, PasswordReusePrevention=24)
    inv = live_inventory([pseudo.PASSWORD_POLICY])
    assert [check(inv, c) for c in cids] == [{"password-policy": Result.PASS}] * 2


ROOT_CONTROLS = ("iam.root-access-key", "iam.root-mfa", "iam.root-hardware-mfa", "iam.root-recently-used")


def test_root_controls(light: Any, fake_calls: Callable[[str, Any], None]) -> None:
    inv = live_inventory([pseudo.ROOT_ACCOUNT])
    got = {cid: check(inv, cid)["root"] for cid in ROOT_CONTROLS}
    assert got == {"iam.root-access-key": Result.PASS, "iam.root-mfa": Result.FAIL,
                   "iam.root-hardware-mfa": Result.FAIL, "iam.root-recently-used": Result.UNKNOWN}
    [f] = run_control("iam.root-recently-used", inventory=inv)
    assert "<root_account>" in f.reason

    # moto cannot set root MFA or keys through the API: set them on its backend
    summary = backend().account_summary
    summary._account_mfa_enabled, summary._account_access_keys_present = 1, 1
    inv = live_inventory([pseudo.ROOT_ACCOUNT])
    got = {cid: check(inv, cid)["root"] for cid in ROOT_CONTROLS[:3]}
    assert got == {"iam.root-access-key": Result.FAIL, "iam.root-mfa": Result.PASS,
                   "iam.root-hardware-mfa": Result.PASS}
    device = light.create_virtual_mfa_device(VirtualMFADeviceName="root-account-mfa-device")["VirtualMFADevice"]
    backend().virtual_mfa_devices[device["SerialNumber"]].enable_date = ago(1)
    assert results(run_control("iam.root-hardware-mfa"))["root"] == Result.FAIL

    # a credential report with a <root_account> row decides root-recently-used
    header = "user,arn,user_creation_time,password_enabled,password_last_used,mfa_active\n"
    used = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    row = f"<root_account>,arn:aws:iam::{ACCOUNT}:root,2020-01-01T00:00:00+00:00,not_supported,{used},true\n"
    fake_calls("GetCredentialReport", {"Content": (header + row).encode(), "ReportFormat": "text/csv"})
    assert results(run_control("iam.root-recently-used"))["root"] == Result.FAIL
    old = row.replace(used, "2020-02-02T00:00:00+00:00")
    fake_calls("GetCredentialReport", {"Content": (header + old).encode(), "ReportFormat": "text/csv"})
    assert results(run_control("iam.root-recently-used"))["root"] == Result.PASS


def test_server_certificates(light: Any, fake_calls: Callable[[str, Any], None]) -> None:
    light.upload_server_certificate(ServerCertificateName="old", CertificateBody="b", PrivateKey="k")
    assert results(run_control("iam.expired-server-certificates")) == {"old": Result.FAIL}  # moto: 2012
    future = datetime.now(UTC) + timedelta(days=100)
    meta = {"Path": "/", "ServerCertificateName": "new", "ServerCertificateId": "ASCA1",
            "Arn": f"arn:aws:iam::{ACCOUNT}:server-certificate/new", "Expiration": future, "UploadDate": future}
    fake_calls("ListServerCertificates", {"ServerCertificateMetadataList": [meta], "IsTruncated": False})
    assert results(run_control("iam.expired-server-certificates")) == {"new": Result.PASS}


def test_access_analyzer(light: Any, fake_calls: Callable[[str, Any], None]) -> None:
    regions = ("us-east-1", "eu-west-1")
    # moto does not implement Access Analyzer: UNKNOWN with the reason, never PASS or FAIL
    got = run_control("accessanalyzer.enabled-all-regions", regions=regions)
    assert {f.result for f in got} == {Result.UNKNOWN} and len(got) == 2
    assert all("ListAnalyzers" in f.reason for f in got)
    active = {"arn": f"arn:aws:access-analyzer:us-east-1:{ACCOUNT}:analyzer/a", "name": "a", "type": "ACCOUNT",
              "status": "ACTIVE", "createdAt": datetime.now(UTC)}
    fake_calls("ListAnalyzers", {"analyzers": [active]})
    assert {f.result for f in run_control("accessanalyzer.enabled-all-regions", regions=regions)} == {Result.PASS}
    fake_calls("ListAnalyzers", {"analyzers": []})
    assert {f.result for f in run_control("accessanalyzer.enabled-all-regions", regions=regions)} == {Result.FAIL}


DENIALS = [
    ("GetAccountAuthorizationDetails", "iam.user-direct-policies", None),
    ("GetAccountAuthorizationDetails", "iam.support-role", ACCOUNT),
    ("GetAccountAuthorizationDetails", "iam.policy-full-admin", None),
    ("GetCredentialReport", "iam.user-console-mfa", "nomfa"),
    ("GenerateCredentialReport", "iam.credentials-unused", "stale"),
    ("GetAccountPasswordPolicy", "iam.password-min-length", None),
    ("GetAccountSummary", "iam.root-mfa", "root"),
    ("ListVirtualMFADevices", "iam.root-hardware-mfa", "root"),
    ("ListServerCertificates", "iam.expired-server-certificates", None),
]


def test_denied_calls_are_unknown(light: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_users(light)
    light.upload_server_certificate(ServerCertificateName="c", CertificateBody="b", PrivateKey="k")
    backend().account_summary._account_mfa_enabled = 1  # so that only the denied call decides
    real = BaseClient._make_api_call
    for operation, control_id, resource in DENIALS:

        def fake(self: BaseClient, op: str, params: dict[str, Any], _deny: str = operation) -> Any:
            if op == _deny:
                raise denied(op)
            return real(self, op, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", fake)
        findings = run_control(control_id)
        relevant = [f for f in findings if resource is None or (f.resource_name or f.resource_id) == resource]
        assert relevant, (operation, control_id)
        assert all(f.result == Result.UNKNOWN and "access denied" in f.reason for f in relevant), (
            operation, control_id, [(f.resource_id, f.result, f.reason) for f in findings])
