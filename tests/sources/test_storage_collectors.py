"""Live storage collectors (S3, RDS, EFS, EBS) under moto: a failing and a passing fixture per
control, denied calls giving UNKNOWN (never PASS), and API-call budgets."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.loaders
import pytest

from railguard.controls import get_control
from railguard.model import Result
from railguard.sources.aws.session import AccountSession, CallCounter
from tests.livehelp import live_inventory, results, run_control

REGION = "us-east-1"
ALL_ON = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
ACCOUNT = "123456789012"


_LOADER = botocore.loaders.create_loader()


class _SharedModelsSession(boto3.Session):
    """A session that reuses one botocore loader: each collection opens a new session, and parsing
    the service models again each time would cost most of these tests' time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session.register_component("data_loader", _LOADER)


@pytest.fixture(autouse=True)
def _fast_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    # storage needs no AWS-managed IAM policies; loading them costs moto ~0.3 s per account backend
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
    monkeypatch.setattr(boto3, "Session", _SharedModelsSession)


# ---------------------------------------------------------------- helpers


def on_call(monkeypatch: pytest.MonkeyPatch, service: str, operation: str,
            deny: bool = False, edit: Callable[[dict[str, Any]], None] | None = None) -> None:
    """Make `service:operation` fail with AccessDenied, or edit its parsed response, on every
    client the collectors create."""
    original = AccountSession.client

    def denied(**_: Any) -> tuple[Any, dict[str, Any]]:
        error = {"Error": {"Code": "AccessDenied", "Message": "denied"}, "ResponseMetadata": {"HTTPStatusCode": 403}}
        return SimpleNamespace(status_code=403, headers={}), error

    def edited(parsed: dict[str, Any], **_: Any) -> None:
        if edit is not None:
            edit(parsed)

    def client(self: AccountSession, svc: str, region: str | None = None) -> Any:
        c = original(self, svc, region)
        if svc == service and not getattr(c, f"_patched_{operation}", False):
            if deny:
                c.meta.events.register(f"before-call.{c.meta.service_model.service_id.hyphenize()}.{operation}", denied)
            else:
                c.meta.events.register(f"after-call.{c.meta.service_model.service_id.hyphenize()}.{operation}", edited)
            setattr(c, f"_patched_{operation}", True)
        return c

    monkeypatch.setattr(AccountSession, "client", client)


def s3(region: str = REGION) -> Any:
    return boto3.client("s3", region_name=region)


def make_bucket(name: str, region: str = REGION, **kw: Any) -> Any:
    c = s3(region)
    if region == "us-east-1":
        c.create_bucket(Bucket=name, **kw)
    else:
        c.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region}, **kw)
    return c


def deny_http_policy(name: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyHttp", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    })


def by_name(control_id: str, **kw: Any) -> dict[str, Result]:
    return results(run_control(control_id, **kw))


# ---------------------------------------------------------------- S3


@pytest.mark.usefixtures("aws")
def test_s3_bucket_shape_and_region() -> None:
    c = make_bucket("shape-bkt", "eu-west-1")
    c.put_bucket_versioning(Bucket="shape-bkt", VersioningConfiguration={"Status": "Enabled"})
    c.put_bucket_encryption(Bucket="shape-bkt", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/k"}}]})
    inv = live_inventory(["AWS::S3::Bucket"])
    [b] = inv.of_type("AWS::S3::Bucket")
    assert b.region == "eu-west-1" and b.arn == "arn:aws:s3:::shape-bkt" and b.name == "shape-bkt"
    assert b.get("VersioningConfiguration") == {"Status": "Enabled"}
    assert b.get("BucketEncryption.ServerSideEncryptionConfiguration.0.ServerSideEncryptionByDefault") == {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/k"}
    assert b.get("PublicAccessBlockConfiguration") is None
    assert b.get("AccessControl") == "Private"
    assert b.fact("mfa_delete") == "Disabled" and b.fact("acl_grants") == []


@pytest.mark.usefixtures("aws")
def test_s3_deny_http_fail_pass_and_denied(monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket("nopolicy-bkt")
    make_bucket("allow-bkt").put_bucket_policy(Bucket="allow-bkt", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::allow-bkt/*"}]}))
    make_bucket("secure-bkt", "eu-west-1").put_bucket_policy(Bucket="secure-bkt", Policy=deny_http_policy("secure-bkt"))
    assert by_name("s3.deny-http") == {"nopolicy-bkt": Result.FAIL, "allow-bkt": Result.FAIL,
                                       "secure-bkt": Result.PASS}
    on_call(monkeypatch, "s3", "GetBucketPolicy", deny=True)
    findings = run_control("s3.deny-http")
    assert {f.resource_name: f.result for f in findings} == dict.fromkeys(
        ["nopolicy-bkt", "allow-bkt", "secure-bkt"], Result.UNKNOWN)
    assert "access denied (AccessDenied) on s3:GetBucketPolicy" in findings[0].reason


@pytest.mark.usefixtures("aws")
def test_s3_mfa_delete(monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket("plain-bkt").put_bucket_versioning(Bucket="plain-bkt", VersioningConfiguration={"Status": "Enabled"})
    assert by_name("s3.mfa-delete") == {"plain-bkt": Result.FAIL}
    # moto cannot store MFADelete: the passing fixture edits GetBucketVersioning's answer
    on_call(monkeypatch, "s3", "GetBucketVersioning", edit=lambda p: p.update(MFADelete="Enabled"))
    assert by_name("s3.mfa-delete") == {"plain-bkt": Result.PASS}


@pytest.mark.usefixtures("aws")
def test_s3_mfa_delete_denied_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket("plain-bkt")
    on_call(monkeypatch, "s3", "GetBucketVersioning", deny=True)
    assert by_name("s3.mfa-delete") == {"plain-bkt": Result.UNKNOWN}


@pytest.mark.usefixtures("aws")
def test_s3_bucket_public_access_block() -> None:
    make_bucket("open-bkt")
    make_bucket("blocked-bkt").put_public_access_block(Bucket="blocked-bkt", PublicAccessBlockConfiguration=ALL_ON)
    assert by_name("s3.bucket-public-access-block") == {"open-bkt": Result.FAIL, "blocked-bkt": Result.PASS}
    boto3.client("s3control", region_name=REGION).put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_ON)
    assert by_name("s3.bucket-public-access-block") == {"open-bkt": Result.PASS, "blocked-bkt": Result.PASS}


@pytest.mark.usefixtures("aws")
def test_s3_bucket_pab_with_account_block_denied_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket("open-bkt")
    on_call(monkeypatch, "s3control", "GetPublicAccessBlock", deny=True)
    assert by_name("s3.bucket-public-access-block") == {"open-bkt": Result.UNKNOWN}


@pytest.mark.usefixtures("aws")
def test_s3_account_public_access_block(monkeypatch: pytest.MonkeyPatch) -> None:
    assert by_name("s3.account-public-access-block") == {ACCOUNT: Result.FAIL}
    boto3.client("s3control", region_name=REGION).put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_ON)
    assert by_name("s3.account-public-access-block") == {ACCOUNT: Result.PASS}
    on_call(monkeypatch, "s3control", "GetPublicAccessBlock", deny=True)
    findings = run_control("s3.account-public-access-block")
    assert [f.result for f in findings] == [Result.UNKNOWN]
    assert "access denied" in findings[0].reason


@pytest.mark.usefixtures("aws")
def test_s3_public_acl(monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket("public-bkt", ACL="public-read")
    make_bucket("auth-bkt", ACL="authenticated-read")
    make_bucket("private-bkt")
    assert by_name("s3.public-acl") == {"public-bkt": Result.FAIL, "auth-bkt": Result.FAIL,
                                        "private-bkt": Result.PASS}
    on_call(monkeypatch, "s3", "GetBucketAcl", deny=True)
    assert set(by_name("s3.public-acl").values()) == {Result.UNKNOWN}


@pytest.mark.usefixtures("aws")
def test_s3_default_encryption() -> None:
    make_bucket("plain-bkt")
    make_bucket("sse-s3-bkt").put_bucket_encryption(Bucket="sse-s3-bkt", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    make_bucket("kms-bkt").put_bucket_encryption(Bucket="kms-bkt", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/x"}}]})
    assert by_name("s3.default-encryption") == {"plain-bkt": Result.FAIL, "sse-s3-bkt": Result.PASS,
                                                "kms-bkt": Result.PASS}
    assert by_name("s3.default-encryption", params={"require_kms": True}) == {
        "plain-bkt": Result.FAIL, "sse-s3-bkt": Result.FAIL, "kms-bkt": Result.PASS}


@pytest.mark.usefixtures("aws")
def test_s3_versioning_and_logging() -> None:
    make_bucket("logs-bkt", ACL="log-delivery-write")
    c = make_bucket("good-bkt")
    c.put_bucket_versioning(Bucket="good-bkt", VersioningConfiguration={"Status": "Enabled"})
    c.put_bucket_logging(Bucket="good-bkt", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "logs-bkt", "TargetPrefix": "good/"}})
    assert by_name("s3.versioning-enabled") == {"logs-bkt": Result.FAIL, "good-bkt": Result.PASS}
    assert by_name("s3.access-logging-enabled") == {"logs-bkt": Result.FAIL, "good-bkt": Result.PASS}


@pytest.mark.usefixtures("aws")
def test_s3_list_buckets_denied_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    make_bucket("any-bkt").put_public_access_block(Bucket="any-bkt", PublicAccessBlockConfiguration=ALL_ON)
    on_call(monkeypatch, "s3", "ListBuckets", deny=True)
    findings = run_control("s3.bucket-public-access-block")
    assert findings and all(f.result == Result.UNKNOWN for f in findings)
    assert "cannot list buckets" in findings[0].reason


@pytest.mark.usefixtures("aws")
def test_s3_api_calls_only_what_controls_read() -> None:
    for i in range(3):
        make_bucket(f"count-bkt-{i}")
    cis = ["s3.deny-http", "s3.mfa-delete", "s3.bucket-public-access-block", "s3.account-public-access-block"]
    types = {t for cid in cis for t in get_control(cid).types}
    counter = CallCounter()
    live_inventory(types, counter=counter)
    s3_calls = {k: v for k, v in counter.snapshot().items() if k.startswith(("s3:", "s3-control:"))}
    assert s3_calls == {
        "s3:ListBuckets": 1, "s3:GetBucketLocation": 3, "s3:GetBucketPolicy": 3,
        "s3:GetBucketVersioning": 3, "s3:GetPublicAccessBlock": 3, "s3-control:GetPublicAccessBlock": 1,
    }
    counter = CallCounter()
    live_inventory(get_control("s3.account-public-access-block").types, counter=counter)
    assert {k: v for k, v in counter.snapshot().items() if k.startswith("s3")} == {"s3-control:GetPublicAccessBlock": 1}


# ---------------------------------------------------------------- RDS


def make_db(ident: str, region: str = REGION, **kw: Any) -> None:
    boto3.client("rds", region_name=region).create_db_instance(
        DBInstanceIdentifier=ident, DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="admin",
        MasterUserPassword="not-a-real-pw-1", AllocatedStorage=20, **kw)


@pytest.mark.usefixtures("aws")
def test_rds_controls_fail_and_pass() -> None:
    make_db("open-db", StorageEncrypted=False, PubliclyAccessible=True, AutoMinorVersionUpgrade=False, MultiAZ=False)
    make_db("private-db", StorageEncrypted=True, PubliclyAccessible=False, AutoMinorVersionUpgrade=True, MultiAZ=True)
    expected = {"open-db": Result.FAIL, "private-db": Result.PASS}
    for cid in ("rds.storage-encrypted", "rds.publicly-accessible", "rds.auto-minor-version-upgrade", "rds.multi-az"):
        assert by_name(cid) == expected, cid


@pytest.mark.usefixtures("aws")
def test_rds_unreported_flag_and_denied_are_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    make_db("quiet-db")  # moto reports no PubliclyAccessible when it was not given
    assert by_name("rds.publicly-accessible") == {"quiet-db": Result.UNKNOWN}
    on_call(monkeypatch, "rds", "DescribeDBInstances", deny=True)
    findings = run_control("rds.storage-encrypted")
    assert [f.result for f in findings] == [Result.UNKNOWN] and "access denied" in findings[0].reason


@pytest.mark.usefixtures("aws")
def test_rds_one_call_per_region() -> None:
    for i in range(3):
        make_db(f"db-{i}", PubliclyAccessible=False)
    counter = CallCounter()
    live_inventory(["AWS::RDS::DBInstance"], regions=[REGION, "eu-west-1"], counter=counter)
    assert counter.snapshot()["rds:DescribeDBInstances"] == 2


# ---------------------------------------------------------------- EFS


@pytest.mark.usefixtures("aws")
def test_efs_encrypted(monkeypatch: pytest.MonkeyPatch) -> None:
    efs = boto3.client("efs", region_name=REGION)
    efs.create_file_system(CreationToken="plain", Tags=[{"Key": "Name", "Value": "plain-fs"}])
    efs.create_file_system(CreationToken="enc", Encrypted=True, Tags=[{"Key": "Name", "Value": "enc-fs"}])
    assert by_name("efs.encrypted") == {"plain-fs": Result.FAIL, "enc-fs": Result.PASS}
    counter = CallCounter()
    inv = live_inventory(["AWS::EFS::FileSystem"], counter=counter)
    assert counter.snapshot()["efs:DescribeFileSystems"] == 1
    fs = inv.of_type("AWS::EFS::FileSystem")[0]
    assert fs.get("FileSystemTags")[0]["Key"] == "Name" and fs.arn
    on_call(monkeypatch, "efs", "DescribeFileSystems", deny=True)
    assert [f.result for f in run_control("efs.encrypted")] == [Result.UNKNOWN]


# ---------------------------------------------------------------- EBS


@pytest.mark.usefixtures("aws")
def test_ebs_default_encryption(monkeypatch: pytest.MonkeyPatch) -> None:
    boto3.client("ec2", region_name="eu-west-1").enable_ebs_encryption_by_default()
    out = by_name("ec2.ebs-default-encryption", regions=[REGION, "eu-west-1"])
    assert out == {REGION: Result.FAIL, "eu-west-1": Result.PASS}
    counter = CallCounter()
    live_inventory(get_control("ec2.ebs-default-encryption").types, regions=[REGION, "eu-west-1"], counter=counter)
    ec2_calls = {k: v for k, v in counter.snapshot().items() if k.startswith("ec2:") and k != "ec2:DescribeRegions"}
    assert ec2_calls == {"ec2:GetEbsEncryptionByDefault": 2}
    on_call(monkeypatch, "ec2", "GetEbsEncryptionByDefault", deny=True)
    assert set(by_name("ec2.ebs-default-encryption").values()) == {Result.UNKNOWN}


@pytest.mark.usefixtures("aws")
def test_ebs_volume_encrypted(monkeypatch: pytest.MonkeyPatch) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)

    def tags(name: str) -> list[dict[str, Any]]:
        return [{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}]

    ec2.create_volume(Size=1, AvailabilityZone="us-east-1a", TagSpecifications=tags("plain-vol"))
    ec2.create_volume(Size=1, AvailabilityZone="us-east-1a", Encrypted=True, TagSpecifications=tags("enc-vol"))
    assert by_name("ec2.ebs-volume-encrypted") == {"plain-vol": Result.FAIL, "enc-vol": Result.PASS}
    counter = CallCounter()
    live_inventory(["AWS::EC2::Volume"], counter=counter)
    assert counter.snapshot().get("ec2:GetEbsEncryptionByDefault") is None
    assert counter.snapshot()["ec2:DescribeVolumes"] == 1
    on_call(monkeypatch, "ec2", "DescribeVolumes", deny=True)
    assert set(by_name("ec2.ebs-volume-encrypted").values()) == {Result.UNKNOWN}
